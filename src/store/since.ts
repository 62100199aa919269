/**
 * The one reading of a report's `since` (GET /admin/report?since=, `npm run report -- --since`): an ISO 8601
 * calendar date or a full date-time with its zone, nothing else. `Date.parse` reads far more (`0` as the
 * year 2000, `1` as 2001, `March 1`), and a report over the wrong window is worse than a refusal.
 */

/** `YYYY-MM-DD`, optionally followed by `THH:MM[:SS[.fraction]]` and `Z` or `±HH:MM` (the zone is required with a time). */
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?([Zz]|[+-](\d{2}):(\d{2})))?$/;

/** What `since` must be, for error messages. */
export const SINCE_FORMAT = 'an ISO 8601 date (2026-01-01) or date-time with a zone (2026-01-01T08:00:00Z, 2026-01-01T08:00+08:00)';

/**
 * `value` as an instant in ISO UTC (`2026-01-01T00:00:00.000Z`) when it is an ISO 8601 date (UTC midnight) or
 * date-time with zone that exists on the calendar; undefined for anything else, numbers included.
 */
export function parseSince(value: string): string | undefined {
  const m = ISO.exec(value);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s, , oh, om] = m.map((part) => (part === undefined ? undefined : Number(part)));
  if (y === undefined || mo === undefined || d === undefined) return undefined;
  const day = new Date(Date.UTC(y, mo - 1, d));
  if (y < 1 || day.getUTCFullYear() !== y || day.getUTCMonth() !== mo - 1 || day.getUTCDate() !== d) return undefined;
  if (h !== undefined && (h > 23 || (mi ?? 0) > 59 || (s ?? 0) > 59)) return undefined;
  if (oh !== undefined && (oh > 23 || (om ?? 0) > 59)) return undefined;
  const instant = Date.parse(h === undefined ? `${value}T00:00:00Z` : value);
  return Number.isNaN(instant) ? undefined : new Date(instant).toISOString();
}
