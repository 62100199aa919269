/**
 * The data-selection settings of clinical-spec.md section 4 (v2) as data: plausible ranges, recency
 * windows and the Post-TBF window, with the spec's defaults; and the date checks every record's time
 * goes through (a calendar date, not before 1900). Pure.
 */
import type { ExtractKey } from './extract-key';

/** An inclusive range of plausible values, in the unit the extraction converts to. */
export interface PlausibleRange {
  readonly min: number;
  readonly max: number;
}

/** The inputs with a plausible range (section 4 v2: "Plausibility"). */
export type PlausibilityKey = 'tbf' | 'score' | 'tumor-volume' | 'ebv-dna';

export interface DataSelectionSettings {
  /**
   * Plausible ranges (section 4 v2): Pre/Post-TBF 1-600 mL/(100.g)/min (Liu 2022's groups averaged 84-170),
   * ICTOS and each z-scored feature -10 to 10, primary tumor volume 0.1-500 mL, EBV DNA 0-10^9 copies/mL.
   */
  readonly plausible: Readonly<Record<PlausibilityKey, PlausibleRange>>;
  /**
   * Recency for the treatment-selection recommendation (section 4 v2), in days counted to the request:
   * Dong 2019 used an MRI "within 2 weeks before any anti-cancer treatment".
   */
  readonly recencyDays: {
    /** ICTOS, its z-scored or raw features, primary tumor volume. */
    readonly mri: number;
    readonly ebvDna: number;
    readonly staging: number;
    /** Pre-TBF: at most this many days before treatment start (before treatment: before the request). */
    readonly preTbf: number;
  };
  /** The Post-TBF window without a recorded RT end closes on this day after RT start (about 50 Gy). */
  readonly postWindowCloseDay: number;
  /** With a delivered dose recorded, the Post-TBF window spans this delivered dose (Gy), inclusive. */
  readonly postWindowDoseGy: PlausibleRange;
  /** An RT start more than this many days before the NPC diagnosis contradicts it (section 4 v2). */
  readonly rtBeforeDiagnosisDays: number;
}

export const DEFAULT_SELECTION: DataSelectionSettings = {
  plausible: {
    tbf: { min: 1, max: 600 },
    score: { min: -10, max: 10 },
    'tumor-volume': { min: 0.1, max: 500 },
    'ebv-dna': { min: 0, max: 1e9 },
  },
  recencyDays: { mri: 28, ebvDna: 28, staging: 90, preTbf: 28 },
  postWindowCloseDay: 35,
  postWindowDoseGy: { min: 36, max: 46 },
  rtBeforeDiagnosisDays: 365,
};

type Partial_<T> = { readonly [K in keyof T]?: T[K] | undefined };

/** The entries of `over` that are given (an `undefined` never replaces a default). */
function given<T extends object>(defaults: T, over: Partial_<T> | undefined): T {
  const out = { ...defaults };
  for (const key of Object.keys(over ?? {}) as (keyof T)[]) {
    const value = over?.[key];
    if (value !== undefined) out[key] = value as T[keyof T];
  }
  return out;
}

/** The settings with every part given replacing the default part (a plausible range per input, a window per input). */
export function withSelectionOverrides(
  over: {
    readonly plausible?: Partial_<DataSelectionSettings['plausible']> | undefined;
    readonly recencyDays?: Partial_<DataSelectionSettings['recencyDays']> | undefined;
    readonly postWindowCloseDay?: number | undefined;
    readonly postWindowDoseGy?: PlausibleRange | undefined;
    readonly rtBeforeDiagnosisDays?: number | undefined;
  } = {},
): DataSelectionSettings {
  const d = DEFAULT_SELECTION;
  return {
    plausible: given(d.plausible, over.plausible),
    recencyDays: given(d.recencyDays, over.recencyDays),
    postWindowCloseDay: over.postWindowCloseDay ?? d.postWindowCloseDay,
    postWindowDoseGy: over.postWindowDoseGy ?? d.postWindowDoseGy,
    rtBeforeDiagnosisDays: over.rtBeforeDiagnosisDays ?? d.rtBeforeDiagnosisDays,
  };
}

