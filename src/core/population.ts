/**
 * The population gate (clinical-spec.md section 2, version 2): is this patient one the two studies
 * describe? Adults with newly diagnosed, untreated, locoregionally advanced NPC without distant metastasis
 * and with nodal disease: stage III–IVA (AJCC 8th, Liu 2022) or III–IVB (AJCC 7th, Dong 2019), N1–N3
 * (neither cohort had N0 patients: Liu 2022 Table 1, N1 3, N2 32, N3 20; Dong 2019 Table 1 compares N1 with
 * N2–3), 18 years or older (Liu 2022 Table 1: 38–76 years).
 */
import {
  deriveStageGroup,
  isAjccEdition,
  isMCategory,
  isNCategory,
  isStageGroup,
  isTCategory,
  LOCOREGIONALLY_ADVANCED,
  METASTATIC_STAGE_GROUP,
  type AjccEdition,
  type StageGroup,
} from './staging';
import type { InputId, Problem } from './types';

/**
 * What the gate reads. Staging values are typed loosely on purpose: they come from records, and an
 * unexpected code is reported as unrecognised rather than trusted.
 */
export interface PopulationInputs {
  /** An active NPC Condition (ICD-10 C11.x or SNOMED 187692001), as decided by the FHIR layer. */
  readonly hasNpcDiagnosis: boolean;
  readonly tCategory?: string | undefined;
  readonly nCategory?: string | undefined;
  readonly mCategory?: string | undefined;
  readonly stageGroup?: string | undefined;
  /** AJCC edition of the staging; absent means unknown (the 8th is then assumed and the result says so). */
  readonly edition?: number | undefined;
  /** Inputs that the record holds in conflicting versions (e.g. two T values on one date): not used. */
  readonly conflicting?: readonly InputId[] | undefined;
  /**
   * The NPC is recurrent (clinicalStatus recurrence or relapse, or an earlier episode shown by another NPC
   * Condition's abatement), as decided by the FHIR layer. Both studies enrolled newly diagnosed, untreated
   * patients (Liu 2022 Methods: "did not receive treatment for NPC before MRI scan"; Dong 2019: pre-treatment MRI).
   */
  readonly recurrent?: boolean | undefined;
  /** Age in whole years on the day of the request (from Patient.birthDate); absent when not recorded. */
  readonly ageYears?: number | undefined;
}

/** Adults only (clinical-spec.md section 2, v2). */
export const MINIMUM_AGE_YEARS = 18;
/** The age range of Liu 2022's cohort (Table 1: range 38–76 years); outside it the card says so. */
export const LIU_AGE_RANGE = { min: 38, max: 76 } as const;

/** What the record says of the patient's age, for the card. */
export type AgeStatus =
  | { readonly recorded: true; readonly years: number; readonly withinLiuRange: boolean }
  | { readonly recorded: false };

interface EditionContext {
  readonly edition: AjccEdition;
  /** True when the record did not say which edition, and the 8th was assumed. */
  readonly editionAssumed: boolean;
  /**
   * True when the edition was inferred rather than recorded: a stage group IVB with M0 and N3 can only be
   * the 7th edition (in the 8th, IVB means M1).
   */
  readonly editionInferred: boolean;
  readonly age: AgeStatus;
}

export type OutOfScopeReason =
  | 'no-npc-diagnosis'
  | 'distant-metastasis'
  | 'not-locoregionally-advanced'
  /** v2: recurrent disease; the studies enrolled newly diagnosed, untreated patients. */
  | 'recurrent-disease'
  /** v2: N0; neither cohort had N0 patients (a T3 N0 or T4 N0 is III / IVA in the AJCC tables). */
  | 'n0'
  /** v2: younger than 18 on the day of the request. */
  | 'under-18';

