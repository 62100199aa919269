import { assessPatient, checkInductionOrder, concernedInductionOrders, type DraftInduction, type PatientInputs } from '../../src/core';

const patient = (over: Partial<PatientInputs> & { score?: number; stage?: string; m?: string } = {}): PatientInputs => ({
  population: { hasNpcDiagnosis: true, tCategory: 'T3', nCategory: 'N2', mCategory: over.m ?? 'M0', stageGroup: over.stage ?? 'III', edition: 8, ageYears: 55 },
  ictos: over.score === undefined ? {} : { score: over.score },
  tumorVolumeMl: { value: 20 },
  ebvDnaCopiesPerMl: { value: 900 },
  treatmentStarted: over.treatmentStarted ?? false,
});

/** A low-ICTOS patient (-0.35) with the given staging, volume, EBV DNA and age. */
const lowIctos = (p: { t?: string; n?: string; m?: string; stage?: string; volume?: number; ebv?: number; age?: number }): PatientInputs => ({
  population: { hasNpcDiagnosis: true, tCategory: p.t, nCategory: p.n, mCategory: p.m, stageGroup: p.stage, edition: 8, ageYears: p.age },
  ictos: { score: -0.35 },
  tumorVolumeMl: p.volume === undefined ? undefined : { value: p.volume },
  ebvDnaCopiesPerMl: p.ebv === undefined ? undefined : { value: p.ebv },
  treatmentStarted: false,
});

