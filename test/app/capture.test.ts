import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Bundle, CodeSystem, Observation } from 'fhir/r4';
import {
  type CaptureContext,
  CAPTURE_FIELDS,
  CAPTURE_LIMITS,
  type FieldErrors,
  performerFromFhirUser,
  PROJECT_DISPLAYS,
  RADIOMICS_FIELDS,
  radiomicsTransaction,
  TBF_FIELDS,
  tbfObservation,
  type TbfCapture,
  type Validated,
  validateRadiomicsForm,
  validateTbfForm,
  validateVolumeForm,
  VOLUME_FIELDS,
  volumeObservation,
} from '../../src/app/capture';
import { ASL_DEFAULTS, aslTumorBloodFlow, assessPatient, DONG_2019, evaluateIctos } from '../../src/core';
import { DEFAULT_CODE_LISTS, PROJECT_CODE_SYSTEM, SYSTEMS } from '../../src/fhir/codes';
import { extractInputs } from '../../src/fhir/extract';
import { TARGET_UNITS } from '../../src/fhir/units';
import { PATIENT_ID, record } from '../support/fhir-builders';
import { startFhirServer } from '../support/fhir-server';

const TODAY = '2026-06-01';
/** The service's clock for the round trip: the end of TODAY in UTC. */
const NOW = '2026-06-01T23:00:00Z';
const CTX: CaptureContext = { patientId: PATIENT_ID, today: TODAY };

const codeSystem = JSON.parse(
  readFileSync(path.resolve(__dirname, '../../fhir/CodeSystem-npc-biomarkers.json'), 'utf8'),
) as CodeSystem;

