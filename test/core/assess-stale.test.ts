/**
 * (v2) Recency: stale inputs are missing for the treatment-selection recommendation only.
 * Source: clinical-spec.md section 4 (v2), "Recency": "An older value is unusable for the recommendation ...
 * and is named as such"; Dong 2019 Methods: the MRI was taken "within 2 weeks before any anti-cancer treatment".
 */
import { assessPatient, type PatientInputs, type StaleInput } from '../../src/core';

const Z_HIGH = { skewness: -0.3, glcmVariance: -0.2, glrlmLrhgle: 0.1 };

const patient = (over: Partial<PatientInputs> = {}, population: Partial<PatientInputs['population']> = {}): PatientInputs => ({
  population: { hasNpcDiagnosis: true, tCategory: 'T3', nCategory: 'N2', mCategory: 'M0', stageGroup: 'III', edition: 8, ...population },
  preTbf: 150,
  ictos: { score: 0.33 },
  tumorVolumeMl: { value: 20 },
  ebvDnaCopiesPerMl: { value: 500 },
  treatmentStarted: false,
  ...over,
});
const stale = (...xs: [StaleInput['input'], number][]): StaleInput[] => xs.map(([input, ageDays]) => ({ input, ageDays }));

describe('stale inputs and the treatment-selection recommendation (clinical-spec.md section 4 v2, Recency)', () => {
  test.each([
    {
      situation: 'a recorded ICTOS measured 45 days ago is missing, named stale with its age',
      inputs: patient({ stale: stale(['ictos', 45]) }),
      ictos: { kind: 'insufficient-data', missing: ['ictos'], problems: [{ input: 'ictos', reason: 'stale', ageDays: 45 }] },
      recommendation: { kind: 'insufficient-data', missing: ['ictos'] },
    },
    {
      situation: 'one stale z-scored feature makes the computed ICTOS missing (no fall-through to another source)',
      inputs: patient({ ictos: { zFeatures: Z_HIGH }, stale: stale(['glcm-variance-z', 30]) }),
      ictos: { kind: 'insufficient-data', missing: ['glcm-variance-z'], problems: [{ input: 'glcm-variance-z', reason: 'stale', ageDays: 30 }] },
      recommendation: { kind: 'insufficient-data', missing: ['glcm-variance-z'] },
    },
    {
      situation: 'stale raw features (no z-scores) make the computed ICTOS missing',
      inputs: patient({ ictos: { rawFeatures: Z_HIGH }, stale: stale(['skewness-z', 40]) }),
      ictos: { kind: 'insufficient-data', missing: ['skewness-z'] },
      recommendation: { kind: 'insufficient-data', missing: ['skewness-z'] },
    },
    {
      situation: 'a stale recorded score that is not the source used (z-scores given, score null) changes nothing',
      inputs: patient({ ictos: { score: null as unknown as undefined, zFeatures: Z_HIGH }, stale: stale(['ictos', 40]) }),
      ictos: { kind: 'high', source: 'z-features' },
      recommendation: { kind: 'ict-ccrt' },
    },
    {
      situation: 'a stale input named for a patient without any ICTOS source leaves ICTOS simply missing',
      inputs: patient({ ictos: {}, stale: stale(['ictos', 40]) }),
      ictos: { kind: 'insufficient-data', missing: ['ictos'], problems: [] },
      recommendation: { kind: 'insufficient-data', missing: ['ictos'] },
    },
    {
      situation: 'ICTOS 28 days old (not listed stale) is used',
      inputs: patient({ stale: [] }),
      ictos: { kind: 'high', score: 0.33 },
      recommendation: { kind: 'ict-ccrt' },
    },
  ])('$situation', ({ inputs, ictos, recommendation }) => {
    const a = assessPatient(inputs);
    expect(a.ictos).toMatchObject(ictos);
    expect(a.recommendation).toMatchObject(recommendation);
  });

  test.each([
    {
      situation: 'stale EBV DNA is an unknown risk factor, named stale: low ICTOS with N2 and volume 40 mL becomes undetermined',
      inputs: patient({ ictos: { score: -0.2 }, tumorVolumeMl: { value: 40 }, ebvDnaCopiesPerMl: { value: 500 }, stale: stale(['ebv-dna', 35]) }),
      risk: { kind: 'indeterminate', unknown: ['ebv-dna-2000'] },
      problems: [{ input: 'ebv-dna', reason: 'stale', ageDays: 35 }],
      recommendation: { kind: 'undetermined', missing: ['ebv-dna'] },
    },
    {
      situation: 'stale tumor volume with at most two other factors known leaves the risk low (three-valued logic)',
      inputs: patient({ ictos: { score: -0.2 }, stale: stale(['tumor-volume', 60]) }),
      risk: { kind: 'low', unknown: ['tumor-volume-34ml'] },
      problems: [{ input: 'tumor-volume', reason: 'stale', ageDays: 60 }],
      recommendation: { kind: 'ccrt-alone' },
    },
    {
      situation: 'a stale input with no value recorded adds no problem',
      inputs: patient({ ictos: { score: -0.2 }, tumorVolumeMl: undefined, stale: stale(['tumor-volume', 60]) }),
      risk: { kind: 'low', unknown: ['tumor-volume-34ml'] },
      problems: [],
      recommendation: { kind: 'ccrt-alone' },
    },
    {
      situation: 'a conflicting T category that is also stale is unknown as conflicting, not named stale',
      inputs: patient({ ictos: { score: -0.2 }, stale: stale(['t-category', 100]) }, { conflicting: ['t-category'], stageGroup: undefined }),
      risk: { kind: 'low', unknown: ['t4'] },
      problems: [],
      recommendation: { kind: 'insufficient-data', missing: ['t-category'] },
    },
  ])('$situation', ({ inputs, risk, problems, recommendation }) => {
    const a = assessPatient(inputs);
    expect(a.risk).toMatchObject(risk);
    expect(a.risk.problems).toEqual(problems);
    expect(a.recommendation).toMatchObject(recommendation);
  });

  test.each([
    {
      situation: 'staging measured 100 days ago still decides the population gate but not the recommendation',
      inputs: patient({ stale: stale(['t-category', 100], ['n-category', 100], ['m-category', 100], ['stage-group', 100]) }),
      recommendation: {
        kind: 'insufficient-data',
        missing: ['t-category', 'n-category', 'm-category', 'stage-group'],
        problems: [
          { input: 't-category', reason: 'stale', ageDays: 100 },
          { input: 'n-category', reason: 'stale', ageDays: 100 },
          { input: 'm-category', reason: 'stale', ageDays: 100 },
          { input: 'stage-group', reason: 'stale', ageDays: 100 },
        ],
      },
    },
    {
      situation: 'stale staging is named next to a stale ICTOS',
      inputs: patient({ stale: stale(['ictos', 50], ['stage-group', 95]) }),
      recommendation: {
        kind: 'insufficient-data',
        missing: ['ictos', 'stage-group'],
        problems: [
          { input: 'ictos', reason: 'stale', ageDays: 50 },
          { input: 'stage-group', reason: 'stale', ageDays: 95 },
        ],
      },
    },
    {
      situation: 'once treatment has started, stale staging changes nothing: no recommendation is due',
      inputs: patient({ treatmentStarted: true, stale: stale(['stage-group', 100]) }),
      recommendation: { kind: 'not-applicable', reason: 'treatment-started' },
    },
  ])('$situation', ({ inputs, recommendation }) => {
    const a = assessPatient(inputs);
    expect(a.population).toMatchObject({ kind: 'in-scope', stageGroup: 'III' });
    expect(a.recommendation).toEqual(recommendation);
  });

  test('stale inputs never reach the TBF rules: a patient 60 days into RT with staging from 100 days ago keeps them', () => {
    const a = assessPatient(patient({ treatmentStarted: true, postTbf: 80, stale: stale(['stage-group', 100]) }));
    expect(a.population.kind).toBe('in-scope');
    expect(a.tbf['pre-tbf-response']).toMatchObject({ kind: 'favorable', value: 150 });
    expect(a.tbf['delta-tbf-response']).toMatchObject({ kind: 'favorable', value: 70 });
  });
});
