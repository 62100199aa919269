/**
 * One patient, every rule: the composition that the CDS service and the SMART app share, so that both
 * reach the same conclusions from the same inputs.
 */
import { evaluateIctos, type IctosInputs, type IctosResult } from './ictos';
import { assessPopulation, type PopulationInputs, type PopulationResult } from './population';
import { recommend, type RecommendationResult } from './recommendation';
import { assessRisk, riskFactorStates, type RiskResult } from './risk';
import { evaluateTbfRules, type TbfRuleResult } from './tbf';
import { DEFAULT_THRESHOLDS, type IctosNormalization, type TbfRuleId, type ThresholdSets } from './thresholds';
import type { BoundedValue, InputId, Problem } from './types';

/** Everything the rules read, already selected, converted and checked by the FHIR layer. */
export interface PatientInputs {
  readonly population: PopulationInputs;
  /** mL/(100.g)/min */
  readonly preTbf?: number | undefined;
  /** mL/(100.g)/min, measured at the 40 Gy timepoint */
  readonly postTbf?: number | undefined;
  readonly ictos: IctosInputs;
  readonly tumorVolumeMl?: BoundedValue | undefined;
  readonly ebvDnaCopiesPerMl?: BoundedValue | undefined;
  /** Whether RT or chemotherapy has started (the treatment-selection recommendation needs "no"). */
  readonly treatmentStarted: boolean;
}

export type AssessmentRecommendation =
  | RecommendationResult
  | { readonly kind: 'not-applicable'; readonly reason: 'out-of-scope' | 'staging-conflict' };

export interface Assessment {
  readonly population: PopulationResult;
  readonly tbf: Readonly<Record<TbfRuleId, TbfRuleResult>>;
  readonly ictos: IctosResult;
  readonly risk: RiskResult & { readonly problems: readonly Problem[] };
  readonly recommendation: AssessmentRecommendation;
}

/**
 * A conflict in the M category or the stage group (including a recorded group that contradicts T, N and
 * M) leaves open whether the patient is in the studied population at all: no recommendation. Two
 * different T or N values are used as neither (clinical-spec.md section 4): they become unknown, the
 * stage is then "not recorded" (cards with the caveat), and the three-valued risk logic decides whether
 * the unknown factor matters.
 */
function decidesScopeAndConflicts(p: Problem): boolean {
  return p.reason === 'conflicting' && (p.input === 'm-category' || p.input === 'stage-group');
}

/**
 * Applies the population gate and rules R1–R7 to one patient. No recommendation for a patient outside
 * the studied population, or whose M category or stage group is contradictory; a patient whose stage is
 * not recorded (or unknown because T or N values conflict) is still assessed, and the adapters show the
 * "stage not recorded" caveat (clinical-spec.md section 2).
 */
export function assessPatient(
  inputs: PatientInputs,
  thresholds: ThresholdSets = DEFAULT_THRESHOLDS,
  normalization?: IctosNormalization,
): Assessment {
  const population = assessPopulation(inputs.population);
  const tbf = evaluateTbfRules({ preTbf: inputs.preTbf, postTbf: inputs.postTbf }, thresholds.tbf);
  const ictos = evaluateIctos(inputs.ictos, thresholds.ictos, normalization);
  const conflicting = new Set(inputs.population.conflicting ?? []);
  const unlessConflicting = (id: InputId, value: string | undefined) => (conflicting.has(id) ? undefined : value);
  const factors = riskFactorStates(
    {
      tCategory: unlessConflicting('t-category', inputs.population.tCategory),
      nCategory: unlessConflicting('n-category', inputs.population.nCategory),
      tumorVolumeMl: inputs.tumorVolumeMl,
      ebvDnaCopiesPerMl: inputs.ebvDnaCopiesPerMl,
    },
    thresholds.ictos,
  );
  const risk = { ...assessRisk(factors.states, thresholds.ictos), problems: factors.problems };

  let recommendation: AssessmentRecommendation;
  if (population.kind === 'out-of-scope') {
    recommendation = { kind: 'not-applicable', reason: 'out-of-scope' };
  } else if (population.kind === 'unconfirmed' && population.problems.some(decidesScopeAndConflicts)) {
    recommendation = { kind: 'not-applicable', reason: 'staging-conflict' };
  } else {
    recommendation = recommend({ ictos, risk, treatmentStarted: inputs.treatmentStarted === true });
  }
  return { population, tbf, ictos, risk, recommendation };
}
