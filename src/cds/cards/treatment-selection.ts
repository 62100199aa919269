/** The treatment-selection card (ICTOS, clinical risk and the recommendation, Dong 2019), and the ICTOS and risk rule lines the order check shares. */
import { DONG_LIMITATIONS, DONG_SURVIVAL, RECOMMENDATION_EVIDENCE, populationDoubts, recommendationEvidenceText, scoreText, type Assessment, type IctosFeature, type RecommendationKind, type RiskFactor } from '../../core';
import { ictosFinding, inputRows, riskFinding, unusableLines, findingInputs, ictosInputIds, RISK_INPUT_IDS } from '../basis';
import type { Finding } from '../card-schema';
import { num, text, trusted, type Md } from '../markdown';
import { PATIENT_VIEW_OVERRIDE_REASONS } from '../vocabulary';
import { type BuiltCard, type CardContext, FEATURE_LABEL, ICTOS_KEYS, RISK_KEYS, RISK_LABEL, STAGING_KEYS, TRIAL_LINK, card, caveats, ci, citation, populationSection, withCaveat } from './envelope';

export const scoreOf = (ictos: Assessment['ictos']): string => (ictos.kind === 'insufficient-data' ? 'unknown' : scoreText(ictos.score));

export function ictosRuleLines(ctx: CardContext): Md[] {
  const { ictos } = ctx.assessment;
  const set = ctx.thresholds.ictos;
  const c = set.coefficients;
  const terms = (Object.keys(FEATURE_LABEL) as IctosFeature[]).map((f, i) => {
    const coefficient = c[f];
    const sign = coefficient < 0 ? '\u2212' : i === 0 ? '' : '+';
    return `${sign}${i === 0 ? '' : ' '}${num(Math.abs(coefficient))} \u00d7 ${FEATURE_LABEL[f]}`;
  });
  const lines: Md[] = [
    trusted(
      `ICTOS = ${terms.join(' ')}, on z-scored features of the primary tumor on pre-treatment contrast-enhanced T1-weighted MRI; ` +
        `high when > ${num(set.cutoff)}, low when \u2264 ${num(set.cutoff)} (threshold set ${text(set.id)}).`,
    ),
  ];
  if (ictos.kind === 'insufficient-data') {
    lines.push(text(`This patient: ICTOS cannot be computed (missing: ${ictos.missing.join(', ')}).`));
    return lines;
  }
  const from = { score: 'the recorded ICTOS Observation', 'z-features': 'the three z-scored features', 'raw-features': 'the raw features with the site normalization' }[ictos.source];
  lines.push(trusted(`This patient: ICTOS ${text(scoreText(ictos.score))} from ${from}: **${ictos.kind}**.`));
  if (ictos.features !== undefined) {
    const features = ictos.features;
    const parts = (Object.keys(features) as IctosFeature[]).map(
      (f) => `${FEATURE_LABEL[f]} z ${num(features[f].z)} \u00d7 ${num(features[f].coefficient)} = ${num(features[f].contribution)}`,
    );
    lines.push(trusted(`Contributions: ${parts.join('; ')}.`));
    if (ictos.source === 'raw-features') {
      const norms = (Object.keys(features) as IctosFeature[]).flatMap((f) => {
        const raw = features[f].raw;
        return raw === undefined ? [] : [`${FEATURE_LABEL[f]} mean ${num(raw.mean)}, SD ${num(raw.sd)}`];
      });
      lines.push(
        trusted(
          `Normalization: ${text(ctx.profile?.normalizationName ?? 'the site\u2019s set')} (${norms.join('; ')}), not the study\u2019s: Dong 2019 z-scored the features with its training cohort\u2019s parameters, which are not published. A deviation from the study.`,
        ),
      );
    }
  }
  return lines;
}

