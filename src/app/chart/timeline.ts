/**
 * The timeline of tumor blood flow as a view model for the SVG partial
 * templates/app/partials/tbf-chart.html.hbs: each measurement by date and role, the treatment events,
 * and the threshold set's Pre-TBF and Post-TBF cutoffs (Liu J, et al. Insights into Imaging
 * 2022;13:114, doi 10.1186/s13244-022-01248-x, Table 5 by default).
 */
import type { TbfRuleId, TbfThresholdSet } from '../../core';
import { fhirDay, shownDate } from './dates';
import {
  FONT_SIZE,
  UNIT,
  c1,
  circlePath,
  diamondPath,
  fmt,
  legendRow,
  overlaps,
  safeId,
  squarePath,
  text,
  textBox,
  textWidth,
  type AxisTick,
  type Box,
  type ChartLine,
  type ChartMark,
  type ChartText,
  type LegendItem,
  type TextAnchor,
} from './draw';
import { CHART_COLOURS } from './palette';
import { dateTicks, linearScale, valueScale, type ValueScale } from './scales';

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

const TL_WIDTH = 760;
const TL_HEIGHT = 380;
const TL_LEFT = 60;
const TL_RIGHT = 548;
const TL_BOTTOM = 328;
const EVENT_ROW = 14;
/** Days shown at least, so a single date still gets a readable axis. */
const MIN_SPAN_DAYS = 14;


/** The SVG box of the plot area. */
interface Plot {
  readonly left: number;
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
}

/** A measurement with a readable date and a finite value, with its place in the input. */
interface Plotted {
  readonly p: TbfPoint;
  readonly i: number;
  readonly day: number;
}

/** A measurement left off the chart (unreadable date or non-finite value). */
interface Unplotted {
  readonly p: TbfPoint;
  readonly day: number | undefined;
}

interface PlacedEvent {
  readonly kind: TimelineEventKind;
  readonly date: string;
  readonly day: number;
}

interface DrawnCutoff {
  readonly rule: (typeof TIMELINE_CUTOFF_RULES)[number];
  readonly value: number;
}

/** The measurements that can be charted, in date order (then instant, then input order), and the rest. */
function sortMeasurements(points: readonly TbfPoint[]): { plotted: Plotted[]; unplotted: Unplotted[] } {
  const indexed = points.map((p, i) => ({ p, i, day: fhirDay(p.date), instant: Date.parse(p.date) }));
  const plotted = indexed
    .filter((e): e is typeof e & { day: number } => e.day !== undefined && Number.isFinite(e.p.value))
    .sort((a, b) => a.day - b.day || (Number.isNaN(a.instant) || Number.isNaN(b.instant) ? 0 : a.instant - b.instant) || a.i - b.i);
  const onChart = new Set(plotted.map((e) => e.i));
  const unplotted = indexed.filter((e) => !onChart.has(e.i));
  return { plotted, unplotted };
}

/** The treatment events that have a readable date, in the order treatment start, 40 Gy, RT end. */
function placeEvents(input: TbfTimelineInput): PlacedEvent[] {
  const eventInputs: { kind: TimelineEventKind; date: string | undefined }[] = [
    { kind: 'treatment-start', date: input.treatmentStart },
    { kind: 'forty-gy', date: input.fortyGy },
    { kind: 'rt-end', date: input.rtEnd },
  ];
  return eventInputs.flatMap((e) => {
    const day = e.date === undefined ? undefined : fhirDay(e.date);
    return e.date === undefined || day === undefined ? [] : [{ kind: e.kind, date: e.date, day }];
  });
}

/** The threshold set's finite cutoffs among `TIMELINE_CUTOFF_RULES`. */
function drawnCutoffs(thresholds: TbfThresholdSet): DrawnCutoff[] {
  return TIMELINE_CUTOFF_RULES.map((rule) => ({ rule, value: thresholds.cutoffs[rule] })).filter((c) => Number.isFinite(c.value));
}

/** The data table: the charted measurements in date order, then the others. */
function tableRows(plotted: readonly Plotted[], unplotted: readonly Unplotted[]): TimelineRow[] {
  return [...plotted, ...unplotted].map(({ p, day }) => ({
    date: shownDate(p.date),
    value: Number.isFinite(p.value) ? fmt(p.value) : 'not a number',
    role: ROLE_ROW[p.role],
    status: [p.preliminary === true ? 'preliminary' : 'final or amended', ...(day === undefined || !Number.isFinite(p.value) ? ['not on the chart'] : [])].join(', '),
    reference: p.reference,
  }));
}

