import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bundle, BundleEntry, Observation, Procedure, Resource } from 'fhir/r4';
import { CalibrationError, calibrateCohortBundle, calibrateCohortCsv, cohortFormatOf } from '../../src/calibration/calibrate';
import { main } from '../../src/calibration/cli';
import { CohortFormatError, parseCohortCsv, type CohortRow } from '../../src/calibration/cohort';
import { parseCohortBundle } from '../../src/fhir/cohort-bundle';
import { DEFAULT_CODE_LISTS, PROJECT_CODE_SYSTEM } from '../../src/fhir/codes';
import { liuCohort, NOW } from './liu-cohort';

const CODES = DEFAULT_CODE_LISTS;
const PRE_DATE = '2025-01-10';
const RT_START = '2025-01-15';
const POST_DATE = '2025-02-20';

type Extra = Omit<Partial<Observation>, 'code'>;
type ObservationSpec = Extra & { code: string };
type Item = Observation | Procedure | Resource | BundleEntry;

/** An Observation coded in the project CodeSystem, final, about Patient/a unless told otherwise. */
function obs(spec: ObservationSpec): Observation {
  const { code, ...rest } = spec;
  return { resourceType: 'Observation', status: 'final', code: { coding: [{ system: PROJECT_CODE_SYSTEM, code }] }, subject: { reference: 'Patient/a' }, ...rest } as Observation;
}
const tbf = (value: number, date: string, unit = 'mL/(100.g)/min', extra: Extra = {}): Observation =>
  obs({ code: 'tumor-blood-flow', effectiveDateTime: date, valueQuantity: { value, system: 'http://unitsofmeasure.org', code: unit }, ...extra });
const score = (code: string, value: number, unit?: string): Observation =>
  obs({ code, valueQuantity: { value, ...(unit !== undefined && { system: 'http://unitsofmeasure.org', code: unit }) } });
const response = (answer: string, extra: Extra = {}): Observation =>
  obs({ code: 'response-40-gy', valueCodeableConcept: { coding: [{ system: PROJECT_CODE_SYSTEM, code: answer }] }, ...extra });
const residual = (value: boolean, extra: Extra = {}): Observation => obs({ code: 'residual-tumor-1-month', valueBoolean: value, ...extra });
const radiotherapy = (start: string, patient = 'Patient/a'): Procedure => ({
  resourceType: 'Procedure',
  status: 'completed',
  code: { coding: [{ system: CODES.radiotherapy[0]!.system, code: CODES.radiotherapy[0]!.code }] },
  subject: { reference: patient },
  performedPeriod: { start },
});

const bundle = (resources: readonly Item[], type: Bundle['type'] = 'collection'): Bundle => ({
  resourceType: 'Bundle',
  type,
  entry: resources.map((r) => ('resourceType' in r ? { resource: r } : r)) as BundleEntry[],
});
const parse = (resources: readonly Item[]) => parseCohortBundle(bundle(resources), CODES);

/**
 * The CSV cohort as a Bundle of the same values: each row's patient referenced as Patient/id (odd rows) or
 * through a Patient entry's urn:uuid fullUrl (even rows); every third patient with an RT Procedure, the
 * others placed by their two TBF times; the scanner column as the TBF Observations' device.
 */
