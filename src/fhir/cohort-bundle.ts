/**
 * The site cohort as a FHIR R4 Bundle (issue 17): the same measurements and outcomes as the cohort CSV
 * (src/calibration/cohort.ts), as Observations coded with the project's code lists, grouped per patient by
 * `subject`. The result is the CSV parser's `ParsedCohort`, so calibration downstream is unchanged.
 *
 * - Codes (in `codes.projectSystem`): `tumor-blood-flow` (valueQuantity, converted to mL/(100.g)/min),
 *   `skewness`, `glcm-variance`, `glrlm-lrhgle` (the raw features; valueQuantity, unit absent or "1"),
 *   `response-40-gy` (valueCodeableConcept `partial-response` or `stable-disease`) and
 *   `residual-tumor-1-month` (valueBoolean). Observations with other codes are ignored.
 * - Pre-TBF or Post-TBF is decided by effective time, as the CodeSystem defines: with a radiotherapy
 *   Procedure of the patient in the Bundle (coded as `codes.radiotherapy`), before its start is Pre-TBF and
 *   from its start on Post-TBF; without one, TBF at exactly two times is Pre-TBF (earlier) and Post-TBF
 *   (later), and TBF at one time or more than two cannot be placed (a bad row).
 * - Status final, amended or corrected counts; entered-in-error is ignored; any other status is a bad row.
 * - A patient with any problem is one bad row with every reason; `line` holds the 1-based number of the
 *   patient's first Observation entry. An entry whose subject names no patient is a bad row of its own.
 * - Two different values of one measure for a patient are a bad row (conflicting): never one picked.
 * - Extra columns: `scanner` (Observation.device.display) and `protocol` (Observation.method text) of the
 *   TBF and feature Observations, distinct values joined with "; ".
 *
 * Pure: parsed JSON in, rows and problems out.
 */
import type { Quantity } from 'fhir/r4';
import { matchesAny, type CodeLists, type CodeRef } from './codes';
import { describeDateProblem, parseFhirDateTime } from './selection';
import { convertQuantity, TARGET_UNITS, type Converted } from './units';
import { CohortFormatError, REQUIRED_COLUMNS, type BadRow, type CohortRow, type ParsedCohort } from '../core/cohort';

type Measure = 'tbf' | 'skewness' | 'glcmVariance' | 'glrlmLrhgle' | 'response40Gy' | 'residual1m';
type Value = number | 'PR' | 'SD' | boolean;

/** Extra columns the Bundle can fill, in header order. */
export const BUNDLE_EXTRA_COLUMNS = ['scanner', 'protocol'] as const;

const COUNTED_STATUSES = new Set(['final', 'amended', 'corrected']);
const RT_EXCLUDED_STATUSES = new Set(['not-done', 'entered-in-error', 'preparation']);

type Json = Record<string, unknown>;
const isObject = (x: unknown): x is Json => typeof x === 'object' && x !== null && !Array.isArray(x);
const stringOf = (x: unknown): string | undefined => (typeof x === 'string' ? x : undefined);
const listOf = (x: unknown): unknown[] => (Array.isArray(x) ? x : []);
const codingsOf = (cc: unknown): { system?: string; code?: string }[] =>
  listOf(isObject(cc) ? cc['coding'] : undefined)
    .filter(isObject)
    .map((c) => ({ ...(typeof c['system'] === 'string' && { system: c['system'] }), ...(typeof c['code'] === 'string' && { code: c['code'] }) }));

/** A Quantity read defensively from JSON (only the members the unit conversion reads). */
function quantityOf(x: unknown): Quantity | undefined {
  if (!isObject(x)) return undefined;
  const q: Quantity = {};
  if (typeof x['value'] === 'number') q.value = x['value'];
  for (const k of ['unit', 'system', 'code'] as const) {
    const v = stringOf(x[k]);
    if (v !== undefined) q[k] = v;
  }
  const comparator = x['comparator'];
  if (comparator === '<' || comparator === '<=' || comparator === '>=' || comparator === '>') q.comparator = comparator;
  return q;
}