// clinical-spec.md section 6; Dong 2019 Results (validation cohort): low ICTOS HR 0.75, high ICTOS HR 0.17.
/** Draft orders: a TPF regimen being signed (order-sign), and none. */
const TPF: DraftInduction = { induction: ['MedicationRequest/docetaxel', 'MedicationRequest/fluorouracil'] };
const NONE: DraftInduction = { induction: [] };

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
    expect(checkInductionOrder(assessPatient(p), ordered ? TPF : NONE).kind).toBe(kind);
  });

  // clinical-spec.md section 6 (v2): the check decides by risk tier. Dong 2019 Results: low ICTOS and high
  // risk, ICT HR 0.72 (0.38-1.35), p = 0.30, 5-year FFS 60.8%; "it was not possible to conclude that CCRT
  // alone was sufficient". Risk factors (Dong 2019 Table 1): T4, N2-N3, volume >= 34 mL, EBV DNA >= 2000.
  test.each([
    { name: 'low ICTOS, three risk factors (T4, N2, EBV DNA 5000): consider a trial, no removal', p: lowIctos({ t: 'T4', n: 'N2', m: 'M0', volume: 20, ebv: 5000, age: 55 }), kind: 'consider-trial' },
    { name: 'low ICTOS, all four risk factors: consider a trial', p: lowIctos({ t: 'T4', n: 'N3', m: 'M0', volume: 40, ebv: 5000, age: 55 }), kind: 'consider-trial' },
    { name: 'low ICTOS, two risk factors known (T4, N2) and EBV DNA unknown: undetermined', p: lowIctos({ t: 'T4', n: 'N2', m: 'M0', volume: 20, age: 55 }), kind: 'undetermined' },
    { name: 'low ICTOS, low risk, but stage not recorded: undetermined, no removal', p: lowIctos({ volume: 20, ebv: 900, age: 55 }), kind: 'undetermined' },
    { name: 'low ICTOS, low risk, but M not recorded: undetermined', p: lowIctos({ t: 'T3', n: 'N1', volume: 20, ebv: 900, age: 55 }), kind: 'undetermined' },
    { name: 'low ICTOS, low risk, but no birth date: undetermined', p: lowIctos({ t: 'T3', n: 'N1', m: 'M0', volume: 20, ebv: 900 }), kind: 'undetermined' },
    { name: 'low ICTOS, low risk, fully staged adult: ICT not supported (the only removal)', p: lowIctos({ t: 'T3', n: 'N1', m: 'M0', volume: 20, ebv: 900, age: 55 }), kind: 'ict-not-supported' },
  ])('order check by risk tier (v2): $name', ({ p, kind }) => {
    expect(checkInductionOrder(assessPatient(p), TPF).kind).toBe(kind);
  });

  test('an undetermined check names the missing risk factors and the population doubts', () => {
    expect(checkInductionOrder(assessPatient(lowIctos({ t: 'T4', n: 'N2', volume: 20 })), TPF)).toMatchObject({
      kind: 'undetermined',
      missing: ['ebv-dna'],
      doubts: ['m-category-not-recorded', 'age-not-recorded'],
    });
  });

  test.each([
    { name: 'recurrent disease', p: { ...patient({ score: -0.35 }), population: { ...patient().population, recurrent: true } }, reason: 'recurrent-disease' },
    { name: 'N0', p: { ...patient({ score: -0.35 }), population: { ...patient().population, stageGroup: undefined, nCategory: 'N0' } }, reason: 'n0' },
    { name: 'a 12-year-old', p: { ...patient({ score: -0.35 }), population: { ...patient().population, ageYears: 12 } }, reason: 'under-18' },
    { name: 'IVB without an edition or M', p: { ...patient({ score: -0.35 }), population: { hasNpcDiagnosis: true, stageGroup: 'IVB', ageYears: 55 } }, reason: 'ambiguous-edition' },
  ])('no order check outside the studied population (v2): $name', ({ p, reason }) => {
    expect(checkInductionOrder(assessPatient(p), TPF)).toEqual({ kind: 'not-applicable', reason });
  });

  test('the insufficient-data result names the missing ICTOS inputs', () => {
    expect(checkInductionOrder(assessPatient(patient()), TPF)).toMatchObject({ kind: 'insufficient-data', missing: expect.arrayContaining(['ictos']) });
  });

  test('a not-applicable result says why', () => {
    expect(checkInductionOrder(assessPatient(patient({ score: 1 })), NONE)).toEqual({ kind: 'not-applicable', reason: 'no-induction-order' });
    expect(checkInductionOrder(assessPatient(patient({ score: 1, treatmentStarted: true })), TPF)).toEqual({ kind: 'not-applicable', reason: 'treatment-started' });
    expect(checkInductionOrder(assessPatient(patient({ score: 1, m: 'M1', stage: 'IVB' })), TPF)).toEqual({ kind: 'not-applicable', reason: 'out-of-scope' });
    // M1 with a recorded stage III contradicts itself: whether the patient is in scope cannot be decided.
    expect(checkInductionOrder(assessPatient(patient({ score: 1, m: 'M1' })), TPF)).toEqual({ kind: 'not-applicable', reason: 'staging-conflict' });
  });
});

// clinical-spec.md section 6: on order-select the check concerns the just-selected orders, on order-sign every draft order.
describe('which draft orders the check concerns', () => {
  test.each([
    { name: 'order-sign: every induction order', orders: TPF, concerned: TPF.induction },
    { name: 'order-select of the docetaxel order: that order', orders: { ...TPF, selections: ['MedicationRequest/docetaxel'] }, concerned: ['MedicationRequest/docetaxel'] },
    { name: 'order-select of a platinum order only: none', orders: { ...TPF, selections: ['MedicationRequest/cisplatin'] }, concerned: [] },
    { name: 'no induction order: none', orders: { induction: [], selections: ['MedicationRequest/cisplatin'] }, concerned: [] },
  ])('$name', ({ orders, concerned }) => {
    expect(concernedInductionOrders(orders)).toEqual(concerned);
  });

  test('a low-ICTOS patient with only a platinum just selected gets no check, whatever the other draft orders', () => {
    expect(checkInductionOrder(assessPatient(patient({ score: -0.35 })), { ...TPF, selections: ['MedicationRequest/cisplatin'] })).toEqual({ kind: 'not-applicable', reason: 'no-induction-order' });
  });
});
