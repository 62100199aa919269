/**
 * Scales and ticks: linear value scales with nice round ends and ticks from d3-array (the module of
 * d3-scale's linear ticks, without d3-scale's colour and interpolation code: 25 KiB less in main.js), and
 * the date ticks of the timeline's x axis (calendar days, Monday weeks, months and years, at most six).
 */
import { nice, ticks } from 'd3-array';
import { DAY_MS, isoDay } from './dates';

/** A linear map from values to SVG coordinates over a domain with nice round ends, and its ticks. */
export interface ValueScale {
  /** The SVG coordinate of a value (not clamped to the range). */
  readonly at: (value: number) => number;
  /** The domain, extended to nice round values. */
  readonly min: number;
  readonly max: number;
  /** Tick values from `min` to `max`, both included, at one nice step (1, 2 or 5 × 10^k). */
  readonly ticks: readonly number[];
}

/**
 * A linear scale covering `low` to `high` (low < high), extended to nice round ends, mapped to
 * `from` (at the low end) and `to` (at the high end), with about `count` tick intervals. The ends
 * and ticks are d3-array's `nice` and `ticks` (what d3-scale's linear `nice(count)` and `ticks(count)`
 * use): one step of 1, 2 or 5 × 10^k, whichever gives the number of intervals nearest `count`.
 */
export function valueScale(low: number, high: number, from: number, to: number, count: number): ValueScale {
  const [min, max] = nice(low, high, count);
  return { at: linearScale(min, max, from, to), min, max, ticks: ticks(min, max, count) };
}

/** A linear map from `[start, end]` onto `[from, to]` (no nice ends). */
export function linearScale(start: number, end: number, from: number, to: number): (value: number) => number {
  const span = end - start;
  return (value) => (span === 0 ? (from + to) / 2 : from + ((value - start) / span) * (to - from));
}

/** A date tick: the day (since 1970-01-01) and its label. */
export interface DateTick {
  readonly day: number;
  readonly label: string;
}

type TickStep = { readonly unit: 'day'; readonly n: number } | { readonly unit: 'month'; readonly n: number };

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;
const DATE_TICK_STEPS: readonly TickStep[] = [
  { unit: 'day', n: 1 },
  { unit: 'day', n: 2 },
  { unit: 'day', n: 7 },
  { unit: 'day', n: 14 },
  { unit: 'month', n: 1 },
  { unit: 'month', n: 2 },
  { unit: 'month', n: 3 },
  { unit: 'month', n: 6 },
  { unit: 'month', n: 12 },
  { unit: 'month', n: 24 },
  { unit: 'month', n: 60 },
  { unit: 'month', n: 120 },
];
const MAX_DATE_TICKS = 6;
/** 1970-01-05, the first Monday after the epoch: weekly ticks fall on Mondays. */
const FIRST_MONDAY = 4;

function dateTicksFor(step: TickStep, start: number, end: number): DateTick[] {
  const out: DateTick[] = [];
  if (step.unit === 'day') {
    const offset = step.n >= 7 ? FIRST_MONDAY : 0;
    for (let d = Math.ceil(start); d <= end; d++) {
      if ((((d - offset) % step.n) + step.n) % step.n === 0) out.push({ day: d, label: isoDay(d) });
      if (out.length > MAX_DATE_TICKS) break;
    }
    return out;
  }
  const first = new Date(Math.floor(start) * DAY_MS);
  let month = first.getUTCFullYear() * 12 + first.getUTCMonth();
  for (;;) {
    const y = Math.floor(month / 12);
    const mo = month % 12;
    const day = Date.UTC(y, mo, 1) / DAY_MS;
    if (day > end) break;
    if (day >= start && month % step.n === 0) out.push({ day, label: step.n >= 12 ? String(y) : `${MONTHS[mo] ?? ''} ${y}` });
    if (out.length > MAX_DATE_TICKS) break;
    month++;
  }
  return out;
}

/**
 * Ticks for the days `start` to `end` (days since 1970-01-01, fractional ends allowed): the finest
 * of every day, every other day, Monday weeks, fortnights, months, 2, 3, 6 months, years, 2, 5, 10
 * years that gives at most six ticks. Days and weeks are labelled `YYYY-MM-DD`, months `Mar 2026`,
 * years `2026`.
 */
export function dateTicks(start: number, end: number): DateTick[] {
  let last: DateTick[] = [];
  for (const step of DATE_TICK_STEPS) {
    last = dateTicksFor(step, start, end);
    if (last.length <= MAX_DATE_TICKS) return last;
  }
  return last.slice(0, MAX_DATE_TICKS);
}
