/** The treatment-selection card (ICTOS, clinical risk and the recommendation, Dong 2019), and the ICTOS and risk rule lines the order check shares. */
import { DONG_SURVIVAL, populationDoubts, scoreText, type Assessment, type RecommendationKind } from '../../core';
import { EN } from '../../explain/en';
import { ictosDetailLines, ictosFormula, ictosResult } from '../../explain/ictos';
import { riskPatient, riskRule } from '../../explain/risk';
import { ictosFinding, inputRows, riskFinding, unusableLines, findingInputs, ictosInputIds, RISK_INPUT_IDS } from '../basis';
import type { Finding } from '../card-schema';
import { phraseMd, trusted, type Md } from '../markdown';
import { PATIENT_VIEW_OVERRIDE_REASONS } from '../vocabulary';
import { type BuiltCard, type CardContext, ICTOS_KEYS, RISK_KEYS, STAGING_KEYS, TRIAL_LINK, card, caveats, ci, citation, populationSection, withCaveat } from './envelope';

export const scoreOf = (ictos: Assessment['ictos']): string => (ictos.kind === 'insufficient-data' ? 'unknown' : scoreText(ictos.score));

/** The ICTOS rule, this patient's score and, when computed from features, its contributions (src/explain/ictos.ts). */
export function ictosRuleLines(ctx: CardContext): Md[] {
  const { ictos } = ctx.assessment;
  return [ictosFormula(ctx.thresholds.ictos), ictosResult(ictos), ...ictosDetailLines(ictos, ctx.profile?.normalizationName)].map(phraseMd);
}

/** The clinical-risk rule and this patient's factors, in one line. */
export function riskRuleLine(ctx: CardContext): Md {
  const rf = ctx.thresholds.ictos.riskFactors;
  return trusted(`${riskRule(rf)} ${phraseMd(riskPatient(ctx.assessment.risk, rf))}`);
}

export function recommendationEvidence(kind: RecommendationKind): Md[] {
  return EN.recommendation.evidence(kind).map((x) => trusted(x));
}

export const dongLimitations = () => EN.limitations.dong.map((l) => trusted(l));

export function treatmentSelectionCard(ctx: CardContext, kind: RecommendationKind): BuiltCard {
  const { assessment, extraction, templates } = ctx;
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
    headline: trusted(EN.recommendation.headline(kind)),
    caveats: caveats(ctx),
    population: populationSection(ctx),
    inputs: inputRows([...ICTOS_KEYS, ...STAGING_KEYS, ...RISK_KEYS], extraction),
    unusable: unusableLines([...ICTOS_KEYS, ...STAGING_KEYS, ...RISK_KEYS], extraction),
    rules: [
      ...ictosRuleLines(ctx),
      kind === 'ict-ccrt' ? trusted(EN.risk.notStratifiedHighIctos) : riskRuleLine(ctx),
      trusted(EN.recommendation.rule),
      trusted(EN.recommendation.notStarted),
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