function bundleFromCsv(text: string, type: Bundle['type']): Bundle {
  const entries: BundleEntry[] = [];
  parseCohortCsv(text).rows.forEach((row, i) => {
    let subject = `Patient/${row.patient}`;
    if (i % 2 === 0) {
      subject = `urn:uuid:00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
      entries.push({ fullUrl: subject, resource: { resourceType: 'Patient', id: row.patient } });
    }
    const add = (o: Observation | Procedure): void => void entries.push({ resource: { ...o, subject: { reference: subject } } as Observation | Procedure });
    const device = row.extra['scanner'] !== undefined ? { device: { display: row.extra['scanner'] } } : {};
    if (i % 3 === 0) add(radiotherapy(RT_START));
    if (row.preTbf !== undefined) add(tbf(row.preTbf, PRE_DATE, undefined, device));
    if (row.postTbf !== undefined) add(tbf(row.postTbf, POST_DATE, undefined, device));
    if (row.response40Gy !== undefined) add(response(row.response40Gy === 'PR' ? 'partial-response' : 'stable-disease'));
    if (row.residual1m !== undefined) add(residual(row.residual1m));
    if (row.skewness !== undefined) add(score('skewness', row.skewness));
    if (row.glcmVariance !== undefined) add(score('glcm-variance', row.glcmVariance, '1'));
    if (row.glrlmLrhgle !== undefined) add(score('glrlm-lrhgle', row.glrlmLrhgle));
  });
  return { resourceType: 'Bundle', type, entry: entries };
}

const withoutLine = (row: CohortRow): Omit<CohortRow, 'line'> => Object.fromEntries(Object.entries(row).filter(([k]) => k !== 'line')) as Omit<CohortRow, 'line'>;

describe('a cohort given as a FHIR Bundle', () => {
  it.each(['collection', 'searchset', 'transaction'] as const)(
    'a %s Bundle of the same cohort as the CSV gives the identical threshold set, apart from the input hash and format',
    (type) => {
      const csv = liuCohort();
      const json = JSON.stringify(bundleFromCsv(csv, type));
      const fromCsv = calibrateCohortCsv(csv, { id: 'site-a', now: NOW, resamples: 200 });
      const fromBundle = calibrateCohortBundle(json, { id: 'site-a', now: NOW, resamples: 200 });
      expect(parseCohortBundle(JSON.parse(json), CODES).rows.map(withoutLine)).toEqual(parseCohortCsv(csv).rows.map(withoutLine));
      const { input: csvInput, ...csvSet } = fromCsv;
      const { input: bundleInput, ...bundleSet } = fromBundle;
      expect(bundleSet).toEqual(csvSet);
      expect(bundleSet.rules.find((r) => r.rule === 'pre-tbf-response')?.criterion).toBe('> 137.07');
      expect(bundleSet.scannerFields).toEqual({ scanner: ['GE MR750, 3.0 T'] });
      expect(csvInput.format).toBe('csv');
      expect(bundleInput.format).toBe('fhir-bundle');
      expect(bundleInput.rows).toBe(csvInput.rows);
      expect(bundleInput.sha256).not.toBe(csvInput.sha256);
    },
  );

  it('names a bad patient by its first entry number and fails the run unless bad rows are skipped', () => {
    const cohort = bundleFromCsv(liuCohort(), 'collection');
    cohort.entry!.push({ resource: tbf(100, PRE_DATE, 'mL/min', { subject: { reference: 'Patient/zz' } }) });
    const entry = cohort.entry!.length;
    const text = JSON.stringify(cohort);
    let caught: unknown;
    try {
      calibrateCohortBundle(text, { id: 's', now: NOW, resamples: 10 });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(CalibrationError);
    expect((caught as CalibrationError).problems[0]).toBe(
      `entry ${entry}: patient zz: entry ${entry}: tumor-blood-flow unit "mL/min" cannot be converted to mL/(100.g)/min`,
    );
    const set = calibrateCohortBundle(text, { id: 's', now: NOW, resamples: 10, skipBadRows: true });
    expect(set.input.badRowsSkipped.map((b) => b.line)).toEqual([entry]);
    expect(set.cohort.patients).toBe(55);
  });

  it.each([
    ['a TBF already in mL/(100.g)/min', 'mL/(100.g)/min', 150, { preTbf: 150 }],
    ['a TBF in mL/g/s, converted x 6000', 'mL/g/s', 0.025, { preTbf: 150 }],
    ['a TBF in mL/min/(100.g), the same unit written otherwise', 'mL/min/(100.g)', 99.5, { preTbf: 99.5 }],
  ])('reads %s', (_name, unit, value, expected) => {
    const p = parse([radiotherapy(RT_START), tbf(value, PRE_DATE, unit)]);
    expect(p.badRows).toEqual([]);
    expect(p.rows[0]).toMatchObject(expected);
  });

  it.each([
    ['a TBF in mL/min', [tbf(100, PRE_DATE, 'mL/min')], 'tumor-blood-flow unit "mL/min" cannot be converted to mL/(100.g)/min'],
    ['a TBF in the text "mL/100g/min"', [tbf(100, PRE_DATE, 'mL/100g/min')], 'tumor-blood-flow unit "mL/100g/min" is not valid UCUM'],
    ['a TBF without a unit', [obs({ code: 'tumor-blood-flow', effectiveDateTime: PRE_DATE, valueQuantity: { value: 100 } })], 'tumor-blood-flow has no unit (mL/(100.g)/min expected)'],
    ['a TBF without a value', [obs({ code: 'tumor-blood-flow', effectiveDateTime: PRE_DATE, valueString: '100' })], 'tumor-blood-flow has no numeric valueQuantity'],
    ['a negative TBF', [tbf(-5, PRE_DATE)], 'tumor-blood-flow -5 is negative'],
    ['a TBF with a comparator', [tbf(100, PRE_DATE, undefined, { valueQuantity: { value: 100, comparator: '<', system: 'http://unitsofmeasure.org', code: 'mL/(100.g)/min' } })], 'tumor-blood-flow has comparator "<"'],
    ['a TBF without an effective time', [obs({ code: 'tumor-blood-flow', valueQuantity: { value: 100, system: 'http://unitsofmeasure.org', code: 'mL/(100.g)/min' } })], 'tumor-blood-flow has no effective time'],
    ['a feature in mm', [score('skewness', 1.5, 'mm')], 'skewness unit "mm" cannot be converted to 1'],
    ['a response coded CR', [response('complete-response')], 'response-40-gy value is not one of partial-response, stable-disease'],
    ['a residual given as a string', [obs({ code: 'residual-tumor-1-month', valueString: 'yes' })], 'residual-tumor-1-month has no valueBoolean'],
  ])('makes %s a bad row with the reason', (_name, observations, reason) => {
    const p = parse([radiotherapy(RT_START), ...observations]);
    expect(p.rows).toEqual([]);
    expect(p.badRows).toHaveLength(1);
    expect(p.badRows[0]!.line).toBe(2);
    expect(p.badRows[0]!.reason).toContain(`patient a: entry 2: ${reason}`);
  });

  it.each([
    ['two skewness values', [score('skewness', 1), score('skewness', 2)], 'skewness: conflicting values 1 (entry 1), 2 (entry 2)'],
    ['two responses', [response('partial-response'), response('stable-disease')], 'response-40-gy: conflicting values PR (entry 1), SD (entry 2)'],
    ['two residual findings', [residual(true), residual(false)], 'residual-tumor-1-month: conflicting values true (entry 1), false (entry 2)'],
    ['two pre-treatment TBFs', [radiotherapy(RT_START), tbf(120, '2025-01-02'), tbf(130, PRE_DATE)], 'Pre-TBF: conflicting values 120 (entry 2), 130 (entry 3)'],
    ['two TBFs at one time and no RT', [tbf(120, PRE_DATE), tbf(130, PRE_DATE)], 'tumor-blood-flow at 1 time(s) (2025-01-10) and no radiotherapy Procedure'],
  ])('refuses to pick between %s: the patient is a bad row', (_name, resources, reason) => {
    const p = parse(resources);
    expect(p.rows).toEqual([]);
    expect(p.badRows.map((b) => b.reason)).toEqual([expect.stringContaining(reason)]);
  });

  it('counts one value recorded twice (the same after unit conversion) once', () => {
    const p = parse([score('skewness', 1.5), score('skewness', 1.5, '1'), radiotherapy(RT_START), tbf(150, PRE_DATE), tbf(0.025, '2025-01-11', 'mL/g/s')]);
    expect(p.badRows).toEqual([]);
    expect(p.rows[0]).toMatchObject({ patient: 'a', skewness: 1.5, preTbf: 150 });
  });

  it.each([
    ['final', 'counts', true],
    ['amended', 'counts', true],
    ['corrected', 'counts', true],
    ['preliminary', 'makes the patient a bad row naming the status', false],
    ['registered', 'makes the patient a bad row naming the status', false],
    ['cancelled', 'makes the patient a bad row naming the status', false],
  ] as const)('an Observation with status %s %s', (status, _what, counts) => {
    const p = parse([score('skewness', 1.5), { ...score('glcm-variance', 10), status }]);
    if (counts) expect(p.rows[0]).toMatchObject({ skewness: 1.5, glcmVariance: 10 });
    else expect(p.badRows).toEqual([{ line: 1, reason: `patient a: entry 2: glcm-variance has status ${status}; only final, amended or corrected count` }]);
    expect(p.rows).toHaveLength(counts ? 1 : 0);
  });

  it('ignores an entered-in-error Observation, even one that would conflict', () => {
    const p = parse([score('skewness', 1.5), { ...score('skewness', 9), status: 'entered-in-error' }]);
    expect(p.badRows).toEqual([]);
    expect(p.rows[0]).toMatchObject({ skewness: 1.5 });
  });

  it.each([
    ['no subject', { subject: undefined }, 'Observation has no subject reference'],
    ['a Group subject', { subject: { reference: 'Group/g1' } }, 'Observation subject Group/g1 is not a Patient reference'],
    ['a urn:uuid naming no entry', { subject: { reference: 'urn:uuid:7f1c' } }, 'Observation subject urn:uuid:7f1c names no Patient entry of the Bundle'],
  ])('an Observation with %s is a bad row of its own, at its entry', (_name, subject, reason) => {
    const observation: Partial<Observation> = score('skewness', 2);
    delete observation.subject;
    const p = parse([score('skewness', 1.5), { ...observation, ...subject } as Observation]);
    expect(p.rows).toHaveLength(1);
    expect(p.badRows).toEqual([{ line: 2, reason }]);
  });

  it('groups Observations by patient: Patient/x, an absolute URL and a urn:uuid Patient entry are the same patient', () => {
    const p = parse([
      { fullUrl: 'urn:uuid:1', resource: { resourceType: 'Patient', id: 'x' } },
      { ...score('skewness', 1), subject: { reference: 'urn:uuid:1' } },
      { ...score('glcm-variance', 2), subject: { reference: 'Patient/x' } },
      { ...score('glrlm-lrhgle', 3), subject: { reference: 'https://fhir.example.org/r4/Patient/x' } },
      { fullUrl: 'urn:uuid:2', resource: { resourceType: 'Patient' } },
      { ...score('skewness', 4), subject: { reference: 'urn:uuid:2' } },
    ]);
    expect(p.badRows).toEqual([]);
    expect(p.rows.map(withoutLine)).toEqual([
      { patient: 'x', skewness: 1, glcmVariance: 2, glrlmLrhgle: 3, extra: {} },
      { patient: 'urn:uuid:2', skewness: 4, extra: {} },
    ]);
    expect(p.rows.map((r) => r.line)).toEqual([2, 6]);
  });

  it('ignores Observations with other codes (LOINC, the z-scored features, the TBF code of another system) and other resources', () => {
    const p = parse([
      { ...score('glcm-variance', 1), code: { coding: [{ system: 'http://loinc.org', code: '47982-4' }] } },
      { ...score('skewness-z', 0.3), status: 'preliminary' },
      { ...tbf(-1, 'not a date'), code: { coding: [{ system: 'http://example.org/other', code: 'tumor-blood-flow' }] } },
      { resourceType: 'Condition', subject: { reference: 'Group/1' } } as Resource,
      score('glcm-variance', 10),
    ]);
    expect(p.badRows).toEqual([]);
    expect(p.rows.map(withoutLine)).toEqual([{ patient: 'a', glcmVariance: 10, extra: {} }]);
  });

  it.each([
    ['with an RT Procedure, a single TBF before its start is Pre-TBF', [radiotherapy(RT_START), tbf(150, PRE_DATE)], { preTbf: 150 }],
    ['with an RT Procedure, a single TBF from its start on is Post-TBF', [radiotherapy(RT_START), tbf(80, POST_DATE)], { postTbf: 80 }],
    ['a TBF at the RT start itself is Post-TBF', [tbf(150, PRE_DATE), tbf(80, RT_START), radiotherapy(RT_START)], { preTbf: 150, postTbf: 80 }],
    ['the earliest of several RT Procedures is the start', [radiotherapy('2025-03-01'), tbf(150, PRE_DATE), tbf(80, POST_DATE), radiotherapy(RT_START)], { preTbf: 150, postTbf: 80 }],
    ['an entered-in-error RT Procedure is no start', [{ ...radiotherapy('2025-01-01'), status: 'entered-in-error' } as Procedure, radiotherapy(RT_START), tbf(150, PRE_DATE)], { preTbf: 150 }],
    ['without one, the earlier of two TBF times is Pre-TBF and the later Post-TBF', [tbf(80, POST_DATE), tbf(150, PRE_DATE)], { preTbf: 150, postTbf: 80 }],
  ])('places TBF by time: %s', (_name, resources, expected) => {
    const p = parse(resources);
    expect(p.badRows).toEqual([]);
    expect(withoutLine(p.rows[0]!)).toEqual({ patient: 'a', ...expected, extra: {} });
  });

  it.each([
    ['a single TBF without an RT Procedure', [tbf(150, PRE_DATE)], 'tumor-blood-flow at 1 time(s) (2025-01-10) and no radiotherapy Procedure'],
    ['TBF at three times without an RT Procedure', [tbf(150, PRE_DATE), tbf(90, POST_DATE), tbf(70, '2025-03-20')], 'tumor-blood-flow at 3 time(s)'],
    ['an RT Procedure without a start', [{ ...radiotherapy(RT_START), performedPeriod: {} } as Procedure, tbf(150, PRE_DATE), tbf(90, POST_DATE)], 'entry 1: radiotherapy Procedure has no start'],
  ])('cannot place %s: the patient is a bad row', (_name, resources, reason) => {
    const p = parse(resources);
    expect(p.rows).toEqual([]);
    expect(p.badRows[0]!.reason).toContain(reason);
  });

  it('lists the scanner (device) and protocol (method) of the imaging Observations as extra columns', () => {
    const p = parse([
      tbf(150, PRE_DATE, undefined, { device: { display: 'Siemens Prisma 3 T' }, method: { text: 'pCASL PLD 2025 ms' } }),
      tbf(80, POST_DATE, undefined, { device: { display: 'GE MR750 3.0 T' } }),
      { ...score('skewness', 1), subject: { reference: 'Patient/b' } },
    ]);
    expect(p.header).toEqual(['patient', 'pre_tbf', 'post_tbf', 'response_40gy', 'residual_1m', 'skewness', 'glcm_variance', 'glrlm_lrhgle', 'scanner', 'protocol']);
    expect(p.rows.map((r) => r.extra)).toEqual([
      { scanner: 'GE MR750 3.0 T; Siemens Prisma 3 T', protocol: 'pCASL PLD 2025 ms' },
      { scanner: '', protocol: '' },
    ]);
  });

  it.each([
    ['a Patient resource', { resourceType: 'Patient', id: 'a' }, /is a Patient, not a FHIR Bundle/],
    ['an array', [], /is not a FHIR resource, not a FHIR Bundle/],
    ['a Bundle without entries', { resourceType: 'Bundle', type: 'collection' }, /has no entries/],
  ])('refuses %s as a cohort', (_name, json, message) => {
    expect(() => parseCohortBundle(json, CODES)).toThrow(CohortFormatError);
    expect(() => parseCohortBundle(json, CODES)).toThrow(message);
  });
});

describe('the calibrate command with a JSON cohort', () => {
  const dir = mkdtempSync(join(tmpdir(), 'calib-bundle-'));
  const run = (name: string, text: string): { code: number; log: string[] } => {
    const file = join(dir, name);
    writeFileSync(file, text);
    const log: string[] = [];
    const code = main(['--cohort', file, '--out', join(dir, `${name}.set.json`), '--resamples', '20'], (s) => log.push(s));
    return { code, log };
  };

  it('reads a Bundle file, told apart from CSV by its content, and records its format', () => {
    const { code } = run('cohort.json', `\n  ${JSON.stringify(bundleFromCsv(liuCohort(), 'searchset'))}`);
    expect(code).toBe(0);
    const set = JSON.parse(readFileSync(join(dir, 'cohort.json.set.json'), 'utf8')) as { input: { format: string }; cohort: { patients: number } };
    expect(set.input.format).toBe('fhir-bundle');
    expect(set.cohort.patients).toBe(55);
    expect(cohortFormatOf(liuCohort())).toBe('csv');
  });

  it.each([
    ['JSON that is not a Bundle', '{"resourceType": "Observation", "status": "final"}', 'calibrate: the file is JSON but not a FHIR Bundle (resourceType "Observation"); give a Bundle of the cohort\'s Observations, or a CSV'],
    ['JSON without a resourceType', '{"patients": []}', 'calibrate: the file is JSON but not a FHIR Bundle (resourceType missing); give a Bundle of the cohort\'s Observations, or a CSV'],
    ['text that starts with "{" but is not JSON', '{"resourceType": "Bundle",', 'calibrate: the file starts with "{" but is not valid JSON'],
  ])('refuses %s with exit code 1 and a message', (_name, text, message) => {
    const { code, log } = run('bad.json', text);
    expect(code).toBe(1);
    expect(log[0]).toContain(message);
  });
});