export function riskRuleLine(ctx: CardContext): Md {
  const { risk } = ctx.assessment;
  const rf = ctx.thresholds.ictos.riskFactors;
  const list = (fs: readonly RiskFactor[]) => (fs.length === 0 ? 'none' : fs.map((f) => RISK_LABEL[f]).join(', '));
  return trusted(
    `Clinical risk among low-ICTOS patients (Dong 2019): T4; N2\u2013N3; primary tumor volume \u2265 ${num(rf.tumorVolumeMl)} mL; plasma EBV DNA \u2265 ${num(rf.ebvDnaCopiesPerMl)} copies/mL; ` +
      `high when more than ${num(rf.highRiskMoreThan)} are present (defined on the AJCC 7th edition; an 8th-edition T4 or N3 is used as the 7th-edition factor). ` +
      `This patient: present ${list(risk.present)}; absent ${list(risk.absent)}; unknown ${list(risk.unknown)}: **${risk.kind}**.`,
  );
}

const R7_LINE = trusted(
  'Recommendation (Dong 2019, Discussion): high ICTOS \u2192 induction chemotherapy + CCRT; low ICTOS and low risk \u2192 CCRT alone; low ICTOS and high risk \u2192 clinical trials of intensified or novel therapy. A choice made before any treatment starts.',
);

/** What "no treatment started" rests on (clinical-spec.md section 4, v2). */
const NOT_STARTED_LINE = trusted(
  'No radiotherapy or systemic anti-cancer therapy is recorded as started: the Procedure (radiotherapy) and MedicationAdministration (systemic therapy) records of this EHR were searched. Treatment recorded elsewhere (another hospital, free text) is not seen.',
);

export function recommendationEvidence(kind: RecommendationKind): Md[] {
  return recommendationEvidenceText(kind).map((x) => trusted(x));
}

export const dongLimitations = () => DONG_LIMITATIONS.map((l) => trusted(l));

export function treatmentSelectionCard(ctx: CardContext, kind: RecommendationKind): BuiltCard {
  const { assessment, extraction, templates } = ctx;
  const evidence = RECOMMENDATION_EVIDENCE[kind];
  const highIctos = DONG_SURVIVAL.validationHighIctos.hr;
  const summary = withCaveat(
    (caveat) => templates.summary(`treatment-selection.${kind}`, { score: scoreOf(assessment.ictos), hr: highIctos.value, ci: ci(highIctos.ci), caveat }),
    populationDoubts(assessment.population),
  );
  const findings: Finding[] = [
    ictosFinding(assessment, extraction),
    riskFinding(assessment, extraction),
    {
      rule: 'recommendation',
      outcome: kind,
      inputs: findingInputs([...ictosInputIds(assessment), ...(kind === 'ict-ccrt' ? [] : RISK_INPUT_IDS)], extraction),
      missing: [],
    },
  ];
  const detail = templates.detail('treatment-selection', {
    headline: text(`Option: ${evidence.label} (${evidence.source})`),
    caveats: caveats(ctx),
    population: populationSection(ctx),
    inputs: inputRows([...ICTOS_KEYS, ...STAGING_KEYS, ...RISK_KEYS], extraction),
    unusable: unusableLines([...ICTOS_KEYS, ...STAGING_KEYS, ...RISK_KEYS], extraction),
    rules: [
      ...ictosRuleLines(ctx),
      kind === 'ict-ccrt' ? trusted('Dong 2019 did not stratify high-ICTOS patients by clinical risk.') : riskRuleLine(ctx),
      R7_LINE,
      NOT_STARTED_LINE,
    ],
    evidence: recommendationEvidence(kind),
    limitations: dongLimitations(),
    citations: [citation('dong-2019')],
  });
  return card(
    ctx,
    'treatment-selection',
    { summary, detail, indicator: 'info', paper: 'dong-2019', overrideReasons: [...PATIENT_VIEW_OVERRIDE_REASONS], extraLinks: [TRIAL_LINK] },
    findings,
  );
}
