/**
 * Data selection, clinical contract version 2 (clinical-spec.md section 4, the "(v2)" items): plausibility,
 * dates, recency, radiotherapy concepts, the Post-TBF window and the scan closest to 40 Gy, and a recorded
 * ICTOS that contradicts its own features. Each situation fails on the v1 extraction.
 */
import type { Extension, Observation, Procedure } from 'fhir/r4';
import { assessPatient, DEFAULT_THRESHOLDS } from '../../src/core';
import { MCODE_DOSE_DELIVERED_TO_VOLUME, extractInputs } from '../../src/fhir/extract';
import { describeNote, describeUnusable } from '../../src/explain/labels';
import { SYSTEMS } from '../../src/fhir/codes';
import { DEFAULT_SELECTION, parseFhirDateTime, withSelectionOverrides } from '../../src/fhir/selection';
import { chemo, measurement, npcCondition, radiotherapy, record, staging, tbf } from '../support/fhir-builders';

const NOW = '2026-06-01T00:00:00Z';
const RECENT = '2026-05-25T10:00:00Z';

const ebv = (value: number, date: string, over: Partial<Observation> = {}): Observation => ({
  ...measurement('ebv', value, date, '{copies}/mL', over),
  code: { coding: [{ system: SYSTEMS.loinc, code: '47982-4' }] },
});
const stagingT3N2 = (date: string) => [staging('T', 'T3', date), staging('N', 'N2', date), staging('M', 'M0', date), staging('stage', 'III', date)];
/** RT start + `days` days at 10:00 (RT starts Monday 08:00). */
const rtDay = (start: string, days: number) => new Date(Date.parse(start) + days * 86_400_000 + 2 * 3_600_000).toISOString();
const dose = (totalCGy: number | undefined, fractions: number | undefined): Extension => ({
  url: MCODE_DOSE_DELIVERED_TO_VOLUME,
  extension: [
    { url: 'volume', valueReference: { reference: 'BodyStructure/gtv-nx' } },
    ...(totalCGy !== undefined ? [{ url: 'totalDoseDelivered', valueQuantity: { value: totalCGy, system: SYSTEMS.ucum, code: 'cGy', unit: 'cGy' } }] : []),
    ...(fractions !== undefined ? [{ url: 'fractionsDelivered', valueUnsignedInt: fractions }] : []),
  ],
});

