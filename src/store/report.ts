/**
 * The feedback report as plain text for a terminal: over all threshold sets, then a section per set.
 */
import { THRESHOLD_SET_NOT_RECORDED, type OverrideReasonCount, type Report, type ReportTotals, type RuleReportRow } from './store';

const TOP_REASONS = 3;

const HEADERS = ['rule', 'outcome', 'issued', 'with feedback', 'accepted', 'overridden', 'accept %', 'override %', 'top override reasons'] as const;
/** Columns whose cells are right-aligned (the numbers). */
const NUMERIC = new Set([2, 3, 4, 5, 6, 7]);

/** A rate as a percentage with one decimal, or `-` when there is no feedback to divide by. */
function percent(rate: number | null): string {
  return rate === null ? '-' : `${(rate * 100).toFixed(1)}%`;
}

function reasons(list: readonly OverrideReasonCount[]): string {
  const shown = list.slice(0, TOP_REASONS).map((r) => `${r.code}${r.display !== undefined ? ` "${r.display}"` : ''} x${r.count}`);
  const more = list.length - shown.length;
  return [...shown, ...(more > 0 ? [`+${more} more`] : [])].join(', ') || '-';
}

/** Lays out rows under headers, numbers right-aligned, two spaces between columns; the last column is not padded. */
function table(rows: readonly (readonly string[])[]): string[] {
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => {
        if (i === cells.length - 1) return cell;
        const width = widths[i] ?? cell.length;
        return NUMERIC.has(i) ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(HEADERS), rule, ...rows.map(line)];
}

/** The table of `rows`, or `empty` when there are none. */
function rowsTable(rows: readonly RuleReportRow[], empty: string): string[] {
  if (rows.length === 0) return [empty];
  return table(
    rows.map((r) => [
      r.rule,
      r.outcome,
      String(r.cardsIssued),
      String(r.cardsWithFeedback),
      String(r.accepted),
      String(r.overridden),
      percent(r.acceptanceRate),
      percent(r.overrideRate),
      reasons(r.overrideReasons),
    ]),
  );
}

function totalsText(t: ReportTotals): string {
  return (
    `${t.cardsIssued} cards issued, ${t.cardsWithFeedback} with feedback, ` +
    `${t.accepted} accepted, ${t.overridden} overridden; acceptance ${percent(t.acceptanceRate)}, override ${percent(t.overrideRate)}.`
  );
}

/**
 * Formats a {@link Report} as plain text: a table with one line per (rule, outcome), over all threshold
 * sets: cards issued, cards with feedback, accepted, overridden, acceptance and override percentages, and
 * the most frequent override reasons; then the totals over cards and the count of feedback for unknown
 * cards; then a section per threshold set with its own table and totals. Each card counts once per row,
 * with its latest feedback item.
 */
export function formatReport(report: Report): string {
  const window = report.since !== undefined ? `cards issued since ${report.since}` : 'all cards issued';
  const out = [`npc-cds card feedback report: ${window} (generated ${report.generatedAt})`, ''];
  out.push(
    ...rowsTable(report.rows, 'No findings on the cards issued.'),
    '',
    `Totals (each card once, by its latest feedback): ${totalsText(report.totals)}`,
    `Feedback for cards this store never issued: ${report.feedbackForUnknownCards}.`,
    '',
  );
  for (const set of report.bySet) {
    const name =
      set.thresholdSet === THRESHOLD_SET_NOT_RECORDED
        ? `Threshold set ${THRESHOLD_SET_NOT_RECORDED}, for cards recorded before the store kept their set`
        : `Threshold set ${set.thresholdSet}`;
    out.push(`${name}: ${set.cardsIssued} cards issued`, '', ...rowsTable(set.rows, 'No findings on the cards of this set.'), '', `Totals of this set: ${totalsText(set.totals)}`, '');
  }
  return out.join('\n');
}
