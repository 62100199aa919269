import { assessPopulation, deriveStageGroup, populationDoubts, type PopulationInputs } from '../../src/core';
import type { NCategory, StageGroup, TCategory } from '../../src/core';

// AJCC stage groups of NPC by T (rows) and N (columns N0..N3), M0.
const AJCC_8TH: Record<TCategory, (StageGroup | undefined)[]> = {
  T0: [undefined, 'II', 'III', 'IVA'],
  T1: ['I', 'II', 'III', 'IVA'],
  T2: ['II', 'II', 'III', 'IVA'],
  T3: ['III', 'III', 'III', 'IVA'],
  T4: ['IVA', 'IVA', 'IVA', 'IVA'],
};
const AJCC_7TH: Record<TCategory, (StageGroup | undefined)[]> = {
  T0: [undefined, undefined, undefined, undefined],
  T1: ['I', 'II', 'III', 'IVB'],
  T2: ['II', 'II', 'III', 'IVB'],
  T3: ['III', 'III', 'III', 'IVB'],
  T4: ['IVA', 'IVA', 'IVA', 'IVB'],
};
const N: NCategory[] = ['N0', 'N1', 'N2', 'N3'];
const grid = (edition: 7 | 8, table: Record<TCategory, (StageGroup | undefined)[]>) =>
  (Object.keys(table) as TCategory[]).flatMap((t) => N.map((n, i) => ({ edition, t, n, expected: table[t][i] })));

describe('stage group derived from T and N (clinical-spec.md section 2)', () => {
  test.each(grid(8, AJCC_8TH))('AJCC 8th edition stage table: $t $n M0 is stage $expected', ({ t, n, expected }) => {
    expect(deriveStageGroup(t, n, 'M0', 8)).toBe(expected);
  });
  test.each(grid(7, AJCC_7TH))('AJCC 7th edition stage table: $t $n M0 is stage $expected', ({ t, n, expected }) => {
    expect(deriveStageGroup(t, n, 'M0', 7)).toBe(expected);
  });
  test('M1 is stage IVB in the 8th edition and IVC in the 7th', () => {
    expect(deriveStageGroup('T1', 'N0', 'M1', 8)).toBe('IVB');
    expect(deriveStageGroup('T1', 'N0', 'M1', 7)).toBe('IVC');
  });
  test('Liu 2022 Fig. 3 patient, T3 N2 M0, is stage III; Fig. 4 patient, T4 N2 M0, is stage IVA (8th)', () => {
    expect(deriveStageGroup('T3', 'N2', 'M0', 8)).toBe('III');
    expect(deriveStageGroup('T4', 'N2', 'M0', 8)).toBe('IVA');
  });
});

const npc = (p: Omit<PopulationInputs, 'hasNpcDiagnosis'>): PopulationInputs => ({ hasNpcDiagnosis: true, ...p });