describe('plausibility (clinical-spec.md section 4 v2: a value outside a plausible range is unusable, never compared with a cutoff)', () => {
  test.each([
    // Liu 2022's groups averaged 84-170 mL/100g/min (Table 4); the spec's range is 1-600.
    { situation: 'Pre-TBF 1e308 (a probe: it "favored partial response")', obs: tbf(1e308, RECENT), input: 'pre-tbf', usable: false },
    { situation: 'Pre-TBF 0 (a probe: "unfavorable")', obs: tbf(0, RECENT), input: 'pre-tbf', usable: false },
    { situation: 'Pre-TBF 5e-324 (a probe: "unfavorable")', obs: tbf(5e-324, RECENT), input: 'pre-tbf', usable: false },
    { situation: 'Pre-TBF 0.99, just below 1', obs: tbf(0.99, RECENT), input: 'pre-tbf', usable: false },
    { situation: 'Pre-TBF 1, the lower bound', obs: tbf(1, RECENT), input: 'pre-tbf', usable: true },
    { situation: 'Pre-TBF 600, the upper bound', obs: tbf(600, RECENT), input: 'pre-tbf', usable: true },
    { situation: 'Pre-TBF 600.01, just above 600', obs: tbf(600.01, RECENT), input: 'pre-tbf', usable: false },
    { situation: 'ICTOS 1e308 (a probe: "High ICTOS (1e+308)")', obs: measurement('ictos', 1e308, RECENT, '1'), input: 'ictos', usable: false },
    { situation: 'ICTOS 10, the upper bound', obs: measurement('ictos', 10, RECENT, '1'), input: 'ictos', usable: true },
    { situation: 'ICTOS -10.01, just below -10', obs: measurement('ictos', -10.01, RECENT, '1'), input: 'ictos', usable: false },
    { situation: 'a skewness z-score of 11', obs: measurement('skewness-z', 11, RECENT, '1'), input: 'skewness-z', usable: false },
    { situation: 'tumor volume 0.05 mL, below 0.1', obs: measurement('primary-tumor-volume', 0.05, RECENT, 'mL'), input: 'tumor-volume', usable: false },
    { situation: 'tumor volume 0.1 mL, the lower bound', obs: measurement('primary-tumor-volume', 0.1, RECENT, 'mL'), input: 'tumor-volume', usable: true },
    { situation: 'tumor volume 501 mL, above 500', obs: measurement('primary-tumor-volume', 501, RECENT, 'mL'), input: 'tumor-volume', usable: false },
    { situation: 'EBV DNA -1 copies/mL', obs: ebv(-1, RECENT), input: 'ebv-dna', usable: false },
    { situation: 'EBV DNA 0 copies/mL (undetectable)', obs: ebv(0, RECENT), input: 'ebv-dna', usable: true },
    { situation: 'EBV DNA 1e9 copies/mL, the upper bound', obs: ebv(1e9, RECENT), input: 'ebv-dna', usable: true },
    { situation: 'EBV DNA 1.1e9 copies/mL', obs: ebv(1.1e9, RECENT), input: 'ebv-dna', usable: false },
  ] as const)('$situation: usable $usable', ({ obs, input, usable }) => {
    const x = extractInputs(record({ observations: [obs] }), NOW);
    expect(x.found[input] !== undefined).toBe(usable);
    const reported = x.unusable.filter((u) => u.reason === 'implausible');
    expect(reported).toEqual(usable ? [] : [expect.objectContaining({ input, reference: `Observation/${obs.id ?? ''}` })]);
  });

  test('an implausible Pre-TBF and ICTOS reach no rule: the TBF rules and the recommendation have insufficient data', () => {
    const x = extractInputs(record({ observations: [tbf(1e308, RECENT), measurement('ictos', 1e308, RECENT, '1'), ...stagingT3N2(RECENT)] }), NOW);
    const a = assessPatient(x.inputs);
    expect(a.tbf['pre-tbf-response'].kind).toBe('insufficient-data');
    expect(a.recommendation.kind).toBe('insufficient-data');
    expect(describeUnusable(x.unusable.find((u) => u.input === 'pre-tbf') ?? x.unusable[0]!)).toMatch(/outside the plausible range \(1e\+308 mL\/\(100\.g\)\/min; plausible 1-600\)/);
  });

  test('Post-TBF 700 at 40 Gy is implausible and not used for ΔTBF', () => {
    const start = '2026-04-06T08:00:00Z';
    const x = extractInputs(record({ observations: [tbf(150, '2026-04-01T10:00:00Z'), tbf(700, rtDay(start, 25), { id: 'post-700' })], procedures: [radiotherapy(start, '2026-05-22T08:00:00Z')] }), NOW);
    expect(x.inputs.postTbf).toBeUndefined();
    expect(x.unusable).toContainEqual(expect.objectContaining({ input: 'post-tbf', reference: 'Observation/post-700', reason: 'implausible' }));
  });

  test('the ranges are configurable: with a site range of 5-400, a Pre-TBF of 450 is implausible', () => {
    const selection = withSelectionOverrides({ plausible: { tbf: { min: 5, max: 400 } } });
    expect(extractInputs(record({ observations: [tbf(450, RECENT)] }), NOW, { selection }).inputs.preTbf).toBeUndefined();
    expect(extractInputs(record({ observations: [tbf(450, RECENT)] }), NOW).inputs.preTbf).toBe(450);
    expect(extractInputs(record({ observations: [tbf(450, RECENT)] }), NOW, { thresholds: { ...DEFAULT_THRESHOLDS, selection } }).inputs.preTbf).toBeUndefined();
  });
});

