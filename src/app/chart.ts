/**
 * The tumor-blood-flow charts of the SMART app as view models: every coordinate, label, colour and
 * dash pattern is decided here, so the SVG partials (templates/app/partials/tbf-chart.html.hbs and
 * tbf-groups.html.hbs) only print fields. DOM-free: bundled for the browser and tested in Node.
 *
 * Readable without colour: roles are told apart by marker shape and direct text labels, lines by dash
 * pattern and direct text labels. Every colour has at least 4.5:1 contrast on the white background, so
 * it passes both WCAG 2.x 1.4.11 (graphics, 3:1) and 1.4.3 (text, 4.5:1).
 *
 * Sources: Liu J, et al. Insights into Imaging 2022;13:114 (doi 10.1186/s13244-022-01248-x), Table 4
 * (group means ± SD) and Table 5 (cutoffs, via the threshold set).
 */
import { LIU_TABLE_4, pValueText, type GroupMean, type PValue, type TbfRuleId, type TbfThresholdSet } from '../core';

// ---- palette and contrast ----------------------------------------------------------------------

/** The chart palette. Every colour except the background is used for both marks and text. */
export const CHART_COLOURS = {
  background: '#ffffff',
  text: '#1f2937',
  axis: '#4b5563',
  line: '#4b5563',
  pre: '#1d4ed8',
  post: '#9a3412',
  other: '#4b5563',
  event: '#6d28d9',
  cutoff: '#0f766e',
  groupPoor: '#9a3412',
  groupGood: '#1d4ed8',
  patient: '#111827',
} as const;
export type ChartColourName = keyof typeof CHART_COLOURS;

/** The palette entries drawn as text on the background (they need 4.5:1; the rest need 3:1). */
export const CHART_TEXT_COLOURS: readonly ChartColourName[] = ['text', 'pre', 'post', 'event', 'cutoff', 'groupPoor', 'groupGood', 'patient'];

function relativeLuminance(hex: string): number {
  const m = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(hex.trim());
  if (m === null || m[1] === undefined) throw new Error(`Not a hex colour: ${hex}`);
  const digits = m[1].length === 3 ? [...m[1]].map((c) => c + c).join('') : m[1];
  const channel = (i: number) => {
    const c = parseInt(digits.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4);
}

/**
 * Contrast ratio of two colours (`#rgb` or `#rrggbb`) by the WCAG 2.x definition:
 * (L1 + 0.05) / (L2 + 0.05), L the relative luminance, L1 the lighter. From 1 (equal) to 21.
 */
export function contrastRatio(hexA: string, hexB: string): number {
  const a = relativeLuminance(hexA);
  const b = relativeLuminance(hexB);
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}

// ---- shared drawing pieces -----------------------------------------------------------------------

export type TextAnchor = 'start' | 'middle' | 'end';

/** A piece of SVG text, positioned and coloured. */
export interface ChartText {
  readonly x: number;
  readonly y: number;
  readonly anchor: TextAnchor;
  readonly fill: string;
  readonly text: string;
}

export interface ChartLine {
  readonly x1: number;
  readonly y1: number;
  readonly x2: number;
  readonly y2: number;
  readonly stroke: string;
}

export interface AxisTick extends ChartLine {
  readonly label: ChartText;
}

/** A marker drawn as one SVG path, so the template needs no per-shape logic. */
export interface ChartMark {
  readonly path: string;
  readonly fill: string;
  readonly stroke: string;
  readonly strokeWidth: number;
  /** `none` for a solid outline. */
  readonly dasharray: string;
}

const FONT_SIZE = 11;
/** Average advance of one character at FONT_SIZE in a sans-serif face; enough to avoid collisions. */
const CHAR_WIDTH = 6.2;

/** A coordinate rounded to one decimal, never `-0`. */
function c1(v: number): number {
  const r = Math.round(v * 10) / 10;
  return r === 0 ? 0 : r;
}

/** A clinical number without float noise: at most `decimals` decimals, trailing zeros dropped. */
function fmt(v: number, decimals = 2): string {
  const r = Number(v.toFixed(decimals));
  return String(r === 0 ? 0 : r);
}

function textWidth(s: string): number {
  return s.length * CHAR_WIDTH;
}

function text(x: number, y: number, anchor: TextAnchor, fill: string, s: string): ChartText {
  return { x: c1(x), y: c1(y), anchor, fill, text: s };
}

function circlePath(x: number, y: number, r: number): string {
  return `M${c1(x - r)} ${c1(y)}a${r} ${r} 0 1 0 ${2 * r} 0a${r} ${r} 0 1 0 ${-2 * r} 0Z`;
}

function squarePath(x: number, y: number, half: number): string {
  return `M${c1(x - half)} ${c1(y - half)}h${2 * half}v${2 * half}h${-2 * half}Z`;
}

function diamondPath(x: number, y: number, half: number): string {
  return `M${c1(x)} ${c1(y - half)}l${half} ${half}l${-half} ${half}l${-half} ${-half}Z`;
}

function triangleDownPath(x: number, y: number, half: number): string {
  return `M${c1(x - half)} ${c1(y - half)}h${2 * half}l${-half} ${2 * half}Z`;
}

/** A "nice" tick step (1, 2, 2.5 or 5 × 10^k) giving at most about `count` intervals over `span`. */
function niceStep(span: number, count: number): number {
  const raw = span / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) {
    if (m * magnitude >= raw) return m * magnitude;
  }
  return 10 * magnitude;
}

