/**
 * The drawing pieces both charts share: positioned text, lines, ticks and markers as plain data, the
 * marker shapes as SVG paths, number formatting, and the text boxes used to keep labels apart.
 */

/** How a piece of SVG text is anchored at its x. */
export type TextAnchor = 'start' | 'middle' | 'end';

/** A piece of SVG text, positioned and coloured. */
export interface ChartText {
  readonly x: number;
  readonly y: number;
  readonly anchor: TextAnchor;
  readonly fill: string;
  readonly text: string;
}

/** A straight SVG line. */
export interface ChartLine {
  readonly x1: number;
  readonly y1: number;
  readonly x2: number;
  readonly y2: number;
  readonly stroke: string;
}

/** An axis tick: its short line and its label. */
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

/** A legend entry: its marker and its label. */
export interface LegendItem extends ChartMark {
  readonly label: ChartText;
}

/** The unit of every TBF value on the charts. */
export const UNIT = 'mL/100 g/min';

/** The font size of every chart label, in SVG user units. */
export const FONT_SIZE = 11;
/** Average advance of one character at FONT_SIZE in a sans-serif face; enough to avoid collisions. */
const CHAR_WIDTH = 6.2;

/** A coordinate rounded to one decimal, never `-0`. */
export function c1(v: number): number {
  const r = Math.round(v * 10) / 10;
  return r === 0 ? 0 : r;
}

/** A clinical number without float noise: at most `decimals` decimals, trailing zeros dropped. */
export function fmt(v: number, decimals = 2): string {
  const r = Number(v.toFixed(decimals));
  return String(r === 0 ? 0 : r);
}

/** The estimated width of `s` at FONT_SIZE. */
export function textWidth(s: string): number {
  return s.length * CHAR_WIDTH;
}

/** A piece of text at (x, y), rounded to one decimal. */
export function text(x: number, y: number, anchor: TextAnchor, fill: string, s: string): ChartText {
  return { x: c1(x), y: c1(y), anchor, fill, text: s };
}

/** A circle of radius `r` centred on (x, y). */
export function circlePath(x: number, y: number, r: number): string {
  return `M${c1(x - r)} ${c1(y)}a${r} ${r} 0 1 0 ${2 * r} 0a${r} ${r} 0 1 0 ${-2 * r} 0Z`;
}

/** A square of half-side `half` centred on (x, y). */
export function squarePath(x: number, y: number, half: number): string {
  return `M${c1(x - half)} ${c1(y - half)}h${2 * half}v${2 * half}h${-2 * half}Z`;
}

/** A diamond of half-diagonal `half` centred on (x, y). */
export function diamondPath(x: number, y: number, half: number): string {
  return `M${c1(x)} ${c1(y - half)}l${half} ${half}l${-half} ${half}l${-half} ${-half}Z`;
}

/** A downward triangle in the square of half-side `half` centred on (x, y). */
export function triangleDownPath(x: number, y: number, half: number): string {
  return `M${c1(x - half)} ${c1(y - half)}h${2 * half}l${-half} ${2 * half}Z`;
}

/** An axis-aligned box, for collision tests between labels and markers. */
export interface Box {
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

/** Whether two boxes overlap (touching edges do not). */
export function overlaps(a: Box, b: Box): boolean {
  return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
}

/** The box taken by `s` written at (x, baseline) with `anchor`. */
export function textBox(x: number, baseline: number, anchor: TextAnchor, s: string): Box {
  const w = textWidth(s);
  const x0 = anchor === 'start' ? x : anchor === 'end' ? x - w : x - w / 2;
  return { x0, y0: baseline - FONT_SIZE, x1: x0 + w, y1: baseline + 2 };
}

/** An element id prefix from `prefix` (default `fallback`): letters, digits, `-` and `_`, starting with a letter. */
export function safeId(prefix: string | undefined, fallback: string): string {
  const id = (prefix ?? fallback).replace(/[^A-Za-z0-9_-]/g, '-');
  return /^[A-Za-z]/.test(id) ? id : `c-${id}`;
}

/**
 * A row of legend entries from `x` along the baseline `y`, each a marker and its label, spaced by
 * the labels' widths.
 */
export function legendRow(x: number, y: number, textFill: string, entries: readonly (readonly [(x: number, y: number) => ChartMark, string])[]): LegendItem[] {
  let lx = x;
  return entries.map(([mark, s]) => {
    const item = { ...mark(lx + 5, y - 4), label: text(lx + 14, y, 'start', textFill, s) };
    lx += 14 + textWidth(s) + 18;
    return item;
  });
}
