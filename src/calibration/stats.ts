/**
 * Hand-written ROC statistics for site calibration: pure functions, no I/O, no clock.
 * Convention throughout: a higher value is the positive (favorable) side, and a criterion "> x" calls a
 * value positive when it is strictly above x (clinical-spec.md section 5; MedCalc reports criteria so).
 */

/** z for a two-sided 95% interval. */
export const Z95 = 1.959963984540054;

/** One point of an ROC curve: positive means value >= threshold (scikit-learn's `roc_curve` convention). */
export interface RocPoint {
  readonly threshold: number;
  readonly fpr: number;
  readonly tpr: number;
}

/**
 * The ROC curve with every distinct value as a threshold, highest first, starting at (0, 0) with an
 * infinite threshold: the same points as scikit-learn's `roc_curve(y, score, drop_intermediate=False)`.
 */
export function rocPoints(positives: readonly number[], negatives: readonly number[]): RocPoint[] {
  const all = [...positives.map((v) => ({ v, p: 1 })), ...negatives.map((v) => ({ v, p: 0 }))].sort((a, b) => b.v - a.v);
  const points: RocPoint[] = [{ threshold: Infinity, fpr: 0, tpr: 0 }];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < all.length; i++) {
    const item = all[i] as { v: number; p: number };
    if (item.p === 1) tp++;
    else fp++;
    const next = all[i + 1];
    if (next === undefined || next.v !== item.v) points.push({ threshold: item.v, fpr: fp / negatives.length, tpr: tp / positives.length });
  }
  return points;
}

function lowerBound(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
function upperBound(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** AUC with its DeLong variance and a 95% confidence interval. */
export interface AucResult {
  readonly auc: number;
  readonly variance: number;
  /** Plain normal interval AUC ± 1.96·√variance, clipped to [0, 1]. */
  readonly ci: readonly [number, number];
}

/**
 * AUC as the Mann-Whitney statistic (ties count 1/2) and its variance by DeLong, DeLong & Clarke-Pearson,
 * Biometrics 1988;44:837-845 (structural components V10, V01; sample variances with n − 1). The CI is
 * the plain normal interval (as MedCalc and Liu 2022's symmetric intervals), clipped to [0, 1].
 * O((m + n) log(m + n)). Needs at least two of each class.
 */
export function aucDeLong(positives: readonly number[], negatives: readonly number[]): AucResult {
  const m = positives.length;
  const n = negatives.length;
  if (m < 2 || n < 2) throw new RangeError('aucDeLong needs at least two values of each class');
  const neg = Float64Array.from(negatives).sort();
  const pos = Float64Array.from(positives).sort();
  const v10 = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    const x = pos[i] as number;
    const below = lowerBound(neg, x);
    v10[i] = (below + 0.5 * (upperBound(neg, x) - below)) / n;
  }
  const v01 = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const y = neg[j] as number;
    const atOrBelow = upperBound(pos, y);
    const below = lowerBound(pos, y);
    v01[j] = (m - atOrBelow + 0.5 * (atOrBelow - below)) / m;
  }
  const auc = mean(v10);
  const variance = sampleVariance(v10, auc) / m + sampleVariance(v01, auc) / n;
  const half = Z95 * Math.sqrt(variance);
  return { auc, variance, ci: [Math.max(0, auc - half), Math.min(1, auc + half)] };
}

function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i] as number;
  return s / xs.length;
}
function sampleVariance(xs: ArrayLike<number>, mu: number): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += ((xs[i] as number) - mu) ** 2;
  return s / (xs.length - 1);
}

/** Mean, sample SD (n − 1) and count of the finite values. */
export function meanSd(values: readonly number[]): { mean: number; sd: number; n: number } {
  const mu = mean(values);
  return { mean: mu, sd: values.length > 1 ? Math.sqrt(sampleVariance(values, mu)) : 0, n: values.length };
}

/**
 * Wilson score 95% interval for k successes in n trials (Wilson, JASA 1927;22:209-212):
 * (p + z²/2n ± z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n).
 */
export function wilson(k: number, n: number, z: number = Z95): readonly [number, number] {
  if (n <= 0) throw new RangeError('wilson needs n > 0');
  const p = k / n;
  const denom = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / denom;
  const half = (z / denom) * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n));
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/** Sensitivity and specificity of a criterion "> cutoff", with the counts behind them. */
export interface CutoffPerformance {
  readonly cutoff: number;
  readonly truePositives: number;
  readonly positives: number;
  readonly trueNegatives: number;
  readonly negatives: number;
  readonly sensitivity: number;
  readonly specificity: number;
}

