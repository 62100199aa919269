import { assessPatient, type PatientInputs } from '../../src/core';

const fig = (pre: number, post: number, t: string, stage: string): PatientInputs => ({
  population: { hasNpcDiagnosis: true, tCategory: t, nCategory: 'N2', mCategory: 'M0', stageGroup: stage, edition: 8 },
  preTbf: pre,
  postTbf: post,
  ictos: {},
  treatmentStarted: true,
});

describe('assessing a whole patient', () => {
  // clinical-spec.md section 7 says every TBF rule is unfavorable for this patient, but its Post-TBF of
  // 100.32 is above the 87.031 cutoff of the weak Post-TBF rule (Table 5: above is PR). The rule is
  // applied as published; the disagreement is recorded in docs/decisions/0002-fig3-post-tbf.md.
  test('Liu 2022 Fig. 3 patient (Pre 110.34, Post 100.32, T3N2M0 stage III): the Pre-TBF and ΔTBF rules are unfavorable', () => {
    const a = assessPatient(fig(110.34, 100.32, 'T3', 'III'));
    expect(a.population).toMatchObject({ kind: 'in-scope', stageGroup: 'III' });
    expect(a.tbf['pre-tbf-response'].kind).toBe('unfavorable');
    expect(a.tbf['pre-tbf-residual'].kind).toBe('unfavorable');
    expect(a.tbf['delta-tbf-response']).toMatchObject({ kind: 'unfavorable', value: 10.02 });
    expect(a.tbf['delta-tbf-residual'].kind).toBe('unfavorable');
  });

  test('Liu 2022 Fig. 3 patient: the weak Post-TBF rule reads 100.32 as above its 87.031 cutoff (a false favorable)', () => {
    expect(assessPatient(fig(110.34, 100.32, 'T3', 'III')).tbf['post-tbf-response']).toMatchObject({ kind: 'favorable', value: 100.32 });
  });

  test('Liu 2022 Fig. 4 patient (Pre 170.67, Post 107.73, T4N2M0 stage IVA): every TBF rule is favorable', () => {
    const a = assessPatient(fig(170.67, 107.73, 'T4', 'IVA'));
    expect(a.population).toMatchObject({ kind: 'in-scope', stageGroup: 'IVA' });
    for (const r of Object.values(a.tbf)) expect(r.kind).toBe('favorable');
    expect(a.tbf['delta-tbf-residual']).toMatchObject({ value: 62.94 });
  });

  test('once treatment has started, the patients of Fig. 3 and 4 get no treatment-selection recommendation', () => {
    expect(assessPatient(fig(170.67, 107.73, 'T4', 'IVA')).recommendation).toEqual({
      kind: 'not-applicable',
      reason: 'treatment-started',
    });
  });

  const base: PatientInputs = {
    population: { hasNpcDiagnosis: true, tCategory: 'T4', nCategory: 'N2', mCategory: 'M0', edition: 7 },
    ictos: { zFeatures: { skewness: 1, glcmVariance: 1, glrlmLrhgle: 1 } },
    tumorVolumeMl: { value: 40 },
    ebvDnaCopiesPerMl: { value: 500, comparator: '<' },
    treatmentStarted: false,
  };

  test('a low-ICTOS patient with T4, N2 and a 40 mL tumor (three factors) is offered a clinical trial', () => {
    const a = assessPatient(base);
    expect(a.ictos).toMatchObject({ kind: 'low', score: -0.7 });
    expect(a.risk).toMatchObject({ kind: 'high', present: ['t4', 'n2-n3', 'tumor-volume-34ml'], absent: ['ebv-dna-2000'] });
    expect(a.recommendation.kind).toBe('clinical-trial');
  });

  test('an out-of-scope patient (M1) gets no recommendation', () => {
    const a = assessPatient({ ...base, population: { ...base.population, mCategory: 'M1' } });
    expect(a.recommendation).toEqual({ kind: 'not-applicable', reason: 'out-of-scope' });
  });

  test('contradictory staging blocks the recommendation', () => {
    const a = assessPatient({ ...base, population: { ...base.population, stageGroup: 'III' } });
    expect(a.population.kind).toBe('unconfirmed');
    expect(a.recommendation).toEqual({ kind: 'not-applicable', reason: 'staging-conflict' });
  });

  test('a patient whose stage is not recorded is still assessed (the adapters add the caveat)', () => {
    const a = assessPatient({ ...base, population: { hasNpcDiagnosis: true } });
    expect(a.population).toMatchObject({ kind: 'unconfirmed', missing: ['stage-group', 't-category', 'n-category'] });
    expect(a.recommendation).toMatchObject({ kind: 'undetermined', missing: ['t-category', 'n-category'] });
  });

  test('conflicting T values are used as neither: the stage is unknown, and risk decides without T (low either way)', () => {
    const a = assessPatient({
      ...base,
      population: { hasNpcDiagnosis: true, nCategory: 'N1', conflicting: ['t-category'], edition: 8 },
      ebvDnaCopiesPerMl: { value: 5000 },
      tumorVolumeMl: { value: 20 },
    });
    expect(a.population).toMatchObject({ kind: 'unconfirmed', missing: ['t-category', 'stage-group'] });
    expect(a.risk).toMatchObject({ kind: 'low', unknown: ['t4'] });
    expect(a.recommendation.kind).toBe('ccrt-alone');
  });

  test('conflicting M values block the recommendation: metastasis is not excluded', () => {
    const a = assessPatient({ ...base, population: { ...base.population, mCategory: undefined, conflicting: ['m-category'] } });
    expect(a.recommendation).toEqual({ kind: 'not-applicable', reason: 'staging-conflict' });
  });

  test('conflicting T values make the T4 factor unknown, even if a T value is also passed', () => {
    const a = assessPatient({ ...base, population: { ...base.population, stageGroup: 'IVA', conflicting: ['t-category'] } });
    expect(a.risk.unknown).toContain('t4');
  });
});
