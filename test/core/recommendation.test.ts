import { assessRisk, DONG_2019, evaluateIctos, recommend, type RiskFactorStates } from '../../src/core';

const high = evaluateIctos({ score: 0.8 }, DONG_2019);
const zero = evaluateIctos({ score: 0 }, DONG_2019);
const low = evaluateIctos({ score: -0.4 }, DONG_2019);
const none = evaluateIctos({}, DONG_2019);

const risk = (n: number, unknown = 0) => {
  const states = ['t4', 'n2-n3', 'tumor-volume-34ml', 'ebv-dna-2000'].map((_, i) =>
    i < n ? 'present' : i < n + unknown ? 'unknown' : 'absent',
  );
  const [t4, n23, vol, ebv] = states;
  return assessRisk({ t4, 'n2-n3': n23, 'tumor-volume-34ml': vol, 'ebv-dna-2000': ebv } as RiskFactorStates, DONG_2019);
};

describe('treatment-selection recommendation (Dong 2019 Discussion, the CDSS; clinical-spec.md R7)', () => {
  const rows = [
    { source: 'R7 row 1: high ICTOS, any risk', ictos: high, risk: risk(4), expected: 'ict-ccrt' },
    { source: 'R7 row 1: high ICTOS, risk unknown', ictos: high, risk: risk(0, 4), expected: 'ict-ccrt' },
    { source: 'R7 row 2: low ICTOS, low risk (two factors)', ictos: low, risk: risk(2), expected: 'ccrt-alone' },
    { source: 'R7 row 2: ICTOS exactly 0 is low; no factors', ictos: zero, risk: risk(0), expected: 'ccrt-alone' },
    { source: 'R7 row 3: low ICTOS, high risk (three factors)', ictos: low, risk: risk(3), expected: 'clinical-trial' },
    { source: 'R7 row 4: low ICTOS, risk indeterminate', ictos: low, risk: risk(2, 1), expected: 'undetermined' },
    { source: 'R7 row 5: ICTOS unknown', ictos: none, risk: risk(0), expected: 'insufficient-data' },
  ] as const;
  test.each(rows)('$source → $expected', ({ ictos, risk: r, expected }) => {
    expect(recommend({ ictos, risk: r, treatmentStarted: false }).kind).toBe(expected);
  });

  test('an undetermined recommendation names the missing risk inputs', () => {
    expect(recommend({ ictos: low, risk: risk(2, 1), treatmentStarted: false })).toMatchObject({
      kind: 'undetermined',
      missing: ['tumor-volume'],
    });
  });

  test('insufficient ICTOS names what is missing', () => {
    expect(recommend({ ictos: none, risk: risk(0), treatmentStarted: false })).toMatchObject({
      kind: 'insufficient-data',
      missing: ['ictos'],
    });
  });

  test('once treatment has started there is no recommendation (R7: only before any treatment)', () => {
    expect(recommend({ ictos: high, risk: risk(0), treatmentStarted: true })).toEqual({
      kind: 'not-applicable',
      reason: 'treatment-started',
    });
  });
});