function valueOf<T>(v: Validated<T>): T {
  if (!v.ok) throw new Error(`expected a valid form, got ${JSON.stringify(v.errors)}`);
  return v.value;
}
function errorsOf<T>(v: Validated<T>): FieldErrors {
  if (v.ok) throw new Error('expected errors, the form was valid');
  return v.errors;
}
/** A deterministic UUID generator for the transaction's fullUrls. */
function sequentialIds(): () => string {
  let n = 0;
  return () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`;
}

const tbfForm = (over: Record<string, string> = {}) => ({ 'tbf-date': '2026-05-25', 'tbf-value': '150', ...over });
const signalsForm = (control: string, label: string, pd: string, over: Record<string, string> = {}) => ({
  'tbf-date': '2026-05-25',
  'asl-si-control': control,
  'asl-si-label': label,
  'asl-si-pd': pd,
  ...over,
});
const radiomicsForm = (over: Record<string, string> = {}) => ({
  'radiomics-date': '2026-05-20',
  'skewness-z': '0.5',
  'glcm-variance-z': '-0.25',
  'glrlm-lrhgle-z': '1.2',
  ...over,
});
const volumeForm = (over: Record<string, string> = {}) => ({ 'volume-date': '2026-05-20', 'volume-ml': '28.4', ...over });

/** TBF per unit of (SIcontrol − SIlabel) / SIPD with the default constants of Liu 2022 Eq. 2. */
const ASL_FACTOR = (() => {
  const r = aslTumorBloodFlow({ siControl: 1, siLabel: 0, siPd: 1 });
  if (r.kind !== 'computed') throw new Error('the ASL equation did not compute');
  return r.tbf;
})();

type Form = 'tbf' | 'radiomics' | 'volume';
const VALIDATORS: Record<Form, (fields: Record<string, string>) => Validated<unknown>> = {
  tbf: (f) => validateTbfForm(f, TODAY),
  radiomics: (f) => validateRadiomicsForm(f, TODAY),
  volume: (f) => validateVolumeForm(f, TODAY),
};
const FIELD_NAMES: Record<Form, readonly string[]> = { tbf: TBF_FIELDS, radiomics: RADIOMICS_FIELDS, volume: VOLUME_FIELDS };

interface Row {
  readonly case: string;
  readonly form: Form;
  readonly fields: Record<string, string>;
  /** undefined: valid. Otherwise each field with an error, and a pattern its message must match. */
  readonly errors?: Readonly<Record<string, RegExp>>;
}

describe('validation of the capture forms (nothing is sent unless valid)', () => {
  const dateRows: Row[] = [
    { case: 'an empty date is required', form: 'tbf', fields: tbfForm({ 'tbf-date': '' }), errors: { 'tbf-date': /^Enter the date of the ASL MRI/ } },
    { case: 'a date with slashes is not YYYY-MM-DD', form: 'tbf', fields: tbfForm({ 'tbf-date': '2026/03/02' }), errors: { 'tbf-date': /YYYY-MM-DD/ } },
    { case: 'a day-first date is not YYYY-MM-DD', form: 'tbf', fields: tbfForm({ 'tbf-date': '02-03-2026' }), errors: { 'tbf-date': /YYYY-MM-DD/ } },
    { case: '29 February of a common year is not a calendar date', form: 'tbf', fields: tbfForm({ 'tbf-date': '2026-02-29' }), errors: { 'tbf-date': /not a calendar date/ } },
    { case: '29 February of a leap year is a calendar date', form: 'tbf', fields: tbfForm({ 'tbf-date': '2024-02-29' }) },
    { case: 'month 13 is not a calendar date', form: 'tbf', fields: tbfForm({ 'tbf-date': '2026-13-01' }), errors: { 'tbf-date': /not a calendar date/ } },
    { case: 'today is accepted', form: 'tbf', fields: tbfForm({ 'tbf-date': TODAY }) },
    { case: 'tomorrow is after today', form: 'tbf', fields: tbfForm({ 'tbf-date': '2026-06-02' }), errors: { 'tbf-date': /after today \(2026-06-01\)/ } },
    { case: '1 January 1990 is accepted', form: 'tbf', fields: tbfForm({ 'tbf-date': '1990-01-01' }) },
    { case: '31 December 1989 is before 1990', form: 'tbf', fields: tbfForm({ 'tbf-date': '1989-12-31' }), errors: { 'tbf-date': /before 1990/ } },
    { case: 'a two-digit-year date 0050-01-01 is before 1990', form: 'tbf', fields: tbfForm({ 'tbf-date': '0050-01-01' }), errors: { 'tbf-date': /before 1990/ } },
    { case: 'a date with surrounding spaces is accepted', form: 'tbf', fields: tbfForm({ 'tbf-date': ' 2026-05-25 ' }) },
    { case: 'the radiomics MRI date is required', form: 'radiomics', fields: radiomicsForm({ 'radiomics-date': '' }), errors: { 'radiomics-date': /^Enter the date of the MRI/ } },
    { case: 'a radiomics MRI after today is rejected', form: 'radiomics', fields: radiomicsForm({ 'radiomics-date': '2026-06-02' }), errors: { 'radiomics-date': /after today/ } },
    { case: 'the volume MRI date is required', form: 'volume', fields: volumeForm({ 'volume-date': '  ' }), errors: { 'volume-date': /^Enter the date of the MRI/ } },
    { case: 'a volume MRI before 1990 is rejected', form: 'volume', fields: volumeForm({ 'volume-date': '1989-12-31' }), errors: { 'volume-date': /before 1990/ } },
  ];

  const numberRows: Row[] = [
    { case: 'a value with surrounding spaces is accepted', form: 'tbf', fields: tbfForm({ 'tbf-value': ' 150 ' }) },
    { case: '"12abc" is not a number', form: 'tbf', fields: tbfForm({ 'tbf-value': '12abc' }), errors: { 'tbf-value': /^Enter a number/ } },
    { case: '"NaN" is not a number', form: 'tbf', fields: tbfForm({ 'tbf-value': 'NaN' }), errors: { 'tbf-value': /^Enter a number/ } },
    { case: '"Infinity" is not a number', form: 'tbf', fields: tbfForm({ 'tbf-value': 'Infinity' }), errors: { 'tbf-value': /^Enter a number/ } },
    { case: 'a hexadecimal number is not a decimal number', form: 'volume', fields: volumeForm({ 'volume-ml': '0x1A' }), errors: { 'volume-ml': /^Enter a number/ } },
    { case: '"1e400" is rejected (exponent notation)', form: 'tbf', fields: tbfForm({ 'tbf-value': '1e400' }), errors: { 'tbf-value': /without exponent notation/ } },
    { case: '"1.5e2" is rejected (exponent notation)', form: 'tbf', fields: tbfForm({ 'tbf-value': '1.5e2' }), errors: { 'tbf-value': /without exponent notation/ } },
    { case: 'a 400-digit number is too large', form: 'volume', fields: volumeForm({ 'volume-ml': '9'.repeat(400) }), errors: { 'volume-ml': /too large/ } },
    { case: 'a decimal comma asks for a decimal point', form: 'tbf', fields: tbfForm({ 'tbf-value': '170,67' }), errors: { 'tbf-value': /use a decimal point/i } },
    { case: 'a thousands separator asks for a decimal point', form: 'volume', fields: volumeForm({ 'volume-ml': '1,000' }), errors: { 'volume-ml': /use a decimal point/i } },
    { case: 'a decimal comma in a z-score asks for a decimal point', form: 'radiomics', fields: radiomicsForm({ 'skewness-z': '-0,5' }), errors: { 'skewness-z': /use a decimal point/i } },
    { case: 'a space inside a number is rejected', form: 'volume', fields: volumeForm({ 'volume-ml': '1 000' }), errors: { 'volume-ml': /^Enter a number/ } },
    { case: 'a typographic minus (U+2212) is read as a minus sign', form: 'radiomics', fields: radiomicsForm({ 'skewness-z': '−1.5' }) },
    { case: 'a leading plus sign is accepted', form: 'radiomics', fields: radiomicsForm({ 'glrlm-lrhgle-z': '+0.7' }) },
  ];

  const tbfValueRows: Row[] = [
    { case: 'TBF 0 is not above 0', form: 'tbf', fields: tbfForm({ 'tbf-value': '0' }), errors: { 'tbf-value': /greater than 0/ } },
    { case: 'a negative TBF is not above 0', form: 'tbf', fields: tbfForm({ 'tbf-value': '-12' }), errors: { 'tbf-value': /greater than 0/ } },
    { case: 'TBF 0.01 (just above 0) is accepted', form: 'tbf', fields: tbfForm({ 'tbf-value': '0.01' }) },
    { case: 'TBF 999.99 (just below the plausible maximum) is accepted', form: 'tbf', fields: tbfForm({ 'tbf-value': '999.99' }) },
    { case: 'TBF 1000 (at the plausible maximum) is accepted', form: 'tbf', fields: tbfForm({ 'tbf-value': '1000' }) },
    {
      case: 'TBF 1000.01 is implausible, citing the Liu 2022 group means',
      form: 'tbf',
      fields: tbfForm({ 'tbf-value': '1000.01' }),
      errors: { 'tbf-value': /not a plausible tumor blood flow \(Liu 2022 group means were about 80–160\)/ },
    },
  ];

  const tbfModeRows: Row[] = [
    {
      case: 'neither the value nor the signals: asks for one of them',
      form: 'tbf',
      fields: { 'tbf-date': '2026-05-25', 'tbf-value': ' ', 'asl-si-control': '', 'asl-si-label': '', 'asl-si-pd': '' },
      errors: { 'tbf-value': /^Enter the tumor blood flow, or the three ASL signal values/ },
    },
    {
      case: 'both the value and signals: names the signals to clear',
      form: 'tbf',
      fields: tbfForm({ 'asl-si-control': '812', 'asl-si-label': '790' }),
      errors: { 'tbf-value': /not both.*clear SIcontrol and SIlabel/ },
    },
    {
      case: 'two of the three signals: asks for the third',
      form: 'tbf',
      fields: signalsForm('812', '790', ''),
      errors: { 'asl-si-pd': /^Enter SIPD as well/ },
    },
    {
      case: 'one signal only: asks for the other two',
      form: 'tbf',
      fields: signalsForm('', '790', ''),
      errors: { 'asl-si-control': /^Enter SIcontrol as well/, 'asl-si-pd': /^Enter SIPD as well/ },
    },
    { case: 'three valid signals are accepted', form: 'tbf', fields: signalsForm('812', '790', '1500') },
    {
      case: 'SIlabel above SIcontrol: asks whether they were swapped',
      form: 'tbf',
      fields: signalsForm('790', '812', '1500'),
      errors: { 'asl-si-label': /greater than SIcontrol.*swapped/ },
    },
    {
      case: 'SIlabel equal to SIcontrol: no perfusion signal',
      form: 'tbf',
      fields: signalsForm('800', '800', '1500'),
      errors: { 'asl-si-label': /equals SIcontrol/ },
    },
    { case: 'SIlabel 0 (at its bound) is accepted', form: 'tbf', fields: signalsForm('10', '0', '5000') },
    { case: 'a negative SIlabel is rejected', form: 'tbf', fields: signalsForm('10', '-1', '5000'), errors: { 'asl-si-label': /SIlabel cannot be negative/ } },
    { case: 'a negative SIcontrol is rejected', form: 'tbf', fields: signalsForm('-1', '0', '5000'), errors: { 'asl-si-control': /SIcontrol cannot be negative/ } },
    { case: 'SIPD 0 (at its bound) is rejected', form: 'tbf', fields: signalsForm('812', '790', '0'), errors: { 'asl-si-pd': /SIPD must be greater than 0/ } },
    { case: 'a non-numeric signal is named on its field', form: 'tbf', fields: signalsForm('812', 'abc', '1500'), errors: { 'asl-si-label': /^Enter a number/ } },
    {
      case: 'signals giving a computed TBF of 990 are accepted',
      form: 'tbf',
      fields: signalsForm('1', '0', String(ASL_FACTOR / 990)),
    },
    {
      case: 'signals giving a computed TBF of 1010 are implausible',
      form: 'tbf',
      fields: signalsForm('1', '0', String(ASL_FACTOR / 1010)),
      errors: { 'asl-si-control': /computed from these signals, 1010 mL\/100 g\/min, is above the plausible maximum/ },
    },
  ];

  const zRows: Row[] = [
    { case: 'z = 10 (at the bound) is accepted', form: 'radiomics', fields: radiomicsForm({ 'skewness-z': '10' }) },
    { case: 'z = −10 (at the bound) is accepted', form: 'radiomics', fields: radiomicsForm({ 'glcm-variance-z': '-10' }) },
    { case: 'z = 9.99 (just below the bound) is accepted', form: 'radiomics', fields: radiomicsForm({ 'glrlm-lrhgle-z': '9.99' }) },
    {
      case: 'z = 10.01 is almost surely a raw value',
      form: 'radiomics',
      fields: radiomicsForm({ 'skewness-z': '10.01' }),
      errors: { 'skewness-z': /beyond ±10 is almost surely a raw feature value entered as a z-score/ },
    },
    {
      case: 'z = −10.01 is almost surely a raw value',
      form: 'radiomics',
      fields: radiomicsForm({ 'glcm-variance-z': '-10.01' }),
      errors: { 'glcm-variance-z': /almost surely a raw feature value/ },
    },
    {
      case: 'a raw GLCM variance of 1843.2 is almost surely not a z-score',
      form: 'radiomics',
      fields: radiomicsForm({ 'glcm-variance-z': '1843.2' }),
      errors: { 'glcm-variance-z': /almost surely a raw feature value/ },
    },
    {
      case: 'every z-score is required',
      form: 'radiomics',
      fields: radiomicsForm({ 'glrlm-lrhgle-z': '' }),
      errors: { 'glrlm-lrhgle-z': /^Enter the GLRLM long run high gray-level emphasis \(z-score\)/ },
    },
  ];

  const volumeRows: Row[] = [
    { case: 'volume 0 mL is not above 0', form: 'volume', fields: volumeForm({ 'volume-ml': '0' }), errors: { 'volume-ml': /greater than 0 mL/ } },
    { case: 'volume 0.01 mL (just above 0) is accepted', form: 'volume', fields: volumeForm({ 'volume-ml': '0.01' }) },
    { case: 'volume 499.99 mL is accepted', form: 'volume', fields: volumeForm({ 'volume-ml': '499.99' }) },
    { case: 'volume 500 mL (at the plausible maximum) is accepted', form: 'volume', fields: volumeForm({ 'volume-ml': '500' }) },
    { case: 'volume 500.01 mL is implausible', form: 'volume', fields: volumeForm({ 'volume-ml': '500.01' }), errors: { 'volume-ml': /not a plausible primary tumor volume/ } },
    { case: 'an empty volume is required', form: 'volume', fields: volumeForm({ 'volume-ml': '' }), errors: { 'volume-ml': /^Enter the primary tumor volume/ } },
  ];

  const rows = [...dateRows, ...numberRows, ...tbfValueRows, ...tbfModeRows, ...zRows, ...volumeRows];
  test.each(rows)('$form form: $case', ({ form, fields, errors }) => {
    const result = VALIDATORS[form](fields);
    if (errors === undefined) {
      expect(result).toMatchObject({ ok: true });
      return;
    }
    const actual = errorsOf(result);
    expect(Object.keys(actual).sort()).toEqual(Object.keys(errors).sort());
    for (const [name, pattern] of Object.entries(errors)) expect(actual[name]).toMatch(pattern);
    for (const name of Object.keys(actual)) expect(FIELD_NAMES[form]).toContain(name);
  });

  test('every error of a form is reported at once, one message per field', () => {
    const errors = errorsOf(validateRadiomicsForm({ 'radiomics-date': '2026-02-30', 'skewness-z': 'x', 'glcm-variance-z': '11' }, TODAY));
    expect(Object.keys(errors).sort()).toEqual(['glcm-variance-z', 'glrlm-lrhgle-z', 'radiomics-date', 'skewness-z']);
  });

  test('a missing form field counts as empty', () => {
    expect(errorsOf(validateVolumeForm({}, TODAY))).toEqual({
      'volume-date': expect.stringMatching(/^Enter the date/),
      'volume-ml': expect.stringMatching(/^Enter the primary tumor volume/),
    });
  });

  test.each(['', '2026-6-1', '2026-02-30'])('a clock that is not a calendar date ("%s") is a programming error', (today) => {
    expect(() => validateTbfForm(tbfForm(), today)).toThrow(RangeError);
  });
});

describe('tumor blood flow (Liu 2022 Eq. 2)', () => {
  test('a TBF computed from the three signals equals aslTumorBloodFlow with the default constants, which are returned', () => {
    const capture = valueOf(validateTbfForm(signalsForm(' 812.4', '790.1 ', '1500'), TODAY));
    const expected = aslTumorBloodFlow({ siControl: 812.4, siLabel: 790.1, siPd: 1500 });
    if (expected.kind !== 'computed' || capture.source !== 'computed') throw new Error('expected a computed TBF');
    expect(capture.unroundedTbf).toBe(expected.tbf);
    expect(capture.tbf).toBe(Math.round(expected.tbf * 100) / 100);
    expect(capture.constants).toEqual(ASL_DEFAULTS);
    expect(capture.signals).toEqual({ siControl: 812.4, siLabel: 790.1, siPd: 1500 });
    expect(capture.date).toBe('2026-05-25');
  });

  test('a computed TBF is written to 2 decimals with a method and a note naming Eq. 2, the signals and every constant', () => {
    const capture = valueOf(validateTbfForm(signalsForm('812.4', '790.1', '1500'), TODAY));
    if (capture.source !== 'computed') throw new Error('expected a computed TBF');
    const obs = tbfObservation(capture, CTX);
    expect(obs.valueQuantity?.value).toBe(capture.tbf);
    expect(Number.isInteger(Math.round((obs.valueQuantity?.value ?? 0) * 100))).toBe(true);
    expect(obs.method?.text).toMatch(/Liu 2022 Eq\. 2/);
    const note = obs.note?.[0]?.text ?? '';
    expect(note).toMatch(/Liu 2022 Eq\. 2/);
    for (const part of [
      'SIcontrol = 812.4',
      'SIlabel = 790.1',
      'SIPD = 1500',
      `λ = ${ASL_DEFAULTS.partitionCoefficient} mL/g`,
      `α = ${ASL_DEFAULTS.labelingEfficiency}`,
      `T1blood = ${ASL_DEFAULTS.t1BloodS} s`,
      `PLD = ${ASL_DEFAULTS.postLabelingDelayS} s`,
      `τ = ${ASL_DEFAULTS.labelDurationS} s`,
      String(capture.unroundedTbf),
    ]) {
      expect(note).toContain(part);
    }
  });

  test('the Liu 2022 Fig. 4 Pre-TBF of 170.67 entered directly is written as 170.67 mL/(100.g)/min, without method or note', () => {
    const capture = valueOf(validateTbfForm(tbfForm({ 'tbf-value': '170.67' }), TODAY));
    expect(capture).toEqual({ date: '2026-05-25', tbf: 170.67, source: 'entered' });
    const obs = tbfObservation(capture, CTX);
    expect(obs.valueQuantity).toEqual({ value: 170.67, unit: 'mL/100 g/min', system: 'http://unitsofmeasure.org', code: 'mL/(100.g)/min' });
    expect(obs.method).toBeUndefined();
    expect(obs.note).toBeUndefined();
  });

  test('the builders take only validated captures: the brand is checked by tsc and absent at run time', () => {
    // @ts-expect-error a hand-made object is not a validated TbfCapture
    const handMade: TbfCapture = { date: '2026-05-25', tbf: 150, source: 'entered' };
    expect(valueOf(validateTbfForm(tbfForm(), TODAY))).toEqual(handMade);
  });

  test('an entered value is written as typed, not rounded', () => {
    const obs = tbfObservation(valueOf(validateTbfForm(tbfForm({ 'tbf-value': '137.075' }), TODAY)), CTX);
    expect(obs.valueQuantity?.value).toBe(137.075);
  });
});

describe('ICTOS from the z-scored features (Dong 2019)', () => {
  const rows = [
    // Dong 2019 Results: ICTOS = −0.668·skewness − 0.442·GLCM_variance + 0.410·GLRLM_LRHGLE; high when > 0.
    { z: ['1', '1', '1'], score: -0.7, kind: 'low' },
    { z: ['-1', '0', '1'], score: 1.078, kind: 'high' },
    { z: ['1', '0', '1.63'], score: 0.0003, kind: 'high' },
    { z: ['0.41', '0', '0.668'], score: 0, kind: 'low' },
    { z: ['0', '0', '0.0001'], score: 0.000041, kind: 'high' },
  ] as const;
  test.each(rows)('z-scores $z give ICTOS $score, $kind, as evaluateIctos computes it', ({ z, score, kind }) => {
    const [skewness, glcmVariance, glrlmLrhgle] = z;
    const capture = valueOf(
      validateRadiomicsForm(radiomicsForm({ 'skewness-z': skewness, 'glcm-variance-z': glcmVariance, 'glrlm-lrhgle-z': glrlmLrhgle }), TODAY),
    );
    const expected = evaluateIctos({ zFeatures: capture.z }, DONG_2019);
    if (expected.kind === 'insufficient-data') throw new Error('expected a score');
    expect(capture.z).toEqual({ skewness: Number(skewness), glcmVariance: Number(glcmVariance), glrlmLrhgle: Number(glrlmLrhgle) });
    expect(capture.ictos).toMatchObject({ score: expected.score, kind: expected.kind, contributions: expected.features, cutoff: 0, thresholdSet: 'dong-2019' });
    expect(capture.ictos.score).toBeCloseTo(score, 9);
    expect(capture.ictos.kind).toBe(kind);
  });

  test('a score of exactly 0 is low and is written as 0', () => {
    const capture = valueOf(validateRadiomicsForm(radiomicsForm({ 'skewness-z': '0', 'glcm-variance-z': '0', 'glrlm-lrhgle-z': '0' }), TODAY));
    expect(capture.ictos).toMatchObject({ score: 0, kind: 'low' });
    const ictos = radiomicsTransaction(capture, CTX).entry?.[3]?.resource as Observation;
    expect(ictos.valueQuantity?.value).toBe(0);
  });

  test('a small high score (0.000041) is written unrounded, so that it is read back as high', () => {
    const capture = valueOf(validateRadiomicsForm(radiomicsForm({ 'skewness-z': '0', 'glcm-variance-z': '0', 'glrlm-lrhgle-z': '0.0001' }), TODAY));
    const ictos = radiomicsTransaction(capture, CTX).entry?.[3]?.resource as Observation;
    expect(ictos.valueQuantity?.value).toBe(capture.ictos.score);
    expect(ictos.valueQuantity?.value).toBeGreaterThan(0);
  });
});

describe('the radiomics transaction Bundle', () => {
  const capture = valueOf(validateRadiomicsForm(radiomicsForm(), TODAY));
  const bundle = radiomicsTransaction(capture, { ...CTX, newId: sequentialIds() });
  const entries = bundle.entry ?? [];
  const codeOf = (o: Observation | undefined) => o?.code.coding?.[0]?.code;

  test('is one transaction of four POSTs: the three features, then ICTOS', () => {
    expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'transaction' });
    expect(entries.map((e) => codeOf(e.resource as Observation))).toEqual(['skewness-z', 'glcm-variance-z', 'glrlm-lrhgle-z', 'ictos']);
    for (const e of entries) expect(e.request).toEqual({ method: 'POST', url: 'Observation' });
    expect(entries.map((e) => e.fullUrl)).toEqual([1, 2, 3, 4].map((n) => `urn:uuid:00000000-0000-4000-8000-${String(n).padStart(12, '0')}`));
  });

  test("the ICTOS Observation's derivedFrom references resolve to the three feature entries' fullUrls", () => {
    const ictos = entries[3]?.resource as Observation;
    const targets = (ictos.derivedFrom ?? []).map((r) => entries.find((e) => e.fullUrl === r.reference));
    expect(targets.map((e) => codeOf(e?.resource as Observation))).toEqual(['skewness-z', 'glcm-variance-z', 'glrlm-lrhgle-z']);
  });

  test('each feature Observation holds its z-score, dimensionless (UCUM 1)', () => {
    const values = entries.slice(0, 3).map((e) => (e.resource as Observation).valueQuantity);
    expect(values).toEqual([0.5, -0.25, 1.2].map((value) => ({ value, unit: '1', system: SYSTEMS.ucum, code: '1' })));
  });

  test('the ICTOS Observation names Dong 2019 and the formula in its method, and its score and class in a note', () => {
    const ictos = entries[3]?.resource as Observation;
    expect(ictos.valueQuantity).toEqual({ value: capture.ictos.score, unit: '1', system: SYSTEMS.ucum, code: '1' });
    expect(ictos.method?.text).toContain('Dong 2019');
    expect(ictos.method?.text).toContain('−0.668·skewness − 0.442·GLCM_variance + 0.41·GLRLM_LRHGLE');
    // −0.668·0.5 − 0.442·(−0.25) + 0.41·1.2 = 0.2685
    expect(capture.ictos.score).toBeCloseTo(0.2685, 9);
    expect(ictos.note?.[0]?.text).toMatch(/ICTOS = 0\.2685: high/);
  });

  test('without a generator the fullUrls are random UUIDs, distinct within the Bundle', () => {
    const urls = (radiomicsTransaction(capture, CTX).entry ?? []).map((e) => e.fullUrl);
    for (const u of urls) expect(u).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(urls).size).toBe(4);
  });
});

describe('the Observations written', () => {
  const tbf = valueOf(validateTbfForm(tbfForm(), TODAY));
  const radiomics = valueOf(validateRadiomicsForm(radiomicsForm(), TODAY));
  const volume = valueOf(validateVolumeForm(volumeForm(), TODAY));
  const all = (ctx: CaptureContext): Observation[] => [
    tbfObservation(tbf, ctx),
    ...(radiomicsTransaction(radiomics, ctx).entry ?? []).map((e) => e.resource as Observation),
    volumeObservation(volume, ctx),
  ];
  const concepts = new Map((codeSystem.concept ?? []).map((c) => [c.code, c]));

  test('a site that renames the project codes (CODE_LISTS_FILE) gets its own codes written, with the project displays', () => {
    const projectCodes = { ...DEFAULT_CODE_LISTS.project, tumorBloodFlow: 'site-tbf', skewnessZ: 'site-skew-z', ictos: 'site-ictos', primaryTumorVolume: 'site-volume' };
    const codes = all({ ...CTX, projectCodes }).map((o) => o.code.coding?.[0]?.code);
    expect(codes).toEqual(['site-tbf', 'site-skew-z', 'glcm-variance-z', 'glrlm-lrhgle-z', 'site-ictos', 'site-volume']);
    expect(all({ ...CTX, projectCodes })[0]?.code.text).toBe('Tumor blood flow (ASL)');
  });
  const ucumOf = (code: string) => concepts.get(code)?.property?.find((p) => p.code === 'ucum-unit')?.valueCoding?.code;

  test('are final imaging Observations of the patient, coded in the project CodeSystem with its display, dated by the form', () => {
    for (const obs of all(CTX)) {
      const code = obs.code.coding?.[0]?.code ?? '';
      const display = concepts.get(code)?.display;
      expect(display).toBeDefined();
      expect(obs).toMatchObject({
        resourceType: 'Observation',
        status: 'final',
        category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'imaging' }] }],
        code: { coding: [{ system: PROJECT_CODE_SYSTEM, code, display }], text: display },
        subject: { reference: `Patient/${PATIENT_ID}` },
      });
      expect(obs.effectiveDateTime).toMatch(/^2026-05-\d\d$/);
      expect(obs.id).toBeUndefined();
    }
  });

  test("carry the CodeSystem's UCUM unit, which is the extraction's target unit", () => {
    for (const obs of all(CTX)) {
      const code = obs.code.coding?.[0]?.code ?? '';
      expect(obs.valueQuantity?.system).toBe(SYSTEMS.ucum);
      expect(obs.valueQuantity?.code).toBe(ucumOf(code));
    }
    expect([TARGET_UNITS.tbf, TARGET_UNITS.score, TARGET_UNITS.volume]).toEqual([ucumOf('tumor-blood-flow'), ucumOf('ictos'), ucumOf('primary-tumor-volume')]);
  });

  test('carry the display the published CodeSystem gives their code', () => {
    for (const obs of all(CTX)) {
      const coding = obs.code.coding?.[0];
      expect(coding?.display).toBeDefined();
      expect(coding?.display).toBe(concepts.get(coding?.code ?? '')?.display);
      expect(obs.code.text).toBe(coding?.display);
    }
    expect(Object.keys(PROJECT_DISPLAYS).length).toBe(concepts.size);
  });

  test('use a configured project CodeSystem URL', () => {
    for (const obs of all({ ...CTX, codeSystem: 'https://example.org/fhir/CodeSystem/site-npc' })) {
      expect(obs.code.coding?.[0]?.system).toBe('https://example.org/fhir/CodeSystem/site-npc');
    }
  });

  const contexts = [
    { known: 'neither performer nor encounter', ctx: CTX, performer: undefined, encounter: undefined },
    { known: 'the performer only', ctx: { ...CTX, performer: 'Practitioner/dr-lee' }, performer: 'Practitioner/dr-lee', encounter: undefined },
    { known: 'the encounter only', ctx: { ...CTX, encounterId: 'enc-7' }, performer: undefined, encounter: 'Encounter/enc-7' },
    {
      known: 'both, with an absolute fhirUser',
      ctx: { ...CTX, encounterId: 'enc-7', performer: 'https://ehr.example.org/fhir/Practitioner/123' },
      performer: 'https://ehr.example.org/fhir/Practitioner/123',
      encounter: 'Encounter/enc-7',
    },
  ];
  test.each(contexts)('name a performer and an encounter only when known: $known', ({ ctx, performer, encounter }) => {
    for (const obs of all(ctx)) {
      if (performer === undefined) expect(obs).not.toHaveProperty('performer');
      else expect(obs.performer).toEqual([{ reference: performer }]);
      if (encounter === undefined) expect(obs).not.toHaveProperty('encounter');
      else expect(obs.encounter).toEqual({ reference: encounter });
    }
  });

  test.each([
    { fhirUser: 'Practitioner/dr-lee', performer: 'Practitioner/dr-lee' },
    { fhirUser: ' https://ehr.example.org/fhir/PractitionerRole/r1 ', performer: 'https://ehr.example.org/fhir/PractitionerRole/r1' },
    { fhirUser: 'Patient/p1', performer: 'Patient/p1' },
    { fhirUser: 'Person/x', performer: undefined },
    { fhirUser: 'dr-lee', performer: undefined },
    { fhirUser: undefined, performer: undefined },
  ])('a SMART fhirUser $fhirUser gives the performer $performer', ({ fhirUser, performer }) => {
    expect(performerFromFhirUser(fhirUser)).toBe(performer);
  });

  const badContexts: { case: string; ctx: CaptureContext; error: RegExp }[] = [
    { case: 'a patient reference instead of an id', ctx: { ...CTX, patientId: `Patient/${PATIENT_ID}` }, error: /patientId must be a FHIR id/ },
    { case: 'an empty patient id', ctx: { ...CTX, patientId: '' }, error: /patientId/ },
    { case: 'an encounter reference instead of an id', ctx: { ...CTX, encounterId: 'Encounter/enc-7' }, error: /encounterId/ },
    { case: 'a performer that is not a reference', ctx: { ...CTX, performer: 'Dr Lee' }, error: /performer must be a reference/ },
    { case: 'a clock that is not a date', ctx: { ...CTX, today: '01/06/2026' }, error: /today/ },
    { case: 'a capture dated after the context\u2019s today', ctx: { ...CTX, today: '2026-02-01' }, error: /after today/ },
  ];
  test.each(badContexts)('are not built for $case', ({ ctx, error }) => {
    expect(() => tbfObservation(tbf, ctx)).toThrow(error);
    expect(() => radiomicsTransaction(radiomics, ctx)).toThrow(error);
    expect(() => volumeObservation(volume, ctx)).toThrow(error);
  });
});

describe('the fields the template renders', () => {
  const forms = Object.entries(CAPTURE_FIELDS);
  const fieldsOf = (form: (typeof CAPTURE_FIELDS)[keyof typeof CAPTURE_FIELDS]) => form.fieldsets.flatMap((s) => s.fields);

  test('are exactly the field names the validators read, in order', () => {
    expect(fieldsOf(CAPTURE_FIELDS.tbf).map((f) => f.name)).toEqual([...TBF_FIELDS]);
    expect(fieldsOf(CAPTURE_FIELDS.radiomics).map((f) => f.name)).toEqual([...RADIOMICS_FIELDS]);
    expect(fieldsOf(CAPTURE_FIELDS.volume).map((f) => f.name)).toEqual([...VOLUME_FIELDS]);
  });

  test('have unique input, help and error ids', () => {
    const ids = forms.flatMap(([, form]) => fieldsOf(form).flatMap((f) => [f.id, f.helpId, f.errorId]));
    expect(new Set(ids).size).toBe(ids.length);
  });

  test('render numbers as text inputs with inputmode decimal, and dates as date inputs from 1990', () => {
    for (const [, form] of forms) {
      for (const f of fieldsOf(form)) {
        if (f.name.endsWith('-date')) expect(f).toMatchObject({ type: 'date', min: CAPTURE_LIMITS.earliestDate, required: true });
        else expect(f).toMatchObject({ type: 'text', inputmode: 'decimal' });
        expect(f.help.length).toBeGreaterThan(10);
      }
    }
  });

  test('put the unit in the label of every stored value that has one, and state the plausible range in the help', () => {
    const byName = new Map(forms.flatMap(([, form]) => fieldsOf(form).map((f) => [f.name, f])));
    expect(byName.get('tbf-value')).toMatchObject({ label: 'Tumor blood flow (mL/100 g/min)', unit: 'mL/100 g/min', ucumUnit: 'mL/(100.g)/min', required: false });
    expect(byName.get('tbf-value')?.help).toMatch(/at most 1000.*80–160/);
    expect(byName.get('volume-ml')).toMatchObject({ label: 'Primary tumor volume (mL)', unit: 'mL', ucumUnit: 'mL', required: true });
    expect(byName.get('volume-ml')?.help).toMatch(/at most 500 mL/);
    expect(byName.get('skewness-z')?.help).toMatch(/between −10 and 10/);
    for (const name of ['asl-si-control', 'asl-si-label', 'asl-si-pd'] as const) expect(byName.get(name)?.required).toBe(false);
  });

  test('show the ASL constants used, next to the signals', () => {
    const help = CAPTURE_FIELDS.tbf.fieldsets[2]?.help ?? '';
    expect(help).toContain('Liu 2022 Eq. 2');
    expect(help).toContain('λ = 0.9 mL/g, α = 0.85, T1blood = 1.65 s, PLD = 2.025 s, τ = 1.8 s');
  });
});

/** What a FHIR server does on committing a transaction: assigns ids and rewrites urn:uuid references. */
function commit(bundle: Bundle): Observation[] {
  const entries = bundle.entry ?? [];
  const ids = new Map(entries.map((e, i) => [e.fullUrl ?? '', `Observation/committed-${i + 1}`]));
  return entries.map((e, i) => {
    const obs = structuredClone(e.resource as Observation);
    obs.id = `committed-${i + 1}`;
    for (const r of obs.derivedFrom ?? []) r.reference = ids.get(r.reference ?? '') ?? r.reference;
    return obs;
  });
}

describe('round trip: what the app writes is what the service reads (extractInputs, assessPatient)', () => {
  const stored = (o: Observation, id: string): Observation => ({ ...o, id });

  test('an entered TBF, the radiomic features with ICTOS, and the volume are read back with their values, units and dates', () => {
    const tbf = valueOf(validateTbfForm(tbfForm({ 'tbf-value': '170.67' }), TODAY));
    const radiomics = valueOf(validateRadiomicsForm(radiomicsForm(), TODAY));
    const volume = valueOf(validateVolumeForm(volumeForm(), TODAY));
    const observations = [
      stored(tbfObservation(tbf, CTX), 'tbf-1'),
      ...commit(radiomicsTransaction(radiomics, CTX)),
      stored(volumeObservation(volume, CTX), 'vol-1'),
    ];
    const x = extractInputs(record({ observations }), NOW);

    expect(x.unusable).toEqual([]);
    expect(x.found['pre-tbf']).toMatchObject({
      value: 170.67,
      unit: 'mL/(100.g)/min',
      provenance: { reference: 'Observation/tbf-1', effective: '2026-05-25', status: 'final', recordedValue: 170.67, recordedUnit: 'mL/(100.g)/min' },
    });
    expect(x.found['skewness-z']).toMatchObject({ value: 0.5, unit: '1', provenance: { reference: 'Observation/committed-1', effective: '2026-05-20' } });
    expect(x.found['glcm-variance-z']).toMatchObject({ value: -0.25, unit: '1' });
    expect(x.found['glrlm-lrhgle-z']).toMatchObject({ value: 1.2, unit: '1' });
    expect(x.found.ictos).toMatchObject({ value: radiomics.ictos.score, unit: '1', provenance: { reference: 'Observation/committed-4' } });
    expect(x.found['tumor-volume']).toMatchObject({ value: 28.4, unit: 'mL', provenance: { reference: 'Observation/vol-1', recordedUnit: 'mL' } });
    for (const key of ['pre-tbf', 'skewness-z', 'ictos', 'tumor-volume'] as const) {
      expect(x.found[key]?.provenance.notes).not.toContain('unit-converted');
    }
    expect(x.inputs).toMatchObject({ preTbf: 170.67, tumorVolumeMl: { value: 28.4 } });

    const assessment = assessPatient(x.inputs);
    expect(assessment.ictos).toMatchObject({ kind: radiomics.ictos.kind, score: radiomics.ictos.score, source: 'score' });
    expect(assessment.tbf['pre-tbf-response']).toMatchObject({ kind: 'favorable' });
  });

  test('the service computes the same ICTOS from the stored features as the app wrote', () => {
    const radiomics = valueOf(validateRadiomicsForm(radiomicsForm(), TODAY));
    const [skew, glcm, glrlm] = commit(radiomicsTransaction(radiomics, CTX));
    const x = extractInputs(record({ observations: [skew, glcm, glrlm].filter((o): o is Observation => o !== undefined) }), NOW);
    const assessment = assessPatient(x.inputs);
    expect(assessment.ictos).toMatchObject({ kind: radiomics.ictos.kind, score: radiomics.ictos.score, source: 'z-features' });
  });

  test.each([
    { z: ['0', '0', '0.0001'], kind: 'high' },
    { z: ['0.41', '0', '0.668'], kind: 'low' },
  ] as const)('an ICTOS that the app classifies $kind is classified $kind by the service ($z)', ({ z, kind }) => {
    const [skewness, glcmVariance, glrlmLrhgle] = z;
    const radiomics = valueOf(
      validateRadiomicsForm(radiomicsForm({ 'skewness-z': skewness, 'glcm-variance-z': glcmVariance, 'glrlm-lrhgle-z': glrlmLrhgle }), TODAY),
    );
    expect(radiomics.ictos.kind).toBe(kind);
    const x = extractInputs(record({ observations: commit(radiomicsTransaction(radiomics, CTX)) }), NOW);
    expect(assessPatient(x.inputs).ictos).toMatchObject({ kind, source: 'score' });
  });

  test('a computed TBF is read back as the 2-decimal value written', () => {
    const tbf = valueOf(validateTbfForm(signalsForm('812.4', '790.1', '1500'), TODAY));
    const x = extractInputs(record({ observations: [stored(tbfObservation(tbf, CTX), 'tbf-c')] }), NOW);
    expect(x.found['pre-tbf']).toMatchObject({ value: tbf.tbf, unit: 'mL/(100.g)/min' });
  });

  test('a transaction committed by a real FHIR server (in process) resolves derivedFrom and is read back', async () => {
    const server = await startFhirServer();
    try {
      const radiomics = valueOf(validateRadiomicsForm(radiomicsForm(), TODAY));
      const posted = await fetch(server.baseUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/fhir+json' },
        body: JSON.stringify(radiomicsTransaction(radiomics, CTX)),
      });
      expect(posted.status).toBe(200);
      const search = (await (await fetch(`${server.baseUrl}/Observation?subject=Patient/${PATIENT_ID}`)).json()) as Bundle;
      const observations = (search.entry ?? []).map((e) => e.resource as Observation);
      expect(observations).toHaveLength(4);
      const ictos = observations.find((o) => o.code.coding?.[0]?.code === 'ictos');
      const featureRefs = observations.filter((o) => o !== ictos).map((o) => `Observation/${o.id ?? ''}`);
      expect((ictos?.derivedFrom ?? []).map((r) => r.reference).sort()).toEqual(featureRefs.sort());

      const x = extractInputs(record({ observations }), NOW);
      expect(x.found.ictos?.value).toBe(radiomics.ictos.score);
      expect(x.found['skewness-z']?.value).toBe(0.5);
    } finally {
      await server.close();
    }
  });
});