function unitProblemText(c: Extract<Converted, { ok: false }>, target: string): string {
  const unit = c.recordedUnit ?? '';
  switch (c.problem) {
    case 'value-missing':
      return 'has no numeric valueQuantity';
    case 'unit-missing':
      return `has no unit (${target} expected)`;
    case 'unit-invalid':
      return `unit "${unit}" is not valid UCUM`;
    default:
      return `unit "${unit}" cannot be converted to ${target}`;
  }
}

interface Reading {
  readonly entry: number;
  readonly value: Value;
}
interface TbfReading extends Reading {
  readonly value: number;
  readonly ms: number;
  readonly time: string;
}
interface PatientGroup {
  readonly first: number;
  readonly reasons: string[];
  readonly readings: Map<Exclude<Measure, 'tbf'>, Reading[]>;
  readonly tbf: TbfReading[];
  readonly scanner: Set<string>;
  readonly protocol: Set<string>;
}

const LABEL: Readonly<Record<Exclude<Measure, 'tbf'>, string>> = {
  skewness: 'skewness',
  glcmVariance: 'glcm-variance',
  glrlmLrhgle: 'glrlm-lrhgle',
  response40Gy: 'response-40-gy',
  residual1m: 'residual-tumor-1-month',
};

/** The one value of a measure, or a conflict reason naming the differing values and their entries. */
function single(label: string, readings: readonly Reading[], reasons: string[]): Value | undefined {
  const distinct = [...new Map(readings.map((r) => [r.value, r] as const)).values()];
  if (distinct.length > 1) {
    reasons.push(`${label}: conflicting values ${distinct.map((r) => `${String(r.value)} (entry ${r.entry})`).join(', ')}`);
    return undefined;
  }
  return distinct[0]?.value;
}

/**
 * Parses a cohort Bundle. Throws CohortFormatError when `json` is not a Bundle with entries; bad entries
 * and patients are returned as bad rows, not thrown.
 */
