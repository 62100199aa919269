/**
 * The patient-view request of the HTTP benchmark: a synthetic NPC patient during chemoradiotherapy, with
 * a prefetch the size of a real one (Patient, the NPC Condition, 55 Observations, the RT course and two
 * cisplatin administrations). Every code comes from the code lists in `src/fhir/codes.ts` and the
 * project CodeSystem, so that the service does its full work (staging, TBF, ICTOS, risk, cards) rather
 * than stopping at the population gate. Dates are relative to `now`, since the service reads the clock.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Bundle, CodeableConcept, Coding, Condition, FhirResource, MedicationAdministration, Observation, Patient, Procedure } from 'fhir/r4';
import { DEFAULT_CODE_LISTS, type CodeRef, type ValueCode } from '../src/fhir/codes';

export const BENCH_SERVICE_ID = 'npc-treatment-guidance';
export const BENCH_PATIENT_ID = 'bench-npc-patient';

const codes = DEFAULT_CODE_LISTS;
const DAY_MS = 86_400_000;
const HTEST = { system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'HTEST', display: 'test health data' };
const subject = { reference: `Patient/${BENCH_PATIENT_ID}` };

/** Displays of the project codes, from the published CodeSystem. */
function projectDisplays(): ReadonlyMap<string, string> {
  const file = path.resolve(__dirname, '../../fhir/CodeSystem-npc-biomarkers.json');
  const cs = JSON.parse(readFileSync(file, 'utf8')) as { concept: { code: string; display: string }[] };
  return new Map(cs.concept.map((c) => [c.code, c.display]));
}

const coding = (ref: CodeRef): Coding => ({ system: ref.system, code: ref.code, ...(ref.display !== undefined ? { display: ref.display } : {}) });
const concept = (ref: CodeRef): CodeableConcept => ({ coding: [coding(ref)] });

function pick<V>(values: readonly ValueCode<V>[], value: V): ValueCode<V> {
  const found = values.find((v) => v.value === value);
  if (found === undefined) throw new Error(`bench prefetch: no code for ${String(value)}`);
  return found;
}

function first(refs: readonly CodeRef[], system: string): CodeRef {
  const found = refs.find((r) => r.system === system);
  if (found === undefined) throw new Error(`bench prefetch: no ${system} code`);
  return found;
}

const searchset = <R extends FhirResource>(type: string, resources: R[]): Bundle<R> => ({
  resourceType: 'Bundle',
  type: 'searchset',
  total: resources.length,
  link: [{ relation: 'self', url: `https://ehr.example.org/fhir/${type}?patient=${BENCH_PATIENT_ID}` }],
  entry: resources.map((resource) => ({
    fullUrl: `https://ehr.example.org/fhir/${type}/${resource.id ?? ''}`,
    resource,
    search: { mode: 'match' },
  })),
});

export interface BenchRequest {
  /** The CDS Hooks request body. */
  readonly body: {
    hook: 'patient-view';
    hookInstance: string;
    fhirServer: string;
    context: { userId: string; patientId: string };
    prefetch: Record<string, FhirResource>;
  };
  readonly observationCount: number;
}

