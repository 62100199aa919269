/**
 * Moving FHIR dates by whole days: the demo dates its synthetic patients relative to today, and the README
 * example request is sent dated relative to today, so that recency windows (clinical-spec.md section 4, v2)
 * see them as the recent data they stand for.
 */
const DAY_MS = 86_400_000;
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

/** `value` moved by `days` when it is a FHIR date or dateTime with a day; otherwise unchanged. */
export function shiftDate(value: string, days: number): string {
  const m = DATE_TIME.exec(value);
  if (m === null || days === 0) return value;
  const day = new Date(Date.parse(`${m[1] ?? ''}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
  return `${day}${m[2] ?? ''}`;
}

/** A deep copy of `value` with every date and dateTime string moved by `days`. */
export function shiftDates<T>(value: T, days: number): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return shiftDate(v, days);
    if (Array.isArray(v)) return v.map(walk);
    if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}

