import { deltaTbf, evaluateTbfRule, evaluateTbfRules, LIU_2022, TBF_RULE_IDS, type TbfRuleId } from '../../src/core';

type Row = { source: string; rule: TbfRuleId; pre?: number; post?: number; expected: 'favorable' | 'unfavorable' };
const describeInputs = (pre?: number, post?: number) =>
  [pre !== undefined ? `Pre-TBF ${pre}` : 'no Pre-TBF', post !== undefined ? `Post-TBF ${post}` : 'no Post-TBF'].join(' and ');

// For ΔTBF rows the Post-TBF is fixed at 100 and Pre-TBF = 100 + the tested ΔTBF, as a clinician's two
// measurements would be; ΔTBF is recomputed by the rule.
const around = (source: string, rule: TbfRuleId, cutoff: number, input: 'pre' | 'post' | 'delta'): Row[] =>
  (
    [
      [cutoff - 0.01, 'unfavorable'],
      [cutoff, 'unfavorable'],
      [cutoff + 0.01, 'favorable'],
    ] as const
  ).map(([v, expected]) => {
    const value = Math.round(v * 1000) / 1000;
    if (input === 'pre') return { source, rule, pre: value, expected };
    if (input === 'post') return { source, rule, post: value, expected };
    return { source, rule, pre: Math.round((100 + value) * 1000) / 1000, post: 100, expected };
  });
const named = <T extends { pre?: number; post?: number }>(r: T) => ({ ...r, inputs: describeInputs(r.pre, r.post) });

const rows: Row[] = [
  ...around('Liu 2022 Table 5, Pre-TBF PR vs SD, cutoff 137.07', 'pre-tbf-response', 137.07, 'pre'),
  ...around('Liu 2022 Table 5, Pre-TBF non-residual vs residual, cutoff 140.87', 'pre-tbf-residual', 140.87, 'pre'),
  ...around('Liu 2022 Table 5, ΔTBF PR vs SD, cutoff 57.52', 'delta-tbf-response', 57.52, 'delta'),
  ...around('Liu 2022 Table 5, ΔTBF non-residual vs residual, cutoff 50.94', 'delta-tbf-residual', 50.94, 'delta'),
  ...around('Liu 2022 Table 5, Post-TBF PR vs SD, cutoff 87.031', 'post-tbf-response', 87.031, 'post'),
];

describe('tumor blood flow rules (Liu 2022 Table 5)', () => {
  test.each(rows.map(named))('$source: $rule with $inputs is $expected', ({ rule, pre, post, expected }) => {
    const result = evaluateTbfRule(rule, { preTbf: pre, postTbf: post }, LIU_2022);
    expect(result.kind).toBe(expected);
    expect(result.cutoff).toBe(LIU_2022.cutoffs[rule]);
    expect(result.thresholdSet).toBe('liu-2022');
  });

  test('a ΔTBF equal to the cutoff in decimal arithmetic is on the unfavorable side despite binary rounding', () => {
    // 157.52 − 100 is 57.52000000000001 as a raw double.
    const result = evaluateTbfRule('delta-tbf-response', { preTbf: 157.52, postTbf: 100 }, LIU_2022);
    expect(result).toMatchObject({ kind: 'unfavorable', value: 57.52 });
  });

  test('ΔTBF is Pre-TBF minus Post-TBF, recomputed from the two measurements', () => {
    expect(deltaTbf(170.67, 107.73)).toBe(62.94);
    expect(deltaTbf(110.34, 100.32)).toBe(10.02);
    expect(deltaTbf(90, 100)).toBe(-10);
  });

  test('a rise in blood flow during treatment (negative ΔTBF) is unfavorable, not an error', () => {
    expect(evaluateTbfRule('delta-tbf-residual', { preTbf: 90, postTbf: 100 }, LIU_2022)).toMatchObject({
      kind: 'unfavorable',
      value: -10,
    });
  });

  test('the favorable result names the inputs the rule read', () => {
    expect(evaluateTbfRule('delta-tbf-response', { preTbf: 200, postTbf: 100 }, LIU_2022)).toMatchObject({
      kind: 'favorable',
      inputs: ['pre-tbf', 'post-tbf'],
    });
  });

  const missingRows: { rule: TbfRuleId; pre?: number; post?: number; missing: string[]; reason?: string }[] = [
    { rule: 'pre-tbf-response', missing: ['pre-tbf'] },
    { rule: 'pre-tbf-residual', post: 80, missing: ['pre-tbf'] },
    { rule: 'delta-tbf-response', pre: 150, missing: ['post-tbf'] },
    { rule: 'delta-tbf-residual', missing: ['pre-tbf', 'post-tbf'] },
    { rule: 'post-tbf-response', pre: 150, missing: ['post-tbf'] },
    { rule: 'pre-tbf-response', pre: Number.NaN, missing: ['pre-tbf'], reason: 'not-finite' },
    { rule: 'post-tbf-response', post: Number.POSITIVE_INFINITY, missing: ['post-tbf'], reason: 'not-finite' },
    { rule: 'delta-tbf-response', pre: -5, post: 80, missing: ['pre-tbf'], reason: 'out-of-range' },
  ];
  test.each(missingRows.map(named))(
    'when $rule has $inputs, the result is insufficient-data naming $missing',
    ({ rule, pre, post, missing, reason }) => {
      const result = evaluateTbfRule(rule, { preTbf: pre, postTbf: post }, LIU_2022);
      expect(result.kind).toBe('insufficient-data');
      if (result.kind !== 'insufficient-data') return;
      expect(result.missing).toEqual(missing);
      if (reason) expect(result.problems.map((p) => p.reason)).toContain(reason);
    },
  );

  test('a site threshold set with a non-finite cutoff gives insufficient-data, never a comparison', () => {
    const broken = { ...LIU_2022, id: 'broken', cutoffs: { ...LIU_2022.cutoffs, 'pre-tbf-response': Number.NaN } };
    expect(evaluateTbfRule('pre-tbf-response', { preTbf: 150 }, broken).kind).toBe('insufficient-data');
  });

  test('a site threshold set is used and named on every result', () => {
    const site = { ...LIU_2022, id: 'site-a', version: '2', cutoffs: { ...LIU_2022.cutoffs, 'pre-tbf-response': 150 } };
    expect(evaluateTbfRule('pre-tbf-response', { preTbf: 145 }, site)).toMatchObject({
      kind: 'unfavorable',
      cutoff: 150,
      thresholdSet: 'site-a',
    });
  });

  test('all five rules are evaluated, and there is no Post-TBF residual rule (Liu 2022 Table 4, p = 0.054)', () => {
    const all = evaluateTbfRules({ preTbf: 150, postTbf: 90 }, LIU_2022);
    expect(Object.keys(all)).toEqual([...TBF_RULE_IDS]);
    expect(Object.keys(all)).not.toContain('post-tbf-residual');
  });
});
