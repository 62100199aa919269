/**
 * The population gate (clinical-spec.md section 2): is this patient one the two studies describe?
 * Adults with locoregionally advanced NPC without distant metastasis: stage III–IVA (AJCC 8th, Liu 2022)
 * or III–IVB (AJCC 7th, Dong 2019).
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
}

interface EditionContext {
  readonly edition: AjccEdition;
  /** True when the record did not say which edition, and the 8th was assumed. */
  readonly editionAssumed: boolean;
}

export type OutOfScopeReason = 'no-npc-diagnosis' | 'distant-metastasis' | 'not-locoregionally-advanced';

export type PopulationResult =
  | (EditionContext & {
      readonly kind: 'in-scope';
      readonly stageGroup: StageGroup;
      readonly stageSource: 'recorded' | 'derived';
      /** M was not recorded: metastasis was not excluded by an M category, only by the stage group or not at all. */
      readonly mCategoryRecorded: boolean;
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
    });

/**
 * Decides whether the patient is in the studied population. Out of scope: no NPC diagnosis; M1 or a
 * metastatic stage group (IVC in the 7th edition, IVB in the 8th); stage I–II. Unconfirmed: the stage
 * cannot be established (missing, unrecognised or conflicting values, or a recorded stage group that
 * contradicts T, N and M). A stage group missing from the record is derived from T and N.
 */
export function assessPopulation(inputs: PopulationInputs): PopulationResult {
  const editionAssumed = !isAjccEdition(inputs.edition);
  const edition: AjccEdition = isAjccEdition(inputs.edition) ? inputs.edition : 8;
  const ctx: EditionContext = { edition, editionAssumed };
  if (!inputs.hasNpcDiagnosis) return { ...ctx, kind: 'out-of-scope', reason: 'no-npc-diagnosis' };

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
  if (problems.length > 0) return { ...ctx, kind: 'unconfirmed', missing: [...new Set(missing)], problems };
  return {
    ...ctx,
    kind: 'in-scope',
    stageGroup,
    stageSource: recorded !== undefined ? 'recorded' : 'derived',
    mCategoryRecorded: m !== undefined,
  };
}
