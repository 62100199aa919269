/**
 * The chemotherapy order check (clinical-spec.md section 6, version 2): when induction chemotherapy is in
 * the draft orders of an in-scope patient before treatment start, say what Dong 2019 found for this
 * patient's ICTOS class and clinical risk tier. Dong et al., BMC Medicine 2019;17:190, Results
 * (validation cohort) and Discussion, doi 10.1186/s12916-019-1422-6.
 */
import type { Assessment, PopulationNotApplicableReason } from './assess';
import type { IctosResult } from './ictos';
import { populationDoubts, type PopulationDoubt } from './population';
import type { RiskResult } from './risk';
import type { InputId, InsufficientData } from './types';

/** An ICTOS result with a score (high or low). */
export type ScoredIctos = Exclude<IctosResult, InsufficientData>;

export type OrderCheckResult =
  /**
   * Low ICTOS, low clinical risk (certain), no doubt about the population: additional induction
   * chemotherapy was not associated with a significant failure-free survival benefit (validation n = 175,
   * HR 0.75, 95% CI 0.43–1.31, p = 0.31). The only outcome with a warning and a removal suggestion.
   */
  | { readonly kind: 'ict-not-supported'; readonly ictos: ScoredIctos; readonly risk: RiskResult }
  /**
   * Low ICTOS, high clinical risk: ICT was not associated with a significant benefit (HR 0.72, 0.38–1.35), 5-year FFS with
   * CCRT alone 60.8%; the authors suggest trials of intensified or novel therapy, and "it was not possible
   * to conclude that CCRT alone was sufficient". Never a removal suggestion.
   */
  | { readonly kind: 'consider-trial'; readonly ictos: ScoredIctos; readonly risk: RiskResult }
  /**
   * Low ICTOS with indeterminate risk, or any doubt about the population (stage, M, N or age not
   * recorded): name what is missing; never a removal suggestion.
   */
  | {
      readonly kind: 'undetermined';
      readonly ictos: ScoredIctos;
      readonly risk: RiskResult;
      /** Risk factors whose absence is not known. */
      readonly missing: readonly InputId[];
      readonly doubts: readonly PopulationDoubt[];
    }
  /** High ICTOS: the evidence supports ICT + CCRT (validation n = 73, HR 0.17, 95% CI 0.06–0.51). */
  | { readonly kind: 'ict-supported'; readonly ictos: ScoredIctos; readonly doubts: readonly PopulationDoubt[] }
  /** ICTOS unknown: the check cannot be made; name what is missing. */
  | InsufficientData
  | {
      readonly kind: 'not-applicable';
      readonly reason: 'no-induction-order' | 'treatment-started' | PopulationNotApplicableReason;
    };

/** The draft orders as the check sees them: which are induction chemotherapy, and which were just selected. */
export interface DraftInduction {
  /** The references of the draft orders recognised as induction chemotherapy (src/fhir/orders.ts). */
  readonly induction: readonly string[];
  /** order-select: the orders just selected; order-sign: absent, every draft order is being signed. */
  readonly selections?: readonly string[] | undefined;
}

/**
 * The induction orders the check is about: on order-select those among the just-selected orders, on
 * order-sign all of them. None: the check does not apply, whatever the patient's data.
 */
export function concernedInductionOrders(orders: DraftInduction): string[] {
  const { selections } = orders;
  return selections === undefined ? [...orders.induction] : orders.induction.filter((r) => selections.includes(r));
}

/**
 * Applies the order check to an assessed patient (clinical-spec.md section 6, v2: the check decides by
 * risk tier). No check without an induction order, outside the studied population, with contradictory or
 * ambiguous staging, or once treatment has started (the check concerns the choice made before treatment).
 */
export function checkInductionOrder(assessment: Assessment, orders: DraftInduction): OrderCheckResult {
  if (concernedInductionOrders(orders).length === 0) return { kind: 'not-applicable', reason: 'no-induction-order' };
  const recommendation = assessment.recommendation;
  if (recommendation.kind === 'not-applicable') return { kind: 'not-applicable', reason: recommendation.reason };
  const { ictos, risk } = assessment;
  const doubts = populationDoubts(assessment.population);
  if (ictos.kind === 'insufficient-data') return { kind: 'insufficient-data', missing: ictos.missing, problems: ictos.problems };
  if (ictos.kind === 'high') return { kind: 'ict-supported', ictos, doubts };
  if (doubts.length > 0 || risk.kind === 'indeterminate') {
    return { kind: 'undetermined', ictos, risk, missing: risk.missing, doubts };
  }
  return risk.kind === 'high' ? { kind: 'consider-trial', ictos, risk } : { kind: 'ict-not-supported', ictos, risk };
}
