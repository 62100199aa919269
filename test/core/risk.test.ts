import {
  assessRisk,
  atOrAbove,
  DONG_2019,
  RISK_FACTORS,
  riskFactorStates,
  type FactorState,
  type RiskFactorStates,
} from '../../src/core';

const STATES: FactorState[] = ['present', 'absent', 'unknown'];

/** Every assignment of the four factors to {present, absent, unknown}: 3^4 = 81. */
const allCombinations: RiskFactorStates[] = STATES.flatMap((t4) =>
  STATES.flatMap((n) =>
    STATES.flatMap((vol) => STATES.map((ebv) => ({ t4, 'n2-n3': n, 'tumor-volume-34ml': vol, 'ebv-dna-2000': ebv }))),
  ),
);

/**
 * The meaning of three-valued risk, stated independently of the counting rule: consider every way the
 * unknown factors could turn out; high if every completion has more than two factors present, low if
 * none has, indeterminate otherwise.
 */
function byCompletions(states: RiskFactorStates, moreThan = 2): 'high' | 'low' | 'indeterminate' {
  const unknown = RISK_FACTORS.filter((f) => states[f] === 'unknown');
  const known = RISK_FACTORS.filter((f) => states[f] === 'present').length;
  const outcomes = new Set<boolean>();
  for (let mask = 0; mask < 1 << unknown.length; mask++) {
    let present = known;
    for (let i = 0; i < unknown.length; i++) if (mask & (1 << i)) present++;
    outcomes.add(present > moreThan);
  }
  if (outcomes.size === 2) return 'indeterminate';
  return outcomes.has(true) ? 'high' : 'low';
}

const label = (s: RiskFactorStates) => RISK_FACTORS.map((f) => `${f} ${s[f]}`).join(', ');

describe('clinical risk among low-ICTOS patients (Dong 2019 Results, "more than two high-risk factors")', () => {
  test('the table covers all 81 combinations', () => {
    expect(new Set(allCombinations.map(label)).size).toBe(81);
  });

  test.each(allCombinations.map((s) => ({ s, label: label(s), expected: byCompletions(s) })))(
    'Dong 2019 Results with three-valued logic: $label → $expected',
    ({ s, expected }) => {
      const result = assessRisk(s, DONG_2019);
      expect(result.kind).toBe(expected);
      expect(result.missing).toEqual(
        RISK_FACTORS.filter((f) => s[f] === 'unknown').map(
          (f) => ({ t4: 't-category', 'n2-n3': 'n-category', 'tumor-volume-34ml': 'tumor-volume', 'ebv-dna-2000': 'ebv-dna' })[f],
        ),
      );
    },
  );

  test('exactly two factors present and the others absent is low risk (Dong 2019: more than two is high)', () => {
    const result = assessRisk(
      { t4: 'present', 'n2-n3': 'present', 'tumor-volume-34ml': 'absent', 'ebv-dna-2000': 'absent' },
      DONG_2019,
    );
    expect(result).toMatchObject({ kind: 'low', present: ['t4', 'n2-n3'], absent: ['tumor-volume-34ml', 'ebv-dna-2000'] });
  });

  test('exactly three factors present is high risk (Dong 2019 Results)', () => {
    const result = assessRisk(
      { t4: 'present', 'n2-n3': 'present', 'tumor-volume-34ml': 'present', 'ebv-dna-2000': 'absent' },
      DONG_2019,
    );
    expect(result).toMatchObject({ kind: 'high', highRiskMoreThan: 2, thresholdSet: 'dong-2019' });
  });

  test('two present and one unknown is indeterminate and names the unknown input', () => {
    const result = assessRisk(
      { t4: 'present', 'n2-n3': 'present', 'tumor-volume-34ml': 'unknown', 'ebv-dna-2000': 'absent' },
      DONG_2019,
    );
    expect(result).toMatchObject({ kind: 'indeterminate', unknown: ['tumor-volume-34ml'], missing: ['tumor-volume'] });
  });

  test('a site threshold of "more than one" is honoured', () => {
    const site = { ...DONG_2019, id: 'site', riskFactors: { ...DONG_2019.riskFactors, highRiskMoreThan: 1 } };
    const states: RiskFactorStates = { t4: 'present', 'n2-n3': 'present', 'tumor-volume-34ml': 'absent', 'ebv-dna-2000': 'absent' };
    expect(assessRisk(states, site).kind).toBe('high');
    expect(byCompletions(states, 1)).toBe('high');
  });

  test('an unrecognised factor state counts as unknown, never as absent', () => {
    const odd = { t4: 'maybe', 'n2-n3': 'absent', 'tumor-volume-34ml': 'present', 'ebv-dna-2000': 'present' } as unknown as RiskFactorStates;
    expect(assessRisk(odd, DONG_2019)).toMatchObject({ kind: 'indeterminate', unknown: ['t4'] });
  });
});