describe('dates (clinical-spec.md section 4 v2: a valid calendar date, not before 1900, not in the future)', () => {
  test.each([
    ['2026-02-30', 'not-a-calendar-date'],
    ['2026-02-30T10:00:00Z', 'not-a-calendar-date'],
    ['2026-02-29', 'not-a-calendar-date'],
    ['2026-13-01', 'not-a-calendar-date'],
    ['2026-06-01T24:00:00Z', 'not-a-calendar-date'],
    ['2026-06-01T10:00:00+15:00', 'not-a-calendar-date'],
    ['1899-12-31', 'before-1900'],
    ['0001-01-01', 'before-1900'],
    ['yesterday', 'not-a-date'],
  ])('%s is refused (%s), however often it is read', (text, problem) => {
    for (let i = 0; i < 3; i++) expect(parseFhirDateTime(text)).toEqual({ ok: false, problem });
  });

  test.each(['2028-02-29', '1900-01-01', '2026', '2026-02', '2026-05-25T10:00:00.123+08:00'])('%s is a date, however often it is read', (text) => {
    for (let i = 0; i < 3; i++) expect(parseFhirDateTime(text)).toEqual({ ok: true, ms: Date.parse(text) });
  });

  test('a TBF dated 2026-02-30 is reported and not used (v1 read it as 2 March)', () => {
    const x = extractInputs(record({ observations: [tbf(150, '2026-02-30T10:00:00Z', { id: 'tbf-feb30' })] }), '2026-03-10T00:00:00Z');
    expect(x.inputs.preTbf).toBeUndefined();
    expect(x.unusable).toEqual([{ input: 'pre-tbf', reference: 'Observation/tbf-feb30', reason: 'implausible-date', detail: '2026-02-30T10:00:00Z is not a calendar date' }]);
  });

  test('a TBF dated 0001-01-01 does not become the pre-treatment value', () => {
    const x = extractInputs(record({ observations: [tbf(150, '0001-01-01', { id: 'tbf-year1' })], procedures: [radiotherapy('2026-05-04T08:00:00Z')] }), NOW);
    expect(x.found['pre-tbf']).toBeUndefined();
    expect(x.unusable).toContainEqual(expect.objectContaining({ reference: 'Observation/tbf-year1', reason: 'implausible-date' }));
  });

  test('an RT start of 2026-02-30 is reported, not used to place a measurement, and no pre-treatment recommendation rests on it', () => {
    const rt = radiotherapy('2026-02-30T08:00:00Z', undefined, { id: 'rt-feb30' });
    const x = extractInputs(record({ observations: [tbf(150, '2026-03-30T10:00:00Z', { id: 'tbf-late' })], procedures: [rt] }), '2026-04-10T00:00:00Z');
    expect(x.treatment).toMatchObject({ recorded: true, started: true, implausiblyDated: ['Procedure/rt-feb30'] });
    expect(x.treatment.rtStart).toBeUndefined();
    expect(x.inputs.preTbf).toBeUndefined();
    expect(x.inputs.postTbf).toBeUndefined();
    expect(x.unusable).toContainEqual({ input: 'treatment-start', reference: 'Procedure/rt-feb30', reason: 'implausible-date', detail: '2026-02-30T08:00:00Z is not a calendar date' });
    expect(x.unusable).toContainEqual(expect.objectContaining({ reference: 'Observation/tbf-late', reason: 'unplaceable' }));
  });

  test('an RT start in year 0001 does not make a 2026 TBF the 40 Gy measurement', () => {
    const x = extractInputs(record({ observations: [tbf(95, '2026-05-20T10:00:00Z', { id: 'tbf-2026' })], procedures: [radiotherapy('0001-01-01T08:00:00Z', undefined, { id: 'rt-year1' })] }), NOW);
    expect(x.inputs.postTbf).toBeUndefined();
    expect(x.found['post-tbf']).toBeUndefined();
    expect(x.unusable).toContainEqual(expect.objectContaining({ input: 'treatment-start', reference: 'Procedure/rt-year1', reason: 'implausible-date' }));
  });

  test('an RT start decades before the NPC diagnosis contradicts it: reported, and the RT does not place the TBFs', () => {
    const x = extractInputs(
      record({
        conditions: [npcCondition({ onsetDateTime: '2026-03-20' })],
        observations: [tbf(150, '2026-04-01T10:00:00Z')],
        procedures: [radiotherapy('1990-03-05T08:00:00Z', '1990-04-20T08:00:00Z', { id: 'rt-1990' })],
      }),
      '2026-04-10T00:00:00Z',
    );
    expect(x.treatment.rtStart).toBeUndefined();
    expect(x.unusable).toContainEqual({ input: 'treatment-start', reference: 'Procedure/rt-1990', reason: 'implausible-date', detail: expect.stringMatching(/days before the NPC diagnosis/) });
    expect(x.inputs.postTbf).toBeUndefined();
  });

  test('an RT start a month after the NPC diagnosis is used', () => {
    const x = extractInputs(record({ conditions: [npcCondition({ onsetDateTime: '2026-03-20' })], procedures: [radiotherapy('2026-04-06T08:00:00Z')] }), NOW);
    expect(x.treatment.rtStart?.date).toBe('2026-04-06T08:00:00Z');
  });

  test('an RT course that ends before it starts is reported and not used', () => {
    const x = extractInputs(record({ procedures: [radiotherapy('2026-04-06T08:00:00Z', '2026-03-01T08:00:00Z', { id: 'rt-backwards' })] }), NOW);
    expect(x.treatment.rtStart).toBeUndefined();
    expect(x.unusable).toContainEqual(expect.objectContaining({ reference: 'Procedure/rt-backwards', reason: 'implausible-date' }));
  });

  test('an RT course whose end is not a calendar date is reported and not used', () => {
    const x = extractInputs(record({ procedures: [radiotherapy('2026-04-06T08:00:00Z', '2026-04-31T08:00:00Z', { id: 'rt-apr31' })] }), NOW);
    expect(x.treatment.rtStart).toBeUndefined();
    expect(x.unusable).toContainEqual(expect.objectContaining({ reference: 'Procedure/rt-apr31', reason: 'implausible-date' }));
  });

  test('a chemotherapy administration dated 2026-02-30 is reported, not a treatment start', () => {
    const x = extractInputs(record({ medicationAdministrations: [chemo('2555', '2026-02-30T10:00:00Z', { id: 'ma-feb30' })] }), NOW);
    expect(x.treatment.start).toBeUndefined();
    expect(x.unusable).toContainEqual(expect.objectContaining({ input: 'treatment-start', reference: 'MedicationAdministration/ma-feb30', reason: 'implausible-date' }));
  });

  test('a valid treatment record next to a misdated one still places the measurements', () => {
    const x = extractInputs(
      record({ observations: [tbf(150, '2026-04-01T10:00:00Z')], procedures: [radiotherapy('2026-04-06T08:00:00Z', '2026-05-22T08:00:00Z'), radiotherapy('0001-01-01', undefined, { id: 'rt-junk' })] }),
      NOW,
    );
    expect(x.inputs.preTbf).toBe(150);
    expect(x.treatment.rtStart?.date).toBe('2026-04-06T08:00:00Z');
  });
});

