import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { aucDeLong, bootstrapCutoffInterval, mulberry32, percentile, performanceAt, rocPoints, wilson, youdenCutoff, Z95 } from '../../src/calibration/stats';

interface OracleCohort {
  name: string;
  positives: number[];
  negatives: number[];
  auc: number;
  fpr: number[];
  tpr: number[];
  thresholds: number[];
}
const FIXTURE = join(__dirname, 'fixtures', 'sklearn-oracle.json');
const ORACLE = join(__dirname, 'sklearn-oracle.py');
const fixture = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { cohorts: OracleCohort[] };

function expectMatchesSklearn(c: Pick<OracleCohort, 'positives' | 'negatives' | 'auc' | 'fpr' | 'tpr' | 'thresholds'>): void {
  expect(aucDeLong(c.positives, c.negatives).auc).toBeCloseTo(c.auc, 12);
  const roc = rocPoints(c.positives, c.negatives);
  expect(roc.map((p) => p.fpr)).toHaveLength(c.fpr.length);
  roc.forEach((p, i) => {
    expect(p.fpr).toBeCloseTo(c.fpr[i] as number, 12);
    expect(p.tpr).toBeCloseTo(c.tpr[i] as number, 12);
  });
  expect(roc.slice(1).map((p) => p.threshold)).toEqual(c.thresholds);
}

/** Brute force O(mn) DeLong: the second implementation the fast one is checked against. */
function bruteDeLong(pos: number[], neg: number[]): { auc: number; variance: number } {
  const psi = (x: number, y: number): number => (x > y ? 1 : x === y ? 0.5 : 0);
  const v10 = pos.map((x) => neg.reduce((s, y) => s + psi(x, y), 0) / neg.length);
  const v01 = neg.map((y) => pos.reduce((s, x) => s + psi(x, y), 0) / pos.length);
  const auc = v10.reduce((a, b) => a + b, 0) / pos.length;
  const sv = (v: number[]): number => v.reduce((s, x) => s + (x - auc) ** 2, 0) / (v.length - 1);
  return { auc, variance: sv(v10) / pos.length + sv(v01) / neg.length };
}