export type PopulationResult =
  | (EditionContext & {
      readonly kind: 'in-scope';
      readonly stageGroup: StageGroup;
      readonly stageSource: 'recorded' | 'derived';
      /** M was not recorded: metastasis was not excluded by an M category, only by the stage group or not at all. */
      readonly mCategoryRecorded: boolean;
      /** N was not recorded: N0, outside both cohorts, is not excluded (a stage III or IVA can be N0). */
      readonly nCategoryRecorded: boolean;
    })
  | (EditionContext & {
      readonly kind: 'out-of-scope';
      readonly reason: OutOfScopeReason;
      readonly stageGroup?: StageGroup;
    })
  | (EditionContext & {
      readonly kind: 'unconfirmed';
      readonly missing: readonly InputId[];
      readonly problems: readonly Problem[];
      /**
       * v2: a stage group IVB without an edition and without the M category that would decide it: in
       * scope under the 7th edition (N3 M0), distant metastasis under the 8th. No recommendation.
       */
      readonly ambiguousEdition?: boolean;
    });

/** The patient's age as the card shows it; a non-finite or negative age counts as not recorded. */
function ageStatus(ageYears: number | undefined): AgeStatus {
  if (ageYears === undefined || !Number.isFinite(ageYears) || ageYears < 0) return { recorded: false };
  return { recorded: true, years: ageYears, withinLiuRange: ageYears >= LIU_AGE_RANGE.min && ageYears <= LIU_AGE_RANGE.max };
}

/**
 * Decides whether the patient is in the studied population (clinical-spec.md section 2, v2). Out of
 * scope: no NPC diagnosis; under 18; recurrent disease; M1 or a metastatic stage group (IVC in the 7th
 * edition, IVB in the 8th); stage I–II; N0. Unconfirmed: the stage cannot be established (missing,
 * unrecognised or conflicting values, a recorded stage group that contradicts T, N and M, or a stage
 * group IVB whose edition nothing decides). A stage group missing from the record is derived from T and
 * N. A recorded IVB without an edition is read as the 7th edition when M0 is recorded (the 8th edition's
 * IVB is M1), and the result says the edition was inferred.
 */