describe('recency (clinical-spec.md section 4 v2; Dong 2019: an MRI "within 2 weeks before any anti-cancer treatment")', () => {
  test.each([
    { situation: 'an ICTOS measured 29 days ago is stale', obs: measurement('ictos', 0.3, '2026-05-03T00:00:00Z', '1'), key: 'ictos', days: 29, stale: true },
    { situation: 'an ICTOS measured 28 days ago is recent', obs: measurement('ictos', 0.3, '2026-05-04T00:00:00Z', '1'), key: 'ictos', days: 28, stale: false },
    { situation: 'a z-scored feature measured 400 days ago is stale', obs: measurement('skewness-z', 0.3, '2025-04-27T00:00:00Z', '1'), key: 'skewness-z', days: 400, stale: true },
    { situation: 'a raw feature measured 40 days ago is stale', obs: measurement('skewness', 0.3, '2026-04-22T00:00:00Z', '1'), key: 'skewness', days: 40, stale: true },
    { situation: 'a tumor volume measured 29 days ago is stale', obs: measurement('primary-tumor-volume', 20, '2026-05-03T00:00:00Z', 'mL'), key: 'tumor-volume', days: 29, stale: true },
    { situation: 'EBV DNA measured 29 days ago is stale', obs: ebv(500, '2026-05-03T00:00:00Z'), key: 'ebv-dna', days: 29, stale: true },
    { situation: 'a T category recorded 91 days ago is stale', obs: staging('T', 'T3', '2026-03-02T00:00:00Z'), key: 't-category', days: 91, stale: true },
    { situation: 'a stage group recorded 90 days ago is recent', obs: staging('stage', 'III', '2026-03-03T00:00:00Z'), key: 'stage-group', days: 90, stale: false },
  ] as const)('$situation (counted to the request)', ({ obs, key, days, stale }) => {
    const x = extractInputs(record({ observations: [obs] }), NOW);
    expect(x.found[key]).toBeDefined();
    expect(x.found[key]?.provenance.notes.includes('stale')).toBe(stale);
    expect(x.unusable.filter((u) => u.reason === 'stale')).toEqual(stale ? [expect.objectContaining({ input: key, reference: `Observation/${obs.id ?? ''}`, ageDays: days })] : []);
    expect((x.inputs.stale ?? []).map((s) => s.ageDays)).toEqual(stale ? [days] : []);
  });

  test('a stale ICTOS stays visible with its age but gives no recommendation (v1: a 400-day-old ICTOS gave the full recommendation)', () => {
    const ictos = measurement('ictos', 0.33, '2025-04-27T10:00:00Z', '1', { id: 'ictos-old' });
    const x = extractInputs(record({ observations: [ictos, ...stagingT3N2(RECENT)] }), NOW);
    const a = assessPatient(x.inputs);
    expect(x.found.ictos?.value).toBe(0.33);
    expect(a.recommendation).toMatchObject({ kind: 'insufficient-data', missing: ['ictos'], problems: [{ input: 'ictos', reason: 'stale', ageDays: 399 }] });
    const found = x.found.ictos;
    expect(found !== undefined && describeNote('stale', found, x)).toBe('stale: measured 399 days ago; the study used an MRI within 2 weeks before treatment');
    expect(describeUnusable(x.unusable.find((u) => u.reason === 'stale') ?? x.unusable[0]!)).toBe(
      'ICTOS (recorded score): Observation/ictos-old not used for the treatment-selection recommendation, stale: measured 399 days ago; the study used an MRI within 2 weeks before treatment',
    );
  });

  test('a stale EBV DNA is an unknown risk factor, named stale', () => {
    const x = extractInputs(record({ observations: [measurement('ictos', -0.2, RECENT, '1'), ebv(3500, '2026-04-01T10:00:00Z'), ...stagingT3N2(RECENT)] }), NOW);
    const a = assessPatient(x.inputs);
    expect(a.risk.unknown).toContain('ebv-dna-2000');
    expect(a.risk.problems).toContainEqual({ input: 'ebv-dna', reason: 'stale', ageDays: 60 });
  });

  test('a patient 60 days into RT with staging from 100 days ago is still in scope for the TBF rules', () => {
    const start = '2026-04-02T08:00:00Z';
    const x = extractInputs(record({ observations: [tbf(150, '2026-03-30T10:00:00Z'), ...stagingT3N2('2026-02-21T09:00:00Z')], procedures: [radiotherapy(start)] }), NOW);
    const a = assessPatient(x.inputs);
    expect(x.inputs.stale).toBeUndefined();
    expect(a.population.kind).toBe('in-scope');
    expect(a.tbf['pre-tbf-response']).toMatchObject({ kind: 'favorable', value: 150 });
  });

  test.each([
    { situation: 'a Pre-TBF 28 days before treatment start is used', date: '2026-03-09T08:00:00Z', usable: true },
    { situation: 'a Pre-TBF 29 days before treatment start is stale for the TBF rules', date: '2026-03-08T08:00:00Z', usable: false },
  ])('$situation', ({ date, usable }) => {
    const x = extractInputs(record({ observations: [tbf(150, date, { id: 'pre' })], procedures: [radiotherapy('2026-04-06T08:00:00Z')] }), NOW);
    expect(x.inputs.preTbf !== undefined).toBe(usable);
    expect(x.unusable.some((u) => u.reference === 'Observation/pre' && u.reason === 'stale')).toBe(!usable);
  });

  test('before treatment, a Pre-TBF 400 days before the request is stale (v1: it favored partial response)', () => {
    const x = extractInputs(record({ observations: [tbf(150, '2025-04-27T10:00:00Z')] }), NOW);
    expect(x.inputs.preTbf).toBeUndefined();
    expect(x.unusable).toContainEqual(expect.objectContaining({ input: 'pre-tbf', reason: 'stale', ageDays: 399, detail: 'measured 399 days before this request; at most 28' }));
  });

  test('the windows are configurable: with an MRI window of 14 days, an ICTOS 15 days old is stale', () => {
    const selection = withSelectionOverrides({ recencyDays: { mri: 14 } });
    const obs = measurement('ictos', 0.3, '2026-05-17T00:00:00Z', '1');
    expect(extractInputs(record({ observations: [obs] }), NOW, { selection }).inputs.stale).toEqual([{ input: 'ictos', ageDays: 15 }]);
    expect(extractInputs(record({ observations: [obs] }), NOW).inputs.stale).toBeUndefined();
    expect(DEFAULT_SELECTION.recencyDays).toEqual({ mri: 28, ebvDna: 28, staging: 90, preTbf: 28 });
  });
});