/** Positive when value > cutoff: sensitivity = positives above / positives, specificity = negatives at or below / negatives. */
export function performanceAt(positives: readonly number[], negatives: readonly number[], cutoff: number): CutoffPerformance {
  const tp = positives.filter((v) => v > cutoff).length;
  const tn = negatives.filter((v) => v <= cutoff).length;
  return {
    cutoff,
    truePositives: tp,
    positives: positives.length,
    trueNegatives: tn,
    negatives: negatives.length,
    sensitivity: tp / positives.length,
    specificity: tn / negatives.length,
  };
}

/** Values sorted ascending with their class, prepared once for repeated Youden sweeps. */
interface Sorted {
  readonly values: Float64Array;
  readonly isPositive: Uint8Array;
}
function sortLabelled(positives: readonly number[], negatives: readonly number[]): Sorted {
  const total = positives.length + negatives.length;
  const order = Array.from({ length: total }, (_, i) => i);
  const valueOf = (i: number): number => (i < positives.length ? (positives[i] as number) : (negatives[i - positives.length] as number));
  order.sort((a, b) => valueOf(a) - valueOf(b));
  return {
    values: Float64Array.from(order, valueOf),
    isPositive: Uint8Array.from(order, (i) => (i < positives.length ? 1 : 0)),
  };
}

/**
 * The Youden-optimal criterion over weighted sorted values: candidates are the observed values x (weight
 * > 0), criterion "> x"; J = sensitivity + specificity − 1; on a tie in J the lowest x wins (the higher
 * sensitivity). Returns NaN when a class has no weight.
 */
function youdenSweep(s: Sorted, weights: Uint32Array | undefined): number {
  const len = s.values.length;
  let pTotal = 0;
  let nTotal = 0;
  for (let i = 0; i < len; i++) {
    const w = weights === undefined ? 1 : (weights[i] as number);
    if (s.isPositive[i] === 1) pTotal += w;
    else nTotal += w;
  }
  if (pTotal === 0 || nTotal === 0) return NaN;
  let posAtOrBelow = 0;
  let negAtOrBelow = 0;
  let best = -Infinity;
  let bestCut = NaN;
  let i = 0;
  while (i < len) {
    const v = s.values[i] as number;
    let groupWeight = 0;
    while (i < len && s.values[i] === v) {
      const w = weights === undefined ? 1 : (weights[i] as number);
      if (s.isPositive[i] === 1) posAtOrBelow += w;
      else negAtOrBelow += w;
      groupWeight += w;
      i++;
    }
    if (groupWeight === 0) continue;
    const j = (pTotal - posAtOrBelow) / pTotal + negAtOrBelow / nTotal - 1;
    if (j > best) {
      best = j;
      bestCut = v;
    }
  }
  return bestCut;
}

/** The Youden-optimal criterion "> x" (x one of the observed values; ties in J go to the lowest x). */
export function youdenCutoff(positives: readonly number[], negatives: readonly number[]): number {
  return youdenSweep(sortLabelled(positives, negatives), undefined);
}

/** mulberry32: a small seeded 32-bit PRNG returning floats in [0, 1). Reproducible, not cryptographic. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Percentile by linear interpolation between order statistics (type 7, as R's default and numpy's). */
export function percentile(sortedAsc: ArrayLike<number>, q: number): number {
  const h = (sortedAsc.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return (sortedAsc[lo] as number) + (h - lo) * ((sortedAsc[hi] as number) - (sortedAsc[lo] as number));
}

/**
 * Percentile 95% interval of the Youden cutoff over `resamples` bootstrap resamples, stratified (each
 * class resampled with replacement at its own size, so every resample has both classes), with the seeded
 * mulberry32 PRNG: the same seed gives the same interval.
 */
export function bootstrapCutoffInterval(
  positives: readonly number[],
  negatives: readonly number[],
  resamples = 1000,
  seed = 1,
): readonly [number, number] {
  const s = sortLabelled(positives, negatives);
  const posIdx: number[] = [];
  const negIdx: number[] = [];
  s.isPositive.forEach((p, i) => (p === 1 ? posIdx : negIdx).push(i));
  const rand = mulberry32(seed);
  const weights = new Uint32Array(s.values.length);
  const cutoffs = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    weights.fill(0);
    for (let k = 0; k < posIdx.length; k++) (weights[posIdx[Math.floor(rand() * posIdx.length)] as number] as number)++;
    for (let k = 0; k < negIdx.length; k++) (weights[negIdx[Math.floor(rand() * negIdx.length)] as number] as number)++;
    cutoffs[r] = youdenSweep(s, weights);
  }
  cutoffs.sort();
  return [percentile(cutoffs, 0.025), percentile(cutoffs, 0.975)];
}
