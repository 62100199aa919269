/**
 * One patient, every rule: the composition that the CDS service and the SMART app share, so that both
 * reach the same conclusions from the same inputs.
 */
import { evaluateIctos, type IctosInputs, type IctosResult } from './ictos';
import { assessPopulation, type OutOfScopeReason, type PopulationInputs, type PopulationResult } from './population';
import { recommend, type RecommendationResult } from './recommendation';
import { assessRisk, riskFactorStates, type RiskResult } from './risk';
import { evaluateTbfRules, RESIDUAL_RULES, tbfOutsideStudiedTreatment, type TbfRuleResult } from './tbf';
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
  /**
   * Systemic therapy (induction chemotherapy) started before radiotherapy. Liu 2022's patients had
   * concurrent chemoradiotherapy only: the TBF rules are then outside the studied treatment.
   */
  readonly systemicTherapyBeforeRt?: boolean | undefined;
  /**
   * The residual-tumor assessment one month after CRT is recorded, or due (60 days after RT end by
   * default), as decided by the FHIR layer: the residual predictions have expired.
   */
  readonly residualOutcomeDue?: boolean | undefined;
}

/**
 * Why no recommendation is made for the patient (conventions.md findings, v2): the population reason.
 * `out-of-scope` covers distant metastasis, stage I–II and no NPC diagnosis.
 */
export type PopulationNotApplicableReason =
  | 'recurrent-disease'
  | 'n0'
  | 'under-18'
  | 'out-of-scope'
  | 'staging-conflict'
  | 'ambiguous-edition';

export type AssessmentRecommendation =
  | RecommendationResult
  | { readonly kind: 'not-applicable'; readonly reason: PopulationNotApplicableReason };

const OUT_OF_SCOPE_REASON: Readonly<Record<OutOfScopeReason, PopulationNotApplicableReason>> = {
  'recurrent-disease': 'recurrent-disease',
  n0: 'n0',
  'under-18': 'under-18',
  'no-npc-diagnosis': 'out-of-scope',
  'distant-metastasis': 'out-of-scope',
  'not-locoregionally-advanced': 'out-of-scope',
};

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
 * the studied population, whose M category or stage group is contradictory, or whose stage group IVB no
 * edition decides; the TBF rules are not applicable after induction chemotherapy before RT (clinical-spec
 * section 4, v2). A patient whose stage is
 * not recorded (or unknown because T or N values conflict) is still assessed, and the adapters show the
 * "stage not recorded" caveat (clinical-spec.md section 2).
 */
export function assessPatient(
  inputs: PatientInputs,
  thresholds: ThresholdSets = DEFAULT_THRESHOLDS,
  normalization?: IctosNormalization,
): Assessment {
  const population = assessPopulation(inputs.population);
  const evaluated = evaluateTbfRules({ preTbf: inputs.preTbf, postTbf: inputs.postTbf }, thresholds.tbf);
  const applicable = inputs.systemicTherapyBeforeRt === true ? tbfOutsideStudiedTreatment(evaluated) : evaluated;
  const tbf = inputs.residualOutcomeDue === true ? tbfOutsideStudiedTreatment(applicable, RESIDUAL_RULES, 'outcome-due') : applicable;
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
    recommendation = { kind: 'not-applicable', reason: OUT_OF_SCOPE_REASON[population.reason] };
  } else if (population.kind === 'unconfirmed' && population.ambiguousEdition === true) {
    recommendation = { kind: 'not-applicable', reason: 'ambiguous-edition' };
  } else if (population.kind === 'unconfirmed' && population.problems.some(decidesScopeAndConflicts)) {
    recommendation = { kind: 'not-applicable', reason: 'staging-conflict' };
  } else {
    recommendation = recommend({ ictos, risk, treatmentStarted: inputs.treatmentStarted === true });
  }
  return { population, tbf, ictos, risk, recommendation };
}
