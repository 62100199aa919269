/**
 * From an assessed patient to CDS Hooks cards (clinical-spec.md sections 1, 6 and 8; conventions.md
 * findings). At most one card per decision: treatment selection (before treatment), response prediction
 * (whenever TBF data exist), what is missing (in scope, inputs missing), and the order check on the
 * order hooks. No card for a patient without NPC; no card for an NPC patient outside the studied
 * population (docs/decisions/0005-cds-service.md). When the EHR's FHIR server failed, one card that
 * says so instead of all of them (docs/decisions/0007-fhir-faults.md).
 */
import {
  CITATIONS,
  DONG_COHORTS,
  DONG_LIMITATIONS,
  DONG_SURVIVAL,
  LIU_COHORT,
  LIU_LIMITATIONS,
  POPULATION_DOUBT_TEXT,
  POST_TBF_RESIDUAL_NOT_A_RULE,
  RECIST_SHORT,
  RECOMMENDATION_EVIDENCE,
  RESIDUAL_RULES,
  TBF_EVIDENCE,
  TBF_RULE_IDS,
  ageText,
  checkInductionOrder,
  isDecided,
  ordersFor,
  negativePredictiveValue,
  populationDoubts,
  positivePredictiveValue,
  hazardRatioText,
  intervalText,
  percentText,
  pValueText,
  recommendationEvidenceText,
  RESIDUAL_DIRECTION_TEXT,
  RESPONSE_DIRECTION_TEXT,
  scoreText,
  tbfOutcomeText,
  tbfOutlook,
  type Assessment,
  type IctosFeature,
  type InputId,
  type Need,
  type OrderCheckResult,
  type PopulationDoubt,
  type RecommendationKind,
  type RiskFactor,
  type TbfRuleResult,
  type ThresholdSets,
} from '../core';
import type { FaultKey } from '../fhir/errors';
import type { ExtractKey, Extraction } from '../fhir/extract';
import { recognitionPhrase } from '../fhir/drugs';
import { populationLines } from '../fhir/labels';
import { observedResponse, observedResponseLines } from '../fhir/observed';
import { relevantInductionOrders, type DraftOrderReview, type InductionOrder, type SystemicOrder } from '../fhir/orders';
import type { PrefetchKey } from '../fhir/prefetch';
import {
  findingProblems,
  ictosFinding,
  inputRows,
  problemLines,
  riskFinding,
  tbfFindings,
  unusableLines,
  findingInputs,
  ictosInputIds,
  RISK_INPUT_IDS,
  unavailableFinding,
} from './basis';
import { FINDINGS_EXTENSION, type Card, type Finding } from './card-schema';
import { link, num, text, trusted, type Md } from './markdown';
import { SITE_CALIBRATION_LIMITATION, siteCalibrationStatement, siteRuleFigures, type SiteCalibration, type ThresholdProfile } from '../site-profiles';
import type { CardTemplates } from './templates';
import { CARD_TOPICS, OVERRIDE_REASONS, PATIENT_VIEW_OVERRIDE_REASONS, type CardKind } from './vocabulary';
import { EN } from '../explain/messages';
import { needLabels, needLines } from '../explain/needs';
import { missingNeeds } from '../fhir/needs';
import { suggestedServiceRequest } from '../fhir/suggested-orders';

export interface CardContext {
  readonly serviceId: string;
  readonly patientId: string;
  readonly extraction: Extraction;
  readonly assessment: Assessment;
  readonly thresholds: ThresholdSets;
  /** The threshold profile (issue 17): a site set's calibration is shown on the TBF card; absent = the default. */
  readonly profile?: ThresholdProfile | undefined;
  readonly templates: CardTemplates;
  /** The SMART app's launch URL; without it cards carry no app link. */
  readonly smartAppUrl?: string | undefined;
  readonly newUuid: () => string;
}

export interface BuiltCard {
  readonly kind: CardKind;
  readonly card: Card;
}

// ---- formatting of the evidence registry ------------------------------------------------------------

const p = pValueText;
const ci = intervalText;
const hr = hazardRatioText;
const pct = percentText;

const FEATURE_LABEL: Readonly<Record<IctosFeature, string>> = {
  skewness: 'skewness',
  glcmVariance: 'GLCM variance',
  glrlmLrhgle: 'GLRLM LRHGLE',
};

const RISK_LABEL: Readonly<Record<RiskFactor, string>> = {
  t4: 'T4',
  'n2-n3': 'N2\u2013N3',
  'tumor-volume-34ml': 'primary tumor volume \u2265 34 mL',
  'ebv-dna-2000': 'plasma EBV DNA \u2265 2000 copies/mL',
};

const ICTOS_KEYS: readonly ExtractKey[] = ['ictos', 'skewness-z', 'glcm-variance-z', 'glrlm-lrhgle-z', 'skewness', 'glcm-variance', 'glrlm-lrhgle'];
const STAGING_KEYS: readonly ExtractKey[] = ['t-category', 'n-category', 'm-category', 'stage-group'];
const RISK_KEYS: readonly ExtractKey[] = ['tumor-volume', 'ebv-dna'];
const TBF_KEYS: readonly ExtractKey[] = ['pre-tbf', 'post-tbf', 'treatment-start', 'mptd-pre', 'mptd-post'];

