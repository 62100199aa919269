import {
  CITATIONS,
  DONG_2019,
  DONG_SURVIVAL,
  LIU_2022,
  LIU_COHORT,
  negativePredictiveValue,
  positivePredictiveValue,
  TBF_EVIDENCE,
  TBF_RULE_IDS,
} from '../../src/core';

const round3 = (x: number) => Math.round(x * 1000) / 1000;

describe('evidence registry', () => {
  test.each(TBF_RULE_IDS.map((rule) => ({ rule, e: TBF_EVIDENCE[rule] })))(
    '$e.source: the counts reproduce the published sensitivity and specificity',
    ({ e }) => {
      const { truePositive: tp, falseNegative: fn, trueNegative: tn, falsePositive: fp } = e.counts;
      expect(round3(tp / (tp + fn))).toBe(e.sensitivity);
      expect(round3(tn / (tn + fp))).toBe(e.specificity);
      expect(tp + fn).toBe(e.positiveGroup.n);
      expect(tn + fp).toBe(e.negativeGroup.n);
      expect(tp + fn + tn + fp).toBe(LIU_COHORT.n);
    },
  );

  test.each([
    { rule: 'pre-tbf-response', ppv: 31 / 37, npv: 13 / 18 },
    { rule: 'pre-tbf-residual', ppv: 31 / 34, npv: 14 / 21 },
    { rule: 'delta-tbf-response', ppv: 29 / 35, npv: 13 / 20 },
    { rule: 'delta-tbf-residual', ppv: 34 / 41, npv: 10 / 14 },
    { rule: 'post-tbf-response', ppv: 21 / 25, npv: 15 / 30 },
  ] as const)('Liu 2022 Table 5, $rule: PPV and NPV are derived from the counts', ({ rule, ppv, npv }) => {
    expect(positivePredictiveValue(TBF_EVIDENCE[rule].counts)).toBeCloseTo(ppv, 12);
    expect(negativePredictiveValue(TBF_EVIDENCE[rule].counts)).toBeCloseTo(npv, 12);
  });

  test('the default threshold sets are read from the registry, not typed again', () => {
    for (const rule of TBF_RULE_IDS) expect(LIU_2022.cutoffs[rule]).toBe(TBF_EVIDENCE[rule].publishedCutoff);
    expect(LIU_2022.cutoffs).toEqual({
      'pre-tbf-response': 137.07,
      'pre-tbf-residual': 140.87,
      'delta-tbf-response': 57.52,
      'delta-tbf-residual': 50.94,
      'post-tbf-response': 87.031,
    });
    expect(DONG_2019.coefficients).toEqual({ skewness: -0.668, glcmVariance: -0.442, glrlmLrhgle: 0.41 });
    expect(DONG_2019.riskFactors).toEqual({ tumorVolumeMl: 34, ebvDnaCopiesPerMl: 2000, highRiskMoreThan: 2 });
  });

  test('Dong 2019 Results: the absolute benefits are the differences of the published survival rates', () => {
    const h = DONG_SURVIVAL.validationHighIctos;
    expect(round3(h.ffs3y.ictCcrt - h.ffs3y.ccrtAlone)).toBe(h.absoluteBenefit.y3);
    expect(round3(h.ffs5y.ictCcrt - h.ffs5y.ccrtAlone)).toBe(h.absoluteBenefit.y5);
    const a = DONG_SURVIVAL.validationAll;
    expect(round3(a.ffs3y.ictCcrt - a.ffs3y.ccrtAlone)).toBe(a.absoluteBenefit.y3);
    expect(round3(a.ffs5y.ictCcrt - a.ffs5y.ccrtAlone)).toBe(a.absoluteBenefit.y5);
  });

  test('every citation links to its DOI', () => {
    for (const c of Object.values(CITATIONS)) expect(c.url).toBe(`https://doi.org/${c.doi}`);
  });

  test('every confidence interval contains its estimate', () => {
    for (const e of Object.values(TBF_EVIDENCE)) {
      expect(e.auc.ci[0]).toBeLessThan(e.auc.value);
      expect(e.auc.ci[1]).toBeGreaterThan(e.auc.value);
    }
    for (const hr of [DONG_SURVIVAL.validationHighIctos.hr, DONG_SURVIVAL.validationLowIctos.hr, DONG_SURVIVAL.riskHr]) {
      expect(hr.ci[0]).toBeLessThan(hr.value);
      expect(hr.ci[1]).toBeGreaterThan(hr.value);
    }
  });
});
