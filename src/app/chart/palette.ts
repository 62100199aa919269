/**
 * The chart palette and the WCAG 2.x contrast computation that checks it. Every colour has at least
 * 4.5:1 contrast on the white background, so it passes both WCAG 2.x 1.4.11 (graphics, 3:1) and 1.4.3
 * (text, 4.5:1).
 */

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
/** The name of a palette entry. */
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
