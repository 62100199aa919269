/**
 * The evidence of the registry (./evidence) and the direction of the TBF rules as plain sentences, one wording for the cards (which
 * escape them into Markdown) and the SMART app (which escapes them into HTML). Sources: Dong 2019
 * Results and Discussion (doi 10.1186/s12916-019-1422-6).
 */
import type { RecistCategory } from './equations';
import { TBF_EVIDENCE, type PValue } from './evidence';
import { LIU_AGE_RANGE, MINIMUM_AGE_YEARS, type AgeStatus, type OutOfScopeReason, type PopulationDoubt } from './population';
import { isDecided, type TbfRuleResult } from './tbf';
import type { TbfRuleId } from './thresholds';

/** "p < 0.001", "p = 0.31". */
export const pValueText = (pv: PValue): string =>
  `p ${pv.comparator ?? '='} ${pv.digits !== undefined ? pv.value.toFixed(pv.digits) : pv.value}`;

/**
 * A score with enough decimals to show its sign: three decimals, more when those would round it to zero
 * ("0.0001", never "0" for a high ICTOS of 0.0001; clinical-spec.md section 8, v2). Trailing zeros trimmed.
 */
export function scoreText(x: number): string {
  if (!Number.isFinite(x) || x === 0) return String(x);
  let digits = 3;
  while (digits < 12 && Number(x.toFixed(digits)) === 0) digits += 1;
  return String(Number(x.toFixed(digits)));
}

/** A number with up to `maxDecimals` decimals, without trailing zeros or binary noise (157.52 − 100 prints as 57.52). */
export function decimalText(x: number, maxDecimals = 4): string {
  return Number.isFinite(x) ? String(Number(x.toFixed(maxDecimals))) : String(x);
}

/** "0.06–0.51". */
export const intervalText = (c: readonly number[]): string => `${c[0]}\u2013${c[1]}`;

/** "HR 0.17 (95% CI 0.06–0.51), p < 0.001". */
export const hazardRatioText = (h: { readonly value: number; readonly ci: readonly number[]; readonly p: PValue }): string =>
  `HR ${h.value} (95% CI ${intervalText(h.ci)}), ${pValueText(h.p)}`;

/** A proportion as a percentage with one decimal: 0.8378 → "83.8%". */
export const percentText = (x: number): string => `${Math.round(x * 1000) / 10}%`;

/** Where a group of TBF rules points: all favorable, all unfavorable, split, or no result. */
export type TbfDirection = 'favorable' | 'unfavorable' | 'mixed' | 'none';

/**
 * The direction of a group of rules: the rules of stronger evidence decide, and the weak Post-TBF rule
 * speaks only when no other rule of its group has a result (docs/decisions/0005-cds-service.md).
 */
export function tbfDirection(results: readonly TbfRuleResult[]): TbfDirection {
  const decided = results.filter(isDecided);
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
    weakOnly: response !== 'none' && !isDecided(tbf['pre-tbf-response']) && !isDecided(tbf['delta-tbf-response']),
  };
}

/** Why the rules do not apply to a patient outside the studied population (clinical-spec.md section 2, v2). */
export const OUT_OF_SCOPE_TEXT: Readonly<Record<OutOfScopeReason, string>> = {
  'no-npc-diagnosis': 'No active nasopharyngeal carcinoma diagnosis (ICD-10 C11.x or SNOMED 187692001) is recorded.',
  'distant-metastasis': 'Distant metastasis is recorded (M1, or stage IVC / IVB in the 8th edition): the studies excluded metastatic disease.',
  'not-locoregionally-advanced': 'The stage is not locoregionally advanced (the studies enrolled stage III\u2013IVA, 8th edition / III\u2013IVB, 7th edition).',
  'recurrent-disease': 'Recurrent disease is recorded: both studies enrolled newly diagnosed patients before any anti-cancer treatment (Liu 2022 Methods; Dong 2019 Methods).',
  n0: 'N0 is recorded: neither cohort had N0 patients (Liu 2022 Table 1: N1 3, N2 32, N3 20; Dong 2019 Table 1), although the AJCC tables place T3\u20134 N0 in stage III / IVA.',
  'under-18': `The patient is younger than ${MINIMUM_AGE_YEARS}: both studies enrolled adults (Liu 2022 Table 1: ${LIU_AGE_RANGE.min}\u2013${LIU_AGE_RANGE.max} years).`,
};

/** The caveat of each population doubt: a few words for a summary, a sentence for the detail. */
export const POPULATION_DOUBT_TEXT: Readonly<Record<PopulationDoubt, { readonly short: string; readonly long: string }>> = {
  'stage-not-recorded': {
    short: 'stage not recorded',
    long: 'Stage not recorded: the studies enrolled stage III\u2013IVA (AJCC 8th) / III\u2013IVB (AJCC 7th) only.',
  },
  'm-category-not-recorded': {
    short: 'M not recorded',
    long: 'M category not recorded: distant metastasis is not excluded by an M category.',
  },
  'n-category-not-recorded': {
    short: 'N not recorded',
    long: 'N category not recorded: N0, which neither cohort included, is not excluded.',
  },
  'age-not-recorded': {
    short: 'age not recorded',
    long: `Age not recorded (no birth date): the studies enrolled adults (Liu 2022: ${LIU_AGE_RANGE.min}\u2013${LIU_AGE_RANGE.max} years).`,
  },
};

/** The age line of the population section: the age, and whether it lies within Liu 2022's range. */
export function ageText(age: AgeStatus): string {
  if (!age.recorded) return POPULATION_DOUBT_TEXT['age-not-recorded'].long;
  const range = `${LIU_AGE_RANGE.min}\u2013${LIU_AGE_RANGE.max}`;
  return age.withinLiuRange
    ? `Age ${age.years}: within the age range of Liu 2022 (${range} years).`
    : `Age ${age.years}: outside the age range of Liu 2022 (${range} years); the TBF cutoffs were not studied at this age.`;
}

/** "IVB without an edition": what would decide whether the patient is in scope (clinical-spec.md section 2, v2). */
export const AMBIGUOUS_EDITION_TEXT =
  'Stage group IVB is recorded without an AJCC edition and without an M category: under the 7th edition IVB is N3 M0 (in the studied population), under the 8th it means distant metastasis (M1). Recording the M category, or the edition of the staging, decides it.';

/** A RECIST 1.1 category in words, for the observed response. */
export const RECIST_TEXT: Readonly<Record<RecistCategory, string>> = {
  'complete-response': 'complete response',
  'partial-response': 'partial response',
  'stable-disease': 'stable disease',
  'progressive-disease': 'progressive disease',
};

/** The same, abbreviated for a summary. */
export const RECIST_SHORT: Readonly<Record<RecistCategory, string>> = {
  'complete-response': 'CR',
  'partial-response': 'PR',
  'stable-disease': 'SD',
  'progressive-disease': 'PD',
};
