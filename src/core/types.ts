/**
 * Shared vocabulary of the clinical core: the input ids that findings, cards and the app use to name
 * inputs (conventions.md, "Machine-readable findings"), and the result shape for "not enough data".
 */

/** Input ids of the findings contract (conventions.md). */
export const INPUT_IDS = [
  'pre-tbf',
  'post-tbf',
  'ictos',
  'skewness-z',
  'glcm-variance-z',
  'glrlm-lrhgle-z',
  't-category',
  'n-category',
  'm-category',
  'stage-group',
  'tumor-volume',
  'ebv-dna',
  'treatment-start',
] as const;
export type InputId = (typeof INPUT_IDS)[number];

/** Why an input that was supplied still cannot be used. */
export type ProblemReason =
  /** NaN, Infinity or not a number at all. */
  | 'not-finite'
  /** A number outside what the quantity can physically be (a negative blood flow, a zero SD). */
  | 'out-of-range'
  /** Two sources disagree and neither can be preferred. */
  | 'conflicting'
  /** A value given only as a bound ("<5000") that does not decide the comparison. */
  | 'indeterminate-bound'
  /** A value that is not one of the expected codes (e.g. a T category "TX"). */
  | 'unrecognised'
  /** Usable only with site configuration that is not there (raw radiomic features without normalization). */
  | 'not-configured'
  /** A value whose meaning depends on something the record does not say (a stage group IVB without an edition or M category). */
  | 'ambiguous'
  /** (v2) Older than the recency window of the treatment-selection recommendation (clinical-spec.md section 4). */
  | 'stale'
  /** (v2) Outside the plausible range of the quantity (clinical-spec.md section 4, "Plausibility"). */
  | 'implausible';

export interface Problem {
  /** The input id, or an equation parameter name for the equations. */
  readonly input: string;
  readonly reason: ProblemReason;
  /** For `stale`: the age of the value in whole days, counted to the request. */
  readonly ageDays?: number;
}

/**
 * The one shape for "the rule cannot be applied": every input that is absent or unusable is named in
 * `missing` (absent and unusable alike, so a card can list them), and `problems` says why each
 * supplied-but-unusable one was rejected. Never a guess, never an exception.
 */
export interface InsufficientData<Id extends string = InputId> {
  readonly kind: 'insufficient-data';
  readonly missing: readonly Id[];
  readonly problems: readonly Problem[];
}

/** A measured value that may be reported only as a bound (FHIR Quantity.comparator). */
export interface BoundedValue {
  readonly value: number;
  readonly comparator?: '<' | '<=' | '>=' | '>';
}

/** True for a real, finite number. */
export function isFiniteNumber(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

/**
 * Checks one numeric input: absent (`undefined`/`null`) → missing; non-finite or below `min` → a problem.
 * Returns the number when usable.
 */
export function checkNumber<Id extends string>(
  id: Id,
  value: unknown,
  missing: Id[],
  problems: Problem[],
  min = Number.NEGATIVE_INFINITY,
  minExclusive = false,
): number | undefined {
  if (value === undefined || value === null) {
    missing.push(id);
    return undefined;
  }
  if (!isFiniteNumber(value)) {
    missing.push(id);
    problems.push({ input: id, reason: 'not-finite' });
    return undefined;
  }
  if (minExclusive ? value <= min : value < min) {
    missing.push(id);
    problems.push({ input: id, reason: 'out-of-range' });
    return undefined;
  }
  return value;
}

/**
 * Removes binary floating-point noise from a computed value by rounding to nine decimals, so that a
 * difference or weighted sum that is exactly a cutoff in decimal arithmetic (157.52 − 100 = 57.52) also
 * compares equal to it (the raw double would be 57.52000000000001, on the wrong side of a strict cutoff).
 * Values too large to scale are returned unchanged.
 */
export function snapDecimal(x: number): number {
  const scaled = x * 1e9;
  return Number.isFinite(scaled) ? Math.round(scaled) / 1e9 : x;
}

export function insufficient<Id extends string>(missing: readonly Id[], problems: readonly Problem[]): InsufficientData<Id> {
  return { kind: 'insufficient-data', missing: [...new Set(missing)], problems };
}

/** The five tumor-blood-flow rules of Liu 2022 (Table 5). */
export const TBF_RULE_IDS = [
  'pre-tbf-response',
  'pre-tbf-residual',
  'delta-tbf-response',
  'delta-tbf-residual',
  'post-tbf-response',
] as const;
export type TbfRuleId = (typeof TBF_RULE_IDS)[number];

/** The treatment options a recommendation can name (Dong 2019). */
export type RecommendationKind = 'ict-ccrt' | 'ccrt-alone' | 'clinical-trial';