function populationSection(ctx: CardContext): Md[] {
  return populationLines(ctx.assessment, ctx.extraction).map((l) => text(l, 500));
}

/** The population doubts, each a quoted caveat at the top of the detail. */
function caveats(ctx: CardContext): Md[] {
  return populationDoubts(ctx.assessment.population).map((d) => trusted(POPULATION_DOUBT_TEXT[d].long));
}

/**
 * The summary with the population doubts appended ("; stage not recorded"): the caveat belongs in the
 * summary, not only in the detail (clinical-spec.md sections 2 and 6, v2). Shortened to fit 140 characters.
 */
function withCaveat(render: (caveat: string) => string, doubts: readonly PopulationDoubt[]): string {
  if (doubts.length === 0) return render('');
  const full = render(`; ${doubts.map((d) => POPULATION_DOUBT_TEXT[d].short).join(', ')}`);
  if (full.length <= SUMMARY_MAX) return full;
  const first = render(`; ${POPULATION_DOUBT_TEXT[doubts[0] as PopulationDoubt].short} (and more)`);
  return first.length <= SUMMARY_MAX ? first : render('; see caveats');
}

/** What every card needs, whatever data it was built from. */
type CardBase = Pick<CardContext, 'serviceId' | 'smartAppUrl' | 'newUuid'>;

function smartLinks(ctx: CardBase, kind: CardKind, findings: readonly Finding[]): NonNullable<Card['links']> {
  if (ctx.smartAppUrl === undefined) return [];
  const appContext = JSON.stringify({ card: kind, service: ctx.serviceId, rules: [...new Set(findings.map((f) => f.rule))] });
  return [{ label: 'Open NPC-CDS for the full picture', url: ctx.smartAppUrl, type: 'smart', appContext }];
}

const TRIAL_LINK = { label: 'Trial NCT01245959 (ICTOS validation cohort)', url: 'https://clinicaltrials.gov/study/NCT01245959', type: 'absolute' } as const;

function card(
  ctx: CardBase,
  kind: CardKind,
  parts: Omit<Card, 'uuid' | 'source' | 'extension' | 'links'> & { paper?: 'liu-2022' | 'dong-2019'; extraLinks?: NonNullable<Card['links']> },
  findings: Finding[],
): BuiltCard {
  const { paper, extraLinks, ...rest } = parts;
  const source: Card['source'] =
    paper === undefined
      ? { label: 'NPC-CDS (Liu 2022; Dong 2019)', topic: CARD_TOPICS[kind] }
      : { label: `NPC-CDS \u00b7 ${CITATIONS[paper].short}`, url: CITATIONS[paper].url, topic: CARD_TOPICS[kind] };
  const links = [...smartLinks(ctx, kind, findings), ...(extraLinks ?? [])];
  return {
    kind,
    card: {
      uuid: ctx.newUuid(),
      ...rest,
      source,
      ...(links.length > 0 ? { links } : {}),
      extension: { [FINDINGS_EXTENSION]: findings },
    },
  };
}

const citation = (paper: 'liu-2022' | 'dong-2019'): Md => {
  const c = CITATIONS[paper];
  return trusted(`${text(`${c.authors}. ${c.title}. ${c.journal} ${c.year};${c.volume}:${c.article}.`, 400)} ${link(`doi ${c.doi}`, c.url)}`);
};

// ---- ICTOS, risk and recommendation ---------------------------------------------------------------

const scoreOf = (ictos: Assessment['ictos']): string => (ictos.kind === 'insufficient-data' ? 'unknown' : scoreText(ictos.score));

