import { aslTumorBloodFlow, ASL_DEFAULTS, biologicallyEffectiveDose, dayDoseReached, tumorAtrophyRate } from '../../src/core';

describe('biologically effective dose (Liu 2022 Eq. 1)', () => {
  const rows = [
    { source: 'Liu 2022 Methods, primary tumor', dose: 70, bed: 84 },
    { source: 'Liu 2022 Methods, metastatic nodes', dose: 66, bed: 78.45 },
    { source: 'Liu 2022 Methods, high-risk drainage', dose: 60, bed: 70.29 },
    { source: 'Liu 2022 Methods, low-risk drainage', dose: 54, bed: 62.33 },
  ];
  test.each(rows)('$source: $dose Gy in 35 fractions is a BED of $bed Gy (α/β 10)', ({ dose, bed }) => {
    const result = biologicallyEffectiveDose({ totalDoseGy: dose, fractions: 35 });
    expect(result.kind).toBe('computed');
    if (result.kind !== 'computed') return;
    expect(result.bedGy).toBeCloseTo(bed, 2);
    expect(result.alphaBetaGy).toBe(10);
  });
  test('a different α/β is used when given', () => {
    expect(biologicallyEffectiveDose({ totalDoseGy: 70, fractions: 35, alphaBetaGy: 3 })).toMatchObject({ bedGy: 70 * (1 + 2 / 3) });
  });
  test.each([
    { label: 'zero fractions', inputs: { totalDoseGy: 70, fractions: 0 }, missing: ['fractions'] },
    { label: 'a negative dose', inputs: { totalDoseGy: -1, fractions: 35 }, missing: ['totalDoseGy'] },
    { label: 'a zero α/β', inputs: { totalDoseGy: 70, fractions: 35, alphaBetaGy: 0 }, missing: ['alphaBetaGy'] },
    { label: 'an overflowing dose', inputs: { totalDoseGy: 1e308, fractions: 1e-308 }, missing: ['bedGy'] },
  ])('with $label the BED is insufficient-data', ({ inputs, missing }) => {
    expect(biologicallyEffectiveDose(inputs)).toMatchObject({ kind: 'insufficient-data', missing });
  });
});

describe('ASL tumor blood flow quantification (Liu 2022 Eq. 2)', () => {
  test('the defaults are the paper\u2019s T1,blood 1650 ms, α 0.85, PLD 2025 ms, and consensus λ 0.9, τ 1.8 s', () => {
    expect(ASL_DEFAULTS).toEqual({
      partitionCoefficient: 0.9,
      labelingEfficiency: 0.85,
      t1BloodS: 1.65,
      postLabelingDelayS: 2.025,
      labelDurationS: 1.8,
    });
  });

  test('the equation gives the value worked by hand, and returns the constants it used', () => {
    // 6000·0.9·(1000 − 990)·e^(2.025/1.65) / (2·0.85·1.65·2000·(1 − e^(−1.8/1.65)))
    const expected = (6000 * 0.9 * 10 * Math.exp(2.025 / 1.65)) / (2 * 0.85 * 1.65 * 2000 * (1 - Math.exp(-1.8 / 1.65)));
    const result = aslTumorBloodFlow({ siControl: 1000, siLabel: 990, siPd: 2000 });
    expect(result).toMatchObject({ kind: 'computed', unit: 'mL/(100.g)/min', constants: ASL_DEFAULTS });
    if (result.kind !== 'computed') return;
    expect(result.tbf).toBeCloseTo(expected, 10);
    // 54000 · 3.4118 / (5610 · 0.6641) ≈ 49.45
    expect(result.tbf).toBeCloseTo(49.45, 2);
  });

  test('an overridden constant is used and reported', () => {
    const result = aslTumorBloodFlow({ siControl: 1000, siLabel: 990, siPd: 2000, constants: { labelDurationS: 1.5 } });
    expect(result).toMatchObject({ constants: { ...ASL_DEFAULTS, labelDurationS: 1.5 } });
  });

  test.each([
    { label: 'a label signal above the control signal', inputs: { siControl: 990, siLabel: 1000, siPd: 2000 }, missing: ['siLabel'] },
    { label: 'a zero proton-density signal', inputs: { siControl: 1000, siLabel: 990, siPd: 0 }, missing: ['siPd'] },
    { label: 'a labeling efficiency above 1', inputs: { siControl: 1000, siLabel: 990, siPd: 2000, constants: { labelingEfficiency: 1.2 } }, missing: ['labelingEfficiency'] },
    { label: 'a NaN T1 of blood', inputs: { siControl: 1000, siLabel: 990, siPd: 2000, constants: { t1BloodS: Number.NaN } }, missing: ['t1BloodS'] },
    { label: 'an overflowing exponential', inputs: { siControl: 1000, siLabel: 990, siPd: 2000, constants: { postLabelingDelayS: 1e6 } }, missing: ['tbf'] },
  ])('with $label the flow is insufficient-data', ({ inputs, missing }) => {
    expect(aslTumorBloodFlow(inputs)).toMatchObject({ kind: 'insufficient-data', missing });
  });
});