describe('population gate (clinical-spec.md section 2)', () => {
  const rows: { label: string; inputs: PopulationInputs; expected: Record<string, unknown> }[] = [
    { label: 'a patient without an NPC diagnosis', inputs: { hasNpcDiagnosis: false, stageGroup: 'III', edition: 8 }, expected: { kind: 'out-of-scope', reason: 'no-npc-diagnosis' } },
    { label: 'recorded stage III, 8th edition', inputs: npc({ stageGroup: 'III', edition: 8 }), expected: { kind: 'in-scope', stageGroup: 'III', stageSource: 'recorded', editionAssumed: false, mCategoryRecorded: false } },
    { label: 'recorded stage IVA, 8th edition, M0', inputs: npc({ stageGroup: 'IVA', mCategory: 'M0', edition: 8 }), expected: { kind: 'in-scope', stageGroup: 'IVA', mCategoryRecorded: true } },
    { label: 'recorded stage IVB, 7th edition (N3 M0, Dong 2019 enrolled it)', inputs: npc({ stageGroup: 'IVB', edition: 7 }), expected: { kind: 'in-scope', stageGroup: 'IVB', edition: 7 } },
    // v2 (clinical-spec.md section 2): IVB without an edition and without M is ambiguous, no longer read as the 8th edition's M1.
    { label: 'recorded stage IVB with no edition and no M or N (v2: ambiguous)', inputs: npc({ stageGroup: 'IVB' }), expected: { kind: 'unconfirmed', ambiguousEdition: true, missing: ['m-category', 'stage-group'] } },
    { label: 'recorded stage IVC', inputs: npc({ stageGroup: 'IVC' }), expected: { kind: 'out-of-scope', reason: 'distant-metastasis', stageGroup: 'IVC' } },
    { label: 'M1 without a stage group', inputs: npc({ tCategory: 'T2', nCategory: 'N1', mCategory: 'M1', edition: 8 }), expected: { kind: 'out-of-scope', reason: 'distant-metastasis', stageGroup: 'IVB' } },
    { label: 'M1 with stage IVB (8th)', inputs: npc({ mCategory: 'M1', stageGroup: 'IVB', edition: 8 }), expected: { kind: 'out-of-scope', reason: 'distant-metastasis' } },
    { label: 'M1 recorded with stage III', inputs: npc({ mCategory: 'M1', stageGroup: 'III', edition: 8 }), expected: { kind: 'unconfirmed', missing: ['m-category', 'stage-group'] } },
    { label: 'M0 recorded with stage IVC', inputs: npc({ mCategory: 'M0', stageGroup: 'IVC', edition: 7 }), expected: { kind: 'unconfirmed', missing: ['m-category', 'stage-group'] } },
    { label: 'recorded stage II', inputs: npc({ stageGroup: 'II', edition: 8 }), expected: { kind: 'out-of-scope', reason: 'not-locoregionally-advanced', stageGroup: 'II' } },
    { label: 'T1 N1 M0 (derived stage II)', inputs: npc({ tCategory: 'T1', nCategory: 'N1', mCategory: 'M0', edition: 8 }), expected: { kind: 'out-of-scope', reason: 'not-locoregionally-advanced', stageGroup: 'II' } },
    { label: 'T3 N1 with no stage group (derived III)', inputs: npc({ tCategory: 'T3', nCategory: 'N1', edition: 8 }), expected: { kind: 'in-scope', stageGroup: 'III', stageSource: 'derived', mCategoryRecorded: false } },
    { label: 'T2 N3 M0, 7th edition (derived IVB)', inputs: npc({ tCategory: 'T2', nCategory: 'N3', mCategory: 'M0', edition: 7 }), expected: { kind: 'in-scope', stageGroup: 'IVB', stageSource: 'derived' } },
    { label: 'T2 N3 M0, 8th edition (derived IVA)', inputs: npc({ tCategory: 'T2', nCategory: 'N3', mCategory: 'M0', edition: 8 }), expected: { kind: 'in-scope', stageGroup: 'IVA' } },
    { label: 'stage III recorded but T4 N2 (IVA)', inputs: npc({ stageGroup: 'III', tCategory: 'T4', nCategory: 'N2', edition: 8 }), expected: { kind: 'unconfirmed', missing: ['stage-group', 't-category', 'n-category'] } },
    { label: 'stage III recorded agreeing with T3 N2 M0', inputs: npc({ stageGroup: 'III', tCategory: 'T3', nCategory: 'N2', mCategory: 'M0', edition: 8 }), expected: { kind: 'in-scope', stageSource: 'recorded' } },
    { label: 'no staging at all', inputs: npc({}), expected: { kind: 'unconfirmed', missing: ['stage-group', 't-category', 'n-category'], editionAssumed: true } },
    { label: 'T without N and no stage group', inputs: npc({ tCategory: 'T3' }), expected: { kind: 'unconfirmed', missing: ['stage-group', 'n-category'] } },
    { label: 'an unrecognised T category', inputs: npc({ tCategory: 'TX', nCategory: 'N2' }), expected: { kind: 'unconfirmed', missing: ['t-category', 'stage-group'] } },
    { label: 'conflicting T values and no stage group', inputs: npc({ nCategory: 'N2', conflicting: ['t-category'] }), expected: { kind: 'unconfirmed', missing: ['t-category', 'stage-group'] } },
    { label: 'conflicting T values even with a recorded stage III', inputs: npc({ stageGroup: 'III', tCategory: 'T4', conflicting: ['t-category'], edition: 8 }), expected: { kind: 'unconfirmed', missing: ['t-category'] } },
    { label: 'an edition that is neither 7 nor 8', inputs: npc({ stageGroup: 'III', edition: 6 }), expected: { kind: 'in-scope', edition: 8, editionAssumed: true } },
  ];
  test.each(rows)('clinical-spec.md section 2: $label → $expected.kind', ({ inputs, expected }) => {
    expect(assessPopulation(inputs)).toMatchObject(expected);
  });
});