function ictosRuleLines(ctx: CardContext): Md[] {
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

function riskRuleLine(ctx: CardContext): Md {
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

function recommendationEvidence(kind: RecommendationKind): Md[] {
  return recommendationEvidenceText(kind).map((x) => trusted(x));
}

const dongLimitations = () => DONG_LIMITATIONS.map((l) => trusted(l));

function treatmentSelectionCard(ctx: CardContext, kind: RecommendationKind): BuiltCard {
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

// ---- TBF response prediction -------------------------------------------------------------------------

function tbfRuleRow(result: TbfRuleResult, ctx: CardContext): Md {
  const ev = TBF_EVIDENCE[result.rule];
  const value = isDecided(result) || result.kind === 'not-applicable' ? `${ev.parameter} ${num(result.value)}` : `${ev.parameter} not available (missing ${result.missing.join(', ')})`;
  const outcome = isDecided(result) ? `**${tbfOutcomeText(result)}**` : tbfOutcomeText(result);
  const site = ctx.profile?.calibration;
  const figures =
    site === undefined
      ? `AUC ${ev.auc.value} (95% CI ${ci(ev.auc.ci)}), sensitivity ${ev.sensitivity}, specificity ${ev.specificity}; ${ev.strength} evidence.`
      : text(siteRuleFigures(site.rules[result.rule], site), 600);
  return trusted(`${result.rule} (${site === undefined ? ev.source : `${ev.source}, cutoff from the local calibration`}): ${value} vs cutoff > ${num(result.cutoff)} \u2192 ${outcome}. ${figures}`);
}

const fixed3 = (x: number): string => x.toFixed(3);

/** The site's calibration, said first on the TBF card: whose cutoffs these are. */
function siteCalibrationCaveat(ctx: CardContext): Md[] {
  const site = ctx.profile?.calibration;
  if (site === undefined) return [];
  return [text(siteCalibrationStatement(site), 600)];
}

function tbfEvidence(ctx: CardContext): Md[] {
  const site = ctx.profile?.calibration;
  return site === undefined ? liuEvidence(ctx, '') : [...siteEvidence(ctx, site), ...liuEvidence(ctx, 'The rules\u2019 source, Liu 2022, at its published cutoffs (not used here): ')];
}

function siteEvidence(ctx: CardContext, site: SiteCalibration): Md[] {
  const rows: Md[] = [];
  for (const rule of TBF_RULE_IDS) {
    if (ctx.assessment.tbf[rule].kind === 'insufficient-data') continue;
    const ev = TBF_EVIDENCE[rule];
    const r = site.rules[rule];
    const above = r.truePositives + (r.negatives - r.trueNegatives);
    const atOrBelow = r.trueNegatives + (r.positives - r.truePositives);
    const interval = r.cutoffBootstrapCi !== undefined ? `; bootstrap 95% interval of the cutoff ${num(r.cutoffBootstrapCi[0])}\u2013${num(r.cutoffBootstrapCi[1])}` : '';
    rows.push(
      trusted(
        `${rule} (local calibration, ${text(site.id)}): of ${above} patients at this site above ${num(r.cutoff)}, ${r.truePositives} had ${ev.favorableOutcome}; ` +
          `of ${atOrBelow} at or below, ${r.trueNegatives} had ${ev.unfavorableOutcome}. AUC ${fixed3(r.auc)} (95% CI ${fixed3(r.aucCi[0])}\u2013${fixed3(r.aucCi[1])})${interval}.`,
      ),
    );
  }
  const scanners = Object.entries(site.scannerFields).map(([k, v]) => `${k}: ${v.join(', ')}`);
  rows.push(
    text(
      `Site cohort: ${site.patients} patients; cohort file SHA-256 ${site.inputSha256.slice(0, 12)}\u2026${scanners.length > 0 ? `; ${scanners.join('; ')}` : ''}.`,
      600,
    ),
  );
  return rows;
}

function liuEvidence(ctx: CardContext, prefix: string): Md[] {
  const rows: Md[] = [];
  for (const rule of TBF_RULE_IDS) {
    const result = ctx.assessment.tbf[rule];
    if (result.kind === 'insufficient-data') continue;
    const ev = TBF_EVIDENCE[rule];
    const c = ev.counts;
    const above = c.truePositive + c.falsePositive;
    const atOrBelow = c.trueNegative + c.falseNegative;
    rows.push(
      trusted(
        `${prefix}${rule} (${ev.source}): of ${above} patients above ${num(ev.publishedCutoff)}, ${c.truePositive} had ${ev.favorableOutcome} (${pct(positivePredictiveValue(c))}); ` +
          `of ${atOrBelow} at or below, ${c.trueNegative} had ${ev.unfavorableOutcome} (${pct(negativePredictiveValue(c))}): counts reconstructed from the published sensitivity, specificity and group sizes, not printed in the paper. ` +
          `Group means (Table 4): ${ev.positiveGroup.label} ${ev.positiveGroup.mean} \u00b1 ${ev.positiveGroup.sd} vs ${ev.negativeGroup.label} ${ev.negativeGroup.mean} \u00b1 ${ev.negativeGroup.sd} mL/100 g/min, ${p(ev.groupDifferenceP)}.`,
      ),
    );
  }
  rows.push(
    trusted(
      `${prefix === '' ? '' : 'Liu 2022 '}Cohort: ${LIU_COHORT.n} patients aged ${LIU_COHORT.ageYears.min}\u2013${LIU_COHORT.ageYears.max}, ${LIU_COHORT.design}, ${LIU_COHORT.period}; ${LIU_COHORT.treatment}. Protocol: ${LIU_COHORT.protocol.scanner}; ${LIU_COHORT.protocol.sequence}; post-labeling delay ${LIU_COHORT.protocol.postLabelingDelayMs} ms.`,
    ),
  );
  return rows;
}

/** The observed response at 40 Gy, when both diameters are recorded (Liu 2022 Eq. 3, Table 2). */
function observedLines(ctx: CardContext): Md[] {
  const observed = observedResponse(ctx.extraction);
  return observed === undefined ? [] : observedResponseLines(observed).map((l) => text(l, 400));
}

function tbfRuleLines(ctx: CardContext): Md[] {
  const { extraction } = ctx;
  const lines: Md[] = [];
  const pre = extraction.found['pre-tbf'];
  const post = extraction.found['post-tbf'];
  const delta = ctx.assessment.tbf['delta-tbf-response'];
  if (typeof pre?.value === 'number' && typeof post?.value === 'number' && delta.kind !== 'insufficient-data') {
    lines.push(trusted(`\u0394TBF = Pre-TBF \u2212 Post-TBF = ${num(pre.value)} \u2212 ${num(post.value)} = ${num(delta.value)} mL/100 g/min, recomputed from the two measurements.`));
  }
  if (TBF_RULE_IDS.some((r) => ctx.assessment.tbf[r].kind === 'not-applicable' && (ctx.assessment.tbf[r] as { reason: string }).reason === 'induction-before-rt')) {
    lines.push(
      trusted(
        'Systemic therapy started before radiotherapy: Liu 2022 studied concurrent chemoradiotherapy without induction chemotherapy, so the values are shown without a prediction.',
      ),
    );
  }
  const nr = POST_TBF_RESIDUAL_NOT_A_RULE;
  lines.push(
    trusted(
      `Post-TBF is not used to predict residual tumor (cutoff ${nr.publishedCutoff}, AUC ${nr.auc.value}): it did not differ between the residual and non-residual groups (Table 4, ${p(nr.groupDifferenceP)}).`,
    ),
  );
  lines.push(
    trusted(
      `Pre-TBF and \u0394TBF correlate with the tumor atrophy rate (r = ${LIU_COHORT.atrophyCorrelation.preTbf} and ${LIU_COHORT.atrophyCorrelation.deltaTbf}). Post-TBF and \u0394TBF come from the same 40 Gy MRI on which the response is assessed: for the response they are associations, not predictions. None of this is a treatment recommendation.`,
    ),
  );
  return lines;
}

function responseSummary(ctx: CardContext): string {
  const { assessment } = ctx;
  const tbf = assessment.tbf;
  const doubts = populationDoubts(assessment.population);
  if (TBF_RULE_IDS.every((r) => tbf[r].kind !== 'favorable' && tbf[r].kind !== 'unfavorable')) {
    const why = TBF_RULE_IDS.some((r) => tbf[r].kind === 'not-applicable' && (tbf[r] as { reason: string }).reason === 'induction-before-rt')
      ? 'no prediction after induction chemotherapy (not studied)'
      : 'predictions expired: outcomes due or observed';
    return withCaveat((caveat) => ctx.templates.summary('response-prediction', { response: 'values shown', residual: `${why}${caveat}` }), doubts);
  }
  const { response, residual, weakOnly } = tbfOutlook(tbf);
  const residualExpired = RESIDUAL_RULES.some((r) => tbf[r].kind === 'not-applicable');
  const observed = observedResponse(ctx.extraction);
  const responseText = observed !== undefined ? `observed ${RECIST_SHORT[observed.recist]} at 40 Gy` : `${RESPONSE_DIRECTION_TEXT[response]}${weakOnly ? ' (weak rule)' : ''}`;
  const residualText = residualExpired ? 'residual prediction expired' : RESIDUAL_DIRECTION_TEXT[residual];
  return withCaveat((caveat) => ctx.templates.summary('response-prediction', { response: responseText, residual: `${residualText}${caveat}` }), doubts);
}

function responsePredictionCard(ctx: CardContext): BuiltCard {
  const { assessment, extraction, templates } = ctx;
  const detail = templates.detail('response-prediction', {
    headline: trusted('ASL-MRI tumor blood flow and early response to chemoradiotherapy (a prognostic aid, not a treatment recommendation)'),
    caveats: [...siteCalibrationCaveat(ctx), ...caveats(ctx)],
    population: populationSection(ctx),
    inputs: inputRows(TBF_KEYS, extraction),
    unusable: unusableLines(['pre-tbf', 'post-tbf'], extraction),
    ruleRows: TBF_RULE_IDS.map((r) => tbfRuleRow(assessment.tbf[r], ctx)),
    observed: observedLines(ctx),
    rules: tbfRuleLines(ctx),
    evidence: tbfEvidence(ctx),
    limitations: [...(ctx.profile?.calibration !== undefined ? [trusted(SITE_CALIBRATION_LIMITATION)] : []), ...LIU_LIMITATIONS.map((l) => trusted(l)), ...(assessment.population.age.recorded && !assessment.population.age.withinLiuRange ? [text(ageText(assessment.population.age))] : [])],
    citations: [citation('liu-2022')],
  });
  return card(
    ctx,
    'response-prediction',
    { summary: responseSummary(ctx), detail, indicator: 'info', paper: 'liu-2022', overrideReasons: [...PATIENT_VIEW_OVERRIDE_REASONS] },
    tbfFindings(assessment, extraction),
  );
}

// ---- what is missing --------------------------------------------------------------------------------

/** The findings of the missing-data card: one per decision that a need holds back. */
function needFindings(ctx: CardContext, needs: readonly Need[]): Finding[] {
  const { assessment, extraction } = ctx;
  const rec = assessment.recommendation;
  const topics = new Set(needs.map((n) => n.topic));
  const findings: Finding[] = [];
  for (const n of needs) {
    if (n.topic === 'consistent-staging') {
      findings.push({ rule: 'recommendation', outcome: 'not-applicable', reason: 'staging-conflict', inputs: findingInputs(['m-category', 'stage-group'], extraction), missing: [...n.inputs] });
    } else if (n.topic === 'staging-edition') {
      findings.push({ rule: 'recommendation', outcome: 'not-applicable', reason: 'ambiguous-edition', inputs: findingInputs(['stage-group'], extraction), missing: ['m-category'] });
    }
  }
  if (topics.has('ictos') && rec.kind === 'insufficient-data') {
    findings.push(ictosFinding(assessment, extraction));
    findings.push({ rule: 'recommendation', outcome: 'insufficient-data', inputs: [], missing: [...rec.missing], ...findingProblems(rec.missing, rec.problems, extraction) });
  }
  if (topics.has('risk-input') && rec.kind === 'undetermined') {
    findings.push(riskFinding(assessment, extraction));
    findings.push({ rule: 'recommendation', outcome: 'undetermined', inputs: findingInputs(ictosInputIds(assessment), extraction), missing: [...rec.missing] });
  }
  if (topics.has('pre-tbf')) findings.push(...tbfFindings(assessment, extraction, ['pre-tbf-response', 'pre-tbf-residual']));
  if (topics.has('post-tbf') && assessment.tbf['delta-tbf-response'].kind === 'insufficient-data') {
    findings.push(...tbfFindings(assessment, extraction, ['delta-tbf-response', 'delta-tbf-residual', 'post-tbf-response']));
  }
  return findings;
}

/** The summary's list of what is missing, shortened ("ICTOS, Pre-TBF and more") to fit. */
function missingSummaryList(labels: readonly string[]): string {
  const shown = [...labels];
  let missing = shown.join(', ');
  while (missing.length > 85 && shown.length > 1) {
    shown.pop();
    missing = `${shown.join(', ')} and more`;
  }
  return missing;
}

function missingDataCard(ctx: CardContext): BuiltCard | undefined {
  const needs = missingNeeds(ctx.extraction, ctx.assessment);
  if (needs.length === 0) return undefined;
  const lines = needLines(needs, ctx.extraction);
  const m = EN.needs;
  const suggestions = ordersFor(needs).map(({ orderable, needs: served }) => {
    const labels = [...new Set(served.map((n) => m.label(n)))];
    const label = m.orderLabel(orderable);
    return {
      label,
      uuid: ctx.newUuid(),
      actions: [
        {
          type: 'create' as const,
          description: m.orderAction(label, labels),
          resource: { ...suggestedServiceRequest({ orderable, patientId: ctx.patientId, condition: ctx.extraction.npcCondition?.reference, note: m.orderNote(labels) }) },
        },
      ],
    };
  });
  const problems = [
    ...unusableLines(['pre-tbf', 'post-tbf', ...ICTOS_KEYS, ...STAGING_KEYS, ...RISK_KEYS], ctx.extraction),
    ...problemLines(ctx.assessment.risk.problems),
  ];
  const detail = ctx.templates.detail('missing-data', {
    headline: trusted(m.headline),
    caveats: caveats(ctx),
    population: populationSection(ctx),
    needs: lines.map((l) => trusted(l.why)),
    problems,
    inputs: inputRows([...ICTOS_KEYS, ...STAGING_KEYS, ...RISK_KEYS, 'pre-tbf', 'post-tbf', 'treatment-start'], ctx.extraction),
    unusable: [],
    suggestionNote: suggestions.length > 0 ? trusted(m.suggestionNote) : trusted(''),
    citations: [citation('dong-2019'), citation('liu-2022')],
  });
  const summary = ctx.templates.summary('missing-data', { missing: missingSummaryList(needLabels(lines)) });
  return card(
    ctx,
    'missing-data',
    {
      summary,
      detail,
      indicator: 'info',
      overrideReasons: [...PATIENT_VIEW_OVERRIDE_REASONS],
      ...(suggestions.length > 0 ? { suggestions, selectionBehavior: 'any' as const } : {}),
    },
    needFindings(ctx, needs),
  );
}

/** The population reasons that get one quiet card: a patient who otherwise looks like one the studies enrolled. */
const QUIET_CARD_REASONS = new Set<string>(['recurrent-disease', 'n0', 'under-18']);

const POPULATION_SUMMARY: Readonly<Record<'recurrent-disease' | 'n0' | 'under-18', string>> = {
  'recurrent-disease': 'recurrent disease (the studies enrolled newly diagnosed, untreated patients)',
  n0: 'N0 (neither cohort had N0 patients)',
  'under-18': 'younger than 18 (the studies enrolled adults)',
};

/**
 * One quiet info card for a patient outside the studied population whose record otherwise matches it
 * (recurrent disease, N0, under 18; clinical-spec.md section 2, v2): why the rules do not apply. Other
 * out-of-scope patients (no NPC, M1, stage I–II) get no card (docs/decisions/0008-clinical-contract-v2.md).
 */
function populationCard(ctx: CardContext, reason: 'recurrent-disease' | 'n0' | 'under-18'): BuiltCard {
  const detail = ctx.templates.detail('population', {
    headline: trusted('Outside the studied population: NPC-CDS applies no rule'),
    population: populationSection(ctx),
    citations: [citation('liu-2022'), citation('dong-2019')],
  });
  const summary = ctx.templates.summary('population', { why: POPULATION_SUMMARY[reason] });
  const finding: Finding = { rule: 'recommendation', outcome: 'not-applicable', reason, inputs: findingInputs(['stage-group', 'n-category'], ctx.extraction), missing: [] };
  return card(ctx, 'population', { summary, detail, indicator: 'info' }, [finding]);
}

/**
 * The patient-view cards: none for a patient without NPC or outside the studied population (one quiet
 * card for recurrent disease, N0 or age under 18); otherwise treatment selection, response prediction and
 * what is missing, each when it applies.
 */
export function patientViewCards(ctx: CardContext): BuiltCard[] {
  const { assessment } = ctx;
  const rec = assessment.recommendation;
  if (assessment.population.kind === 'out-of-scope') {
    return rec.kind === 'not-applicable' && QUIET_CARD_REASONS.has(rec.reason) ? [populationCard(ctx, rec.reason as 'recurrent-disease' | 'n0' | 'under-18')] : [];
  }
  const out: BuiltCard[] = [];
  if (rec.kind === 'ict-ccrt' || rec.kind === 'ccrt-alone' || rec.kind === 'clinical-trial') out.push(treatmentSelectionCard(ctx, rec.kind));
  const staged = !(rec.kind === 'not-applicable' && (rec.reason === 'staging-conflict' || rec.reason === 'ambiguous-edition'));
  if (staged && TBF_RULE_IDS.some((r) => assessment.tbf[r].kind !== 'insufficient-data')) out.push(responsePredictionCard(ctx));
  const missing = missingDataCard(ctx);
  if (missing !== undefined) out.push(missing);
  return out;
}

// ---- the order check ------------------------------------------------------------------------------

function orderLines(review: DraftOrderReview): Md[] {
  const why = {
    'induction-partner': 'an induction partner agent',
    'induction-marker': 'marked as induction on the order',
    'regimen-platinum': 'a platinum ordered with an induction partner and not marked concurrent: part of the induction regimen',
  };
  const ignored = { 'no-medication': 'no medication, cannot be identified', 'not-chemotherapy': 'not a listed systemic anti-cancer agent', 'inactive-status': 'not active' };
  const recognisedAs = (o: InductionOrder | SystemicOrder) =>
    o.recognised.length > 0 ? o.recognised.map((r) => `${r.label}, recognised ${recognitionPhrase(r, 'order')}`).join('; ') : 'agent not coded';
  const concurrent = new Set(review.concurrentPlatinum);
  return [
    ...review.regimen.map((o) => text(`${o.reference}: ${recognisedAs(o)}; induction chemotherapy (${why[o.by]})`, 400)),
    ...review.platinumOrders.map((o) =>
      text(`${o.reference}: ${recognisedAs(o)}; ${concurrent.has(o.reference) ? 'platinum marked concurrent on the order' : 'platinum alone, the concurrent part of CCRT'}, not checked and not suggested for removal`, 400),
    ),
    ...review.otherSystemic.map((o) => text(`${o.reference}: ${recognisedAs(o)}; systemic therapy that is not an induction partner, not checked`, 400)),
    ...review.ignored.map((i) => text(`${i.reference}: ${ignored[i.reason]}`)),
  ];
}

type AppliedCheck = Exclude<OrderCheckResult, { kind: 'not-applicable' }>;

function orderEvidence(result: AppliedCheck): Md[] {
  const s = DONG_SURVIVAL;
  switch (result.kind) {
    case 'ict-supported':
      return recommendationEvidence('ict-ccrt');
    case 'insufficient-data':
      return [trusted('ICTOS decides whether induction chemotherapy was associated with a benefit (Dong 2019); without it the check cannot be made.')];
    default: {
      const lines: Md[] = [
        trusted(
          `Validation cohort, low ICTOS (n = ${s.validationLowIctos.n}): additional induction chemotherapy was not associated with a significant failure-free survival benefit, FFS ${hr(s.validationLowIctos.hr)}; the interval includes a benefit.`,
        ),
      ];
      if (result.kind === 'consider-trial') {
        lines.push(
          trusted(
            `Low ICTOS and high risk: 5-year FFS ${s.lowIctosHighRisk.ffs5y}% with CCRT alone; induction chemotherapy ${hr(s.lowIctosHighRisk.ictHr)}. \u201cIt was not possible to conclude that CCRT alone was sufficient\u201d: the authors suggest clinical trials of intensified or novel therapy.`,
          ),
        );
      }
      if (result.kind === 'ict-not-supported') lines.push(trusted(`Low ICTOS and low risk: 5-year FFS ${s.lowIctosLowRisk.ffs5y}%; induction chemotherapy ${hr(s.lowIctosLowRisk.ictHr)}.`));
      lines.push(trusted('The low-ICTOS tiers are not yet validated in larger populations, in the authors\u2019 words; the risk stratification was exploratory.'));
      lines.push(trusted(`Induction regimen of the trial: ${DONG_COHORTS.inductionRegimen}; other regimens were not studied.`));
      return lines;
    }
  }
}

const ORDER_HEADLINE: Readonly<Record<AppliedCheck['kind'], string>> = {
  'ict-not-supported': 'Induction chemotherapy is in the draft orders of a low-ICTOS, low-risk patient',
  'consider-trial': 'Induction chemotherapy is in the draft orders of a low-ICTOS, high-risk patient',
  undetermined: 'Induction chemotherapy is in the draft orders of a low-ICTOS patient whose risk or population is not established',
  'ict-supported': 'Induction chemotherapy is in the draft orders of a high-ICTOS patient',
  'insufficient-data': 'Induction chemotherapy is in the draft orders, but ICTOS is not available',
};

/** What the undetermined check lacks, in a few words for the summary. */
function undeterminedMissing(result: Extract<OrderCheckResult, { kind: 'undetermined' }>): string {
  const names = [...result.doubts.map((d) => POPULATION_DOUBT_TEXT[d].short.replace(/ not recorded$/, '')), ...result.missing.map((m) => MISSING_SHORT[m] ?? m)];
  return [...new Set(names)].join(', ');
}

const MISSING_SHORT: Readonly<Partial<Record<InputId, string>>> = {
  'ebv-dna': 'EBV DNA',
  'tumor-volume': 'tumor volume',
  't-category': 'T',
  'n-category': 'N',
};

/**
 * The order-check card for draft orders (order-select / order-sign), by risk tier (clinical-spec.md
 * section 6, v2). On order-select the check runs only when one of the just-selected orders is induction
 * chemotherapy; on order-sign, for all draft orders. Only low ICTOS with certain low risk and no
 * population doubt is a warning with a suggestion to remove the whole induction regimen.
 */
export function orderCheckCards(ctx: CardContext, review: DraftOrderReview, selections?: readonly string[]): BuiltCard[] {
  const relevant = relevantInductionOrders(review, selections);
  const result = checkInductionOrder(ctx.assessment, relevant.length > 0);
  if (result.kind === 'not-applicable') return [];
  const { assessment, extraction, templates } = ctx;
  const score = scoreOf(assessment.ictos);
  const h = result.kind === 'ict-supported' ? DONG_SURVIVAL.validationHighIctos.hr : result.kind === 'consider-trial' ? DONG_SURVIVAL.lowIctosHighRisk.ictHr : DONG_SURVIVAL.validationLowIctos.hr;
  const summaryFor = (caveat: string) =>
    templates.summary(`order-check.${result.kind}`, {
      score,
      hr: h.value,
      ci: ci(h.ci),
      caveat,
      missing: result.kind === 'undetermined' ? undeterminedMissing(result) : '',
    });
  const summary = result.kind === 'ict-supported' ? withCaveat(summaryFor, result.doubts) : summaryFor('');
  const findings: Finding[] = [
    ictosFinding(assessment, extraction),
    ...(result.kind === 'ict-not-supported' || result.kind === 'consider-trial' || result.kind === 'undetermined' ? [riskFinding(assessment, extraction)] : []),
    {
      rule: 'order-check',
      outcome: result.kind,
      ...(result.kind !== 'insufficient-data' ? { value: result.ictos.score, cutoff: result.ictos.cutoff, thresholdSet: result.ictos.thresholdSet } : {}),
      inputs: findingInputs([...ictosInputIds(assessment), ...(result.kind === 'ict-supported' || result.kind === 'insufficient-data' ? [] : RISK_INPUT_IDS)], extraction),
      missing: result.kind === 'insufficient-data' || result.kind === 'undetermined' ? [...result.missing] : [],
      ...(result.kind === 'insufficient-data' ? findingProblems(result.missing, result.problems, extraction) : {}),
    },
  ];
  const detail = templates.detail('order-check', {
    headline: trusted(ORDER_HEADLINE[result.kind]),
    caveats: caveats(ctx),
    orders: orderLines(review),
    population: populationSection(ctx),
    inputs: inputRows([...ICTOS_KEYS, ...STAGING_KEYS, ...RISK_KEYS], extraction),
    unusable: unusableLines([...ICTOS_KEYS, ...RISK_KEYS], extraction),
    rules: [
      ...ictosRuleLines(ctx),
      ...(result.kind === 'ict-supported' || result.kind === 'insufficient-data' ? [] : [riskRuleLine(ctx)]),
      trusted(
        'Order check (clinical-spec section 6): induction chemotherapy is recognised by an induction partner agent (docetaxel, fluorouracil, gemcitabine, capecitabine, paclitaxel) or an explicit induction marker on the order; a platinum alone is the concurrent part of CCRT. ' +
          'A removal is suggested only for a low-ICTOS patient whose low clinical risk is certain and whose population is established.',
      ),
      ...(result.kind === 'undetermined' ? [text(`Not established: ${undeterminedMissing(result)}. No removal is suggested.`)] : []),
    ],
    evidence: orderEvidence(result),
    limitations: dongLimitations(),
    citations: [citation('dong-2019')],
  });
  if (result.kind === 'ict-not-supported') {
    const regimen = regimenOrders(review);
    const deletable = regimen.filter((o) => o.identifiable);
    const suggestions =
      deletable.length > 0
        ? [
            {
              label: `Remove the induction regimen (${deletable.length} order${deletable.length > 1 ? 's' : ''})`,
              uuid: ctx.newUuid(),
              actions: deletable.map((o) => ({ type: 'delete' as const, description: `Remove ${o.reference} (${o.agents.join(' + ') || 'induction'})`, resourceId: o.reference })),
            },
          ]
        : undefined;
    return [
      card(
        ctx,
        'order-check',
        {
          summary,
          detail,
          indicator: 'warning',
          overrideReasons: [...OVERRIDE_REASONS],
          ...(suggestions !== undefined ? { suggestions, selectionBehavior: 'at-most-one' as const } : {}),
          paper: 'dong-2019',
        },
        findings,
      ),
    ];
  }
  return [card(ctx, 'order-check', { summary, detail, indicator: 'info', paper: 'dong-2019', overrideReasons: [...OVERRIDE_REASONS] }, findings)];
}

/** Every draft order of the induction regimen: the induction orders and the platinum given as part of it. */
function regimenOrders(review: DraftOrderReview): InductionOrder[] {
  // (v2, section 6) The whole regimen: the induction orders and the platinum ordered with them, not marked concurrent.
  return [...review.regimen];
}

// ---- the data could not be read ------------------------------------------------------------------

export interface UnavailableContext extends CardBase {
  readonly templates: CardTemplates;
  /** The keys the FHIR server failed for, with the reasons (never a body, a URL or an id). */
  readonly failures: readonly FaultKey[];
  /** The deadline the fetches ran under. */
  readonly deadlineMs: number;
  readonly hookInstance: string;
}

/** What each prefetch key carries, in the clinician's words: short for the summary, long for the detail. */
const KEY_TEXT: Readonly<Record<PrefetchKey, { short: string; long: string }>> = {
  patient: { short: 'patient record', long: 'the Patient record' },
  conditions: { short: 'conditions', long: 'conditions (the NPC diagnosis)' },
  observations: { short: 'observations', long: 'observations (staging, plasma EBV DNA, ASL tumor blood flow, ICTOS and its radiomic features, tumor volume)' },
  procedures: { short: 'procedures', long: 'procedures (radiotherapy, which dates the treatment start)' },
  medicationAdministrations: { short: 'medication administrations', long: 'medication administrations (chemotherapy, which dates the treatment start)' },
};

/** Why a key failed, in a few words (summary); `detailed: false` leaves out what was found instead. */
function shortReason(f: FaultKey, deadlineMs: number, detailed = true): string {
  return EN.faults.short(f, deadlineMs, detailed);
}

/** Why a key failed, in a sentence (detail); a `found` type token is escaped like any text from outside. */
function longReason(f: FaultKey, deadlineMs: number): Md {
  return trusted(EN.faults.long({ ...f, ...(f.found !== undefined ? { found: text(f.found, 80) } : {}) }, deadlineMs));
}

/** The failed data for the summary, shortened ("observations, procedures and more") to fit in `room` characters. */
function failedData(failures: readonly FaultKey[], room: number): string {
  const labels = [...new Set(failures.map((f) => KEY_TEXT[f.key].short))];
  if (labels.length === Object.keys(KEY_TEXT).length) return 'the patient\u2019s data';
  let what = labels.join(', ');
  while (what.length > room && labels.length > 1) {
    labels.pop();
    what = `${labels.join(', ')} and more`;
  }
  return what;
}

const SUMMARY_MAX = 139;
const WHY_MAX = 40;

/** The summary under 140 characters: the failed data and the reason, shortened as needed. */
function unavailableSummary(ctx: UnavailableContext, variant: 'patient-view' | 'order-check'): string {
  const why = (detailed: boolean) => {
    const reasons = [...new Set(ctx.failures.map((f) => shortReason(f, ctx.deadlineMs, detailed)))];
    return reasons.length === 1 ? (reasons[0] as string) : 'several faults';
  };
  const detailed = why(true);
  const reason = detailed.length <= WHY_MAX ? detailed : why(false);
  const render = (what: string) => ctx.templates.summary(`data-unavailable.${variant}`, { what, why: reason });
  const summary = render(failedData(ctx.failures, SUMMARY_MAX - render('').length));
  return summary.length <= SUMMARY_MAX ? summary : render('data');
}

/**
 * The one card of a hook call whose data the EHR's FHIR server failed to give (docs/decisions/0007):
 * which data, why, and that nothing was concluded. A warning, so that an absent recommendation or order
 * warning is not mistaken for a reassuring one. `orders` is the order-check variant (the draft orders
 * the check was about); without it the patient-view variant.
 */
export function dataUnavailableCard(ctx: UnavailableContext, orders?: { review: DraftOrderReview }): BuiltCard {
  const summary = unavailableSummary(ctx, orders === undefined ? 'patient-view' : 'order-check');
  const finding = unavailableFinding(orders === undefined ? 'recommendation' : 'order-check');
  const detail = ctx.templates.detail('data-unavailable', {
    headline: trusted(
      orders === undefined
        ? 'The patient\u2019s data could not be read from the EHR\u2019s FHIR server: NPC-CDS makes no recommendation and no prediction'
        : 'The patient\u2019s data could not be read from the EHR\u2019s FHIR server: the induction chemotherapy order was not checked',
    ),
    failures: ctx.failures.map((f) => trusted(`**${KEY_TEXT[f.key].long}**: ${longReason(f, ctx.deadlineMs)}.`)),
    orders: orders === undefined ? [] : orderLines(orders.review),
    consequence: trusted(
      'NPC-CDS uses the patient\u2019s data all or nothing: what was read of the other data is not used either, because a recommendation on part of the record could differ from the one on the whole record. ' +
        (orders === undefined
          ? 'The absence of a recommendation is not a \u201clow risk\u201d or \u201cnothing to consider\u201d result.'
          : 'The absence of a warning does not mean that the order fits the evidence: the check compares induction chemotherapy with the patient\u2019s ICTOS (Dong 2019), which could not be read.'),
    ),
    actions: [
      trusted(orders === undefined ? 'Open the chart again later: the fault may be temporary.' : 'Select or sign again later: the fault may be temporary.'),
      ...(ctx.smartAppUrl !== undefined ? [trusted('The NPC-CDS app (link below) reads the record itself and shows the full picture once the FHIR server answers.')] : []),
      trusted(`If it keeps happening, tell the EHR integration team; the service log has the reason codes for hook call ${text(ctx.hookInstance, 64)}.`),
    ],
  });
  return card(ctx, 'data-unavailable', { summary, detail, indicator: 'warning' }, [finding]);
}