export function assessPopulation(inputs: PopulationInputs): PopulationResult {
  const age = ageStatus(inputs.ageYears);
  const recordedEdition = isAjccEdition(inputs.edition) ? inputs.edition : undefined;
  const base = { age, editionInferred: false };
  const assumed: EditionContext = { ...base, edition: recordedEdition ?? 8, editionAssumed: recordedEdition === undefined };
  if (!inputs.hasNpcDiagnosis) return { ...assumed, kind: 'out-of-scope', reason: 'no-npc-diagnosis' };
  if (age.recorded && age.years < MINIMUM_AGE_YEARS) return { ...assumed, kind: 'out-of-scope', reason: 'under-18' };
  if (inputs.recurrent === true) return { ...assumed, kind: 'out-of-scope', reason: 'recurrent-disease' };

  const missing: InputId[] = [];
  const problems: Problem[] = [];
  const conflicting = new Set(inputs.conflicting ?? []);
  for (const id of conflicting) {
    missing.push(id);
    problems.push({ input: id, reason: 'conflicting' });
  }
  const read = <T>(id: InputId, value: unknown, valid: (x: unknown) => x is T): T | undefined => {
    if (conflicting.has(id) || value === undefined || value === null) return undefined;
    if (valid(value)) return value;
    missing.push(id);
    problems.push({ input: id, reason: 'unrecognised' });
    return undefined;
  };
  const t = read('t-category', inputs.tCategory, isTCategory);
  const n = read('n-category', inputs.nCategory, isNCategory);
  const m = read('m-category', inputs.mCategory, isMCategory);
  const recorded = read('stage-group', inputs.stageGroup, isStageGroup);

  // A stage group IVB without an edition: M0 makes it the 7th edition's IVB (N3 M0); M1 makes it the 8th
  // edition's IVB (handled as distant metastasis below); without M nothing decides it.
  let ctx = assumed;
  if (recordedEdition === undefined && recorded === 'IVB' && m === undefined && !conflicting.has('m-category')) {
    missing.push('m-category', 'stage-group');
    problems.push({ input: 'stage-group', reason: 'ambiguous' });
    return { ...assumed, kind: 'unconfirmed', missing: [...new Set(missing)], problems, ambiguousEdition: true };
  }
  if (recordedEdition === undefined && recorded === 'IVB' && m === 'M0') {
    ctx = { ...base, edition: 7, editionAssumed: false, editionInferred: true };
  }
  const edition = ctx.edition;
  // IVC means distant metastasis in the 7th edition and exists in no other, so it is read as such even
  // when the record's edition is unknown or says 8th.
  const metastaticGroup = recorded === 'IVC' || recorded === METASTATIC_STAGE_GROUP[edition];
  const derived = t !== undefined && n !== undefined ? deriveStageGroup(t, n, m, edition) : undefined;

  if (m === 'M1' || metastaticGroup) {
    const agrees = m !== 'M0' && (recorded === undefined || metastaticGroup);
    if (agrees) return { ...ctx, kind: 'out-of-scope', reason: 'distant-metastasis', stageGroup: recorded ?? METASTATIC_STAGE_GROUP[edition] };
    missing.push('m-category', 'stage-group');
    problems.push({ input: 'm-category', reason: 'conflicting' }, { input: 'stage-group', reason: 'conflicting' });
    return { ...ctx, kind: 'unconfirmed', missing: [...new Set(missing)], problems };
  }
  if (recorded !== undefined && derived !== undefined && recorded !== derived) {
    missing.push('stage-group', 't-category', 'n-category');
    problems.push({ input: 'stage-group', reason: 'conflicting' });
    return { ...ctx, kind: 'unconfirmed', missing: [...new Set(missing)], problems };
  }

  const stageGroup = recorded ?? derived;
  if (stageGroup === undefined) {
    missing.push('stage-group');
    if (t === undefined) missing.push('t-category');
    if (n === undefined) missing.push('n-category');
    return { ...ctx, kind: 'unconfirmed', missing: [...new Set(missing)], problems };
  }
  if (!LOCOREGIONALLY_ADVANCED[edition].includes(stageGroup)) {
    return { ...ctx, kind: 'out-of-scope', reason: 'not-locoregionally-advanced', stageGroup };
  }
  if (n === 'N0') return { ...ctx, kind: 'out-of-scope', reason: 'n0', stageGroup };
  if (problems.length > 0) return { ...ctx, kind: 'unconfirmed', missing: [...new Set(missing)], problems };
  return {
    ...ctx,
    kind: 'in-scope',
    stageGroup,
    stageSource: recorded !== undefined ? 'recorded' : 'derived',
    mCategoryRecorded: m !== undefined,
    nCategoryRecorded: n !== undefined,
  };
}

/**
 * What leaves a patient's membership of the studied population open although the gate did not exclude
 * them (clinical-spec.md sections 2 and 6, v2): the stage could not be established, or M, N or the age is
 * not recorded. The recommendation is then shown with the caveat in its summary, and the order check
 * never suggests removing an order.
 */
export type PopulationDoubt = 'stage-not-recorded' | 'm-category-not-recorded' | 'n-category-not-recorded' | 'age-not-recorded';

/** The doubts of a gate result, in the order the card names them; none for an out-of-scope patient. */
export function populationDoubts(population: PopulationResult): PopulationDoubt[] {
  if (population.kind === 'out-of-scope') return [];
  const doubts: PopulationDoubt[] = [];
  if (population.kind === 'unconfirmed') doubts.push('stage-not-recorded');
  else {
    if (!population.mCategoryRecorded) doubts.push('m-category-not-recorded');
    if (!population.nCategoryRecorded) doubts.push('n-category-not-recorded');
  }
  if (!population.age.recorded) doubts.push('age-not-recorded');
  return doubts;
}
