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
 *
 * palette.ts holds the colours and the contrast check, draw.ts the shared drawing pieces, dates.ts and
 * scales.ts the axes (value scales from d3-array), timeline.ts and groups.ts the two charts.
 */
export { CHART_COLOURS, CHART_TEXT_COLOURS, contrastRatio, type ChartColourName } from './palette';
export type { AxisTick, ChartLine, ChartMark, ChartText, LegendItem, TextAnchor } from './draw';
export { fhirDay } from './dates';
export {
  TIMELINE_CUTOFF_RULES,
  TIMELINE_DASHES,
  tbfTimeline,
  type TbfPoint,
  type TbfRole,
  type TbfTimelineInput,
  type TbfTimelineModel,
  type TimelineCutoff,
  type TimelineEvent,
  type TimelineEventKind,
  type TimelinePointMark,
  type TimelineRow,
} from './timeline';
export {
  GROUP_MEASURES,
  tbfGroups,
  type GroupComparison,
  type GroupMeasure,
  type GroupRow,
  type GroupStrip,
  type GroupTableRow,
  type StudyGroup,
  type TbfGroupsInput,
  type TbfGroupsModel,
} from './groups';