describe('AUC and ROC points against scikit-learn', () => {
  it.each(fixture.cohorts.map((c) => [c.name, c] as const))('on the committed oracle cohort %s, the AUC and every ROC point equal roc_auc_score and roc_curve', (_name, c) => {
    expectMatchesSklearn(c);
  });

  const sklearnHere = (() => {
    try {
      execFileSync('/usr/bin/python3', ['-c', 'import sklearn'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  (sklearnHere && existsSync(ORACLE) ? it : it.skip)('when python3 with scikit-learn is installed, a fresh run of the oracle agrees on every cohort', () => {
    const fresh = JSON.parse(execFileSync('/usr/bin/python3', [ORACLE, 'evaluate', FIXTURE], { encoding: 'utf8' })) as OracleCohort[];
    expect(fresh).toHaveLength(fixture.cohorts.length);
    fresh.forEach((f, i) => expectMatchesSklearn({ ...f, positives: fixture.cohorts[i]!.positives, negatives: fixture.cohorts[i]!.negatives }));
  });
});

describe('DeLong variance', () => {
  it('on the hand-computed example X = (0.9, 0.6, 0.4), Y = (0.7, 0.4, 0.2) the AUC is 13/18 and the variance 5/81', () => {
    // V10 = (1, 2/3, 1/2), V01 = (1/3, 5/6, 1); S10 = 7/108, S01 = 13/108; var = S10/3 + S01/3 = 20/324 = 5/81.
    const r = aucDeLong([0.9, 0.6, 0.4], [0.7, 0.4, 0.2]);
    expect(r.auc).toBeCloseTo(13 / 18, 14);
    expect(r.variance).toBeCloseTo(5 / 81, 14);
    const half = Z95 * Math.sqrt(5 / 81);
    expect(r.ci[0]).toBeCloseTo(13 / 18 - half, 12);
    expect(r.ci[1]).toBe(1);
  });

  it.each(fixture.cohorts.map((c) => [c.name, c] as const))('on cohort %s the sorted O(n log n) DeLong equals the brute-force O(mn) one', (_name, c) => {
    const fast = aucDeLong(c.positives, c.negatives);
    const slow = bruteDeLong(c.positives, c.negatives);
    expect(fast.auc).toBeCloseTo(slow.auc, 12);
    expect(fast.variance).toBeCloseTo(slow.variance, 14);
  });

  it('refuses fewer than two values of a class', () => {
    expect(() => aucDeLong([1], [0, 2])).toThrow(RangeError);
  });
});

describe('Wilson score interval', () => {
  it.each([
    [31, 36],
    [13, 19],
    [0, 10],
    [10, 10],
    [1, 2],
  ])('for %i of %i it equals the closed form (p + z²/2n ± z√(p(1−p)/n + z²/4n²)) / (1 + z²/n)', (k, n) => {
    const p = k / n;
    const z = 1.959963984540054;
    const lo = (p + (z * z) / (2 * n) - z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / (1 + (z * z) / n);
    const hi = (p + (z * z) / (2 * n) + z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / (1 + (z * z) / n);
    const [l, h] = wilson(k, n);
    expect(l).toBeCloseTo(Math.max(0, lo), 14);
    expect(h).toBeCloseTo(Math.min(1, hi), 14);
  });

  it('for 0 of 10 the interval is 0 to 0.2775 (Newcombe 1998, Stat Med 17:857, Table I, method 3)', () => {
    const [l, h] = wilson(0, 10);
    expect(l).toBe(0);
    expect(h).toBeCloseTo(0.2775, 4);
  });
});

describe('Youden cutoff and the "> x" criterion', () => {
  it('a value equal to the cutoff counts on the unfavorable side', () => {
    const r = performanceAt([10, 20], [10, 5], 10);
    expect(r.truePositives).toBe(1);
    expect(r.trueNegatives).toBe(2);
  });

  it('the cutoff is an observed value x such that "> x" maximizes sensitivity + specificity − 1', () => {
    expect(youdenCutoff([5, 6, 7, 8], [1, 2, 3, 4])).toBe(4);
    // "> 3": sens 4/4, spec 3/4; "> 4": sens 3/4, spec 4/4; J ties at 0.75 and the lower wins.
    expect(youdenCutoff([5, 6, 7, 3.5], [1, 2, 3, 4])).toBe(3);
  });

  it('on a tie in J the lowest candidate wins', () => {
    // "> 2": sens 2/3, spec 1; "> 3": sens 2/3, spec 1 (3 is a positive) — J equal, the lower wins.
    expect(youdenCutoff([3, 5, 6], [1, 2])).toBe(2);
  });
});

describe('seeded bootstrap', () => {
  const pos = fixture.cohorts[0]!.positives;
  const neg = fixture.cohorts[0]!.negatives;
  it('the same seed gives the same interval and another seed another one', () => {
    expect(bootstrapCutoffInterval(pos, neg, 200, 7)).toEqual(bootstrapCutoffInterval(pos, neg, 200, 7));
    expect(bootstrapCutoffInterval(pos, neg, 200, 7)).not.toEqual(bootstrapCutoffInterval(pos, neg, 200, 8));
  });

  it('the interval brackets the full-sample Youden cutoff on a well-separated cohort', () => {
    const [lo, hi] = bootstrapCutoffInterval(pos, neg, 500, 1);
    const cut = youdenCutoff(pos, neg);
    expect(lo).toBeLessThanOrEqual(cut);
    expect(hi).toBeGreaterThanOrEqual(cut);
  });

  it('mulberry32 yields distinct floats in [0, 1) and repeats its sequence for the same seed', () => {
    const r = mulberry32(1);
    const first = [r(), r(), r()];
    first.forEach((x) => expect(x >= 0 && x < 1).toBe(true));
    expect(new Set(first).size).toBe(3);
    const again = mulberry32(1);
    expect([again(), again(), again()]).toEqual(first);
  });

  it('percentiles interpolate between order statistics like numpy', () => {
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(percentile([1, 2, 3, 4, 5], 0.025)).toBeCloseTo(1.1, 12);
  });
});