function valueTicks(min: number, max: number, step: number): number[] {
  const out: number[] = [];
  for (let i = 0; min + i * step <= max + step * 1e-9; i++) out.push(Number((min + i * step).toFixed(6)));
  return out;
}

// ---- dates ---------------------------------------------------------------------------------------

const DAY_MS = 86_400_000;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

/**
 * The calendar day of a FHIR date or dateTime as days since 1970-01-01, from the date as written (a
 * dateTime's own offset is kept: "2026-03-02T23:00:00-05:00" is 2026-03-02). A partial date ("2026-03",
 * "2026") is its first day. Undefined when the text is not a valid date.
 */
export function fhirDay(date: string): number | undefined {
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:T.*)?$/.exec(date.trim());
  if (m === null) return undefined;
  const y = Number(m[1]);
  const mo = m[2] === undefined ? 1 : Number(m[2]);
  const d = m[3] === undefined ? 1 : Number(m[3]);
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return undefined;
  return Math.round(ms / DAY_MS);
}

function isoDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** How a date from the record is shown: the date part of a dateTime, a partial date as written. */
function shownDate(date: string): string {
  const d = date.trim();
  return /^\d{4}-\d{2}-\d{2}T/.test(d) ? d.slice(0, 10) : d;
}

type TickStep = { readonly unit: 'day'; readonly n: number } | { readonly unit: 'month'; readonly n: number };

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