describe('reading the risk factors from staging and measurements (Dong 2019 Table 1 categories)', () => {
  const categoryRows = [
    { t: 'T3', n: 'N1', t4: 'absent', n23: 'absent' },
    { t: 'T4', n: 'N2', t4: 'present', n23: 'present' },
    { t: 'T1', n: 'N3', t4: 'absent', n23: 'present' },
    { t: 'T2', n: 'N0', t4: 'absent', n23: 'absent' },
    { t: 'TX', n: 'N2', t4: 'unknown', n23: 'present' },
    { t: undefined, n: undefined, t4: 'unknown', n23: 'unknown' },
  ] as const;
  test.each(categoryRows)('Dong 2019 Table 1: $t $n gives T4 $t4 and N2–N3 $n23', ({ t, n, t4, n23 }) => {
    const { states } = riskFactorStates({ tCategory: t, nCategory: n }, DONG_2019);
    expect(states.t4).toBe(t4);
    expect(states['n2-n3']).toBe(n23);
  });

  const quantityRows = [
    { source: 'Dong 2019 Table 1, volume ≥ 34 mL', field: 'tumor-volume-34ml', v: { value: 33.99 }, expected: 'absent' },
    { source: 'Dong 2019 Table 1, volume ≥ 34 mL', field: 'tumor-volume-34ml', v: { value: 34 }, expected: 'present' },
    { source: 'Dong 2019 Table 1, volume ≥ 34 mL', field: 'tumor-volume-34ml', v: { value: 34.01 }, expected: 'present' },
    { source: 'Dong 2019 Table 1, pEBV DNA ≥ 2000 copies/mL', field: 'ebv-dna-2000', v: { value: 1999 }, expected: 'absent' },
    { source: 'Dong 2019 Table 1, pEBV DNA ≥ 2000 copies/mL', field: 'ebv-dna-2000', v: { value: 2000 }, expected: 'present' },
    { source: 'Dong 2019 Table 1, pEBV DNA ≥ 2000 copies/mL', field: 'ebv-dna-2000', v: { value: 2001 }, expected: 'present' },
    { source: 'clinical-spec.md section 4, comparators', field: 'ebv-dna-2000', v: { value: 500, comparator: '<' }, expected: 'absent' },
    { source: 'clinical-spec.md section 4, comparators', field: 'ebv-dna-2000', v: { value: 1e6, comparator: '>' }, expected: 'present' },
    { source: 'clinical-spec.md section 4, comparators', field: 'ebv-dna-2000', v: { value: 5000, comparator: '<' }, expected: 'unknown' },
    { source: 'clinical-spec.md section 4, comparators', field: 'ebv-dna-2000', v: { value: 1000, comparator: '>' }, expected: 'unknown' },
  ] as const;
  test.each(quantityRows)('$source: $v gives $field $expected', ({ field, v, expected }) => {
    const inputs = field === 'tumor-volume-34ml' ? { tumorVolumeMl: v } : { ebvDnaCopiesPerMl: v };
    expect(riskFactorStates(inputs, DONG_2019).states[field]).toBe(expected);
  });

  test('an indeterminate bound is reported as such', () => {
    const { problems } = riskFactorStates({ ebvDnaCopiesPerMl: { value: 5000, comparator: '<' } }, DONG_2019);
    expect(problems).toEqual([{ input: 'ebv-dna', reason: 'indeterminate-bound' }]);
  });

  test('unusable quantities and categories are unknown with their reason', () => {
    const { states, problems } = riskFactorStates(
      { tCategory: 'T9', tumorVolumeMl: { value: -3 }, ebvDnaCopiesPerMl: { value: Number.NaN } },
      DONG_2019,
    );
    expect(states).toMatchObject({ t4: 'unknown', 'tumor-volume-34ml': 'unknown', 'ebv-dna-2000': 'unknown' });
    expect(problems).toEqual([
      { input: 't-category', reason: 'unrecognised' },
      { input: 'tumor-volume', reason: 'out-of-range' },
      { input: 'ebv-dna', reason: 'not-finite' },
    ]);
  });

  const comparatorRows = [
    { v: { value: 2000, comparator: '<' }, expected: 'absent' },
    { v: { value: 2000, comparator: '<=' }, expected: 'unknown' },
    { v: { value: 1999, comparator: '<=' }, expected: 'absent' },
    { v: { value: 2000, comparator: '>=' }, expected: 'present' },
    { v: { value: 1999, comparator: '>=' }, expected: 'unknown' },
    { v: { value: 2000, comparator: '>' }, expected: 'present' },
    { v: { value: 10, comparator: 'ad' }, expected: 'unknown' },
  ] as const;
  test.each(comparatorRows)('a value reported as $v.comparator $v.value against 2000 is $expected', ({ v, expected }) => {
    expect(atOrAbove(v as never, 2000)).toBe(expected);
  });
});
