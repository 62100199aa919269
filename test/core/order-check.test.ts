import { assessPatient, checkInductionOrder, type PatientInputs } from '../../src/core';

const patient = (over: Partial<PatientInputs> & { score?: number; stage?: string; m?: string } = {}): PatientInputs => ({
  population: { hasNpcDiagnosis: true, tCategory: 'T3', nCategory: 'N2', mCategory: over.m ?? 'M0', stageGroup: over.stage ?? 'III', edition: 8 },
  ictos: over.score === undefined ? {} : { score: over.score },
  tumorVolumeMl: { value: 20 },
  ebvDnaCopiesPerMl: { value: 900 },
  treatmentStarted: over.treatmentStarted ?? false,
});

// clinical-spec.md section 6; Dong 2019 Results (validation cohort): low ICTOS HR 0.75, high ICTOS HR 0.17.
describe('the induction chemotherapy order check (clinical-spec section 6)', () => {
  test.each([
    { name: 'low ICTOS (-0.35) with an induction order: induction was not associated with benefit (Dong 2019, HR 0.75)', p: patient({ score: -0.35 }), ordered: true, kind: 'ict-not-supported' },
    { name: 'ICTOS exactly 0 is low: not supported (Dong 2019, "\u2264 0" is low)', p: patient({ score: 0 }), ordered: true, kind: 'ict-not-supported' },
    { name: 'high ICTOS (0.33) with an induction order: the evidence supports ICT + CCRT (Dong 2019, HR 0.17)', p: patient({ score: 0.33 }), ordered: true, kind: 'ict-supported' },
    { name: 'unknown ICTOS with an induction order: insufficient data naming ICTOS', p: patient(), ordered: true, kind: 'insufficient-data' },
    { name: 'no induction order: no check', p: patient({ score: -0.35 }), ordered: false, kind: 'not-applicable' },
    { name: 'treatment already started: no check (the choice is made before treatment)', p: patient({ score: -0.35, treatmentStarted: true }), ordered: true, kind: 'not-applicable' },
    { name: 'stage II, outside the studied population: no check', p: patient({ score: -0.35, stage: 'II' }), ordered: true, kind: 'not-applicable' },
  ])('$name', ({ p, ordered, kind }) => {
    expect(checkInductionOrder(assessPatient(p), ordered).kind).toBe(kind);
  });

  test('the insufficient-data result names the missing ICTOS inputs', () => {
    expect(checkInductionOrder(assessPatient(patient()), true)).toMatchObject({ kind: 'insufficient-data', missing: expect.arrayContaining(['ictos']) });
  });

  test('a not-applicable result says why', () => {
    expect(checkInductionOrder(assessPatient(patient({ score: 1 })), false)).toEqual({ kind: 'not-applicable', reason: 'no-induction-order' });
    expect(checkInductionOrder(assessPatient(patient({ score: 1, treatmentStarted: true })), true)).toEqual({ kind: 'not-applicable', reason: 'treatment-started' });
    expect(checkInductionOrder(assessPatient(patient({ score: 1, m: 'M1', stage: 'IVB' })), true)).toEqual({ kind: 'not-applicable', reason: 'out-of-scope' });
    // M1 with a recorded stage III contradicts itself: whether the patient is in scope cannot be decided.
    expect(checkInductionOrder(assessPatient(patient({ score: 1, m: 'M1' })), true)).toEqual({ kind: 'not-applicable', reason: 'staging-conflict' });
  });
});
