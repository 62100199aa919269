/**
 * One patient, every rule: the composition that the CDS service and the SMART app share, so that both
 * reach the same conclusions from the same inputs.
 */
import { evaluateIctos, FEATURE_INPUT_ID, type FeatureValues, type IctosInputs, type IctosResult } from './ictos';
import { assessPopulation, type OutOfScopeReason, type PopulationInputs, type PopulationResult } from './population';
import { recommend, type RecommendationResult } from './recommendation';
import { assessRisk, riskFactorStates, type RiskResult } from './risk';
import { evaluateTbfRules, RESIDUAL_RULES, tbfOutsideStudiedTreatment, type TbfRuleResult } from './tbf';
import { DEFAULT_THRESHOLDS, ICTOS_FEATURES, type IctosNormalization, type TbfRuleId, type ThresholdSets } from './thresholds';
import { insufficient, type BoundedValue, type InputId, type Problem } from './types';

/**
 * (v2) A value that is present but too old for the treatment-selection recommendation, which is a decision
 * made now, before treatment (clinical-spec.md section 4, "Recency"; Dong 2019 Methods: an MRI "within
 * 2 weeks before any anti-cancer treatment"). The FHIR layer decides the windows and the age.
 */
export interface StaleInput {
  readonly input: InputId;
  /** Whole days from the measurement to the request. */
  readonly ageDays: number;
}

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
  /**
   * (v2) Inputs too old for the recommendation: ICTOS, its features, the risk factors and the recommendation
   * treat them as missing (problem `stale`). The population gate and the TBF rules still read them.
   */
  readonly stale?: readonly StaleInput[] | undefined;
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

const given = (values: FeatureValues | undefined): boolean =>
  values !== undefined && ICTOS_FEATURES.some((f) => values[f] !== undefined && values[f] !== null);

/**
 * The stale inputs of the ICTOS source `evaluateIctos` would use (a recorded score first, else the features):
 * a stale source is missing, not replaced by the next one.
 */
function staleIctosInputs(ictos: IctosInputs, stale: ReadonlyMap<InputId, StaleInput>): StaleInput[] {
  const ids: InputId[] =
    ictos.score !== undefined && ictos.score !== null
      ? ['ictos']
      : given(ictos.zFeatures) || given(ictos.rawFeatures)
        ? ICTOS_FEATURES.map((f) => FEATURE_INPUT_ID[f])
        : [];
  return ids.flatMap((id) => stale.get(id) ?? []);
}

const staleProblem = (s: StaleInput): Problem => ({ input: s.input, reason: 'stale', ageDays: s.ageDays });

const STAGING_IDS: readonly InputId[] = ['t-category', 'n-category', 'm-category', 'stage-group'];

/**
 * (v2) Staging older than its recency window still decides the population gate, but the recommendation is
 * not made on it: the result becomes insufficient-data naming the stale staging (clinical-spec.md section
 * 4, "Recency": staging at most 90 days old by default). A result that is not a recommendation (treatment
 * started) is left as it is.
 */
function withoutStaleStaging(result: RecommendationResult, staleStaging: readonly StaleInput[]): RecommendationResult {
  if (staleStaging.length === 0 || result.kind === 'not-applicable') return result;
  const before = result.kind === 'insufficient-data' ? result : { missing: [], problems: [] };
  return insufficient([...before.missing, ...staleStaging.map((s) => s.input)], [...before.problems, ...staleStaging.map(staleProblem)]);
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
  const stale = new Map((inputs.stale ?? []).map((s) => [s.input, s]));
  const staleIctos = staleIctosInputs(inputs.ictos, stale);
  const ictos: IctosResult =
    staleIctos.length > 0
      ? { cutoff: thresholds.ictos.cutoff, thresholdSet: thresholds.ictos.id, ...insufficient(staleIctos.map((x) => x.input), staleIctos.map(staleProblem)) }
      : evaluateIctos(inputs.ictos, thresholds.ictos, normalization);
  const conflicting = new Set(inputs.population.conflicting ?? []);
  const staleRiskProblems: Problem[] = [];
  const usable = <T>(id: InputId, value: T | undefined): T | undefined => {
    const old = stale.get(id);
    if (conflicting.has(id) || value === undefined) return undefined;
    if (old === undefined) return value;
    staleRiskProblems.push(staleProblem(old));
    return undefined;
  };
  const factors = riskFactorStates(
    {
      tCategory: usable('t-category', inputs.population.tCategory),
      nCategory: usable('n-category', inputs.population.nCategory),
      tumorVolumeMl: usable('tumor-volume', inputs.tumorVolumeMl),
      ebvDnaCopiesPerMl: usable('ebv-dna', inputs.ebvDnaCopiesPerMl),
    },
    thresholds.ictos,
  );
  const risk = { ...assessRisk(factors.states, thresholds.ictos), problems: [...factors.problems, ...staleRiskProblems] };

  let recommendation: AssessmentRecommendation;
  if (population.kind === 'out-of-scope') {
    recommendation = { kind: 'not-applicable', reason: OUT_OF_SCOPE_REASON[population.reason] };
  } else if (population.kind === 'unconfirmed' && population.ambiguousEdition === true) {
    recommendation = { kind: 'not-applicable', reason: 'ambiguous-edition' };
  } else if (population.kind === 'unconfirmed' && population.problems.some(decidesScopeAndConflicts)) {
    recommendation = { kind: 'not-applicable', reason: 'staging-conflict' };
  } else {
    recommendation = withoutStaleStaging(
      recommend({ ictos, risk, treatmentStarted: inputs.treatmentStarted === true }),
      STAGING_IDS.flatMap((id) => stale.get(id) ?? []),
    );
  }
  return { population, tbf, ictos, risk, recommendation };
}