export function parseCohortBundle(json: unknown, codes: CodeLists): ParsedCohort {
  if (!isObject(json) || json['resourceType'] !== 'Bundle') {
    const kind = isObject(json) && typeof json['resourceType'] === 'string' ? `a ${json['resourceType']}` : 'not a FHIR resource';
    throw new CohortFormatError(`the JSON is ${kind}, not a FHIR Bundle`);
  }
  const entries = listOf(json['entry']);
  if (entries.length === 0) throw new CohortFormatError('the Bundle has no entries');

  const project = (code: string): CodeRef[] => [{ system: codes.projectSystem, code }];
  const measures: [Measure, CodeRef[]][] = [
    ['tbf', project(codes.project.tumorBloodFlow)],
    ['skewness', project(codes.project.skewness)],
    ['glcmVariance', project(codes.project.glcmVariance)],
    ['glrlmLrhgle', project(codes.project.glrlmLrhgle)],
    ['response40Gy', project(codes.calibrationOutcomes.response40Gy)],
    ['residual1m', project(codes.calibrationOutcomes.residualTumor1m)],
  ];
  const resources = entries.map((e) => (isObject(e) && isObject(e['resource']) ? e['resource'] : undefined));

  // Patient entries by fullUrl, for urn:uuid (or absolute) subject references.
  const patientByUrl = new Map<string, string>();
  entries.forEach((e, i) => {
    const r = resources[i];
    const fullUrl = isObject(e) ? stringOf(e['fullUrl']) : undefined;
    if (r?.['resourceType'] === 'Patient' && fullUrl !== undefined) patientByUrl.set(fullUrl, stringOf(r['id']) ?? fullUrl);
  });
  const patientOf = (subject: unknown): { patient: string } | { problem: string } => {
    const reference = isObject(subject) ? stringOf(subject['reference']) : undefined;
    if (reference === undefined || reference.trim() === '') return { problem: 'has no subject reference' };
    const byUrl = patientByUrl.get(reference);
    if (byUrl !== undefined) return { patient: byUrl };
    const m = /(?:^|\/)Patient\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/.exec(reference);
    if (m?.[1] !== undefined) return { patient: m[1] };
    if (/^urn:(uuid|oid):/.test(reference)) return { problem: `subject ${reference} names no Patient entry of the Bundle` };
    return { problem: `subject ${reference} is not a Patient reference` };
  };

  const badEntries: BadRow[] = [];
  const groups = new Map<string, PatientGroup>();
  const rtStarts = new Map<string, { ms: number; entry: number }[]>();
  const rtProblems = new Map<string, string[]>();

  resources.forEach((r, i) => {
    const entry = i + 1;
    if (r === undefined) return;
    if (r['resourceType'] === 'Procedure') {
      const categories = Array.isArray(r['category']) ? r['category'] : [r['category']];
      const isRt = matchesAny(codingsOf(r['code']), codes.radiotherapy) || categories.some((c) => matchesAny(codingsOf(c), codes.radiotherapy));
      if (!isRt || RT_EXCLUDED_STATUSES.has(stringOf(r['status']) ?? '')) return;
      const who = patientOf(r['subject']);
      if ('problem' in who) {
        badEntries.push({ line: entry, reason: `radiotherapy Procedure ${who.problem}` });
        return;
      }
      const period = r['performedPeriod'];
      const start = (isObject(period) ? stringOf(period['start']) : undefined) ?? stringOf(r['performedDateTime']);
      const parsed = start !== undefined ? parseFhirDateTime(start) : undefined;
      if (parsed?.ok === true) rtStarts.set(who.patient, [...(rtStarts.get(who.patient) ?? []), { ms: parsed.ms, entry }]);
      else {
        const why = start === undefined || parsed === undefined || parsed.ok ? 'has no start' : `start: ${describeDateProblem(parsed.problem, start)}`;
        rtProblems.set(who.patient, [...(rtProblems.get(who.patient) ?? []), `entry ${entry}: radiotherapy Procedure ${why}`]);
      }
      return;
    }
    if (r['resourceType'] !== 'Observation') return;
    const measure = measures.find(([, refs]) => matchesAny(codingsOf(r['code']), refs))?.[0];
    if (measure === undefined) return;
    const status = stringOf(r['status']) ?? '(none)';
    if (status === 'entered-in-error') return;
    const who = patientOf(r['subject']);
    if ('problem' in who) {
      badEntries.push({ line: entry, reason: `Observation ${who.problem}` });
      return;
    }
    let g = groups.get(who.patient);
    if (g === undefined) {
      g = { first: entry, reasons: [], readings: new Map(), tbf: [], scanner: new Set(), protocol: new Set() };
      groups.set(who.patient, g);
    }
    const label = measure === 'tbf' ? codes.project.tumorBloodFlow : LABEL[measure];
    const bad = (why: string): void => void g.reasons.push(`entry ${entry}: ${label} ${why}`);
    if (!COUNTED_STATUSES.has(status)) return bad(`has status ${status}; only final, amended or corrected count`);

    if (measure === 'response40Gy') {
      const values = new Set(
        codingsOf(r['valueCodeableConcept']).flatMap((c) =>
          c.system !== codes.projectSystem ? [] : c.code === codes.calibrationOutcomes.partialResponse ? ['PR' as const] : c.code === codes.calibrationOutcomes.stableDisease ? ['SD' as const] : [],
        ),
      );
      const [value] = values;
      if (values.size !== 1 || value === undefined) {
        return bad(`value is not one of ${codes.calibrationOutcomes.partialResponse}, ${codes.calibrationOutcomes.stableDisease} (${codes.projectSystem})`);
      }
      g.readings.set(measure, [...(g.readings.get(measure) ?? []), { entry, value }]);
      return;
    }
    if (measure === 'residual1m') {
      const value = r['valueBoolean'];
      if (typeof value !== 'boolean') return bad('has no valueBoolean');
      g.readings.set(measure, [...(g.readings.get(measure) ?? []), { entry, value }]);
      return;
    }

    const kind = measure === 'tbf' ? 'tbf' : 'score';
    const converted = convertQuantity(quantityOf(r['valueQuantity']), kind);
    if (!converted.ok) return bad(unitProblemText(converted, TARGET_UNITS[kind]));
    if (converted.comparator !== undefined) return bad(`has comparator "${converted.comparator}"; an exact value is needed`);
    const device = r['device'];
    const scanner = isObject(device) ? stringOf(device['display'])?.trim() : undefined;
    const method = r['method'];
    const protocol = isObject(method) ? (stringOf(method['text']) ?? stringOf(listOf(method['coding']).filter(isObject)[0]?.['display']))?.trim() : undefined;
    if (measure !== 'tbf') {
      g.readings.set(measure, [...(g.readings.get(measure) ?? []), { entry, value: converted.value }]);
    } else {
      if (converted.value < 0) return bad(`${converted.value} is negative`);
      const effective = r['effectivePeriod'];
      const time = stringOf(r['effectiveDateTime']) ?? stringOf(r['effectiveInstant']) ?? (isObject(effective) ? stringOf(effective['start']) : undefined);
      if (time === undefined) return bad('has no effective time (it tells Pre-TBF from Post-TBF)');
      const parsed = parseFhirDateTime(time);
      if (!parsed.ok) return bad(`effective time: ${describeDateProblem(parsed.problem, time)}`);
      g.tbf.push({ entry, value: converted.value, ms: parsed.ms, time });
    }
    if (scanner !== undefined && scanner !== '') g.scanner.add(scanner);
    if (protocol !== undefined && protocol !== '') g.protocol.add(protocol);
  });

  const badRows: BadRow[] = [...badEntries];
  const rows: CohortRow[] = [];
  const extraColumns = BUNDLE_EXTRA_COLUMNS.filter((c) => [...groups.values()].some((g) => g[c].size > 0));
  for (const [patient, g] of groups) {
    const reasons = [...g.reasons, ...(rtProblems.get(patient) ?? [])];
    const { preTbf, postTbf } = placeTbf(g.tbf, rtStarts.get(patient), codes.project.tumorBloodFlow, reasons);
    const value = (m: Exclude<Measure, 'tbf'>): Value | undefined => single(LABEL[m], g.readings.get(m) ?? [], reasons);
    const response40Gy = value('response40Gy') as 'PR' | 'SD' | undefined;
    const residual1m = value('residual1m') as boolean | undefined;
    const skewness = value('skewness') as number | undefined;
    const glcmVariance = value('glcmVariance') as number | undefined;
    const glrlmLrhgle = value('glrlmLrhgle') as number | undefined;
    if (reasons.length > 0) {
      badRows.push({ line: g.first, reason: `patient ${patient}: ${reasons.join('; ')}` });
      continue;
    }
    rows.push({
      line: g.first,
      patient,
      ...(preTbf !== undefined && { preTbf }),
      ...(postTbf !== undefined && { postTbf }),
      ...(response40Gy !== undefined && { response40Gy }),
      ...(residual1m !== undefined && { residual1m }),
      ...(skewness !== undefined && { skewness }),
      ...(glcmVariance !== undefined && { glcmVariance }),
      ...(glrlmLrhgle !== undefined && { glrlmLrhgle }),
      extra: Object.fromEntries(extraColumns.map((c) => [c, [...g[c]].sort().join('; ')])),
    });
  }
  badRows.sort((a, b) => a.line - b.line);
  return { header: [...REQUIRED_COLUMNS, ...extraColumns], rows, badRows };
}