describe('tumor atrophy rate and RECIST 1.1 (Liu 2022 Eq. 3)', () => {
  const rows = [
    { source: 'Liu 2022 Fig. 3 patient', pre: 37.84, post: 36.14, percent: 4.5, recist: 'stable-disease' },
    { source: 'Liu 2022 Fig. 4 patient', pre: 45.92, post: 24.34, percent: 47.0, recist: 'partial-response' },
    { source: 'RECIST 1.1: exactly a 30 % decrease is partial response', pre: 40, post: 28, percent: 30, recist: 'partial-response' },
    { source: 'RECIST 1.1: just under 30 % is stable disease', pre: 40, post: 28.01, percent: 29.98, recist: 'stable-disease' },
    { source: 'RECIST 1.1: disappearance is complete response', pre: 40, post: 0, percent: 100, recist: 'complete-response' },
    { source: 'RECIST 1.1: +20 % and +5 mm is progressive disease', pre: 25, post: 30, percent: -20, recist: 'progressive-disease' },
    { source: 'RECIST 1.1: +20 % but under 5 mm is stable disease', pre: 10, post: 12, percent: -20, recist: 'stable-disease' },
  ];
  test.each(rows)('$source: $pre → $post mm is $percent % ($recist)', ({ pre, post, percent, recist }) => {
    const result = tumorAtrophyRate(pre, post);
    expect(result).toMatchObject({ kind: 'computed', recist });
    if (result.kind !== 'computed') return;
    expect(result.atrophyPercent).toBeCloseTo(percent, 1);
  });
  test('a zero baseline diameter is insufficient-data', () => {
    expect(tumorAtrophyRate(0, 10)).toMatchObject({ kind: 'insufficient-data', missing: ['preMptdMm'] });
  });
  test('an overflowing ratio is insufficient-data', () => {
    expect(tumorAtrophyRate(1e-320, 1e300)).toMatchObject({ kind: 'insufficient-data', missing: ['atrophyPercent'] });
  });
});

describe('the day a dose is reached (clinical-spec.md section 4, the 40 Gy timepoint)', () => {
  test.each([
    { source: 'clinical-spec.md section 4: 40 Gy at 2 Gy, 5 a week', s: { doseGy: 40, dosePerFractionGy: 2, fractionsPerWeek: 5 }, day: 25, fraction: 20 },
    { source: 'first fraction', s: { doseGy: 2, dosePerFractionGy: 2, fractionsPerWeek: 5 }, day: 0, fraction: 1 },
    { source: 'fifth fraction ends the first week', s: { doseGy: 10, dosePerFractionGy: 2, fractionsPerWeek: 5 }, day: 4, fraction: 5 },
    { source: 'sixth fraction after the weekend', s: { doseGy: 12, dosePerFractionGy: 2, fractionsPerWeek: 5 }, day: 7, fraction: 6 },
    { source: 'a partial last fraction still counts as a fraction', s: { doseGy: 41, dosePerFractionGy: 2, fractionsPerWeek: 5 }, day: 28, fraction: 21 },
    { source: 'daily treatment, 7 a week', s: { doseGy: 40, dosePerFractionGy: 2, fractionsPerWeek: 7 }, day: 19, fraction: 20 },
    { source: 'inexact division (0.1 Gy fractions)', s: { doseGy: 0.3, dosePerFractionGy: 0.1, fractionsPerWeek: 5 }, day: 2, fraction: 3 },
  ])('$source: day $day (fraction $fraction)', ({ s, day, fraction }) => {
    expect(dayDoseReached(s)).toEqual({ kind: 'computed', day, fraction });
  });
  test.each([
    { label: 'zero dose per fraction', s: { doseGy: 40, dosePerFractionGy: 0, fractionsPerWeek: 5 } },
    { label: 'a fractional count per week', s: { doseGy: 40, dosePerFractionGy: 2, fractionsPerWeek: 4.5 } },
    { label: 'more than 7 fractions a week', s: { doseGy: 40, dosePerFractionGy: 2, fractionsPerWeek: 8 } },
    { label: 'an absurd number of fractions', s: { doseGy: 1e300, dosePerFractionGy: 1e-300, fractionsPerWeek: 5 } },
  ])('with $label the day is insufficient-data', ({ s }) => {
    expect(dayDoseReached(s).kind).toBe('insufficient-data');
  });
});
