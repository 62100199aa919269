import { DONG_2019, evaluateIctos, type IctosInputs, type IctosNormalization } from '../../src/core';

const SOURCE = 'Dong 2019 Results: ICTOS = −0.668·skewness − 0.442·GLCM_variance + 0.410·GLRLM_LRHGLE; high when > 0';

describe('ICTOS (Dong 2019)', () => {
  const scoreRows = [
    { score: -0.0001, expected: 'low' },
    { score: 0, expected: 'low' },
    { score: 0.0001, expected: 'high' },
    { score: -1.5, expected: 'low' },
    { score: 2.25, expected: 'high' },
  ] as const;
  test.each(scoreRows)(`${SOURCE}: a recorded score of $score is $expected`, ({ score, expected }) => {
    expect(evaluateIctos({ score }, DONG_2019)).toMatchObject({ kind: expected, score, source: 'score', cutoff: 0 });
  });

  const featureRows = [
    // −0.668·1 − 0.442·1 + 0.410·1 = −0.7
    { z: [1, 1, 1], score: -0.7, expected: 'low' },
    // −0.668·(−1) − 0.442·0 + 0.410·1 = 1.078
    { z: [-1, 0, 1], score: 1.078, expected: 'high' },
    // 0.410·1.63 = 0.6683 and 0.668·1 = 0.668: −0.668 + 0.6683 = 0.0003
    { z: [1, 0, 1.63], score: 0.0003, expected: 'high' },
    // exactly zero in decimal arithmetic: −0.668·0.41 + 0.410·0.668 = 0
    { z: [0.41, 0, 0.668], score: 0, expected: 'low' },
    { z: [0, 0, 0], score: 0, expected: 'low' },
    // −0.442·(−2) = 0.884
    { z: [0, -2, 0], score: 0.884, expected: 'high' },
  ] as const;
  test.each(featureRows)(`${SOURCE}: z-scores $z give ICTOS $score, $expected`, ({ z, score, expected }) => {
    const [skewness, glcmVariance, glrlmLrhgle] = z;
    const result = evaluateIctos({ zFeatures: { skewness, glcmVariance, glrlmLrhgle } }, DONG_2019);
    expect(result).toMatchObject({ kind: expected, source: 'z-features' });
    if (result.kind === 'insufficient-data') return;
    expect(result.score).toBeCloseTo(score, 9);
  });

  test('each feature contribution is its coefficient times its z-score, and they sum to the score', () => {
    const result = evaluateIctos({ zFeatures: { skewness: -1, glcmVariance: 0.5, glrlmLrhgle: 2 } }, DONG_2019);
    if (result.kind === 'insufficient-data' || !result.features) throw new Error('expected features');
    expect(result.features.skewness).toEqual({ z: -1, coefficient: -0.668, contribution: 0.668 });
    expect(result.features.glcmVariance.contribution).toBeCloseTo(-0.221, 12);
    expect(result.features.glrlmLrhgle.contribution).toBeCloseTo(0.82, 12);
    expect(result.score).toBeCloseTo(0.668 - 0.221 + 0.82, 9);
  });

  const normalization: IctosNormalization = {
    skewness: { mean: 0.5, sd: 0.25 },
    glcmVariance: { mean: 100, sd: 20 },
    glrlmLrhgle: { mean: 40, sd: 10 },
  };
  test('raw features are z-scored with the site normalization before the formula is applied', () => {
    // z = (1 − 0.5)/0.25 = 2; (80 − 100)/20 = −1; (50 − 40)/10 = 1 → −1.336 + 0.442 + 0.41 = −0.484
    const result = evaluateIctos({ rawFeatures: { skewness: 1, glcmVariance: 80, glrlmLrhgle: 50 } }, DONG_2019, normalization);
    expect(result).toMatchObject({ kind: 'low', source: 'raw-features', score: -0.484 });
    if (result.kind === 'insufficient-data') return;
    expect(result.features?.skewness.raw).toEqual({ value: 1, mean: 0.5, sd: 0.25 });
  });

  test('raw features without site normalization cannot be used, and the result says normalization is not configured', () => {
    const result = evaluateIctos({ rawFeatures: { skewness: 1, glcmVariance: 80, glrlmLrhgle: 50 } }, DONG_2019);
    expect(result).toMatchObject({ kind: 'insufficient-data', missing: ['skewness-z', 'glcm-variance-z', 'glrlm-lrhgle-z'] });
    if (result.kind !== 'insufficient-data') return;
    expect(result.problems.every((p) => p.reason === 'not-configured')).toBe(true);
  });

  test('a normalization with a zero standard deviation is out of range', () => {
    const zeroSd = { ...normalization, glcmVariance: { mean: 100, sd: 0 } };
    const result = evaluateIctos({ rawFeatures: { skewness: 1, glcmVariance: 80, glrlmLrhgle: 50 } }, DONG_2019, zeroSd);
    expect(result).toMatchObject({ kind: 'insufficient-data', missing: ['glcm-variance-z'] });
  });

  test('the sources are used in order: a recorded score wins over features (clinical-spec.md section 4)', () => {
    const result = evaluateIctos(
      { score: 0.3, zFeatures: { skewness: 5, glcmVariance: 5, glrlmLrhgle: 0 }, rawFeatures: { skewness: 1 } },
      DONG_2019,
      normalization,
    );
    expect(result).toMatchObject({ kind: 'high', source: 'score', score: 0.3 });
  });

  test('z-scored features win over raw features', () => {
    const result = evaluateIctos(
      { zFeatures: { skewness: 1, glcmVariance: 1, glrlmLrhgle: 1 }, rawFeatures: { skewness: 1, glcmVariance: 80, glrlmLrhgle: 50 } },
      DONG_2019,
      normalization,
    );
    expect(result).toMatchObject({ source: 'z-features', score: -0.7 });
  });

  const insufficientRows: { label: string; inputs: IctosInputs; missing: string[] }[] = [
    { label: 'no score and no features', inputs: {}, missing: ['ictos'] },
    { label: 'an empty feature set', inputs: { zFeatures: {} }, missing: ['ictos'] },
    { label: 'a NaN score', inputs: { score: Number.NaN }, missing: ['ictos'] },
    { label: 'two of three z-scores', inputs: { zFeatures: { skewness: 1, glcmVariance: 1 } }, missing: ['glrlm-lrhgle-z'] },
    { label: 'an infinite z-score', inputs: { zFeatures: { skewness: 1, glcmVariance: Infinity, glrlmLrhgle: 1 } }, missing: ['glcm-variance-z'] },
    { label: 'features too large to sum', inputs: { zFeatures: { skewness: -1.7e308, glcmVariance: -1.7e308, glrlmLrhgle: 0 } }, missing: ['ictos'] },
  ];
  test.each(insufficientRows)('with $label, ICTOS is insufficient-data naming $missing', ({ inputs, missing }) => {
    expect(evaluateIctos(inputs, DONG_2019)).toMatchObject({ kind: 'insufficient-data', missing });
  });
});