describe('radiotherapy start (clinical-spec.md section 4 v2: any Procedure coded with a radiotherapy concept or category)', () => {
  test.each([
    ['1217123003', 'radiotherapy course of treatment'],
    ['108290001', 'radiation oncology and/or radiotherapy'],
    ['33195004', 'external beam radiation therapy (v1 missed it)'],
    ['385798007', 'radiation therapy care'],
    ['152198000', 'brachytherapy'],
    ['1287742003', 'radiotherapy'],
  ])('a Procedure coded SNOMED %s (%s) starts treatment', (code) => {
    const rt = radiotherapy('2026-04-06T08:00:00Z', undefined, { code: { coding: [{ system: SYSTEMS.snomed, code }] } });
    expect(extractInputs(record({ procedures: [rt] }), NOW).treatment).toMatchObject({ started: true, rtStart: { date: '2026-04-06T08:00:00Z' } });
  });

  test('a Procedure with a local code and a radiotherapy category starts treatment', () => {
    const rt: Procedure = radiotherapy('2026-04-06T08:00:00Z', undefined, {
      code: { coding: [{ system: 'http://hospital.example/procedures', code: 'IMRT-70' }], text: 'IMRT 70 Gy' },
      category: { coding: [{ system: SYSTEMS.snomed, code: '108290001' }] },
    });
    expect(extractInputs(record({ procedures: [rt] }), NOW).treatment.rtStart?.date).toBe('2026-04-06T08:00:00Z');
  });

  test('a radiotherapy category given as a list (not R4, but seen) is read too', () => {
    const rt = radiotherapy('2026-04-06T08:00:00Z', undefined, {
      code: { text: 'IMRT' },
      category: [{ coding: [{ system: SYSTEMS.snomed, code: '1217123003' }] }] as unknown as Procedure['category'],
    });
    expect(extractInputs(record({ procedures: [rt] }), NOW).treatment.started).toBe(true);
  });

  test('a malformed dose extension does not hide the RT course: the default schedule is used', () => {
    const broken = { url: MCODE_DOSE_DELIVERED_TO_VOLUME, extension: ['x', { url: 'totalDoseDelivered', valueQuantity: { value: '70', code: 7 } }, { url: 'fractionsDelivered', valueUnsignedInt: 2.5 }] };
    const rt = radiotherapy('2026-04-06T08:00:00Z', undefined, { extension: [broken as unknown as Extension, 'junk' as unknown as Extension] });
    const x = extractInputs(record({ procedures: [rt] }), NOW);
    expect(x.treatment).toMatchObject({ started: true, postWindowDay: 25, postWindowBasis: 'close-day' });
    expect(x.treatment.deliveredDose).toBeUndefined();
  });

  test('a Procedure that is not radiotherapy (a biopsy) does not start treatment', () => {
    const biopsy = radiotherapy('2026-04-06T08:00:00Z', undefined, { code: { coding: [{ system: SYSTEMS.snomed, code: '86273004' }] } });
    expect(extractInputs(record({ procedures: [biopsy] }), NOW).treatment.recorded).toBe(false);
  });
});

