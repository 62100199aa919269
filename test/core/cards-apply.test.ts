import { assessPatient, patientViewConclusions, type PatientInputs } from '../../src/core';

// Which patient-view conclusions apply (clinical-spec.md sections 2 and 8, v2; docs/decisions/0005, 0008).
const staged = { hasNpcDiagnosis: true, tCategory: 'T4', nCategory: 'N2', mCategory: 'M0', edition: 8 } as const;
const base: PatientInputs = {
  population: staged,
  ictos: { zFeatures: { skewness: 1, glcmVariance: 1, glrlmLrhgle: 1 } },
  tumorVolumeMl: { value: 40 },
  ebvDnaCopiesPerMl: { value: 5000 },
  preTbf: 150,
  treatmentStarted: false,
};
const kinds = (inputs: PatientInputs, needs = false) => patientViewConclusions(assessPatient(inputs), needs).map((c) => ('reason' in c ? `${c.kind}:${c.reason}` : 'recommendation' in c ? `${c.kind}:${c.recommendation}` : c.kind));

describe('which patient-view conclusions apply', () => {
  test.each<[string, PatientInputs, boolean, string[]]>([
    ['a complete pre-treatment patient: treatment selection and response prediction (Dong 2019, Liu 2022)', base, false, ['treatment-selection:clinical-trial', 'response-prediction']],
    ['with something missing, the missing-data conclusion comes last', base, true, ['treatment-selection:clinical-trial', 'response-prediction', 'missing-data']],
    ['without a TBF value, no response prediction', { ...base, preTbf: undefined }, true, ['treatment-selection:clinical-trial', 'missing-data']],
    ['after treatment started, no treatment selection', { ...base, treatmentStarted: true }, false, ['response-prediction']],
    ['N0 is outside the studied population: one quiet conclusion (v2)', { ...base, population: { ...staged, nCategory: 'N0' } }, true, ['population:n0']],
    ['M1 is outside the studied population: nothing (v2)', { ...base, population: { ...staged, mCategory: 'M1' } }, true, []],
    ['contradictory staging: no response prediction, only what is missing (v2)', { ...base, population: { ...staged, conflicting: ['m-category'] } }, true, ['missing-data']],
  ])('%s', (_name, inputs, needs, expected) => {
    expect(kinds(inputs, needs)).toEqual(expected);
  });
});