const adult = (p: Omit<PopulationInputs, 'hasNpcDiagnosis'>): PopulationInputs => ({ hasNpcDiagnosis: true, ageYears: 55, ...p });

describe('population gate, version 2 (clinical-spec.md section 2, v2)', () => {
  const rows: { label: string; inputs: PopulationInputs; expected: Record<string, unknown> }[] = [
    // Liu 2022 Methods: "did not receive treatment for NPC before MRI scan"; Dong 2019: pre-treatment MRI.
    { label: 'recurrent disease with stage III is outside the studied population', inputs: adult({ stageGroup: 'III', mCategory: 'M0', nCategory: 'N2', edition: 8, recurrent: true }), expected: { kind: 'out-of-scope', reason: 'recurrent-disease' } },
    { label: 'newly diagnosed disease (recurrent false) stays in scope', inputs: adult({ stageGroup: 'III', mCategory: 'M0', nCategory: 'N2', edition: 8, recurrent: false }), expected: { kind: 'in-scope' } },
    // Liu 2022 Table 1: N1 3, N2 32, N3 20 (no N0); Dong 2019 Table 1 compares N1 with N2-3.
    { label: 'T3 N0 M0 (AJCC 8th stage III) is outside the studied population: no N0 patients', inputs: adult({ tCategory: 'T3', nCategory: 'N0', mCategory: 'M0', edition: 8 }), expected: { kind: 'out-of-scope', reason: 'n0', stageGroup: 'III' } },
    { label: 'T4 N0 M0 (AJCC 8th stage IVA) is outside the studied population: no N0 patients', inputs: adult({ tCategory: 'T4', nCategory: 'N0', mCategory: 'M0', edition: 8 }), expected: { kind: 'out-of-scope', reason: 'n0', stageGroup: 'IVA' } },
    { label: 'T4 N0 M0 (AJCC 7th stage IVA) is outside the studied population too', inputs: adult({ tCategory: 'T4', nCategory: 'N0', mCategory: 'M0', edition: 7 }), expected: { kind: 'out-of-scope', reason: 'n0' } },
    { label: 'T3 N1 M0 is in scope (N1 was enrolled)', inputs: adult({ tCategory: 'T3', nCategory: 'N1', mCategory: 'M0', edition: 8 }), expected: { kind: 'in-scope', nCategoryRecorded: true } },
    { label: 'a recorded stage III without an N category is in scope with N not recorded', inputs: adult({ stageGroup: 'III', mCategory: 'M0', edition: 8 }), expected: { kind: 'in-scope', nCategoryRecorded: false } },
    // Adults: age 18 or more on the day of the request.
    { label: 'a 12-year-old is outside the studied population', inputs: adult({ stageGroup: 'III', nCategory: 'N2', mCategory: 'M0', edition: 8, ageYears: 12 }), expected: { kind: 'out-of-scope', reason: 'under-18' } },
    { label: 'a 17-year-old is outside the studied population', inputs: adult({ stageGroup: 'III', nCategory: 'N2', mCategory: 'M0', edition: 8, ageYears: 17 }), expected: { kind: 'out-of-scope', reason: 'under-18' } },
    { label: 'an 18-year-old is in scope, outside Liu 2022\u2019s age range (38-76)', inputs: adult({ stageGroup: 'III', nCategory: 'N2', mCategory: 'M0', edition: 8, ageYears: 18 }), expected: { kind: 'in-scope', age: { recorded: true, years: 18, withinLiuRange: false } } },
    { label: 'a 38-year-old is within Liu 2022\u2019s age range (Table 1: 38-76)', inputs: adult({ stageGroup: 'III', nCategory: 'N2', mCategory: 'M0', edition: 8, ageYears: 38 }), expected: { kind: 'in-scope', age: { recorded: true, years: 38, withinLiuRange: true } } },
    { label: 'a 76-year-old is within Liu 2022\u2019s age range', inputs: adult({ stageGroup: 'III', nCategory: 'N2', mCategory: 'M0', edition: 8, ageYears: 76 }), expected: { age: { withinLiuRange: true } } },
    { label: 'a 77-year-old is in scope, outside Liu 2022\u2019s age range', inputs: adult({ stageGroup: 'III', nCategory: 'N2', mCategory: 'M0', edition: 8, ageYears: 77 }), expected: { kind: 'in-scope', age: { withinLiuRange: false } } },
    { label: 'no birth date: in scope, age not recorded', inputs: adult({ stageGroup: 'III', nCategory: 'N2', mCategory: 'M0', edition: 8, ageYears: undefined }), expected: { kind: 'in-scope', age: { recorded: false } } },
    { label: 'a negative age counts as not recorded', inputs: adult({ stageGroup: 'III', nCategory: 'N2', mCategory: 'M0', edition: 8, ageYears: -3 }), expected: { kind: 'in-scope', age: { recorded: false } } },
    // IVB without an edition: M0 and N3 recorded can only be the 7th edition (in the 8th, IVB means M1).
    { label: 'T4 N3 M0 "IVB" without an edition is the 7th edition, inferred, in scope', inputs: adult({ tCategory: 'T4', nCategory: 'N3', mCategory: 'M0', stageGroup: 'IVB' }), expected: { kind: 'in-scope', stageGroup: 'IVB', edition: 7, editionInferred: true, editionAssumed: false } },
    { label: 'N3 M0 "IVB" without an edition or T is the 7th edition, inferred', inputs: adult({ nCategory: 'N3', mCategory: 'M0', stageGroup: 'IVB' }), expected: { kind: 'in-scope', edition: 7, editionInferred: true } },
    { label: 'M0 "IVB" without an edition or N is the 7th edition, N not recorded', inputs: adult({ mCategory: 'M0', stageGroup: 'IVB' }), expected: { kind: 'in-scope', edition: 7, editionInferred: true, nCategoryRecorded: false } },
    { label: 'T2 N1 M0 "IVB" without an edition contradicts both editions', inputs: adult({ tCategory: 'T2', nCategory: 'N1', mCategory: 'M0', stageGroup: 'IVB' }), expected: { kind: 'unconfirmed', missing: expect.arrayContaining(['stage-group']) } },
    { label: 'M1 "IVB" without an edition is the 8th edition\u2019s metastatic IVB', inputs: adult({ mCategory: 'M1', stageGroup: 'IVB' }), expected: { kind: 'out-of-scope', reason: 'distant-metastasis', editionInferred: false } },
    { label: 'N3 "IVB" without an edition or M is ambiguous: the M category decides', inputs: adult({ nCategory: 'N3', stageGroup: 'IVB' }), expected: { kind: 'unconfirmed', ambiguousEdition: true, missing: ['m-category', 'stage-group'] } },
    { label: '"IVB" with an 8th-edition method and M0 is a contradiction, not an inference', inputs: adult({ mCategory: 'M0', stageGroup: 'IVB', edition: 8 }), expected: { kind: 'unconfirmed', editionInferred: false } },
  ];
  test.each(rows)('clinical-spec.md section 2 (v2): $label', ({ inputs, expected }) => {
    expect(assessPopulation(inputs)).toMatchObject(expected);
  });

  test.each([
    { label: 'no doubt for a fully staged adult', inputs: adult({ tCategory: 'T3', nCategory: 'N2', mCategory: 'M0', edition: 8 }), doubts: [] },
    { label: 'M not recorded', inputs: adult({ tCategory: 'T3', nCategory: 'N2', edition: 8 }), doubts: ['m-category-not-recorded'] },
    { label: 'N not recorded', inputs: adult({ stageGroup: 'III', mCategory: 'M0', edition: 8 }), doubts: ['n-category-not-recorded'] },
    { label: 'stage not recorded and no birth date', inputs: { hasNpcDiagnosis: true }, doubts: ['stage-not-recorded', 'age-not-recorded'] },
    { label: 'none for an out-of-scope patient', inputs: adult({ stageGroup: 'II', edition: 8 }), doubts: [] },
  ])('population doubts (clinical-spec.md section 6, v2): $label', ({ inputs, doubts }) => {
    expect(populationDoubts(assessPopulation(inputs))).toEqual(doubts);
  });
});