/** The x domain: every plotted measurement and every event, at least MIN_SPAN_DAYS, padded 4 % a side. */
function dayDomain(plotted: readonly Plotted[], events: readonly PlacedEvent[]): { start: number; end: number } {
  const days = [...plotted.map((e) => e.day), ...events.map((e) => e.day)];
  let start = days.length > 0 ? Math.min(...days) : 0;
  let end = days.length > 0 ? Math.max(...days) : MIN_SPAN_DAYS;
  if (end - start < MIN_SPAN_DAYS) {
    const mid = (start + end) / 2;
    start = mid - MIN_SPAN_DAYS / 2;
    end = mid + MIN_SPAN_DAYS / 2;
  }
  const pad = Math.max(1, (end - start) * 0.04);
  return { start: start - pad, end: end + pad };
}

/** The y scale: from 0 (or the lowest value) up to a nice value above the highest measurement and cutoff, with a 10 % margin. */
function tbfScale(plotted: readonly Plotted[], cutoffs: readonly DrawnCutoff[], plot: Plot): ValueScale {
  const values = [...plotted.map((e) => e.p.value), ...cutoffs.map((c) => c.value)];
  const highest = Math.max(1, ...values) * 1.1;
  const lowest = Math.min(0, ...values);
  return valueScale(lowest, highest, plot.bottom, plot.top, 5);
}

function xAxisTicks(start: number, end: number, xOf: (day: number) => number, plot: Plot): AxisTick[] {
  return dateTicks(start, end).map((t) => {
    const x = c1(xOf(t.day));
    return { x1: x, y1: plot.bottom, x2: x, y2: plot.bottom + 5, stroke: CHART_COLOURS.axis, label: text(x, plot.bottom + 17, 'middle', CHART_COLOURS.text, t.label) };
  });
}

function yAxisTicks(values: readonly number[], yOf: (value: number) => number, plot: Plot): AxisTick[] {
  return values.map((v) => {
    const y = c1(yOf(v));
    return { x1: plot.left - 5, y1: y, x2: plot.left, y2: y, stroke: CHART_COLOURS.axis, label: text(plot.left - 8, y + 4, 'end', CHART_COLOURS.text, fmt(v)) };
  });
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

function pointMarks(plotted: readonly Plotted[], xOf: (day: number) => number, yOf: (value: number) => number): TimelinePointMark[] {
  return plotted.map(({ p, day }) => {
    const x = c1(xOf(day));
    const y = c1(yOf(p.value));
    const preliminary = p.preliminary === true;
    return { x, y, role: p.role, preliminary, reference: p.reference, ...pointMark(p.role, preliminary, x, y) };
  });
}

/**
 * "Pre-TBF 150.2" next to each measurement used by a rule: the first of four places around the
 * marker that stays in the plot and clear of the markers and earlier labels, else the first clear
 * one, else the first.
 */
function pointLabels(plotted: readonly Plotted[], points: readonly TimelinePointMark[], plot: Plot): ChartText[] {
  const taken: Box[] = points.map((p) => ({ x0: p.x - 6, y0: p.y - 6, x1: p.x + 6, y1: p.y + 6 }));
  const labels: ChartText[] = [];
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
    labels.push(text(chosen[0], chosen[1], chosen[2], CHART_COLOURS[p.role], s));
  });
  return labels;
}

