/**
 * Units, converted in one place with a UCUM library (@lhncbc/ucum-lhc). A unit that is not valid UCUM,
 * or that cannot be converted to the unit a rule needs, makes the value unusable: never guessed.
 */
import { UcumLhcUtils, type Unit, type UcumUtils } from '@lhncbc/ucum-lhc';
import type { Quantity } from 'fhir/r4';
import { snapDecimal } from '../core';
import { SYSTEMS } from './codes';

/**
 * Builds ucum-lhc's unit tables now rather than on the first conversion (about 150 ms in Node): the service
 * calls this at start-up. The tables are otherwise built on first use, because the SMART app fetches
 * their definitions after its script has loaded (docs/decisions/0006-smart-app.md, "Bundle budget").
 */
export function prepareUnitConversion(): void {
  ucum();
}

/**
 * One ucum-lhc utility object for the process. `UcumLhcUtils.getInstance()` is no longer a singleton: each
 * call constructs an object and counts every unit of the tables (about 0.1 ms; profiled in
 * bench/RESULTS.md).
 */
let utils: UcumUtils | undefined;
const ucum = (): UcumUtils => (utils ??= UcumLhcUtils.getInstance());

/** Entries each unit cache (validity, conversions) holds at most before it starts again. */
const UNIT_CACHE_SIZE = 512;
/**
 * Whether a unit string is valid UCUM, remembered per string: a deployment sends a handful of units, and
 * the library parses the string on every call. Bounded, so that request data cannot grow it without end.
 */
const validity = new Map<string, boolean>();
function validUcum(unit: string): boolean {
  const known = validity.get(unit);
  if (known !== undefined) return known;
  const valid = quietly(() => ucum().validateUnitString(unit)).status === 'valid';
  if (validity.size >= UNIT_CACHE_SIZE) validity.clear();
  validity.set(unit, valid);
  return valid;
}

/** The unit each kind of measurement is converted to. */
export const TARGET_UNITS = {
  tbf: 'mL/(100.g)/min',
  volume: 'mL',
  diameter: 'mm',
  ebv: '{copies}/mL',
  score: '1',
  /** (v2) A delivered radiotherapy dose (mCODE records it in cGy). */
  dose: 'Gy',
} as const;
export type MeasurementKind = keyof typeof TARGET_UNITS;

export type UnitProblem =
  /** No unit at all where one is needed. */
  | 'unit-missing'
  /** The unit is neither valid UCUM nor a recognised text form. */
  | 'unit-invalid'
  /** Valid UCUM, but not convertible to the unit the rule needs. */
  | 'unit-not-convertible'
  /** EBV DNA in international units: not comparable with the copies/mL threshold. */
  | 'unit-international-units'
  /** EBV DNA on a log scale: not comparable with the copies/mL threshold. */
  | 'unit-log-scale'
  /** The quantity has no numeric value. */
  | 'value-missing';

export type Converted =
  | {
      readonly ok: true;
      readonly value: number;
      readonly unit: string;
      readonly comparator?: '<' | '<=' | '>=' | '>';
      /** The unit as recorded (UCUM code, else the unit text). */
      readonly recordedUnit: string;
      /** Set when the value was converted from another unit. */
      readonly convertedFrom?: string;
    }
  | { readonly ok: false; readonly problem: UnitProblem; readonly recordedUnit?: string };

/** The unit of a Quantity as recorded: its UCUM code when coded in UCUM (or uncoded), else the display text. */
export function recordedUnitOf(q: Quantity): string | undefined {
  if (q.code !== undefined && (q.system === undefined || q.system === SYSTEMS.ucum)) return q.code;
  return q.unit;
}

/** Text forms of copies per mL that laboratories send without a UCUM code. */
const COPIES_TEXT = /^copies\s*\/\s*ml$/i;

/**
 * Converts a FHIR Quantity to the unit a rule needs. Dimensionless scores accept no unit or "1".
 * EBV DNA is accepted only in copies per mL (any UCUM unit carrying the {copies} annotation, or the text
 * "copies/mL"); international units and log scales are reported as not comparable.
 */
const UCUM_CHARACTERS = /^[\x21-\x7e]+$/;

