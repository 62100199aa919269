/**
 * The evidence of the registry (./evidence) and the direction of the TBF rules as plain sentences, one wording for the cards (which
 * escape them into Markdown) and the SMART app (which escapes them into HTML). Sources: Dong 2019
 * Results and Discussion (doi 10.1186/s12916-019-1422-6).
 */
import { DONG_COHORTS, DONG_SURVIVAL, TBF_EVIDENCE, type PValue } from './evidence';
import type { RecommendationKind } from './recommendation';
import type { TbfRuleResult } from './tbf';
import type { TbfRuleId } from './thresholds';

/** "p < 0.001", "p = 0.31". */
export const pValueText = (pv: PValue): string => `p ${pv.comparator ?? '='} ${pv.value}`;

/** "0.06–0.51". */
export const intervalText = (c: readonly number[]): string => `${c[0]}\u2013${c[1]}`;

/** "HR 0.17 (95% CI 0.06–0.51), p < 0.001". */
export const hazardRatioText = (h: { readonly value: number; readonly ci: readonly number[]; readonly p: PValue }): string =>
  `HR ${h.value} (95% CI ${intervalText(h.ci)}), ${pValueText(h.p)}`;

/** A proportion as a percentage with one decimal: 0.8378 → "83.8%". */
export const percentText = (x: number): string => `${Math.round(x * 1000) / 10}%`;

/** The evidence shown with each recommendation tier (clinical-spec.md R7), with the cohorts and the trial's regimen. */
export function recommendationEvidenceText(kind: RecommendationKind): string[] {
  const s = DONG_SURVIVAL;
  const hr = hazardRatioText;
  const byKind: Record<RecommendationKind, string[]> = {
    'ict-ccrt': [
      `Validation cohort, high ICTOS (n = ${s.validationHighIctos.n}): 5-year failure-free survival ${s.validationHighIctos.ffs5y.ictCcrt}% with ICT + CCRT vs ${s.validationHighIctos.ffs5y.ccrtAlone}% with CCRT alone; ${hr(s.validationHighIctos.hr)}.`,
      `Absolute benefit ${s.validationHighIctos.absoluteBenefit.y3}% at 3 years and ${s.validationHighIctos.absoluteBenefit.y5}% at 5 years.`,
    ],
    'ccrt-alone': [
      `Validation cohort, low ICTOS (n = ${s.validationLowIctos.n}): induction chemotherapy gave no significant failure-free survival benefit, ${hr(s.validationLowIctos.hr)}.`,
      `Low ICTOS and low risk: 5-year failure-free survival ${s.lowIctosLowRisk.ffs5y}%; induction chemotherapy ${hr(s.lowIctosLowRisk.ictHr)}.`,
      'The authors state that this tier still needs validation in larger populations.',
    ],
    'clinical-trial': [
      `Low ICTOS and high risk: 5-year failure-free survival ${s.lowIctosHighRisk.ffs5y}%; induction chemotherapy ${hr(s.lowIctosHighRisk.ictHr)}; high vs low risk ${hr(s.riskHr)}.`,
      `Validation cohort, low ICTOS (n = ${s.validationLowIctos.n}): ${hr(s.validationLowIctos.hr)} for induction chemotherapy.`,
      'The authors state that this tier still needs validation in larger populations.',
    ],
  };
  return [
    ...byKind[kind],
    `Training cohort n = ${DONG_COHORTS.training.n} (${DONG_COHORTS.training.design}); treatment interaction ${pValueText(DONG_COHORTS.training.interactionP)} (training), ${pValueText(DONG_COHORTS.validation.interactionP)} (validation, ${DONG_COHORTS.validation.design}, median follow-up ${DONG_COHORTS.validation.medianFollowUpMonths} months).`,
    `Induction regimen of the trial: ${DONG_COHORTS.inductionRegimen}.`,
  ];
}

/** Where a group of TBF rules points: all favorable, all unfavorable, split, or no result. */
export type TbfDirection = 'favorable' | 'unfavorable' | 'mixed' | 'none';

/**
 * The direction of a group of rules: the rules of stronger evidence decide, and the weak Post-TBF rule
 * speaks only when no other rule of its group has a result (docs/decisions/0005-cds-service.md).
 */
export function tbfDirection(results: readonly TbfRuleResult[]): TbfDirection {
  const decided = results.filter((r) => r.kind !== 'insufficient-data');
  const strong = decided.filter((r) => TBF_EVIDENCE[r.rule].strength !== 'weak');
  const pool = strong.length > 0 ? strong : decided;
  if (pool.length === 0) return 'none';
  if (pool.every((r) => r.kind === 'favorable')) return 'favorable';
  if (pool.every((r) => r.kind === 'unfavorable')) return 'unfavorable';
  return 'mixed';
}

/** Response at 40 Gy and residual tumor, read apart (Liu 2022 Table 5 groups the rules by outcome). */
export interface TbfOutlook {
  readonly response: TbfDirection;
  readonly residual: TbfDirection;
  /** The response direction rests on the weak Post-TBF rule alone. */
  readonly weakOnly: boolean;
}

export function tbfOutlook(tbf: Readonly<Record<TbfRuleId, TbfRuleResult>>): TbfOutlook {
  const response = tbfDirection([tbf['pre-tbf-response'], tbf['delta-tbf-response'], tbf['post-tbf-response']]);
  return {
    response,
    residual: tbfDirection([tbf['pre-tbf-residual'], tbf['delta-tbf-residual']]),
    weakOnly: response !== 'none' && tbf['pre-tbf-response'].kind === 'insufficient-data' && tbf['delta-tbf-response'].kind === 'insufficient-data',
  };
}

export const RESPONSE_DIRECTION_TEXT: Readonly<Record<TbfDirection, string>> = {
  favorable: 'favors partial response at 40 Gy',
  unfavorable: 'favors stable disease at 40 Gy',
  mixed: 'mixed signals for response at 40 Gy',
  none: 'response at 40 Gy not assessable',
};

export const RESIDUAL_DIRECTION_TEXT: Readonly<Record<TbfDirection, string>> = {
  favorable: 'favors no residual tumor after CRT',
  unfavorable: 'favors residual tumor after CRT',
  mixed: 'mixed signals for residual tumor',
  none: 'residual tumor not assessable',
};
