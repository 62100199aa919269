/**
 * R6: clinical risk among low-ICTOS patients. Dong et al., BMC Medicine 2019;17:190, Results
 * ("patients with more than two high-risk factors were stratified into the high-risk group") and Table 1,
 * doi 10.1186/s12916-019-1422-6. Factors: T4 (vs T1–3); N2–N3 (vs N0–N1); primary tumor volume ≥ 34 mL;
 * pre-treatment plasma EBV DNA ≥ 2000 copies/mL. Staging edition of the study: AJCC/UICC 7th.
 */
import { isNCategory, isTCategory } from './staging';
import type { IctosThresholdSet } from './thresholds';
import { isFiniteNumber, type BoundedValue, type InputId, type Problem } from './types';

export const RISK_FACTORS = ['t4', 'n2-n3', 'tumor-volume-34ml', 'ebv-dna-2000'] as const;
export type RiskFactor = (typeof RISK_FACTORS)[number];

/** The input each factor is read from. */
export const RISK_FACTOR_INPUT: Readonly<Record<RiskFactor, InputId>> = {
  t4: 't-category',
  'n2-n3': 'n-category',
  'tumor-volume-34ml': 'tumor-volume',
  'ebv-dna-2000': 'ebv-dna',
};

export type FactorState = 'present' | 'absent' | 'unknown';
export type RiskFactorStates = Readonly<Record<RiskFactor, FactorState>>;

export type RiskResult = {
  readonly kind: 'high' | 'low' | 'indeterminate';
  readonly present: readonly RiskFactor[];
  readonly absent: readonly RiskFactor[];
  readonly unknown: readonly RiskFactor[];
  /** The inputs behind the unknown factors, for "what is missing". */
  readonly missing: readonly InputId[];
  /** High risk: strictly more than this many factors present. */
  readonly highRiskMoreThan: number;
  readonly thresholdSet: string;
};

/**
 * Three-valued risk (clinical-spec.md R6): with P factors known present and U unknown, high when
 * P > threshold; low when P + U ≤ threshold (even every unknown present would not make it high);
 * otherwise indeterminate, naming the unknown factors. The threshold is "more than two" by default.
 */
export function assessRisk(states: RiskFactorStates, set: IctosThresholdSet): RiskResult {
  const by = (s: FactorState) => RISK_FACTORS.filter((f) => states[f] === s);
  // Anything that is not a recognised state is treated as unknown, never as absent.
  const present = by('present');
  const absent = by('absent');
  const unknown = RISK_FACTORS.filter((f) => states[f] !== 'present' && states[f] !== 'absent');
  const threshold = set.riskFactors.highRiskMoreThan;
  const kind = present.length > threshold ? 'high' : present.length + unknown.length <= threshold ? 'low' : 'indeterminate';
  return {
    kind,
    present,
    absent,
    unknown,
    missing: unknown.map((f) => RISK_FACTOR_INPUT[f]),
    highRiskMoreThan: threshold,
    thresholdSet: set.id,
  };
}

/**
 * Whether a measured quantity is at or above a threshold, honouring a comparator: "<500" is below 2000,
 * ">1e6" is above, "<5000" cannot decide (unknown). Non-finite or negative values are unknown.
 */
export function atOrAbove(measured: BoundedValue, threshold: number): FactorState {
  const { value, comparator } = measured;
  if (!isFiniteNumber(value) || value < 0) return 'unknown';
  switch (comparator) {
    case undefined:
      return value >= threshold ? 'present' : 'absent';
    case '<':
      return value <= threshold ? 'absent' : 'unknown';
    case '<=':
      return value < threshold ? 'absent' : 'unknown';
    case '>':
    case '>=':
      return value >= threshold ? 'present' : 'unknown';
    default:
      return 'unknown';
  }
}

/** What the risk factors are read from; quantities already in mL and copies/mL (the FHIR layer converts). */
export interface RiskInputs {
  readonly tCategory?: string | undefined;
  readonly nCategory?: string | undefined;
  readonly tumorVolumeMl?: BoundedValue | undefined;
  readonly ebvDnaCopiesPerMl?: BoundedValue | undefined;
}

/**
 * Reads the four factors from staging and measurements. An absent or unusable input makes its factor
 * unknown (never absent: "no data" is never "low risk"); `problems` says why a given value was unusable.
 */
export function riskFactorStates(
  inputs: RiskInputs,
  set: IctosThresholdSet,
): { readonly states: RiskFactorStates; readonly problems: readonly Problem[] } {
  const problems: Problem[] = [];
  const category = (id: InputId, value: unknown, valid: (x: unknown) => x is string, present: readonly string[]): FactorState => {
    if (value === undefined || value === null) return 'unknown';
    if (!valid(value)) {
      problems.push({ input: id, reason: 'unrecognised' });
      return 'unknown';
    }
    return present.includes(value) ? 'present' : 'absent';
  };
  const quantity = (id: InputId, value: BoundedValue | undefined, threshold: number): FactorState => {
    if (value === undefined || value === null) return 'unknown';
    const state = atOrAbove(value, threshold);
    if (state === 'unknown') {
      const finite = isFiniteNumber(value.value);
      problems.push({
        input: id,
        reason: !finite ? 'not-finite' : value.value < 0 ? 'out-of-range' : 'indeterminate-bound',
      });
    }
    return state;
  };
  return {
    states: {
      t4: category('t-category', inputs.tCategory, isTCategory, ['T4']),
      'n2-n3': category('n-category', inputs.nCategory, isNCategory, ['N2', 'N3']),
      'tumor-volume-34ml': quantity('tumor-volume', inputs.tumorVolumeMl, set.riskFactors.tumorVolumeMl),
      'ebv-dna-2000': quantity('ebv-dna', inputs.ebvDnaCopiesPerMl, set.riskFactors.ebvDnaCopiesPerMl),
    },
    problems,
  };
}
