/**
 * The patient's Pre-TBF, Post-TBF and ΔTBF against the group means ± SD of Liu J, et al. Insights into
 * Imaging 2022;13:114 (doi 10.1186/s13244-022-01248-x), Table 4, as a view model for the SVG partial
 * templates/app/partials/tbf-groups.html.hbs.
 */
import { LIU_TABLE_4, pValueText, type GroupMean, type PValue } from '../../core';
import {
  UNIT,
  c1,
  circlePath,
  fmt,
  legendRow,
  safeId,
  squarePath,
  text,
  triangleDownPath,
  type AxisTick,
  type ChartLine,
  type ChartMark,
  type ChartText,
  type LegendItem,
} from './draw';
import { CHART_COLOURS } from './palette';
import { valueScale } from './scales';

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
  const scale = valueScale(lo - (hi - lo) * 0.05, hi + (hi - lo) * 0.05, GR_LEFT, GR_RIGHT, 5);
  const xOf = scale.at;

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

  const ticks: AxisTick[] = scale.ticks.map((v) => {
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
  const legend: LegendItem[] = legendRow(8, ly, CHART_COLOURS.text, legendSpecs);
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
