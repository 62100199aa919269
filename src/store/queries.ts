/**
 * The report's SQL, shared by every backend so that SQLite and PostgreSQL compute the same report, and
 * the assembly of its result rows into a {@link Report}.
 *
 * The SQL is portable: named parameters (`@since`; better-sqlite3 binds them by name, the PostgreSQL
 * store rewrites them to `$1`, `$2`, ...), a parameter compared with NULL is cast to TEXT (PostgreSQL must
 * know its type), and no ORDER BY on text: the order of text depends on the database's collation
 * (SQLite compares bytes, PostgreSQL the database locale), so {@link assembleReport} sorts by code unit.
 */
import {
  THRESHOLD_SET_NOT_RECORDED,
  rate,
  toUtcIso,
  type OverrideReasonCount,
  type Report,
  type ReportOptions,
  type ReportTotals,
  type RuleReportRow,
  type ThresholdSetReport,
} from './store';

/** Cards issued in the report window, then each such card's latest feedback item. */
const LATEST_CTE = `
  WITH cards AS (
    SELECT uuid, threshold_set FROM issued_cards WHERE (CAST(@since AS TEXT) IS NULL OR issued_at >= CAST(@since AS TEXT))
  ),
  ranked AS (
    SELECT f.card_uuid, f.outcome, f.override_code, f.override_display,
           ROW_NUMBER() OVER (PARTITION BY f.card_uuid ORDER BY f.outcome_at DESC, f.received_at DESC, f.id DESC) AS rn
    FROM feedback f JOIN cards c ON c.uuid = f.card_uuid
  ),
  latest AS (SELECT card_uuid, outcome, override_code, override_display FROM ranked WHERE rn = 1)`;

/** Counts per (rule, outcome) of the cards' findings; `by` prefixes more grouping columns (e.g. the threshold set). */
const findingCounts = (by: string): string => `${LATEST_CTE}
    SELECT ${by}cf.rule, cf.outcome,
      COUNT(DISTINCT cf.card_uuid) AS cards_issued,
      COUNT(DISTINCT l.card_uuid) AS cards_with_feedback,
      COUNT(DISTINCT CASE WHEN l.outcome = 'accepted' THEN l.card_uuid END) AS accepted,
      COUNT(DISTINCT CASE WHEN l.outcome = 'overridden' THEN l.card_uuid END) AS overridden
    FROM card_findings cf
      JOIN cards c ON c.uuid = cf.card_uuid
      LEFT JOIN latest l ON l.card_uuid = cf.card_uuid
    GROUP BY ${by}cf.rule, cf.outcome`;

/** Override reasons per (rule, outcome) of the overridden cards; `by` as in {@link findingCounts}. */
const overrideReasons = (by: string): string => `${LATEST_CTE}
    SELECT ${by}cf.rule, cf.outcome, l.override_code AS code, MIN(l.override_display) AS display,
      COUNT(DISTINCT cf.card_uuid) AS count
    FROM card_findings cf
      JOIN cards c ON c.uuid = cf.card_uuid
      JOIN latest l ON l.card_uuid = cf.card_uuid
    WHERE l.outcome = 'overridden' AND l.override_code IS NOT NULL
    GROUP BY ${by}cf.rule, cf.outcome, l.override_code`;

/** The report's queries; each takes the one parameter `@since` (ISO UTC text, or NULL for all time). */
export const REPORT_SQL = {
  rows: findingCounts(''),
  reasons: overrideReasons(''),
  totals: `${LATEST_CTE}
    SELECT
      (SELECT COUNT(*) FROM cards) AS cards_issued,
      (SELECT COUNT(*) FROM latest) AS cards_with_feedback,
      (SELECT COUNT(*) FROM latest WHERE outcome = 'accepted') AS accepted,
      (SELECT COUNT(*) FROM latest WHERE outcome = 'overridden') AS overridden`,
  // The same three per threshold set (NULL for cards recorded before the set was kept).
  rowsBySet: findingCounts('c.threshold_set, '),
  reasonsBySet: overrideReasons('c.threshold_set, '),
  totalsBySet: `${LATEST_CTE}
    SELECT c.threshold_set,
      COUNT(*) AS cards_issued,
      COUNT(l.card_uuid) AS cards_with_feedback,
      COUNT(CASE WHEN l.outcome = 'accepted' THEN 1 END) AS accepted,
      COUNT(CASE WHEN l.outcome = 'overridden' THEN 1 END) AS overridden
    FROM cards c LEFT JOIN latest l ON l.card_uuid = c.uuid
    GROUP BY c.threshold_set`,
  unknownFeedback: `SELECT COUNT(*) AS n FROM feedback f
    WHERE NOT EXISTS (SELECT 1 FROM issued_cards c WHERE c.uuid = f.card_uuid)
      AND (CAST(@since AS TEXT) IS NULL OR f.received_at >= CAST(@since AS TEXT))`,
} as const;

/** A count as a driver returns it: a number (SQLite) or a bigint's decimal text (PostgreSQL). */
export type Count = number | string | bigint;

export interface CountsRow {
  readonly rule: string;
  readonly outcome: string;
  readonly cards_issued: Count;
  readonly cards_with_feedback: Count;
  readonly accepted: Count;
  readonly overridden: Count;
}
export interface ReasonRow {
  readonly rule: string;
  readonly outcome: string;
  readonly code: string;
  readonly display: string | null;
  readonly count: Count;
}
export interface TotalsRow {
  readonly cards_issued: Count;
  readonly cards_with_feedback: Count;
  readonly accepted: Count;
  readonly overridden: Count;
}