/**
 * Runs a synchronous ucum-lhc call with the console silenced: when its parser throws it prints the unit
 * (request data) with console.log, outside the logger and whatever LOG_LEVEL says.
 */
function quietly<T>(call: () => T): T {
  const saved = { log: console.log, info: console.info, warn: console.warn, error: console.error };
  const silent = () => undefined;
  Object.assign(console, { log: silent, info: silent, warn: silent, error: silent });
  try {
    return call();
  } finally {
    Object.assign(console, saved);
  }
}

export function convertQuantity(q: Quantity | undefined, kind: MeasurementKind): Converted {
  if (q === undefined || typeof q.value !== 'number' || !Number.isFinite(q.value)) return { ok: false, problem: 'value-missing' };
  const target = TARGET_UNITS[kind];
  const recorded = recordedUnitOf(q);
  const comparator = q.comparator === '<' || q.comparator === '<=' || q.comparator === '>=' || q.comparator === '>' ? q.comparator : undefined;
  const ok = (value: number, recordedUnit: string, convertedFrom?: string): Converted => ({
    ok: true,
    value,
    unit: target,
    recordedUnit,
    ...(comparator !== undefined ? { comparator } : {}),
    ...(convertedFrom !== undefined ? { convertedFrom } : {}),
  });

  if (kind === 'score' && (recorded === undefined || recorded === '1' || recorded === '')) return ok(q.value, recorded ?? '');
  if (recorded === undefined || recorded.trim() === '') return { ok: false, problem: 'unit-missing' };
  if (kind === 'ebv') {
    if (/log/i.test(recorded)) return { ok: false, problem: 'unit-log-scale', recordedUnit: recorded };
    if (/\[?iu\]?/i.test(recorded)) return { ok: false, problem: 'unit-international-units', recordedUnit: recorded };
    if (COPIES_TEXT.test(recorded)) return ok(q.value, recorded);
    if (!/\{copies\}/i.test(recorded)) return { ok: false, problem: 'unit-not-convertible', recordedUnit: recorded };
  }
  if (recorded === target) return ok(q.value, recorded);
  // UCUM units are printable ASCII without spaces; anything else is refused before the library sees it
  // (ucum-lhc writes the unit to the console when its parser throws).
  if (!UCUM_CHARACTERS.test(recorded)) return { ok: false, problem: 'unit-invalid', recordedUnit: recorded };
  if (!validUcum(recorded)) return { ok: false, problem: 'unit-invalid', recordedUnit: recorded };
  const toVal = convertValue(recorded, q.value, target);
  if (toVal === undefined) return { ok: false, problem: 'unit-not-convertible', recordedUnit: recorded };
  return ok(snapDecimal(toVal), recorded, recorded);
}

/**
 * The parsed units of each (recorded, target) pair the library converted, or `null` when it could not:
 * the library parses both unit strings on every call (about 60 µs of a request's 2 ms, profiled in
 * bench/RESULTS.md). A later value of the same pair goes through the same `toUnit.convertFrom(value,
 * fromUnit)` that `convertUnitTo` runs for a conversion without molecular weight or charge, which is the
 * only kind that can succeed here. Bounded at {@link UNIT_CACHE_SIZE}, like the validity cache.
 */
const conversions = new Map<string, { readonly from: Unit; readonly to: Unit } | null>();

/** `value` in `recorded` converted to `target` by ucum-lhc, or undefined when it cannot be (valid UCUM assumed). */
function convertValue(recorded: string, value: number, target: string): number | undefined {
  const key = `${recorded}\u0000${target}`;
  let pair = conversions.get(key);
  let toVal: number | null = null;
  if (pair === undefined) {
    const result = quietly(() => ucum().convertUnitTo(recorded, value, target));
    const { fromUnit, toUnit } = result;
    pair = result.status === 'succeeded' && fromUnit !== undefined && toUnit !== undefined ? { from: fromUnit, to: toUnit } : null;
    if (conversions.size >= UNIT_CACHE_SIZE) conversions.clear();
    conversions.set(key, pair);
    toVal = result.toVal;
  } else if (pair !== null) {
    try {
      toVal = pair.to.convertFrom(value, pair.from);
    } catch {
      toVal = null;
    }
  }
  return pair !== null && typeof toVal === 'number' && Number.isFinite(toVal) ? toVal : undefined;
}