describe('the Post-TBF window and the scan closest to 40 Gy (clinical-spec.md section 4 v2; Liu 2022 Methods: 2 Gy a fraction, 5 a week)', () => {
  const START = '2026-03-02T08:00:00Z';
  const pre = tbf(150, '2026-02-25T10:00:00Z');
  const post = (day: number, id = `post-day${day}`) => tbf(90, rtDay(START, day), { id });
  test.each([
    { situation: 'a TBF 115 days into RT without an RT end is not a Post-TBF (v1: "at 40 Gy")', day: 115, end: undefined, used: false },
    { situation: 'a TBF on RT day 34 without an RT end is a Post-TBF', day: 34, end: undefined, used: true },
    { situation: 'a TBF on RT day 35 without an RT end is after the window (RT start + 35 days)', day: 35, end: undefined, used: false },
    { situation: 'with an RT end recorded on day 46, a TBF on day 40 is a Post-TBF', day: 40, end: rtDay(START, 46), used: true },
    { situation: 'a TBF on day 24 is before the 40 Gy day', day: 24, end: undefined, used: false },
  ])('$situation', ({ day, end, used }) => {
    const x = extractInputs(record({ observations: [pre, post(day)], procedures: [radiotherapy(START, end)] }), '2026-07-10T00:00:00Z');
    expect(x.inputs.postTbf !== undefined).toBe(used);
    if (!used) expect(x.unusable).toContainEqual(expect.objectContaining({ input: 'post-tbf', reference: `Observation/post-day${day}`, reason: 'outside-window' }));
  });

  test('without an RT end the window closes on the configured day: with 40, a TBF on day 36 counts', () => {
    const selection = withSelectionOverrides({ postWindowCloseDay: 40 });
    const x = extractInputs(record({ observations: [pre, post(36)], procedures: [radiotherapy(START)] }), NOW, { selection });
    expect(x.inputs.postTbf).toBe(90);
    expect(x.treatment).toMatchObject({ postWindowBasis: 'close-day', postWindowEnd: '2026-04-11T08:00:00.000Z' });
  });

  test('of two scans in the window, the one closest to the 40 Gy date (day 25) is used, not the latest, and says why', () => {
    const x = extractInputs(record({ observations: [pre, tbf(84, rtDay(START, 26), { id: 'day26' }), tbf(81.6, rtDay(START, 30), { id: 'day30' })], procedures: [radiotherapy(START, '2026-04-17T08:30:00Z')] }), NOW);
    expect(x.inputs.postTbf).toBe(84);
    expect(x.found['post-tbf']?.provenance.notes).toEqual(['timepoint-inferred', 'closest-to-40-gy']);
    expect(x.treatment.fortyGyDate).toBe('2026-03-27T08:00:00.000Z');
    expect(x.unusable).toContainEqual({ input: 'post-tbf', reference: 'Observation/day30', reason: 'not-closest-to-40-gy', detail: `${rtDay(START, 30)}, RT day 30; the 40 Gy date is 2026-03-27` });
    const found = x.found['post-tbf'];
    expect(found !== undefined && describeNote('closest-to-40-gy', found, x)).toBe('the scan closest to the 40 Gy date (2026-03-27) among several in the window');
  });

  test('equally close scans: the earlier is used', () => {
    // With 70 Gy in 35 fractions recorded the window opens on day 23 (36 Gy); the 40 Gy date is day 25 at 08:00:
    // 'a' is at 10:00 (2 h after), 'b' at 06:00 (2 h before): the earlier wins.
    const rt = radiotherapy(START, '2026-04-17T08:30:00Z', { extension: [dose(7000, 35)] });
    const x = extractInputs(record({ observations: [pre, tbf(84, rtDay(START, 25), { id: 'a' }), tbf(80, new Date(Date.parse(rtDay(START, 25)) - 4 * 3_600_000).toISOString(), { id: 'b' })], procedures: [rt] }), NOW);
    expect(x.found['post-tbf']?.provenance.reference).toBe('Observation/b');
  });

  test.each([
    { situation: '70 Gy in 35 fractions recorded (2 Gy): 36 Gy on day 23, so a TBF on day 23 counts', ext: dose(7000, 35), day: 23, used: true },
    { situation: '70 Gy in 35 fractions recorded: 46 Gy on day 30, a TBF on day 31 is after the window', ext: dose(7000, 35), day: 31, used: false },
    { situation: '66 Gy in 30 fractions (2.2 Gy): 36 Gy is reached on day 22', ext: dose(6600, 30), day: 22, used: true },
    { situation: '66 Gy in 30 fractions: 46 Gy on day 28, a TBF on day 29 is after the window', ext: dose(6600, 30), day: 29, used: false },
    { situation: 'a course that delivered 30 Gy has no 40 Gy scan', ext: dose(3000, 15), day: 25, used: false },
    { situation: 'a fraction count alone (35) uses 2 Gy a fraction: day 30 is 46 Gy', ext: dose(undefined, 35), day: 30, used: true },
  ])('$situation', ({ ext, day, used }) => {
    const rt = radiotherapy(START, '2026-04-17T08:30:00Z', { extension: [ext] });
    const x = extractInputs(record({ observations: [pre, post(day)], procedures: [rt] }), NOW);
    expect(x.inputs.postTbf !== undefined).toBe(used);
    expect(x.treatment.postWindowBasis === 'delivered-dose' || x.treatment.postWindowEnd === undefined).toBe(true);
  });

  test('with a delivered dose recorded, the 40 Gy date and the note say so', () => {
    const rt = radiotherapy(START, '2026-04-17T08:30:00Z', { extension: [dose(6600, 30)] });
    const x = extractInputs(record({ observations: [pre, post(24)], procedures: [rt] }), NOW);
    expect(x.treatment).toMatchObject({ deliveredDose: { totalGy: 66, fractions: 30, dosePerFractionGy: 2.2 }, postWindowDay: 22, fortyGyDate: '2026-03-26T08:00:00.000Z' });
    const found = x.found['post-tbf'];
    expect(found !== undefined && describeNote('timepoint-inferred', found, x)).toMatch(/recorded dose \(2\.2 Gy per fraction/);
  });
});

describe('a recorded ICTOS that contradicts its own features (clinical-spec.md section 4 v2; Dong 2019: ICTOS = -0.668 skewness - 0.442 GLCM variance + 0.410 GLRLM LRHGLE)', () => {
  // z = (-0.5, -0.4, 0.25): -0.668*-0.5 - 0.442*-0.4 + 0.410*0.25 = 0.6133
  const features = (date: string) => [
    measurement('skewness-z', -0.5, date, '1', { id: 'z-skew' }),
    measurement('glcm-variance-z', -0.4, date, '1', { id: 'z-glcm' }),
    measurement('glrlm-lrhgle-z', 0.25, date, '1', { id: 'z-glrlm' }),
  ];
  test.each([
    { situation: 'a recorded 0 against features that compute to +0.61 (different class) is conflicting (v1: 0 silently won)', score: 0, conflicting: true },
    { situation: 'a recorded 0.63 against 0.6133 (same class, 0.017 apart) is conflicting', score: 0.63, conflicting: true },
    { situation: 'a recorded 0.62 against 0.6133 (0.007 apart) is consistent: the recorded score is used', score: 0.62, conflicting: false },
  ])('$situation', ({ score, conflicting }) => {
    const x = extractInputs(record({ observations: [measurement('ictos', score, RECENT, '1', { id: 'ictos-rec' }), ...features(RECENT)] }), NOW);
    const a = assessPatient(x.inputs);
    if (conflicting) {
      expect(x.inputs.ictos).toEqual({});
      expect(x.found.ictos).toBeUndefined();
      expect(a.ictos.kind).toBe('insufficient-data');
      expect(x.unusable.filter((u) => u.reason === 'conflicting').map((u) => u.reference).sort()).toEqual(['Observation/ictos-rec', 'Observation/z-glcm', 'Observation/z-glrlm', 'Observation/z-skew']);
      expect(x.unusable.find((u) => u.input === 'ictos')?.detail).toBe(`recorded ICTOS ${score} vs 0.6133 computed from the z-scored features of the same MRI (2026-05-25)`);
    } else {
      expect(a.ictos).toMatchObject({ kind: 'high', source: 'score', score });
    }
  });

  test('a recorded -0.005 against features computing +0.004 differs in class, although by less than 0.01: conflicting', () => {
    // z = (0, 0, 0.01): 0.410 * 0.01 = 0.0041
    const obs = [measurement('ictos', -0.005, RECENT, '1'), measurement('skewness-z', 0, RECENT, '1'), measurement('glcm-variance-z', 0, RECENT, '1'), measurement('glrlm-lrhgle-z', 0.01, RECENT, '1')];
    expect(extractInputs(record({ observations: obs }), NOW).inputs.ictos).toEqual({});
  });

  test('features of another MRI (another day) do not contradict the recorded score', () => {
    const x = extractInputs(record({ observations: [measurement('ictos', 0, RECENT, '1'), ...features('2026-05-20T10:00:00Z')] }), NOW);
    expect(assessPatient(x.inputs).ictos).toMatchObject({ kind: 'low', source: 'score', score: 0 });
  });
});
