/**
 * AJCC staging of nasopharyngeal carcinoma, 7th and 8th editions: the categories the rules read and the
 * stage group derived from T, N and M when the record has none (clinical-spec.md section 2).
 */

export const T_CATEGORIES = ['T0', 'T1', 'T2', 'T3', 'T4'] as const;
export const N_CATEGORIES = ['N0', 'N1', 'N2', 'N3'] as const;
export const M_CATEGORIES = ['M0', 'M1'] as const;
export const STAGE_GROUPS = ['I', 'II', 'III', 'IVA', 'IVB', 'IVC'] as const;
export const AJCC_EDITIONS = [7, 8] as const;

export type TCategory = (typeof T_CATEGORIES)[number];
export type NCategory = (typeof N_CATEGORIES)[number];
export type MCategory = (typeof M_CATEGORIES)[number];
export type StageGroup = (typeof STAGE_GROUPS)[number];
export type AjccEdition = (typeof AJCC_EDITIONS)[number];

const isOneOf =
  <T extends string | number>(values: readonly T[]) =>
  (x: unknown): x is T =>
    values.includes(x as T);
export const isTCategory = isOneOf(T_CATEGORIES);
export const isNCategory = isOneOf(N_CATEGORIES);
export const isMCategory = isOneOf(M_CATEGORIES);
export const isStageGroup = isOneOf(STAGE_GROUPS);
export const isAjccEdition = isOneOf(AJCC_EDITIONS);

/** The stage group that means distant metastasis in each edition. */
export const METASTATIC_STAGE_GROUP: Readonly<Record<AjccEdition, StageGroup>> = { 7: 'IVC', 8: 'IVB' };

/** The locoregionally advanced groups the studies enrolled: III–IVA (8th, Liu 2022), III–IVB (7th, Dong 2019). */
export const LOCOREGIONALLY_ADVANCED: Readonly<Record<AjccEdition, readonly StageGroup[]>> = {
  7: ['III', 'IVA', 'IVB'],
  8: ['III', 'IVA'],
};

const rank = (c: string): number => Number(c.slice(1));

/**
 * The AJCC stage group of NPC from T, N and M. M absent is read as M0 (the gate excludes M1 separately
 * and says when M was not recorded). Returns `undefined` when the edition has no group for the
 * combination (T0 in the 7th edition, T0 N0).
 *
 * 8th (Amin 2017): I T1 N0; II T0–1 N1, T2 N0–1; III T0–2 N2, T3 N0–2; IVA T4 or N3; IVB M1.
 * 7th (Edge 2010): I T1 N0; II T1 N1, T2 N0–1; III T1–2 N2, T3 N0–2; IVA T4 N0–2; IVB N3; IVC M1.
 */
export function deriveStageGroup(
  t: TCategory,
  n: NCategory,
  m: MCategory | undefined,
  edition: AjccEdition,
): StageGroup | undefined {
  if (m === 'M1') return METASTATIC_STAGE_GROUP[edition];
  const tr = rank(t);
  const nr = rank(n);
  if (edition === 8) {
    if (tr === 4 || nr === 3) return 'IVA';
    if (tr === 3 || nr === 2) return 'III';
    if (tr === 2 || nr === 1) return 'II';
    return tr === 1 ? 'I' : undefined;
  }
  if (tr === 0) return undefined;
  if (nr === 3) return 'IVB';
  if (tr === 4) return 'IVA';
  if (tr === 3 || nr === 2) return 'III';
  if (tr === 2 || nr === 1) return 'II';
  return 'I';
}
