/**
 * The capture writer (src/fhir/capture-write.ts) and the extraction (src/fhir/extract.ts) agree: what the
 * SMART app writes for a patient is read back by the service as the same inputs, on the same date, without
 * a unit conversion (the one note is that the record has no treatment, so the values are taken as pre-treatment).
 */
import type { Observation } from 'fhir/r4';
import { validateRadiomicsForm, validateTbfForm, validateVolumeForm } from '../../src/app/capture';
import { radiomicsTransaction, tbfObservation, volumeObservation, type CaptureContext } from '../../src/fhir/capture-write';
import { extractInputs } from '../../src/fhir/extract';
import type { PatientRecord } from '../../src/fhir/loader';

const TODAY = '2026-03-10';
const ctx: CaptureContext = { patientId: 'p1', today: TODAY, newId: (() => { let i = 0; return () => `00000000-0000-4000-8000-${String(++i).padStart(12, '0')}`; })() };

function ok<T>(v: { ok: true; value: T } | { ok: false; errors: unknown }): T {
  if (!v.ok) throw new Error(`invalid form: ${JSON.stringify(v.errors)}`);
  return v.value;
}

/** The resources as a server would store them: each with an id. */
function stored(observations: readonly Observation[]): Observation[] {
  return observations.map((o, i) => ({ ...o, id: `w${i + 1}` }));
}

function readBack(observations: readonly Observation[]) {
  const record: PatientRecord = { patient: { resourceType: 'Patient', id: 'p1' }, conditions: [], observations: stored(observations), procedures: [], medicationAdministrations: [] };
  return extractInputs(record, `${TODAY}T12:00:00Z`);
}

describe('what the capture writes, the extraction reads back unchanged', () => {
  test.each([
    ['an entered TBF of 142.5', { 'tbf-date': '2026-03-02', 'tbf-value': '142.5' }, 142.5],
    ['a TBF computed from the ASL signals (stored to 2 decimals)', { 'tbf-date': '2026-03-02', 'asl-si-control': '1000', 'asl-si-label': '990', 'asl-si-pd': '1500' }, undefined],
  ])('%s is read back as Pre-TBF with its date and no conversion', (_name, fields, expected) => {
    const capture = ok(validateTbfForm(fields, TODAY));
    const x = readBack([tbfObservation(capture, ctx)]);
    expect(x.found['pre-tbf']).toMatchObject({ value: expected ?? capture.tbf, provenance: { effective: '2026-03-02', status: 'final', reference: 'Observation/w1' } });
    expect(x.inputs.preTbf).toBe(capture.tbf);
    expect(x.unusable).toEqual([]);
  });

  test('the three z-scored features and ICTOS are read back as recorded, the score first', () => {
    const capture = ok(validateRadiomicsForm({ 'radiomics-date': '2026-03-01', 'skewness-z': '0.5', 'glcm-variance-z': '-1.25', 'glrlm-lrhgle-z': '0.75' }, TODAY));
    const bundle = radiomicsTransaction(capture, ctx);
    const x = readBack((bundle.entry ?? []).map((e) => e.resource as Observation));
    expect(x.inputs.ictos.score).toBe(capture.ictos.score);
    expect(x.inputs.ictos.zFeatures).toEqual({ skewness: 0.5, glcmVariance: -1.25, glrlmLrhgle: 0.75 });
    for (const key of ['ictos', 'skewness-z', 'glcm-variance-z', 'glrlm-lrhgle-z'] as const) {
      expect(x.found[key]?.provenance).toMatchObject({ effective: '2026-03-01', status: 'final', notes: ['assumed-pre-treatment'] });
    }
    expect(x.unusable).toEqual([]);
  });

  test('a tumor volume of 36.2 mL is read back as 36.2 mL', () => {
    const capture = ok(validateVolumeForm({ 'volume-date': '2026-03-01', 'volume-ml': '36.2' }, TODAY));
    const x = readBack([volumeObservation(capture, ctx)]);
    expect(x.inputs.tumorVolumeMl).toEqual({ value: 36.2 });
    expect(x.found['tumor-volume']?.provenance).toMatchObject({ effective: '2026-03-01', status: 'final' });
  });
});
