/**
 * The chemotherapy order check (clinical-spec.md section 6): when induction chemotherapy is in the draft
 * orders of an in-scope patient before treatment start, say what Dong 2019 found for this patient's ICTOS
 * class. Dong et al., BMC Medicine 2019;17:190, Results (validation cohort), doi 10.1186/s12916-019-1422-6.
 */
import type { Assessment } from './assess';
import type { IctosResult } from './ictos';
import type { InsufficientData } from './types';

/** An ICTOS result with a score (high or low). */
export type ScoredIctos = Exclude<IctosResult, InsufficientData>;

export type OrderCheckResult =
  /** Low ICTOS: induction chemotherapy was not associated with a failure-free survival benefit (HR 0.75). */
  | { readonly kind: 'ict-not-supported'; readonly ictos: ScoredIctos }
  /** High ICTOS: the evidence supports ICT + CCRT (HR 0.17). */
  | { readonly kind: 'ict-supported'; readonly ictos: ScoredIctos }
  /** ICTOS unknown: the check cannot be made; name what is missing. */
  | InsufficientData
  | {
      readonly kind: 'not-applicable';
      readonly reason: 'no-induction-order' | 'out-of-scope' | 'staging-conflict' | 'treatment-started';
    };

/**
 * Applies the order check to an assessed patient. No check without an induction order, outside the
 * studied population, with contradictory staging (M or stage group), or once treatment has started
 * (the check concerns the choice made before treatment).
 */
export function checkInductionOrder(assessment: Assessment, inductionOrdered: boolean): OrderCheckResult {
  if (!inductionOrdered) return { kind: 'not-applicable', reason: 'no-induction-order' };
  const recommendation = assessment.recommendation;
  if (recommendation.kind === 'not-applicable') return { kind: 'not-applicable', reason: recommendation.reason };
  const ictos = assessment.ictos;
  switch (ictos.kind) {
    case 'low':
      return { kind: 'ict-not-supported', ictos };
    case 'high':
      return { kind: 'ict-supported', ictos };
    default:
      return { kind: 'insufficient-data', missing: ictos.missing, problems: ictos.problems };
  }
}