/** Pre-TBF and Post-TBF from a patient's TBF readings, by the radiotherapy start or, without one, by two times. */
function placeTbf(
  tbf: readonly TbfReading[],
  rt: readonly { ms: number; entry: number }[] | undefined,
  label: string,
  reasons: string[],
): { preTbf?: number; postTbf?: number } {
  if (tbf.length === 0) return {};
  let pre: TbfReading[];
  let post: TbfReading[];
  if (rt !== undefined && rt.length > 0) {
    const startMs = Math.min(...rt.map((x) => x.ms));
    pre = tbf.filter((t) => t.ms < startMs);
    post = tbf.filter((t) => t.ms >= startMs);
  } else {
    const times = [...new Set(tbf.map((t) => t.ms))].sort((a, b) => a - b);
    if (times.length !== 2) {
      const at = [...new Set(tbf.map((t) => t.time))].join(', ');
      reasons.push(`${label} at ${times.length} time(s) (${at}) and no radiotherapy Procedure: Pre-TBF and Post-TBF cannot be told apart`);
      return {};
    }
    pre = tbf.filter((t) => t.ms === times[0]);
    post = tbf.filter((t) => t.ms === times[1]);
  }
  const preTbf = single('Pre-TBF', pre, reasons) as number | undefined;
  const postTbf = single('Post-TBF', post, reasons) as number | undefined;
  return { ...(preTbf !== undefined && { preTbf }), ...(postTbf !== undefined && { postTbf }) };
}