function dateTicksFor(step: TickStep, start: number, end: number): { day: number; label: string }[] {
  const out: { day: number; label: string }[] = [];
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

function dateTicks(start: number, end: number): { day: number; label: string }[] {
  let last: { day: number; label: string }[] = [];
  for (const step of DATE_TICK_STEPS) {
    last = dateTicksFor(step, start, end);
    if (last.length <= MAX_DATE_TICKS) return last;
  }
  return last.slice(0, MAX_DATE_TICKS);
}

// ---- 1. the timeline -----------------------------------------------------------------------------

export type TbfRole = 'pre' | 'post' | 'other';

export interface TbfPoint {
  /** FHIR date or dateTime (effective[x]). */
  readonly date: string;
  /** mL/(100.g)/min, already converted. */
  readonly value: number;
  /** "Observation/abc". */
  readonly reference: string;
  /** The measurement used as Pre-TBF, as Post-TBF (40 Gy), or not used. */
  readonly role: TbfRole;
  readonly preliminary?: boolean;
}

export interface TbfTimelineInput {
  readonly points: readonly TbfPoint[];
  /** Date of the first RT or chemotherapy. */
  readonly treatmentStart?: string;
  /** First day of the 40 Gy window (RT start + 25 days by default). */
  readonly fortyGy?: string;
  readonly rtEnd?: string;
  /** The pre-tbf-response, pre-tbf-residual and post-tbf-response cutoffs are drawn as horizontal lines. */
  readonly thresholds: TbfThresholdSet;
  /** Prefix of the element ids (aria references); letters, digits, `-` and `_`. Default `tbf-timeline`. */
  readonly idPrefix?: string;
}

export interface TimelinePointMark extends ChartMark {
  readonly x: number;
  readonly y: number;
  readonly role: TbfRole;
  readonly preliminary: boolean;
  readonly reference: string;
}

export type TimelineEventKind = 'treatment-start' | 'forty-gy' | 'rt-end';

export interface TimelineEvent extends ChartLine {
  readonly kind: TimelineEventKind;
  readonly date: string;
  readonly dasharray: string;
  readonly label: ChartText;
}

export interface TimelineCutoff extends ChartLine {
  readonly rule: TbfRuleId;
  readonly value: number;
  readonly dasharray: string;
  /** Polyline points from the line's end to its label (labels are spread apart when cutoffs are close). */
  readonly leader: string;
  readonly label: ChartText;
}

export interface LegendItem extends ChartMark {
  readonly label: ChartText;
}

/** One row of the data table under the chart: the text alternative. */
export interface TimelineRow {
  readonly date: string;
  readonly value: string;
  readonly role: string;
  readonly status: string;
  readonly reference: string;
}

export interface TbfTimelineModel {
  readonly idPrefix: string;
  readonly titleId: string;
  readonly descId: string;
  /** No measurement can be placed on the chart. */
  readonly empty: boolean;
  readonly emptyText: string;
  readonly width: number;
  readonly height: number;
  readonly viewBox: string;
  readonly title: string;
  readonly desc: string;
  readonly colours: typeof CHART_COLOURS;
  readonly plot: { readonly left: number; readonly top: number; readonly right: number; readonly bottom: number };
  /** The x domain in days since 1970-01-01 (see `fhirDay`), padded around the data and events. */
  readonly xDomain: { readonly start: number; readonly end: number };
  readonly yDomain: { readonly min: number; readonly max: number };
  readonly axes: { readonly x: ChartLine; readonly y: ChartLine; readonly yTitle: ChartText & { readonly transform: string } };
  readonly xTicks: readonly AxisTick[];
  readonly yTicks: readonly AxisTick[];
  readonly hasLine: boolean;
  /** SVG polyline points through the measurements in date order. */
  readonly line: { readonly points: string; readonly stroke: string; readonly strokeWidth: number };
  readonly points: readonly TimelinePointMark[];
  /** "Pre-TBF 150.2" next to the measurements used by a rule. */
  readonly pointLabels: readonly ChartText[];
  readonly events: readonly TimelineEvent[];
  readonly cutoffs: readonly TimelineCutoff[];
  readonly legend: readonly LegendItem[];
  readonly hasRows: boolean;
  readonly rows: readonly TimelineRow[];
}

/** The cutoffs drawn on the timeline: the rules that compare one measurement with a line. */
export const TIMELINE_CUTOFF_RULES = ['pre-tbf-response', 'pre-tbf-residual', 'post-tbf-response'] as const satisfies readonly TbfRuleId[];

const CUTOFF_NAME: Readonly<Record<(typeof TIMELINE_CUTOFF_RULES)[number], string>> = {
  'pre-tbf-response': 'Pre-TBF response cutoff',
  'pre-tbf-residual': 'Pre-TBF residual cutoff',
  'post-tbf-response': 'Post-TBF response cutoff',
};

/** Dash patterns: all six differ, and none is solid (axes and the data line are solid). */
export const TIMELINE_DASHES = {
  'treatment-start': '12 4',
  'forty-gy': '2 4',
  'rt-end': '12 4 2 4',
  'pre-tbf-response': '6 3',
  'pre-tbf-residual': '6 3 2 3 2 3',
  'post-tbf-response': '16 4 4 4',
} as const satisfies Record<TimelineEventKind | (typeof TIMELINE_CUTOFF_RULES)[number], string>;

const EVENT_NAME: Readonly<Record<TimelineEventKind, string>> = {
  'treatment-start': 'Treatment start',
  'forty-gy': '40 Gy',
  'rt-end': 'RT end',
};

const ROLE_LABEL: Readonly<Record<TbfRole, string>> = { pre: 'Pre-TBF', post: 'Post-TBF', other: 'Other measurement' };
const ROLE_ROW: Readonly<Record<TbfRole, string>> = {
  pre: 'Used as Pre-TBF',
  post: 'Used as Post-TBF (40 Gy)',
  other: 'Not used by a rule',
};

const ROLE_DESC: Readonly<Record<TbfRole, string>> = {
  pre: 'used as Pre-TBF',
  post: 'used as Post-TBF (40 Gy)',
  other: 'not used by a rule',
};

const UNIT = 'mL/100 g/min';
const TL_WIDTH = 760;
const TL_HEIGHT = 380;
const TL_LEFT = 60;
const TL_RIGHT = 548;
const TL_BOTTOM = 328;
const EVENT_ROW = 14;
/** Days shown at least, so a single date still gets a readable axis. */
const MIN_SPAN_DAYS = 14;

function safeId(prefix: string | undefined, fallback: string): string {
  const id = (prefix ?? fallback).replace(/[^A-Za-z0-9_-]/g, '-');
  return /^[A-Za-z]/.test(id) ? id : `c-${id}`;
}

function pointMark(role: TbfRole, preliminary: boolean, x: number, y: number): ChartMark {
  const colour = CHART_COLOURS[role];
  const path = role === 'pre' ? circlePath(x, y, 5) : role === 'post' ? squarePath(x, y, 4.5) : diamondPath(x, y, 4.5);
  const hollow = preliminary || role === 'other';
  return {
    path,
    fill: hollow ? CHART_COLOURS.background : colour,
    stroke: colour,
    strokeWidth: 1.5,
    dasharray: preliminary ? '2 1.5' : 'none',
  };
}

interface Box {
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

function overlaps(a: Box, b: Box): boolean {
  return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
}

function textBox(x: number, baseline: number, anchor: TextAnchor, s: string): Box {
  const w = textWidth(s);
  const x0 = anchor === 'start' ? x : anchor === 'end' ? x - w : x - w / 2;
  return { x0, y0: baseline - FONT_SIZE, x1: x0 + w, y1: baseline + 2 };
}

/**
 * The timeline of tumor blood flow: each measurement by date, with its role (Pre-TBF, Post-TBF at
 * 40 Gy, not used), the treatment events as vertical lines, and the threshold set's Pre-TBF and
 * Post-TBF cutoffs (Liu 2022 Table 5 by default) as horizontal lines. Measurements with an unreadable
 * date or a non-finite value are left off the chart but stay in the data table and the description.
 */
export function tbfTimeline(input: TbfTimelineInput): TbfTimelineModel {
  const idPrefix = safeId(input.idPrefix, 'tbf-timeline');
  const titleId = `${idPrefix}-title`;
  const descId = `${idPrefix}-desc`;
  const title = 'Tumor blood flow over time';

  const indexed = input.points.map((p, i) => ({ p, i, day: fhirDay(p.date), instant: Date.parse(p.date) }));
  const plotted = indexed
    .filter((e): e is typeof e & { day: number } => e.day !== undefined && Number.isFinite(e.p.value))
    .sort((a, b) => a.day - b.day || (Number.isNaN(a.instant) || Number.isNaN(b.instant) ? 0 : a.instant - b.instant) || a.i - b.i);
  const onChart = new Set(plotted.map((e) => e.i));
  const unplotted = indexed.filter((e) => !onChart.has(e.i));

  const eventInputs: { kind: TimelineEventKind; date: string | undefined }[] = [
    { kind: 'treatment-start', date: input.treatmentStart },
    { kind: 'forty-gy', date: input.fortyGy },
    { kind: 'rt-end', date: input.rtEnd },
  ];
  const events = eventInputs.flatMap((e) => {
    const day = e.date === undefined ? undefined : fhirDay(e.date);
    return e.date === undefined || day === undefined ? [] : [{ kind: e.kind, date: e.date, day }];
  });
  const cutoffInputs = TIMELINE_CUTOFF_RULES.map((rule) => ({ rule, value: input.thresholds.cutoffs[rule] })).filter((c) =>
    Number.isFinite(c.value),
  );

  const rows: TimelineRow[] = [...plotted, ...unplotted].map(({ p, day }) => ({
    date: shownDate(p.date),
    value: Number.isFinite(p.value) ? fmt(p.value) : 'not a number',
    role: ROLE_ROW[p.role],
    status: [p.preliminary === true ? 'preliminary' : 'final or amended', ...(day === undefined || !Number.isFinite(p.value) ? ['not on the chart'] : [])].join(', '),
    reference: p.reference,
  }));

  const empty = plotted.length === 0;
  const top = 18 + EVENT_ROW * events.length;
  const plot = { left: TL_LEFT, top, right: TL_RIGHT, bottom: TL_BOTTOM };

  // x domain: every plotted measurement and every event, at least MIN_SPAN_DAYS, padded 4 % a side.
  const days = [...plotted.map((e) => e.day), ...events.map((e) => e.day)];
  let start = days.length > 0 ? Math.min(...days) : 0;
  let end = days.length > 0 ? Math.max(...days) : MIN_SPAN_DAYS;
  if (end - start < MIN_SPAN_DAYS) {
    const mid = (start + end) / 2;
    start = mid - MIN_SPAN_DAYS / 2;
    end = mid + MIN_SPAN_DAYS / 2;
  }
  const pad = Math.max(1, (end - start) * 0.04);
  start -= pad;
  end += pad;
  const xOf = (day: number) => plot.left + ((day - start) / (end - start)) * (plot.right - plot.left);

  // y domain: 0 up to a nice value above the highest measurement and the highest cutoff, with a margin.
  const values = [...plotted.map((e) => e.p.value), ...cutoffInputs.map((c) => c.value)];
  const highest = Math.max(1, ...values) * 1.1;
  const lowest = Math.min(0, ...values);
  const yStep = niceStep(highest - lowest, 5);
  const yMin = Math.floor(lowest / yStep) * yStep;
  const yMax = Math.ceil(highest / yStep) * yStep;
  const yOf = (v: number) => plot.bottom - ((v - yMin) / (yMax - yMin)) * (plot.bottom - plot.top);

  const xTicks: AxisTick[] = dateTicks(start, end).map((t) => {
    const x = c1(xOf(t.day));
    return { x1: x, y1: plot.bottom, x2: x, y2: plot.bottom + 5, stroke: CHART_COLOURS.axis, label: text(x, plot.bottom + 17, 'middle', CHART_COLOURS.text, t.label) };
  });
  const yTicks: AxisTick[] = valueTicks(yMin, yMax, yStep).map((v) => {
    const y = c1(yOf(v));
    return { x1: plot.left - 5, y1: y, x2: plot.left, y2: y, stroke: CHART_COLOURS.axis, label: text(plot.left - 8, y + 4, 'end', CHART_COLOURS.text, fmt(v)) };
  });

  const points: TimelinePointMark[] = plotted.map(({ p, day }) => {
    const x = c1(xOf(day));
    const y = c1(yOf(p.value));
    const preliminary = p.preliminary === true;
    return { x, y, role: p.role, preliminary, reference: p.reference, ...pointMark(p.role, preliminary, x, y) };
  });

  // Labels next to the used measurements, avoiding the other markers and each other.
  const taken: Box[] = points.map((p) => ({ x0: p.x - 6, y0: p.y - 6, x1: p.x + 6, y1: p.y + 6 }));
  const pointLabels: ChartText[] = [];
  plotted.forEach(({ p }, i) => {
    const mark = points[i];
    if (p.role === 'other' || mark === undefined) return;
    const s = `${ROLE_LABEL[p.role]} ${fmt(p.value)}${p.preliminary === true ? ' (preliminary)' : ''}`;
    const candidates: [number, number, TextAnchor][] = [
      [mark.x + 9, mark.y - 8, 'start'],
      [mark.x + 9, mark.y + 16, 'start'],
      [mark.x - 9, mark.y - 8, 'end'],
      [mark.x - 9, mark.y + 16, 'end'],
    ];
    const fits = (c: [number, number, TextAnchor]) => {
      const b = textBox(c[0], c[1], c[2], s);
      return b.x0 >= plot.left && b.x1 <= plot.right && b.y0 >= plot.top && b.y1 <= plot.bottom && !taken.some((t) => overlaps(t, b));
    };
    const chosen = candidates.find(fits) ?? candidates.find((c) => !taken.some((t) => overlaps(t, textBox(c[0], c[1], c[2], s)))) ?? candidates[0];
    if (chosen === undefined) return;
    taken.push(textBox(chosen[0], chosen[1], chosen[2], s));
    pointLabels.push(text(chosen[0], chosen[1], chosen[2], CHART_COLOURS[p.role], s));
  });

  const timelineEvents: TimelineEvent[] = events.map((e, row) => {
    const x = c1(xOf(e.day));
    const baseline = 14 + row * EVENT_ROW;
    const s = `${EVENT_NAME[e.kind]} ${shownDate(e.date)}`;
    const flip = x + 4 + textWidth(s) > TL_WIDTH - 4;
    return {
      kind: e.kind,
      date: shownDate(e.date),
      x1: x,
      y1: c1(baseline + 4),
      x2: x,
      y2: plot.bottom,
      stroke: CHART_COLOURS.event,
      dasharray: TIMELINE_DASHES[e.kind],
      label: text(flip ? x - 4 : x + 4, baseline, flip ? 'end' : 'start', CHART_COLOURS.event, s),
    };
  });

  // Cutoff labels sit in the right margin, spread at least one line apart, joined to their line.
  const byHeight = cutoffInputs.map((c) => ({ ...c, y: yOf(c.value) })).sort((a, b) => a.y - b.y);
  const labelYs: number[] = [];
  byHeight.forEach((c, i) => {
    const prev = labelYs[i - 1];
    labelYs.push(prev === undefined ? c.y : Math.max(c.y, prev + FONT_SIZE + 3));
  });
  const overflow = (labelYs[labelYs.length - 1] ?? 0) - (plot.bottom - 4);
  const cutoffs: TimelineCutoff[] = byHeight.map((c, i) => {
    const y = c1(c.y);
    const ly = c1((labelYs[i] ?? c.y) - Math.max(0, overflow));
    return {
      rule: c.rule,
      value: c.value,
      x1: plot.left,
      y1: y,
      x2: plot.right,
      y2: y,
      stroke: CHART_COLOURS.cutoff,
      dasharray: TIMELINE_DASHES[c.rule],
      leader: `${plot.right},${y} ${plot.right + 8},${ly} ${plot.right + 14},${ly}`,
      label: text(plot.right + 17, ly + 4, 'start', CHART_COLOURS.cutoff, `${CUTOFF_NAME[c.rule]} ${fmt(c.value, 3)}`),
    };
  });

  const legendSpecs: [TbfRole, boolean, string][] = [
    ['pre', false, 'Pre-TBF'],
    ['post', false, 'Post-TBF (40 Gy)'],
    ['other', false, 'Not used by a rule'],
    ['pre', true, 'Dashed outline: preliminary'],
  ];
  let lx = plot.left;
  const ly = TL_HEIGHT - 12;
  const legend: LegendItem[] = legendSpecs.map(([role, preliminary, s]) => {
    const item = { ...pointMark(role, preliminary, lx + 5, ly - 4), label: text(lx + 14, ly, 'start', CHART_COLOURS.text, s) };
    lx += 14 + textWidth(s) + 18;
    return item;
  });

  const yTitleX = 16;
  const yTitleY = c1((plot.top + plot.bottom) / 2);
  const axes = {
    x: { x1: plot.left, y1: plot.bottom, x2: plot.right, y2: plot.bottom, stroke: CHART_COLOURS.axis },
    y: { x1: plot.left, y1: plot.top, x2: plot.left, y2: plot.bottom, stroke: CHART_COLOURS.axis },
    yTitle: { ...text(yTitleX, yTitleY, 'middle', CHART_COLOURS.text, `TBF (${UNIT})`), transform: `rotate(-90 ${yTitleX} ${yTitleY})` },
  };

  const describePoint = ({ p }: { p: TbfPoint }) =>
    `${shownDate(p.date)}: ${Number.isFinite(p.value) ? fmt(p.value) : 'no value'}, ${ROLE_DESC[p.role]}${p.preliminary === true ? ', preliminary' : ''}`;
  const set = input.thresholds;
  const descParts = [
    empty
      ? 'No tumor blood flow measurement can be shown.'
      : `Tumor blood flow (ASL-MRI, ${UNIT}) by date, ${plotted.length} measurement${plotted.length === 1 ? '' : 's'}: ${plotted.map(describePoint).join('; ')}.`,
    ...(unplotted.length > 0 ? [`Not on the chart (no readable date or value): ${unplotted.map(describePoint).join('; ')}.`] : []),
    events.length > 0 ? `Events: ${events.map((e) => `${EVENT_NAME[e.kind]} ${shownDate(e.date)}`).join('; ')}.` : 'No treatment dates recorded.',
    ...(input.treatmentStart === undefined ? ['No treatment start is recorded.'] : []),
    `Cutoff lines (threshold set ${set.id}, version ${set.version}): ${cutoffInputs.map((c) => `${CUTOFF_NAME[c.rule]} ${fmt(c.value, 3)}`).join('; ')}.`,
  ];

  return {
    idPrefix,
    titleId,
    descId,
    empty,
    emptyText: unplotted.length > 0 ? 'No tumor blood flow measurement has a readable date and value to chart; see the data table.' : 'No tumor blood flow measurements recorded.',
    width: TL_WIDTH,
    height: TL_HEIGHT,
    viewBox: `0 0 ${TL_WIDTH} ${TL_HEIGHT}`,
    title,
    desc: descParts.join(' '),
    colours: CHART_COLOURS,
    plot,
    xDomain: { start, end },
    yDomain: { min: yMin, max: yMax },
    axes,
    xTicks,
    yTicks,
    hasLine: points.length > 1,
    line: { points: points.map((p) => `${p.x},${p.y}`).join(' '), stroke: CHART_COLOURS.line, strokeWidth: 1.5 },
    points,
    pointLabels,
    events: timelineEvents,
    cutoffs,
    legend,
    hasRows: rows.length > 0,
    rows,
  };
}

// ---- 2. the patient against the Liu 2022 Table 4 groups ------------------------------------------

export interface TbfGroupsInput {
  readonly preTbf?: number;
  readonly postTbf?: number;
  /** ΔTBF = Pre-TBF − Post-TBF; not derived here when missing. */
  readonly deltaTbf?: number;
  /** Prefix of the element ids (aria references). Default `tbf-groups`. */
  readonly idPrefix?: string;
}

export type GroupMeasure = 'preTbf' | 'postTbf' | 'deltaTbf';
export type StudyGroup = 'sd' | 'pr' | 'residual' | 'noResidual';

export interface GroupRow {
  readonly group: StudyGroup;
  readonly mean: number;
  readonly sd: number;
  readonly n: number;
  /** "129.87 ± 18.35". */
  readonly meanSd: string;
  /** The whisker from mean − SD to mean + SD, with end caps. */
  readonly whisker: ChartLine & { readonly strokeWidth: number; readonly dasharray: string };
  readonly capLow: ChartLine;
  readonly capHigh: ChartLine;
  readonly mark: ChartMark;
  /** Group name and size, left of the scale. */
  readonly name: ChartText;
  /** Mean ± SD, right of the whisker. */
  readonly value: ChartText;
}

/** Which of two group means the patient's value lies nearer to. */
export interface GroupComparison {
  readonly kind: 'response' | 'residual';
  /** "p < 0.001", from Liu 2022 Table 4. */
  readonly p: string;
  readonly significant: boolean;
  /** Undefined when the patient value is missing; 'equal' when exactly midway. */
  readonly nearer: StudyGroup | 'equal' | undefined;
  readonly text: string;
}

export interface GroupStrip {
  readonly measure: GroupMeasure;
  readonly name: string;
  readonly available: boolean;
  /** The patient's value formatted, or "not available". */
  readonly valueText: string;
  readonly heading: ChartText;
  readonly rows: readonly GroupRow[];
  readonly axis: ChartLine;
  readonly ticks: readonly AxisTick[];
  /** The patient's value: a vertical line and a marker, or nothing when the value is missing. */
  readonly patient: readonly (ChartLine & ChartMark)[];
  readonly patientLabel: ChartText;
  readonly comparisons: readonly [GroupComparison, GroupComparison];
  /** The p-values of the group differences, under the scale. */
  readonly footnote: ChartText;
  /** One sentence describing where the value lies; a description, not a prediction. */
  readonly sentence: string;
}

export interface GroupTableRow {
  readonly measure: string;
  readonly group: string;
  readonly n: string;
  readonly meanSd: string;
  readonly difference: string;
}

export interface TbfGroupsModel {
  readonly idPrefix: string;
  readonly titleId: string;
  readonly descId: string;
  readonly width: number;
  readonly height: number;
  readonly viewBox: string;
  readonly title: string;
  readonly desc: string;
  readonly note: string;
  readonly colours: typeof CHART_COLOURS;
  readonly strips: readonly GroupStrip[];
  readonly legend: readonly LegendItem[];
  readonly rows: readonly GroupTableRow[];
}

/** The measures of Liu 2022 Table 4 drawn as strips, in this order. */
export const GROUP_MEASURES = ['preTbf', 'postTbf', 'deltaTbf'] as const satisfies readonly (GroupMeasure & keyof typeof LIU_TABLE_4)[];

const MEASURE_NAME: Readonly<Record<GroupMeasure, string>> = {
  preTbf: 'Pre-TBF',
  postTbf: 'Post-TBF',
  deltaTbf: '\u0394TBF',
};
const MEASURE_HEADING: Readonly<Record<GroupMeasure, string>> = {
  preTbf: `Pre-TBF, before treatment (${UNIT})`,
  postTbf: `Post-TBF, at 40 Gy (${UNIT})`,
  deltaTbf: `\u0394TBF = Pre-TBF \u2212 Post-TBF (${UNIT})`,
};
const GROUP_ROW_NAME: Readonly<Record<StudyGroup, string>> = {
  sd: 'SD at 40 Gy',
  pr: 'PR at 40 Gy',
  residual: 'Residual tumor',
  noResidual: 'No residual tumor',
};
const GROUP_SHORT: Readonly<Record<StudyGroup, string>> = {
  sd: 'SD',
  pr: 'PR',
  residual: 'residual',
  noResidual: 'no-residual',
};
const GROUP_ORDER: readonly StudyGroup[] = ['sd', 'pr', 'residual', 'noResidual'];
const POOR_GROUPS: ReadonlySet<StudyGroup> = new Set(['sd', 'residual']);

const GR_WIDTH = 760;
const GR_LEFT = 200;
const GR_RIGHT = 620;
const STRIP_HEIGHT = 164;
const GR_TOP = 4;
const GR_LEGEND = 26;

function isSignificant(p: PValue): boolean {
  return p.value < 0.05 || (p.comparator === '<' && p.value <= 0.05);
}

function differenceText(c: GroupComparison): string {
  return c.significant ? c.p : `${c.p} (not significant)`;
}

function groupMark(group: StudyGroup, x: number, y: number): ChartMark {
  const poor = POOR_GROUPS.has(group);
  const colour = poor ? CHART_COLOURS.groupPoor : CHART_COLOURS.groupGood;
  return poor
    ? { path: squarePath(x, y, 4), fill: CHART_COLOURS.background, stroke: colour, strokeWidth: 1.5, dasharray: 'none' }
    : { path: circlePath(x, y, 4.5), fill: colour, stroke: colour, strokeWidth: 1.5, dasharray: 'none' };
}

function patientMark(x: number, y: number): ChartMark {
  return { path: triangleDownPath(x, y, 5), fill: CHART_COLOURS.patient, stroke: CHART_COLOURS.patient, strokeWidth: 1, dasharray: 'none' };
}

function compare(
  kind: 'response' | 'residual',
  value: number | undefined,
  good: StudyGroup,
  poor: StudyGroup,
  means: Readonly<Record<StudyGroup, GroupMean>>,
  p: PValue,
): GroupComparison {
  const significant = isSignificant(p);
  const g = means[good];
  const b = means[poor];
  const desc = (group: StudyGroup) => `the ${GROUP_SHORT[group]} group mean (${fmt(means[group].mean)} \u00b1 ${fmt(means[group].sd)})`;
  const base = { kind, p: pValueText(p), significant };
  if (value === undefined) return { ...base, nearer: undefined, text: '' };
  const dGood = Math.abs(value - g.mean);
  const dPoor = Math.abs(value - b.mean);
  const nearer: StudyGroup | 'equal' = Math.abs(dGood - dPoor) < 1e-9 ? 'equal' : dGood < dPoor ? good : poor;
  const phrase =
    nearer === 'equal'
      ? `equally near ${desc(good)} and ${desc(poor)}`
      : `nearer ${desc(nearer)} than ${desc(nearer === good ? poor : good)}`;
  return { ...base, nearer, text: phrase };
}

function buildStrip(measure: GroupMeasure, raw: number | undefined, top: number): GroupStrip {
  const t = LIU_TABLE_4[measure];
  const value = raw !== undefined && Number.isFinite(raw) ? raw : undefined;
  const means: Record<StudyGroup, GroupMean> = { sd: t.sd, pr: t.pr, residual: t.residual, noResidual: t.noResidual };
  const name = MEASURE_NAME[measure];

  const lows = GROUP_ORDER.map((g) => means[g].mean - means[g].sd);
  const highs = GROUP_ORDER.map((g) => means[g].mean + means[g].sd);
  const lo = Math.min(...lows, ...(value === undefined ? [] : [value]));
  const hi = Math.max(...highs, ...(value === undefined ? [] : [value]));
  const step = niceStep((hi - lo) * 1.1, 5);
  const min = Math.floor((lo - (hi - lo) * 0.05) / step) * step;
  const max = Math.ceil((hi + (hi - lo) * 0.05) / step) * step;
  const xOf = (v: number) => GR_LEFT + ((v - min) / (max - min)) * (GR_RIGHT - GR_LEFT);

  const headingY = top + 14;
  const patientY = top + 32;
  const rowY = (i: number) => top + 52 + i * 18;
  const axisY = top + 52 + 3 * 18 + 14;

  const rows: GroupRow[] = GROUP_ORDER.map((group, i) => {
    const m = means[group];
    const y = c1(rowY(i));
    const x0 = c1(xOf(m.mean - m.sd));
    const x1 = c1(xOf(m.mean + m.sd));
    const xm = c1(xOf(m.mean));
    const colour = POOR_GROUPS.has(group) ? CHART_COLOURS.groupPoor : CHART_COLOURS.groupGood;
    const meanSd = `${fmt(m.mean)} \u00b1 ${fmt(m.sd)}`;
    return {
      group,
      mean: m.mean,
      sd: m.sd,
      n: m.n,
      meanSd,
      whisker: { x1: x0, y1: y, x2: x1, y2: y, stroke: colour, strokeWidth: 1.5, dasharray: 'none' },
      capLow: { x1: x0, y1: c1(y - 4), x2: x0, y2: c1(y + 4), stroke: colour },
      capHigh: { x1: x1, y1: c1(y - 4), x2: x1, y2: c1(y + 4), stroke: colour },
      mark: groupMark(group, xm, y),
      name: text(GR_LEFT - 10, y + 4, 'end', CHART_COLOURS.text, `${GROUP_ROW_NAME[group]} (n = ${m.n})`),
      value: text(x1 + 6, y + 4, 'start', colour, meanSd),
    };
  });

  const ticks: AxisTick[] = valueTicks(min, max, step).map((v) => {
    const x = c1(xOf(v));
    return { x1: x, y1: axisY, x2: x, y2: axisY + 4, stroke: CHART_COLOURS.axis, label: text(x, axisY + 15, 'middle', CHART_COLOURS.text, fmt(v)) };
  });

  const valueText = value === undefined ? 'not available' : fmt(value);
  const px = value === undefined ? GR_LEFT : c1(xOf(value));
  const patient: (ChartLine & ChartMark)[] =
    value === undefined
      ? []
      : [{ x1: px, y1: c1(patientY + 5), x2: px, y2: c1(axisY), ...patientMark(px, patientY), strokeWidth: 1.5, dasharray: '4 2' }];
  const rightHalf = px > (GR_LEFT + GR_RIGHT) / 2;
  const patientLabel =
    value === undefined
      ? text(GR_LEFT, patientY + 4, 'start', CHART_COLOURS.patient, `This patient: ${name} not available`)
      : text(rightHalf ? px - 9 : px + 9, patientY + 4, rightHalf ? 'end' : 'start', CHART_COLOURS.patient, `This patient ${valueText}`);

  const response = compare('response', value, 'pr', 'sd', means, t.responseP);
  const residual = compare('residual', value, 'noResidual', 'residual', means, t.residualP);
  const caveat = (c: GroupComparison) =>
    c.significant ? '' : `, though these two groups did not differ significantly in ${name} (Liu 2022 Table 4, ${c.p})`;
  const sentence =
    value === undefined
      ? `${name}: the patient's value is not available.`
      : `${name} ${valueText} is ${response.text}${caveat(response)}, and ${residual.text}${caveat(residual)}.`;
  const footnote = text(
    GR_LEFT,
    axisY + 31,
    'start',
    CHART_COLOURS.text,
    `Difference: SD vs PR ${differenceText(response)}; residual vs no residual ${differenceText(residual)}`,
  );

  return {
    measure,
    name,
    available: value !== undefined,
    valueText,
    heading: text(8, headingY, 'start', CHART_COLOURS.text, MEASURE_HEADING[measure]),
    rows,
    axis: { x1: GR_LEFT, y1: axisY, x2: GR_RIGHT, y2: axisY, stroke: CHART_COLOURS.axis },
    ticks,
    patient,
    patientLabel,
    comparisons: [response, residual],
    footnote,
    sentence,
  };
}

/**
 * Where the patient's Pre-TBF, Post-TBF and ΔTBF lie against the group means ± SD of Liu 2022 Table 4
 * (stable disease vs partial response at 40 Gy; residual vs no residual tumor one month after CRT),
 * one strip per measure on its own scale, with a sentence naming the nearer group mean. A description
 * of the published groups, not a prediction: the cutoffs of Table 5 are the rules. Post-TBF did not
 * differ between the residual groups (p = 0.054), and the strip says so.
 */
export function tbfGroups(input: TbfGroupsInput): TbfGroupsModel {
  const idPrefix = safeId(input.idPrefix, 'tbf-groups');
  const strips = GROUP_MEASURES.map((m, i) => buildStrip(m, input[m], GR_TOP + i * STRIP_HEIGHT));
  const height = GR_TOP + strips.length * STRIP_HEIGHT + GR_LEGEND;
  const ly = height - 12;
  const legendSpecs: [(x: number, y: number) => ChartMark, string][] = [
    [(x, y) => groupMark('sd', x, y), 'SD or residual group: mean \u00b1 SD'],
    [(x, y) => groupMark('pr', x, y), 'PR or no-residual group: mean \u00b1 SD'],
    [patientMark, 'This patient'],
  ];
  let lx = 8;
  const legend: LegendItem[] = legendSpecs.map(([mark, s]) => {
    const item = { ...mark(lx + 5, ly - 4), label: text(lx + 14, ly, 'start', CHART_COLOURS.text, s) };
    lx += 14 + textWidth(s) + 18;
    return item;
  });
  const note =
    'Group means \u00b1 SD from Liu 2022 Table 4 (55 patients, one centre, 3.0 T pCASL). This describes where the value lies among the published groups; it is not a prediction.';
  const rows: GroupTableRow[] = strips.flatMap((s) => {
    const t = LIU_TABLE_4[s.measure];
    const [response, residual] = s.comparisons;
    const pair = { response: 'SD vs PR', residual: 'Residual vs no residual' } as const;
    return [
      ...GROUP_ORDER.map((g) => {
        const c = g === 'sd' || g === 'pr' ? response : residual;
        return {
          measure: s.name,
          group: GROUP_ROW_NAME[g],
          n: String(t[g].n),
          meanSd: `${fmt(t[g].mean)} \u00b1 ${fmt(t[g].sd)}`,
          difference: `${pair[c.kind]}: ${differenceText(c)}`,
        };
      }),
      { measure: s.name, group: 'This patient', n: '', meanSd: s.valueText, difference: '' },
    ];
  });
  return {
    idPrefix,
    titleId: `${idPrefix}-title`,
    descId: `${idPrefix}-desc`,
    width: GR_WIDTH,
    height,
    viewBox: `0 0 ${GR_WIDTH} ${height}`,
    title: 'Tumor blood flow against the Liu 2022 study groups',
    desc: `${note} ${strips.map((s) => s.sentence).join(' ')}`,
    note,
    colours: CHART_COLOURS,
    strips,
    legend,
    rows,
  };
}