/** The benchmark's patient-view request, with dates relative to `now`. */
export function benchRequest(now: Date, hookInstance: string): BenchRequest {
  const display = projectDisplays();
  const at = (daysAgo: number, hourUtc = 10): string => {
    const d = new Date(now.getTime() - daysAgo * DAY_MS);
    d.setUTCHours(hourUtc, 0, 0, 0);
    return d.toISOString();
  };
  let n = 0;
  const obs = (over: Omit<Observation, 'resourceType' | 'subject' | 'id' | 'status'> & { status?: Observation['status'] }): Observation => ({
    resourceType: 'Observation',
    id: `bench-obs-${++n}`,
    status: 'final',
    subject,
    ...over,
  });
  const project = (code: string): CodeableConcept => ({ coding: [{ system: codes.projectSystem, code, display: display.get(code) ?? code }] });
  const quantity = (value: number, ucum: string, unit = ucum) => ({ value, unit, system: 'http://unitsofmeasure.org', code: ucum });
  const imaging = [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'imaging', display: 'Imaging' }] }];
  const laboratory = [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory', display: 'Laboratory' }] }];

  const edition8 = concept(pick(codes.stagingEditions, 8));
  const loinc = 'http://loinc.org';
  const snomed = 'http://snomed.info/sct';
  const stagingSet = (daysAgo: number, system: string, t: string, nCat: string, m: string, stage: string | undefined, status: Observation['status'] = 'final'): Observation[] => [
    obs({ status, code: concept(first(codes.tCategory, system)), effectiveDateTime: at(daysAgo, 9), valueCodeableConcept: concept(pick(codes.tValues, t)), method: edition8 }),
    obs({ status, code: concept(first(codes.nCategory, system)), effectiveDateTime: at(daysAgo, 9), valueCodeableConcept: concept(pick(codes.nValues, nCat)), method: edition8 }),
    obs({ status, code: concept(first(codes.mCategory, system)), effectiveDateTime: at(daysAgo, 9), valueCodeableConcept: concept(pick(codes.mValues, m)), method: edition8 }),
    ...(stage !== undefined
      ? [obs({ status, code: concept(first(codes.stageGroup, system)), effectiveDateTime: at(daysAgo, 9), valueCodeableConcept: concept(pick(codes.stageValues, stage)), method: edition8 })]
      : []),
  ];
  const ebvCode = concept(first(codes.ebvDna, loinc));
  const ebv = (daysAgo: number, copies: number, status: Observation['status'] = 'final') =>
    obs({ status, category: laboratory, code: ebvCode, effectiveDateTime: at(daysAgo, 8), valueQuantity: quantity(copies, '{copies}/mL', 'copies/mL') });
  const tbf = (daysAgo: number, value: number, ucum = 'mL/(100.g)/min', status: Observation['status'] = 'final') =>
    obs({ status, category: imaging, code: project(codes.project.tumorBloodFlow), effectiveDateTime: at(daysAgo, 14), valueQuantity: quantity(value, ucum) });
  const feature = (code: string, daysAgo: number, value: number) =>
    obs({ category: imaging, code: project(code), effectiveDateTime: at(daysAgo, 14), valueQuantity: quantity(value, '1') });
  const p = codes.project;

  // RT course: started 30 days ago (RT day 31 today, past the day-25 "40 Gy" timepoint), 46 days long.
  const rtStart = 30;
  const observations: Observation[] = [
    // EBV DNA: a screening series over the past year, the diagnostic rise, the response during CCRT,
    // and one result entered in error.
    ...[360, 330, 300, 270, 240, 210, 180, 150, 130].map((d, i) => ebv(d, 300 + 150 * i)),
    ebv(105, 4500),
    ebv(70, 3200),
    ebv(40, 2600),
    ebv(36, 26000, 'entered-in-error'),
    ebv(20, 800),
    ebv(8, 150),
    // Staging: a preliminary work-up, the final AJCC 8th staging (LOINC axes), the tumor board's
    // re-staging (SNOMED axes, same values, the latest).
    ...stagingSet(99, loinc, 'T2', 'N1', 'M0', undefined, 'preliminary'),
    ...stagingSet(95, loinc, 'T3', 'N2', 'M0', 'III'),
    ...stagingSet(60, snomed, 'T3', 'N2', 'M0', 'III'),
    // Pre-treatment MRI: tumor volume, ICTOS with its z-scored and raw features.
    obs({ category: imaging, code: project(p.primaryTumorVolume), effectiveDateTime: at(96, 14), valueQuantity: quantity(38.2, 'mL') }),
    obs({ category: imaging, code: project(p.primaryTumorVolume), effectiveDateTime: at(33, 14), valueQuantity: quantity(36.5, 'cm3') }),
    feature(p.ictos, 96, 0.3298),
    feature(p.skewnessZ, 96, -0.3),
    feature(p.glcmVarianceZ, 96, -0.2),
    feature(p.glrlmLrhgleZ, 96, 0.1),
    feature(p.skewness, 96, 0.412),
    feature(p.glcmVariance, 96, 183.6),
    feature(p.glrlmLrhgle, 96, 2071.4),
    // Tumor blood flow: baseline MRIs, one in mL/g/s (converted), a preliminary read, the last one before
    // RT (the Pre-TBF), one early in RT (before the window), and the Post-TBF on RT day 27.
    tbf(96, 132.1),
    tbf(75, 0.0236, 'mL/g/s'),
    tbf(33, 149.0, 'mL/(100.g)/min', 'preliminary'),
    tbf(33, 150.2),
    tbf(rtStart - 10, 121.4),
    tbf(rtStart - 27, 85.4),
    tbf(rtStart - 27, 86.0, 'mL/(100.g)/min', 'entered-in-error'),
    // Maximum primary tumor diameter and the mCODE tumor size, before and during RT.
    obs({ category: imaging, code: project(p.maxTumorDiameter), effectiveDateTime: at(96, 14), valueQuantity: quantity(39.1, 'mm') }),
    obs({ category: imaging, code: project(p.maxTumorDiameter), effectiveDateTime: at(33, 14), valueQuantity: quantity(37.8, 'mm') }),
    obs({ category: imaging, code: project(p.maxTumorDiameter), effectiveDateTime: at(rtStart - 27, 14), valueQuantity: quantity(3.31, 'cm') }),
    ...[96, 33, rtStart - 27].map((d, i) =>
      obs({
        category: imaging,
        code: concept(codes.tumorSize.observation),
        effectiveDateTime: at(d, 14),
        component: [{ code: concept(codes.tumorSize.longestDimension), valueQuantity: quantity([39.1, 37.8, 33.1][i] ?? 0, 'mm') }],
      }),
    ),
    // Filler: earlier imaging from the referring hospital (older TBF and diameters) that selection must skip.
    ...[200, 170, 140, 120].map((d, i) => tbf(d, 118 + 4 * i)),
    ...[200, 170, 140].map((d, i) => obs({ category: imaging, code: project(p.maxTumorDiameter), effectiveDateTime: at(d, 14), valueQuantity: quantity(31 + 2 * i, 'mm') })),
  ];

  const patient: Patient = {
    resourceType: 'Patient',
    id: BENCH_PATIENT_ID,
    meta: { tag: [HTEST] },
    name: [{ use: 'official', text: 'Test Patient Bench', family: 'Patient Bench', given: ['Test'] }],
    gender: 'male',
    birthDate: '1971-04-18',
  };
  const condition: Condition = {
    resourceType: 'Condition',
    id: 'bench-npc',
    subject,
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
    verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed' }] },
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-category', code: 'problem-list-item', display: 'Problem List Item' }] }],
    code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'C11.9', display: 'Malignant neoplasm of nasopharynx, unspecified' }] },
    onsetDateTime: at(105).slice(0, 10),
    recordedDate: at(100).slice(0, 10),
  };
  const rt: Procedure = {
    resourceType: 'Procedure',
    id: 'bench-rt',
    status: 'in-progress',
    subject,
    code: concept(first(codes.radiotherapy, snomed)),
    performedPeriod: { start: at(rtStart, 8), end: at(rtStart - 46, 8) },
  };
  const cisplatin = codes.chemotherapy.find((c) => c.role === 'platinum');
  if (cisplatin === undefined) throw new Error('bench prefetch: no platinum agent');
  const chemo = (id: string, daysAgo: number): MedicationAdministration => ({
    resourceType: 'MedicationAdministration',
    id,
    status: 'completed',
    subject,
    medicationCodeableConcept: concept(cisplatin),
    effectivePeriod: { start: at(daysAgo, 9), end: at(daysAgo, 13) },
    dosage: { route: { text: 'intravenous' }, dose: { value: 100, unit: 'mg/m2', system: 'http://unitsofmeasure.org', code: 'mg/m2' } },
  });

  return {
    body: {
      hook: 'patient-view',
      hookInstance,
      fhirServer: 'https://ehr.example.org/fhir',
      context: { userId: 'Practitioner/bench-oncologist', patientId: BENCH_PATIENT_ID },
      prefetch: {
        patient,
        conditions: searchset('Condition', [condition]),
        observations: searchset('Observation', observations),
        procedures: searchset('Procedure', [rt]),
        medicationAdministrations: searchset('MedicationAdministration', [chemo('bench-cis-1', rtStart), chemo('bench-cis-2', rtStart - 21)]),
      },
    },
    observationCount: observations.length,
  };
}