/** Which plausible range an extracted input is checked against; undefined: no range (raw features, diameters). */
export function plausibilityKeyOf(input: ExtractKey): PlausibilityKey | undefined {
  switch (input) {
    case 'pre-tbf':
    case 'post-tbf':
      return 'tbf';
    case 'ictos':
    case 'skewness-z':
    case 'glcm-variance-z':
    case 'glrlm-lrhgle-z':
      return 'score';
    case 'tumor-volume':
      return 'tumor-volume';
    case 'ebv-dna':
      return 'ebv-dna';
    default:
      return undefined;
  }
}

export const DAY_MS = 86_400_000;
/** The earliest year a record's date may carry (section 4 v2: "not before 1900"). */
export const EARLIEST_YEAR = 1900;

/** FHIR dateTime / instant: YYYY, YYYY-MM, YYYY-MM-DD, or a date with a time and a zone. */
const FHIR_DATE_TIME = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:Z|[+-](\d{2}):(\d{2})))?)?)?$/;

export type ParsedDate = { readonly ok: true; readonly ms: number } | { readonly ok: false; readonly problem: 'not-a-date' | 'not-a-calendar-date' | 'before-1900' };

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * Reads a FHIR date or dateTime as epoch milliseconds, refusing what is not a calendar date (2026-02-30,
 * hour 25) and dates before 1900 (section 4 v2). `Date.parse` alone would read 2026-02-30 as 2 March.
 */
export function parseFhirDateTime(text: string): ParsedDate {
  const known = parsedDates.get(text);
  if (known !== undefined) return known;
  const parsed = parseUncached(text);
  if (parsedDates.size >= PARSED_DATES_SIZE) parsedDates.clear();
  parsedDates.set(text, parsed);
  return parsed;
}

/**
 * The dates already read, by text: a record repeats its dates (each Observation's date is read by every
 * input whose codes it carries, the treatment dates by every window), and extraction read them about a
 * hundred times per request. The results are immutable. Bounded, so that request data cannot grow it
 * without end.
 */
const PARSED_DATES_SIZE = 4096;
const parsedDates = new Map<string, ParsedDate>();

function parseUncached(text: string): ParsedDate {
  const m = FHIR_DATE_TIME.exec(text);
  if (m === null) return { ok: false, problem: 'not-a-date' };
  const [, y, mo, d, h, mi, s, zh, zm] = m;
  const year = Number(y);
  const month = mo === undefined ? 1 : Number(mo);
  const day = d === undefined ? 1 : Number(d);
  const calendar =
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(year, month) &&
    (h === undefined || Number(h) <= 23) &&
    (mi === undefined || Number(mi) <= 59) &&
    (s === undefined || Number(s) <= 59) &&
    (zh === undefined || Number(zh) <= 14) &&
    (zm === undefined || Number(zm) <= 59);
  if (!calendar) return { ok: false, problem: 'not-a-calendar-date' };
  if (year < EARLIEST_YEAR) return { ok: false, problem: 'before-1900' };
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? { ok: true, ms } : { ok: false, problem: 'not-a-date' };
}

/** The words for a refused date, as the unusable record's detail. */
export function describeDateProblem(problem: Exclude<ParsedDate, { ok: true }>['problem'], text: string): string {
  switch (problem) {
    case 'not-a-date':
      return `${text} is not a date`;
    case 'not-a-calendar-date':
      return `${text} is not a calendar date`;
    case 'before-1900':
      return `${text} is before ${EARLIEST_YEAR}`;
  }
}

/** Whole days from `fromMs` to `toMs` (rounded down; negative when `toMs` is earlier). */
export function wholeDays(fromMs: number, toMs: number): number {
  return Math.floor((toMs - fromMs) / DAY_MS);
}