/** A row of a `...BySet` query: its threshold set, NULL for a card recorded before the set was kept. */
export type BySet<R> = R & { readonly threshold_set: string | null };

/** What the {@link REPORT_SQL} queries returned, read in one snapshot. */
export interface ReportResult {
  readonly rows: readonly CountsRow[];
  readonly reasons: readonly ReasonRow[];
  readonly totals: TotalsRow | undefined;
  readonly rowsBySet: readonly BySet<CountsRow>[];
  readonly reasonsBySet: readonly BySet<ReasonRow>[];
  readonly totalsBySet: readonly BySet<TotalsRow>[];
  readonly unknownFeedback: Count | undefined;
}

/** The report's window and time stamp from its options. Throws a `RangeError` when `since` or `now` is not a date. */
export function reportWindow(options: ReportOptions): { readonly since: string | undefined; readonly generatedAt: string } {
  return {
    since: options.since === undefined ? undefined : toUtcIso(options.since, 'since'),
    generatedAt: options.now === undefined ? new Date().toISOString() : toUtcIso(options.now, 'now'),
  };
}

/** Orders text by UTF-16 code unit, the same in every backend and locale (byte order for ASCII). */
const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The threshold set a report shows for a stored one (NULL: recorded before sets were kept). */
const setName = (stored: string | null): string => stored ?? THRESHOLD_SET_NOT_RECORDED;

/** Rows ordered by rule then outcome, each with its override reasons (most frequent first, then by code). */
function ruleRows(counts: readonly CountsRow[], reasonRows: readonly ReasonRow[]): RuleReportRow[] {
  const reasons = new Map<string, OverrideReasonCount[]>();
  const sortedReasons = [...reasonRows].sort((a, b) => Number(b.count) - Number(a.count) || byCodeUnit(a.code, b.code));
  for (const r of sortedReasons) {
    const key = JSON.stringify([r.rule, r.outcome]);
    const list = reasons.get(key) ?? [];
    list.push({ code: r.code, ...(r.display !== null ? { display: r.display } : {}), count: Number(r.count) });
    reasons.set(key, list);
  }
  return [...counts]
    .sort((a, b) => byCodeUnit(a.rule, b.rule) || byCodeUnit(a.outcome, b.outcome))
    .map((r): RuleReportRow => {
      const withFeedback = Number(r.cards_with_feedback);
      const accepted = Number(r.accepted);
      const overridden = Number(r.overridden);
      return {
        rule: r.rule,
        outcome: r.outcome,
        cardsIssued: Number(r.cards_issued),
        cardsWithFeedback: withFeedback,
        accepted,
        overridden,
        acceptanceRate: rate(accepted, withFeedback),
        overrideRate: rate(overridden, withFeedback),
        overrideReasons: reasons.get(JSON.stringify([r.rule, r.outcome])) ?? [],
      };
    });
}

function reportTotals(t: TotalsRow | undefined): ReportTotals {
  const cardsWithFeedback = Number(t?.cards_with_feedback ?? 0);
  const accepted = Number(t?.accepted ?? 0);
  const overridden = Number(t?.overridden ?? 0);
  return {
    cardsIssued: Number(t?.cards_issued ?? 0),
    cardsWithFeedback,
    accepted,
    overridden,
    acceptanceRate: rate(accepted, cardsWithFeedback),
    overrideRate: rate(overridden, cardsWithFeedback),
  };
}

/** The rows of `rows` per threshold set shown. */
function groupBySet<R extends { readonly threshold_set: string | null }>(rows: readonly R[]): Map<string, R[]> {
  const groups = new Map<string, R[]>();
  for (const r of rows) {
    const set = setName(r.threshold_set);
    groups.set(set, [...(groups.get(set) ?? []), r]);
  }
  return groups;
}

/**
 * The {@link Report} from the query results: rows ordered by rule then outcome, override reasons most
 * frequent first, then by code; the sets (`bySet`) ordered by name, each with its rows in the same order.
 */
export function assembleReport(result: ReportResult, window: { readonly since: string | undefined; readonly generatedAt: string }): Report {
  const totals = reportTotals(result.totals);
  const rowsBySet = groupBySet(result.rowsBySet);
  const reasonsBySet = groupBySet(result.reasonsBySet);
  const bySet = [...groupBySet(result.totalsBySet).entries()]
    .sort(([a], [b]) => byCodeUnit(a, b))
    .map(([thresholdSet, [setTotals]]): ThresholdSetReport => {
      const t = reportTotals(setTotals);
      return { thresholdSet, cardsIssued: t.cardsIssued, totals: t, rows: ruleRows(rowsBySet.get(thresholdSet) ?? [], reasonsBySet.get(thresholdSet) ?? []) };
    });
  return {
    generatedAt: window.generatedAt,
    ...(window.since !== undefined ? { since: window.since } : {}),
    rows: ruleRows(result.rows, result.reasons),
    feedbackForUnknownCards: Number(result.unknownFeedback ?? 0),
    cardsIssued: totals.cardsIssued,
    totals,
    bySet,
  };
}
