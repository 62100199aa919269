import { assessPatient, ordersFor, whatIsMissing, type NeedFacts, type PatientInputs } from '../../src/core';

// What is missing, and what to order (clinical-spec.md sections 6 and 8): one decision for the
// missing-data card and the SMART app.
const staged = { hasNpcDiagnosis: true, tCategory: 'T4', nCategory: 'N2', mCategory: 'M0', edition: 8 } as const;
const lowIctos = { zFeatures: { skewness: 1, glcmVariance: 1, glrlmLrhgle: 1 } };
const complete: PatientInputs = {
  population: staged,
  ictos: lowIctos,
  tumorVolumeMl: { value: 40 },
  ebvDnaCopiesPerMl: { value: 5000 },
  preTbf: 150,
  treatmentStarted: false,
};
const before: NeedFacts = { treatmentStarted: false, postTbfPending: false, conflictingStaging: [] };

const topics = (inputs: PatientInputs, facts: NeedFacts = before) => whatIsMissing(assessPatient(inputs), facts).map((n) => [n.topic, ...n.inputs].join(':'));

describe('what is missing, and what to order', () => {
  test.each<[string, PatientInputs, NeedFacts, string[]]>([
    ['a complete pre-treatment patient needs nothing', complete, before, []],
    ['without ICTOS or its features, ICTOS is needed (Dong 2019)', { ...complete, ictos: {} }, before, ['ictos:ictos']],
    ['a low-ICTOS patient whose risk tier depends on EBV DNA needs EBV DNA (Dong 2019)', { ...complete, ebvDnaCopiesPerMl: undefined, tumorVolumeMl: { value: 10 } }, before, ['risk-input:ebv-dna']],
    ['before treatment without Pre-TBF, Pre-TBF is needed (Liu 2022)', { ...complete, preTbf: undefined }, before, ['pre-tbf:pre-tbf']],
    ['after treatment started, a missing Pre-TBF is no longer asked for', { ...complete, preTbf: undefined, treatmentStarted: true }, { ...before, treatmentStarted: true }, []],
    ['while Post-TBF is pending, Post-TBF is needed (Liu 2022)', { ...complete, treatmentStarted: true }, { ...before, treatmentStarted: true, postTbfPending: true }, ['post-tbf:post-tbf']],
    ['an unconfirmed stage is asked for beside another need', { ...complete, population: { hasNpcDiagnosis: true, tCategory: 'T4', edition: 8 }, preTbf: undefined }, before, ['pre-tbf:pre-tbf', 'stage:stage-group:n-category']],
    ['an unconfirmed stage alone is not a need', { ...complete, population: { hasNpcDiagnosis: true, tCategory: 'T4', nCategory: 'N2', edition: 8 } }, before, []],
    ['outside the studied population (N0) nothing is asked for', { ...complete, population: { ...staged, nCategory: 'N0' }, preTbf: undefined }, before, []],
  ])('%s', (_name, inputs, facts, expected) => {
    expect(topics(inputs, facts)).toEqual(expected);
  });

  test('a staging conflict alone is the need: the conflicting M category or stage group', () => {
    const inputs: PatientInputs = { ...complete, ictos: {}, population: { ...staged, conflicting: ['m-category'] } };
    const a = assessPatient(inputs);
    expect(a.recommendation).toMatchObject({ kind: 'not-applicable', reason: 'staging-conflict' });
    expect(whatIsMissing(a, { ...before, conflictingStaging: ['t-category', 'm-category'] })).toEqual([{ topic: 'consistent-staging', inputs: ['m-category'] }]);
  });

  test('an IVB stage group without an edition or M category alone is the need (v2: ambiguous edition)', () => {
    const a = assessPatient({ ...complete, ictos: {}, population: { hasNpcDiagnosis: true, stageGroup: 'IVB' } });
    expect(whatIsMissing(a, before)).toEqual([{ topic: 'staging-edition', inputs: ['m-category', 'stage-group'] }]);
  });

  test('the risk-input need names the order that supplies it, and T and N none', () => {
    const a = assessPatient({ ...complete, population: { ...staged, tCategory: 'T2' }, tumorVolumeMl: undefined, ebvDnaCopiesPerMl: undefined });
    expect(a.recommendation.kind).toBe('undetermined');
    const needs = whatIsMissing(a, before);
    expect(needs.map((n) => ('orderable' in n ? n.orderable : undefined))).toEqual(needs.map((n) => (n.inputs[0] === 'ebv-dna' ? 'ebv-dna' : n.inputs[0] === 'tumor-volume' ? 'radiomics-mri' : undefined)));
    expect(needs.length).toBeGreaterThan(0);
  });

  test('a missing N category is a risk input without an order (the clinician records the staging), and asks for the stage', () => {
    const a = assessPatient({ ...complete, population: { hasNpcDiagnosis: true, tCategory: 'T4', mCategory: 'M0', edition: 8 }, tumorVolumeMl: { value: 40 }, ebvDnaCopiesPerMl: { value: 500 } });
    expect(a.recommendation).toMatchObject({ kind: 'undetermined', missing: ['n-category'] });
    const needs = whatIsMissing(a, before);
    expect(needs.map((n) => [n.topic, 'orderable' in n ? n.orderable : 'none'])).toEqual([
      ['risk-input', 'none'],
      ['stage', 'none'],
    ]);
    expect(ordersFor(needs)).toEqual([]);
  });

  test('one order serves two needs: an ASL-MRI for Pre-TBF and Post-TBF', () => {
    const a = assessPatient({ ...complete, preTbf: undefined });
    expect(ordersFor(whatIsMissing(a, { ...before, postTbfPending: true })).map((o) => [o.orderable, o.needs.map((n) => n.topic)])).toEqual([['asl-mri', ['pre-tbf', 'post-tbf']]]);
  });

  test('each order is suggested once, for every need it serves, in the order of first need', () => {
    const a = assessPatient({ ...complete, ictos: {}, preTbf: undefined });
    const orders = ordersFor(whatIsMissing(a, before)).map((o) => [o.orderable, o.needs.map((n) => n.topic)]);
    expect(orders).toEqual([
      ['radiomics-mri', ['ictos']],
      ['asl-mri', ['pre-tbf']],
    ]);
    expect(ordersFor(whatIsMissing(a, { ...before, treatmentStarted: true, postTbfPending: true })).map((o) => o.orderable)).toEqual(['radiomics-mri', 'asl-mri']);
  });
});
