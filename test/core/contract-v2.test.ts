import {
  assessPatient,
  DONG_SURVIVAL,
  hazardRatioText,
  isDecided,
  pValueText,
  scoreText,
  decimalText,
  tbfOutlook,
  type PatientInputs,
} from '../../src/core';
import { EN } from '../../src/explain/en';
import { ageText, OUT_OF_SCOPE_TEXT } from '../../src/explain/labels';
import { tbfOutcomeText } from '../../src/explain/tbf';

/** A stage III adult, in scope, before or during CCRT. */
const base = (over: Partial<PatientInputs> = {}): PatientInputs => ({
  population: { hasNpcDiagnosis: true, tCategory: 'T3', nCategory: 'N2', mCategory: 'M0', stageGroup: 'III', edition: 8, ageYears: 55 },
  ictos: {},
  treatmentStarted: true,
  ...over,
});

// Liu 2022 Methods, inclusion criteria: "radiotherapy and concurrent cisplatin- or carboplatin-based
// chemotherapy"; exclusion: "radiotherapy or chemotherapy before ASL MRI examination". clinical-spec.md
// section 4 (v2): induction before RT puts the TBF rules outside the studied treatment.
describe('TBF rules after induction chemotherapy before RT (clinical-spec.md section 4, v2)', () => {
  const fig4 = base({ preTbf: 170.67, postTbf: 107.73, systemicTherapyBeforeRt: true });

  test('every TBF rule with a value is not applicable, and keeps its value (Liu 2022 Fig. 4 values)', () => {
    const { tbf } = assessPatient(fig4);
    expect(tbf['pre-tbf-response']).toMatchObject({ kind: 'not-applicable', reason: 'induction-before-rt', value: 170.67 });
    expect(tbf['delta-tbf-residual']).toMatchObject({ kind: 'not-applicable', reason: 'induction-before-rt', value: 62.94 });
    expect(Object.values(tbf).some(isDecided)).toBe(false);
  });

  test('the outlook has no direction, so no "favors" wording is possible', () => {
    expect(tbfOutlook(assessPatient(fig4).tbf)).toEqual({ response: 'none', residual: 'none', weakOnly: false });
  });

  test('a rule without data stays insufficient-data', () => {
    expect(assessPatient(base({ preTbf: 170.67, systemicTherapyBeforeRt: true })).tbf['post-tbf-response'].kind).toBe('insufficient-data');
  });

  test('without induction before RT the same values give the Fig. 4 reading: every rule favorable', () => {
    expect(Object.values(assessPatient(base({ preTbf: 170.67, postTbf: 107.73 })).tbf).every((r) => r.kind === 'favorable')).toBe(true);
  });
});

// clinical-spec.md section 5 (v2): "when the post-CRT MRI is recorded (or, by default, 60 days after RT
// end), residual-tumor predictions are no longer shown as predictions".
describe('residual-tumor predictions expire once their outcome is due (clinical-spec.md section 5, v2)', () => {
  const due = assessPatient(base({ preTbf: 170.67, postTbf: 107.73, residualOutcomeDue: true })).tbf;

  test.each(['pre-tbf-residual', 'delta-tbf-residual'] as const)('%s is no longer a prediction', (rule) => {
    expect(due[rule]).toMatchObject({ kind: 'not-applicable', reason: 'outcome-due' });
  });

  test.each(['pre-tbf-response', 'delta-tbf-response', 'post-tbf-response'] as const)('%s keeps its reading', (rule) => {
    expect(due[rule].kind).toBe('favorable');
  });

  test('the residual direction is then none, the response direction unchanged', () => {
    expect(tbfOutlook(due)).toMatchObject({ response: 'favorable', residual: 'none' });
  });
});

