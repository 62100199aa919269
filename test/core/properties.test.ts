import fc from 'fast-check';
import {
  assessPatient,
  aslTumorBloodFlow,
  biologicallyEffectiveDose,
  dayDoseReached,
  DEFAULT_THRESHOLDS,
  DONG_2019,
  evaluateIctos,
  evaluateTbfRule,
  LIU_2022,
  TBF_RULE_IDS,
  tumorAtrophyRate,
  type PatientInputs,
} from '../../src/core';

const RUNS = { numRuns: 2000 };

/** Any number a record could hold, including NaN, ±Infinity, −0, huge and tiny values. */
const anyNumber = fc.oneof(
  fc.double(),
  fc.constantFrom(Number.NaN, Infinity, -Infinity, 0, -0, 137.07, 57.52, 2000, 34, Number.MAX_VALUE, Number.MIN_VALUE),
);
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
/** Anything at all, for inputs typed loosely because they come from records. */
const anything = fc.oneof(fc.string(), anyNumber, fc.constant(null), fc.constant(undefined), fc.boolean());
const category = fc.oneof(
  fc.constantFrom('T0', 'T1', 'T2', 'T3', 'T4', 'N0', 'N1', 'N2', 'N3', 'M0', 'M1', 'I', 'II', 'III', 'IVA', 'IVB', 'IVC'),
  fc.string(),
);
const bounded = fc.record({ value: anyNumber, comparator: maybe(fc.constantFrom('<', '<=', '>=', '>')) }, { requiredKeys: ['value'] });

/** Every finite number anywhere in a result tree; fails on a non-finite one. */
function assertAllFinite(x: unknown, path = '$'): void {
  if (typeof x === 'number') {
    if (!Number.isFinite(x)) throw new Error(`non-finite number at ${path}: ${x}`);
  } else if (Array.isArray(x)) {
    x.forEach((v, i) => assertAllFinite(v, `${path}[${i}]`));
  } else if (x !== null && typeof x === 'object') {
    for (const [k, v] of Object.entries(x)) assertAllFinite(v, `${path}.${k}`);
  }
}

const patient: fc.Arbitrary<PatientInputs> = fc.record({
  population: fc.record({
    hasNpcDiagnosis: fc.boolean(),
    tCategory: maybe(category),
    nCategory: maybe(category),
    mCategory: maybe(category),
    stageGroup: maybe(category),
    edition: maybe(fc.oneof(fc.constantFrom(7, 8), anyNumber)),
    conflicting: maybe(fc.subarray(['t-category', 'n-category', 'm-category', 'stage-group'] as const)),
  }),
  preTbf: maybe(anyNumber),
  postTbf: maybe(anyNumber),
  ictos: fc.record({
    score: maybe(anyNumber),
    zFeatures: maybe(fc.record({ skewness: maybe(anyNumber), glcmVariance: maybe(anyNumber), glrlmLrhgle: maybe(anyNumber) })),
    rawFeatures: maybe(fc.record({ skewness: maybe(anyNumber), glcmVariance: maybe(anyNumber), glrlmLrhgle: maybe(anyNumber) })),
  }),
  tumorVolumeMl: maybe(bounded),
  ebvDnaCopiesPerMl: maybe(bounded),
  treatmentStarted: fc.boolean(),
}) as fc.Arbitrary<PatientInputs>;

const normalization = fc.record({
  skewness: fc.record({ mean: anyNumber, sd: anyNumber }),
  glcmVariance: fc.record({ mean: anyNumber, sd: anyNumber }),
  glrlmLrhgle: fc.record({ mean: anyNumber, sd: anyNumber }),
});

describe('no core function throws or returns a non-finite number, for any input', () => {
  test('assessing a patient with arbitrary inputs never throws and returns only finite numbers', () => {
    fc.assert(
      fc.property(patient, maybe(normalization), (p, norm) => {
        assertAllFinite(assessPatient(p, DEFAULT_THRESHOLDS, norm));
      }),
      RUNS,
    );
  });

  test('the equations never throw and return only finite numbers', () => {
    fc.assert(
      fc.property(anyNumber, anyNumber, anyNumber, anyNumber, anyNumber, (a, b, c, d, e) => {
        assertAllFinite(biologicallyEffectiveDose({ totalDoseGy: a, fractions: b, alphaBetaGy: c }));
        assertAllFinite(aslTumorBloodFlow({ siControl: a, siLabel: b, siPd: c, constants: { postLabelingDelayS: d, labelDurationS: e } }));
        assertAllFinite(tumorAtrophyRate(a, b));
        assertAllFinite(dayDoseReached({ doseGy: a, dosePerFractionGy: b, fractionsPerWeek: c }));
      }),
      RUNS,
    );
  });

  test('loosely typed garbage in any field is tolerated', () => {
    fc.assert(
      fc.property(anything, anything, anything, (a, b, c) => {
        const loose = { preTbf: a, postTbf: b, score: c } as unknown as { preTbf: number; postTbf: number; score: number };
        for (const rule of TBF_RULE_IDS) assertAllFinite(evaluateTbfRule(rule, loose, LIU_2022));
        assertAllFinite(evaluateIctos({ score: loose.score }, DONG_2019));
      }),
      RUNS,
    );
  });
});

describe('NaN and infinities give insufficient-data, never a classification', () => {
  const nonFinite = fc.constantFrom(Number.NaN, Infinity, -Infinity);
  test('a non-finite TBF makes every rule that reads it insufficient-data', () => {
    fc.assert(
      fc.property(nonFinite, fc.double({ min: 0, max: 500, noNaN: true }), (bad, good) => {
        for (const rule of TBF_RULE_IDS) {
          const readsPre = rule !== 'post-tbf-response';
          const readsPost = !rule.startsWith('pre-');
          if (readsPre) expect(evaluateTbfRule(rule, { preTbf: bad, postTbf: good }, LIU_2022).kind).toBe('insufficient-data');
          if (readsPost) expect(evaluateTbfRule(rule, { preTbf: good, postTbf: bad }, LIU_2022).kind).toBe('insufficient-data');
        }
      }),
    );
  });

  test('a non-finite ICTOS or feature is insufficient-data', () => {
    fc.assert(
      fc.property(nonFinite, fc.double({ min: -5, max: 5, noNaN: true }), (bad, good) => {
        expect(evaluateIctos({ score: bad }, DONG_2019).kind).toBe('insufficient-data');
        expect(evaluateIctos({ zFeatures: { skewness: good, glcmVariance: bad, glrlmLrhgle: good } }, DONG_2019).kind).toBe(
          'insufficient-data',
        );
      }),
    );
  });

  test('the recommendation is never made from a non-finite ICTOS', () => {
    fc.assert(
      fc.property(patient, nonFinite, (p, bad) => {
        const a = assessPatient({ ...p, ictos: { score: bad } });
        expect(['insufficient-data', 'not-applicable']).toContain(a.recommendation.kind);
      }),
      RUNS,
    );
  });
});

describe('monotonicity of the cutoffs', () => {
  test('raising Pre-TBF never turns a favorable prediction unfavorable', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 400, noNaN: true }), fc.double({ min: 0, max: 100, noNaN: true }), (pre, rise) => {
        for (const rule of ['pre-tbf-response', 'pre-tbf-residual'] as const) {
          const before = evaluateTbfRule(rule, { preTbf: pre }, LIU_2022).kind;
          const after = evaluateTbfRule(rule, { preTbf: pre + rise }, LIU_2022).kind;
          if (before === 'favorable') expect(after).toBe('favorable');
        }
      }),
    );
  });
});
