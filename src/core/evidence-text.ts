/**
 * How the evidence registry's numbers are written (p values, intervals, hazard ratios, percentages, scores)
 * and where a group of TBF rules points. The sentences themselves are in the message catalogue
 * (src/explain).
 */
import { TBF_EVIDENCE, type PValue } from './evidence';
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