describe('the wording of TBF outcomes (clinical-spec.md section 5 and 8, v2)', () => {
  const { tbf } = assessPatient(base({ preTbf: 170.67, postTbf: 107.73 }));
  test.each([
    // Pre-TBF predicts the response at 40 Gy and the residual tumor one month after CRT.
    { rule: 'pre-tbf-response' as const, text: 'favorable: partial response (RECIST 1.1) at 40 Gy' },
    { rule: 'pre-tbf-residual' as const, text: 'favorable: no residual tumor one month after chemoradiotherapy' },
    // ΔTBF and Post-TBF are measured on the same 40 Gy MRI on which Liu assessed the response.
    { rule: 'delta-tbf-response' as const, text: 'favorable: was associated with partial response (RECIST 1.1) at 40 Gy on the same 40 Gy MRI' },
    { rule: 'post-tbf-response' as const, text: 'favorable: was associated with partial response (RECIST 1.1) at 40 Gy on the same 40 Gy MRI' },
    { rule: 'delta-tbf-residual' as const, text: 'favorable: no residual tumor one month after chemoradiotherapy' },
  ])('$rule reads "$text"', ({ rule, text }) => {
    expect(tbfOutcomeText(tbf[rule])).toBe(text);
  });

  test('an unfavorable association names the poor outcome', () => {
    expect(tbfOutcomeText(assessPatient(base({ preTbf: 110.34, postTbf: 100.32 })).tbf['delta-tbf-response'])).toBe(
      'unfavorable: was associated with stable disease at 40 Gy on the same 40 Gy MRI',
    );
  });

  test('insufficient data and not applicable say so', () => {
    expect(tbfOutcomeText(assessPatient(base()).tbf['pre-tbf-response'])).toBe('insufficient data');
    expect(tbfOutcomeText(assessPatient(base({ preTbf: 150, systemicTherapyBeforeRt: true })).tbf['pre-tbf-response'])).toMatch(/^not applicable: induction chemotherapy before RT/);
    expect(tbfOutcomeText(assessPatient(base({ preTbf: 150, residualOutcomeDue: true })).tbf['pre-tbf-residual'])).toMatch(/^no longer a prediction/);
  });
});

describe('numbers keep the paper\u2019s precision (clinical-spec.md section 8, v2)', () => {
  test.each([
    // Dong 2019 Results: low-risk HR 1.08 (0.33-3.54), p = 0.90; high-risk HR 0.72 (0.38-1.35), p = 0.30.
    { name: 'p = 0.90 for the low-risk group (Dong 2019 Results)', p: DONG_SURVIVAL.lowIctosLowRisk.ictHr.p, text: 'p = 0.90' },
    { name: 'p = 0.30 for the high-risk group (Dong 2019 Results)', p: DONG_SURVIVAL.lowIctosHighRisk.ictHr.p, text: 'p = 0.30' },
    { name: 'p = 0.31 for the low-ICTOS validation cohort', p: DONG_SURVIVAL.validationLowIctos.hr.p, text: 'p = 0.31' },
    { name: 'p < 0.001 for the high-ICTOS validation cohort', p: DONG_SURVIVAL.validationHighIctos.hr.p, text: 'p < 0.001' },
  ])('$name', ({ p, text }) => {
    expect(pValueText(p)).toBe(text);
  });

  test('an HR is followed by its 95% CI (Dong 2019 Results: HR 0.72, 95% CI 0.38-1.35, p = 0.30)', () => {
    expect(hazardRatioText(DONG_SURVIVAL.lowIctosHighRisk.ictHr)).toBe('HR 0.72 (95% CI 0.38\u20131.35), p = 0.30');
  });

  test.each([
    { x: 0.0001, text: '0.0001' },
    { x: -0.00004, text: '-0.00004' },
    { x: 0.3298, text: '0.33' },
    { x: -0.352, text: '-0.352' },
    { x: 0, text: '0' },
    { x: 1e-13, text: '0' },
  ])('a score of $x reads "$text", never a zero that hides its sign', ({ x, text }) => {
    expect(scoreText(x)).toBe(text);
  });

  test.each([
    { x: 157.52 - 100, text: '57.52' },
    { x: 137.07, text: '137.07' },
    { x: 0.123456, text: '0.1235' },
    { x: Number.NaN, text: 'NaN' },
    { x: Number.POSITIVE_INFINITY, text: 'Infinity' },
  ])('a value of $x reads "$text": at most four decimals, no binary noise, a non-number named as it is', ({ x, text }) => {
    expect(decimalText(x)).toBe(text);
  });
});