/** One vertical line per event, its label on a row of its own above the plot (flipped left near the edge). */
function eventLines(events: readonly PlacedEvent[], xOf: (day: number) => number, plot: Plot): TimelineEvent[] {
  return events.map((e, row) => {
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
}

/** Cutoff lines; their labels sit in the right margin, spread at least one line apart, joined to their line. */
function cutoffLines(cutoffs: readonly DrawnCutoff[], yOf: (value: number) => number, plot: Plot): TimelineCutoff[] {
  const byHeight = cutoffs.map((c) => ({ ...c, y: yOf(c.value) })).sort((a, b) => a.y - b.y);
  const labelYs: number[] = [];
  byHeight.forEach((c, i) => {
    const prev = labelYs[i - 1];
    labelYs.push(prev === undefined ? c.y : Math.max(c.y, prev + FONT_SIZE + 3));
  });
  const overflow = (labelYs[labelYs.length - 1] ?? 0) - (plot.bottom - 4);
  return byHeight.map((c, i) => {
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
}

function timelineLegend(plot: Plot): LegendItem[] {
  const specs: [TbfRole, boolean, string][] = [
    ['pre', false, 'Pre-TBF'],
    ['post', false, 'Post-TBF (40 Gy)'],
    ['other', false, 'Not used by a rule'],
    ['pre', true, 'Dashed outline: preliminary'],
  ];
  return legendRow(
    plot.left,
    TL_HEIGHT - 12,
    CHART_COLOURS.text,
    specs.map(([role, preliminary, s]) => [(x: number, y: number) => pointMark(role, preliminary, x, y), s] as const),
  );
}

function timelineAxes(plot: Plot): TbfTimelineModel['axes'] {
  const yTitleX = 16;
  const yTitleY = c1((plot.top + plot.bottom) / 2);
  return {
    x: { x1: plot.left, y1: plot.bottom, x2: plot.right, y2: plot.bottom, stroke: CHART_COLOURS.axis },
    y: { x1: plot.left, y1: plot.top, x2: plot.left, y2: plot.bottom, stroke: CHART_COLOURS.axis },
    yTitle: { ...text(yTitleX, yTitleY, 'middle', CHART_COLOURS.text, `TBF (${UNIT})`), transform: `rotate(-90 ${yTitleX} ${yTitleY})` },
  };
}

/** The text alternative in `<desc>`: every measurement, what is left off, the events and the cutoffs. */
function timelineDescription(input: TbfTimelineInput, plotted: readonly Plotted[], unplotted: readonly Unplotted[], events: readonly PlacedEvent[], cutoffs: readonly DrawnCutoff[]): string {
  const describePoint = ({ p }: { p: TbfPoint }) =>
    `${shownDate(p.date)}: ${Number.isFinite(p.value) ? fmt(p.value) : 'no value'}, ${ROLE_DESC[p.role]}${p.preliminary === true ? ', preliminary' : ''}`;
  const set = input.thresholds;
  return [
    plotted.length === 0
      ? 'No tumor blood flow measurement can be shown.'
      : `Tumor blood flow (ASL-MRI, ${UNIT}) by date, ${plotted.length} measurement${plotted.length === 1 ? '' : 's'}: ${plotted.map(describePoint).join('; ')}.`,
    ...(unplotted.length > 0 ? [`Not on the chart (no readable date or value): ${unplotted.map(describePoint).join('; ')}.`] : []),
    events.length > 0 ? `Events: ${events.map((e) => `${EVENT_NAME[e.kind]} ${shownDate(e.date)}`).join('; ')}.` : 'No treatment dates recorded.',
    ...(input.treatmentStart === undefined ? ['No treatment start is recorded.'] : []),
    `Cutoff lines (threshold set ${set.id}, version ${set.version}): ${cutoffs.map((c) => `${CUTOFF_NAME[c.rule]} ${fmt(c.value, 3)}`).join('; ')}.`,
  ].join(' ');
}

/**
 * The timeline of tumor blood flow: each measurement by date, with its role (Pre-TBF, Post-TBF at
 * 40 Gy, not used), the treatment events as vertical lines, and the threshold set's Pre-TBF and
 * Post-TBF cutoffs (Liu 2022 Table 5 by default) as horizontal lines. Measurements with an unreadable
 * date or a non-finite value are left off the chart but stay in the data table and the description.
 */
export function tbfTimeline(input: TbfTimelineInput): TbfTimelineModel {
  const idPrefix = safeId(input.idPrefix, 'tbf-timeline');
  const { plotted, unplotted } = sortMeasurements(input.points);
  const events = placeEvents(input);
  const cutoffInputs = drawnCutoffs(input.thresholds);
  const rows = tableRows(plotted, unplotted);

  const plot: Plot = { left: TL_LEFT, top: 18 + EVENT_ROW * events.length, right: TL_RIGHT, bottom: TL_BOTTOM };
  const { start, end } = dayDomain(plotted, events);
  const xOf = linearScale(start, end, plot.left, plot.right);
  const y = tbfScale(plotted, cutoffInputs, plot);
  const points = pointMarks(plotted, xOf, y.at);

  return {
    idPrefix,
    titleId: `${idPrefix}-title`,
    descId: `${idPrefix}-desc`,
    empty: plotted.length === 0,
    emptyText: unplotted.length > 0 ? 'No tumor blood flow measurement has a readable date and value to chart; see the data table.' : 'No tumor blood flow measurements recorded.',
    width: TL_WIDTH,
    height: TL_HEIGHT,
    viewBox: `0 0 ${TL_WIDTH} ${TL_HEIGHT}`,
    title: 'Tumor blood flow over time',
    desc: timelineDescription(input, plotted, unplotted, events, cutoffInputs),
    colours: CHART_COLOURS,
    plot,
    xDomain: { start, end },
    yDomain: { min: y.min, max: y.max },
    axes: timelineAxes(plot),
    xTicks: xAxisTicks(start, end, xOf, plot),
    yTicks: yAxisTicks(y.ticks, y.at, plot),
    hasLine: points.length > 1,
    line: { points: points.map((p) => `${p.x},${p.y}`).join(' '), stroke: CHART_COLOURS.line, strokeWidth: 1.5 },
    points,
    pointLabels: pointLabels(plotted, points, plot),
    events: eventLines(events, xOf, plot),
    cutoffs: cutoffLines(cutoffInputs, y.at, plot),
    legend: timelineLegend(plot),
    hasRows: rows.length > 0,
    rows,
  };
}
