/** FHIR dates on the charts: as calendar days since 1970-01-01, and as shown to the reader. */

/** One day in milliseconds. */
export const DAY_MS = 86_400_000;

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

/** A day since 1970-01-01 as `YYYY-MM-DD`. */
export function isoDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** How a date from the record is shown: the date part of a dateTime, a partial date as written. */
export function shownDate(date: string): string {
  const d = date.trim();
  return /^\d{4}-\d{2}-\d{2}T/.test(d) ? d.slice(0, 10) : d;
}