describe('population reasons (clinical-spec.md section 2, v2)', () => {
  test.each([
    { name: 'recurrent disease', population: { recurrent: true }, reason: 'recurrent-disease' },
    { name: 'N0', population: { stageGroup: undefined, nCategory: 'N0' }, reason: 'n0' },
    { name: 'under 18', population: { ageYears: 16 }, reason: 'under-18' },
    { name: 'distant metastasis', population: { mCategory: 'M1', stageGroup: 'IVB' }, reason: 'out-of-scope' },
    { name: 'IVB without an edition or M', population: { stageGroup: 'IVB', edition: undefined, mCategory: undefined, nCategory: undefined, tCategory: undefined }, reason: 'ambiguous-edition' },
  ])('$name: the recommendation is not applicable with the reason $reason', ({ population, reason }) => {
    const p = base({ treatmentStarted: false, ictos: { score: 0.5 } });
    expect(assessPatient({ ...p, population: { ...p.population, ...population } }).recommendation).toEqual({ kind: 'not-applicable', reason });
  });

  test('every out-of-scope reason has a sentence', () => {
    for (const text of Object.values(OUT_OF_SCOPE_TEXT)) expect(text.length).toBeGreaterThan(30);
  });

  test.each([
    { age: { recorded: true as const, years: 48, withinLiuRange: true }, text: /^Age 48: within the age range of Liu 2022 \(38–76 years\)/ },
    { age: { recorded: true as const, years: 25, withinLiuRange: false }, text: /^Age 25: outside the age range of Liu 2022/ },
    { age: { recorded: false as const }, text: /^Age not recorded/ },
  ])('the age line: $text', ({ age, text }) => {
    expect(ageText(age)).toMatch(text);
  });
});

// clinical-spec.md section 8 (v2): FFS is the endpoint, non-significant is "not associated with a
// significant benefit", an HR carries its CI, absolute benefits are percentage points.
describe('the evidence sentences follow the wording rules (clinical-spec.md section 8, v2)', () => {
  test.each(['ict-ccrt', 'ccrt-alone', 'clinical-trial'] as const)('the %s evidence', (kind) => {
    const text = EN.recommendation.evidence(kind).join(' ');
    expect(text).not.toMatch(/(?<!failure-free )survival benefit/i);
    expect(text).not.toMatch(/\bno (significant )?benefit\b/i);
    for (const m of text.matchAll(/\bHR \d/g)) expect(text.slice(m.index, m.index + 30)).toMatch(/^HR [\d.]+ \(95% CI /);
  });

  test('the absolute benefits of high ICTOS are percentage points (Dong 2019: 27.9 and 36.9)', () => {
    expect(EN.recommendation.evidence('ict-ccrt').join(' ')).toContain('27.9 percentage points at 3 years and 36.9 percentage points at 5 years');
  });

  test('the low-ICTOS tiers say they are not yet validated in larger populations (Dong 2019 Discussion)', () => {
    expect(EN.recommendation.evidence('ccrt-alone').join(' ')).toContain('Not yet validated in larger populations');
    expect(EN.recommendation.evidence('clinical-trial').join(' ')).toContain('Not yet validated in larger populations');
  });

  test('the trial regimen is attributed to the trial\u2019s report, not to Dong 2019\u2019s text', () => {
    expect(EN.recommendation.evidence('ict-ccrt').join(' ')).toContain('according to the trial\u2019s report (Dong 2019 reference 5)');
  });
});

test('the mixed and unfavorable directions of TBF groups (Liu 2022 Fig. 3 patient: every strong rule unfavorable)', () => {
  expect(tbfOutlook(assessPatient(base({ preTbf: 110.34, postTbf: 100.32 })).tbf)).toMatchObject({ response: 'unfavorable', residual: 'unfavorable' });
  expect(tbfOutlook(assessPatient(base({ preTbf: 139, postTbf: 60 })).tbf).residual).toBe('mixed');
});
