/**
 * The synthetic NPC records of the benchmarks, with dates relative to `now` (the service reads the clock):
 *   - `benchRequest`: the main patient-view request, a patient during chemoradiotherapy, with a prefetch the
 *     size of a real one (Patient, the NPC Condition, 55 Observations, the RT course and two cisplatin
 *     administrations);
 *   - `preTreatmentRecord`: a patient before any treatment (low ICTOS, low risk), for the patient-view,
 *     order-select, order-sign and FHIR-fallback kinds of bench/requests.ts;
 *   - `fillerObservations`: years of other vitals and labs, and older NPC results, to scale a prefetch up.
 * Every code comes from the code lists in `src/fhir/codes.ts` and the project CodeSystem, so that the
 * service does its full work (staging, TBF, ICTOS, risk, cards) rather than stopping at the population gate.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Bundle, CodeableConcept, Coding, Condition, FhirResource, MedicationAdministration, MedicationRequest, Observation, Patient, Procedure } from 'fhir/r4';
import { DEFAULT_CODE_LISTS, type CodeRef, type ValueCode } from '../src/fhir/codes';

export const BENCH_SERVICE_ID = 'npc-treatment-guidance';
export const BENCH_PATIENT_ID = 'bench-npc-patient';

const codes = DEFAULT_CODE_LISTS;
const DAY_MS = 86_400_000;
const HTEST = { system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'HTEST', display: 'test health data' };
const LOINC = 'http://loinc.org';
const SNOMED = 'http://snomed.info/sct';
const UCUM = 'http://unitsofmeasure.org';
const OBSERVATION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';

let displays: ReadonlyMap<string, string> | undefined;
/** Displays of the project codes, from the published CodeSystem (read once). */
function projectDisplays(): ReadonlyMap<string, string> {
  if (displays === undefined) {
    const file = path.resolve(__dirname, '../../fhir/CodeSystem-npc-biomarkers.json');
    const cs = JSON.parse(readFileSync(file, 'utf8')) as { concept: { code: string; display: string }[] };
    displays = new Map(cs.concept.map((c) => [c.code, c.display]));
  }
  return displays;
}

const coding = (ref: CodeRef): Coding => ({ system: ref.system, code: ref.code, ...(ref.display !== undefined ? { display: ref.display } : {}) });
const concept = (ref: CodeRef): CodeableConcept => ({ coding: [coding(ref)] });
const category = (code: string, display: string): CodeableConcept[] => [{ coding: [{ system: OBSERVATION_CATEGORY, code, display }] }];
const IMAGING = category('imaging', 'Imaging');
const LABORATORY = category('laboratory', 'Laboratory');
const VITAL_SIGNS = category('vital-signs', 'Vital Signs');

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

export const searchset = <R extends FhirResource>(type: string, patientId: string, resources: R[]): Bundle<R> => ({
  resourceType: 'Bundle',
  type: 'searchset',
  total: resources.length,
  link: [{ relation: 'self', url: `https://ehr.example.org/fhir/${type}?patient=${patientId}` }],
  entry: resources.map((resource) => ({
    fullUrl: `https://ehr.example.org/fhir/${type}/${resource.id ?? ''}`,
    resource,
    search: { mode: 'match' },
  })),
});

type ObservationFields = Omit<Observation, 'resourceType' | 'subject' | 'id' | 'status'> & { status?: Observation['status'] };
type Status = Observation['status'];

/**
 * The builders of one patient's resources: dates `daysAgo` before `now` at a fixed UTC hour (so that day
 * counts do not depend on the time of day the benchmark runs), ids numbered in order of creation.
 */
export class RecordKit {
  readonly subject: { reference: string };
  private n = 0;

  constructor(
    readonly now: Date,
    readonly patientId: string,
    private readonly idPrefix: string,
  ) {
    this.subject = { reference: `Patient/${patientId}` };
  }

  at(daysAgo: number, hourUtc = 10): string {
    const d = new Date(this.now.getTime() - daysAgo * DAY_MS);
    d.setUTCHours(hourUtc, 0, 0, 0);
    return d.toISOString();
  }

  obs(over: ObservationFields): Observation {
    return { resourceType: 'Observation', id: `${this.idPrefix}-obs-${++this.n}`, status: 'final', subject: this.subject, ...over };
  }

  project(code: string): CodeableConcept {
    return { coding: [{ system: codes.projectSystem, code, display: projectDisplays().get(code) ?? code }] };
  }

  quantity(value: number, ucum: string, unit = ucum) {
    return { value, unit, system: UCUM, code: ucum };
  }

  /** T, N, M (and the stage group when given) of one staging, AJCC 8th, on the `system`'s axis codes. */
  stagingSet(daysAgo: number, system: string, t: string, nCat: string, m: string, stage: string | undefined, status: Status = 'final'): Observation[] {
    const edition8 = concept(pick(codes.stagingEditions, 8));
    const axis = (refs: readonly CodeRef[], values: readonly ValueCode<string>[], value: string) =>
      this.obs({ status, code: concept(first(refs, system)), effectiveDateTime: this.at(daysAgo, 9), valueCodeableConcept: concept(pick(values, value)), method: edition8 });
    return [
      axis(codes.tCategory, codes.tValues, t),
      axis(codes.nCategory, codes.nValues, nCat),
      axis(codes.mCategory, codes.mValues, m),
      ...(stage !== undefined ? [axis(codes.stageGroup, codes.stageValues, stage)] : []),
    ];
  }

  ebv(daysAgo: number, copies: number, status: Status = 'final'): Observation {
    return this.obs({ status, category: LABORATORY, code: concept(first(codes.ebvDna, LOINC)), effectiveDateTime: this.at(daysAgo, 8), valueQuantity: this.quantity(copies, '{copies}/mL', 'copies/mL') });
  }

  tbf(daysAgo: number, value: number, ucum = 'mL/(100.g)/min', status: Status = 'final'): Observation {
    return this.obs({ status, category: IMAGING, code: this.project(codes.project.tumorBloodFlow), effectiveDateTime: this.at(daysAgo, 14), valueQuantity: this.quantity(value, ucum) });
  }

  feature(code: string, daysAgo: number, value: number): Observation {
    return this.obs({ category: IMAGING, code: this.project(code), effectiveDateTime: this.at(daysAgo, 14), valueQuantity: this.quantity(value, '1') });
  }

  imaging(code: string, daysAgo: number, value: number, ucum: string): Observation {
    return this.obs({ category: IMAGING, code: this.project(code), effectiveDateTime: this.at(daysAgo, 14), valueQuantity: this.quantity(value, ucum) });
  }

  /** The mCODE tumor size, longest dimension in mm. */
  tumorSize(daysAgo: number, mm: number): Observation {
    return this.obs({
      category: IMAGING,
      code: concept(codes.tumorSize.observation),
      effectiveDateTime: this.at(daysAgo, 14),
      component: [{ code: concept(codes.tumorSize.longestDimension), valueQuantity: this.quantity(mm, 'mm') }],
    });
  }

  patient(text: string, gender: Patient['gender'], birthDate: string): Patient {
    return { resourceType: 'Patient', id: this.patientId, meta: { tag: [HTEST] }, name: [{ use: 'official', text, family: text.replace(/^Test /, ''), given: ['Test'] }], gender, birthDate };
  }

  /** The NPC Condition: ICD-10-CM C11.9, active, confirmed. */
  npcCondition(onsetDaysAgo: number): Condition {
    return {
      resourceType: 'Condition',
      id: `${this.idPrefix}-npc`,
      subject: this.subject,
      clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
      verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed' }] },
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-category', code: 'problem-list-item', display: 'Problem List Item' }] }],
      code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'C11.9', display: 'Malignant neoplasm of nasopharynx, unspecified' }] },
      onsetDateTime: this.at(onsetDaysAgo).slice(0, 10),
      recordedDate: this.at(onsetDaysAgo - 5).slice(0, 10),
    };
  }
}

/** A patient's resources as the service's five prefetch keys hold them (src/fhir/prefetch.ts). */
export interface PatientRecord {
  readonly patient: Patient;
  readonly conditions: Condition[];
  readonly observations: Observation[];
  readonly procedures: Procedure[];
  readonly medicationAdministrations: MedicationAdministration[];
}

/** The prefetch of a record: the Patient and one searchset Bundle per search, as an EHR sends it. */
export function prefetchOf(record: PatientRecord): Record<string, FhirResource> {
  const id = record.patient.id ?? '';
  return {
    patient: record.patient,
    conditions: searchset('Condition', id, record.conditions),
    observations: searchset('Observation', id, record.observations),
    procedures: searchset('Procedure', id, record.procedures),
    medicationAdministrations: searchset('MedicationAdministration', id, record.medicationAdministrations),
  };
}

/** Every resource of a record, to seed a FHIR server with. */
export const resourcesOf = (record: PatientRecord): FhirResource[] => [record.patient, ...record.conditions, ...record.observations, ...record.procedures, ...record.medicationAdministrations];

// A type, not an interface: callers pass it where a Record<string, unknown> is expected (bench/soak.ts).
export type PatientViewBody = {
  hook: 'patient-view';
  hookInstance: string;
  fhirServer: string;
  context: { userId: string; patientId: string };
  prefetch: Record<string, FhirResource>;
};

export interface BenchRequest {
  /** The CDS Hooks request body. */
  readonly body: PatientViewBody;
  readonly observationCount: number;
}

export const BENCH_USER = 'Practitioner/bench-oncologist';

/** The main patient record: during chemoradiotherapy, RT day 31, with `extra` Observations appended. */
export function duringRtRecord(now: Date, extra: (kit: RecordKit) => Observation[] = () => []): PatientRecord {
  const kit = new RecordKit(now, BENCH_PATIENT_ID, 'bench');
  const p = codes.project;
  // RT course: started 30 days ago (RT day 31 today, past the day-25 "40 Gy" timepoint), 46 days long.
  const rtStart = 30;
  const observations: Observation[] = [
    // EBV DNA: a screening series over the past year, the diagnostic rise, the response during CCRT,
    // and one result entered in error.
    ...[360, 330, 300, 270, 240, 210, 180, 150, 130].map((d, i) => kit.ebv(d, 300 + 150 * i)),
    kit.ebv(105, 4500),
    kit.ebv(70, 3200),
    kit.ebv(40, 2600),
    kit.ebv(36, 26000, 'entered-in-error'),
    kit.ebv(20, 800),
    kit.ebv(8, 150),
    // Staging: a preliminary work-up, the final AJCC 8th staging (LOINC axes), the tumor board's
    // re-staging (SNOMED axes, same values, the latest).
    ...kit.stagingSet(99, LOINC, 'T2', 'N1', 'M0', undefined, 'preliminary'),
    ...kit.stagingSet(95, LOINC, 'T3', 'N2', 'M0', 'III'),
    ...kit.stagingSet(60, SNOMED, 'T3', 'N2', 'M0', 'III'),
    // Pre-treatment MRI: tumor volume, ICTOS with its z-scored and raw features.
    kit.imaging(p.primaryTumorVolume, 96, 38.2, 'mL'),
    kit.imaging(p.primaryTumorVolume, 33, 36.5, 'cm3'),
    kit.feature(p.ictos, 96, 0.3298),
    kit.feature(p.skewnessZ, 96, -0.3),
    kit.feature(p.glcmVarianceZ, 96, -0.2),
    kit.feature(p.glrlmLrhgleZ, 96, 0.1),
    kit.feature(p.skewness, 96, 0.412),
    kit.feature(p.glcmVariance, 96, 183.6),
    kit.feature(p.glrlmLrhgle, 96, 2071.4),
    // Tumor blood flow: baseline MRIs, one in mL/g/s (converted), a preliminary read, the last one before
    // RT (the Pre-TBF), one early in RT (before the window), and the Post-TBF on RT day 27.
    kit.tbf(96, 132.1),
    kit.tbf(75, 0.0236, 'mL/g/s'),
    kit.tbf(33, 149.0, 'mL/(100.g)/min', 'preliminary'),
    kit.tbf(33, 150.2),
    kit.tbf(rtStart - 10, 121.4),
    kit.tbf(rtStart - 27, 85.4),
    kit.tbf(rtStart - 27, 86.0, 'mL/(100.g)/min', 'entered-in-error'),
    // Maximum primary tumor diameter and the mCODE tumor size, before and during RT.
    kit.imaging(p.maxTumorDiameter, 96, 39.1, 'mm'),
    kit.imaging(p.maxTumorDiameter, 33, 37.8, 'mm'),
    kit.imaging(p.maxTumorDiameter, rtStart - 27, 3.31, 'cm'),
    kit.tumorSize(96, 39.1),
    kit.tumorSize(33, 37.8),
    kit.tumorSize(rtStart - 27, 33.1),
    // Filler: earlier imaging from the referring hospital (older TBF and diameters) that selection must skip.
    ...[200, 170, 140, 120].map((d, i) => kit.tbf(d, 118 + 4 * i)),
    ...[200, 170, 140].map((d, i) => kit.imaging(p.maxTumorDiameter, d, 31 + 2 * i, 'mm')),
    ...extra(kit),
  ];

  const rt: Procedure = {
    resourceType: 'Procedure',
    id: 'bench-rt',
    status: 'in-progress',
    subject: kit.subject,
    code: concept(first(codes.radiotherapy, SNOMED)),
    performedPeriod: { start: kit.at(rtStart, 8), end: kit.at(rtStart - 46, 8) },
  };
  const cisplatin = codes.chemotherapy.find((c) => c.role === 'platinum');
  if (cisplatin === undefined) throw new Error('bench prefetch: no platinum agent');
  const chemo = (id: string, daysAgo: number): MedicationAdministration => ({
    resourceType: 'MedicationAdministration',
    id,
    status: 'completed',
    subject: kit.subject,
    medicationCodeableConcept: concept(cisplatin),
    effectivePeriod: { start: kit.at(daysAgo, 9), end: kit.at(daysAgo, 13) },
    dosage: { route: { text: 'intravenous' }, dose: { value: 100, unit: 'mg/m2', system: UCUM, code: 'mg/m2' } },
  });
  return {
    patient: kit.patient('Test Patient Bench', 'male', '1971-04-18'),
    conditions: [kit.npcCondition(105)],
    observations,
    procedures: [rt],
    medicationAdministrations: [chemo('bench-cis-1', rtStart), chemo('bench-cis-2', rtStart - 21)],
  };
}

/** A patient-view request for `record`, with its prefetch. */
export function patientViewBody(record: PatientRecord, hookInstance: string): PatientViewBody {
  return {
    hook: 'patient-view',
    hookInstance,
    fhirServer: 'https://ehr.example.org/fhir',
    context: { userId: BENCH_USER, patientId: record.patient.id ?? '' },
    prefetch: prefetchOf(record),
  };
}

/** The benchmark's main patient-view request (during RT), with dates relative to `now`. */
export function benchRequest(now: Date, hookInstance: string): BenchRequest {
  const record = duringRtRecord(now);
  return { body: patientViewBody(record, hookInstance), observationCount: record.observations.length };
}

export const PRE_TREATMENT_PATIENT_ID = 'bench-npc-pretreatment';

/**
 * A patient seen before any treatment (no RT course, no systemic therapy): final AJCC 8th staging T3 N2 M0
 * (stage III), a recent MRI with a low ICTOS (-0.3298, from the score and from its z-scored features, which
 * agree), tumor volume 28.4 mL, EBV DNA 3500 copies/mL, and a Pre-TBF of 150.2. Everything the treatment
 * decision needs is within the recency windows of clinical-spec section 4 (MRI and EBV DNA at most 28 days
 * old, staging 90 days), so that the service answers the treatment-selection card (ccrt-alone: low ICTOS,
 * two risk factors) and the response-prediction card, and, for TPF draft orders, a warning that suggests
 * removing them.
 */
export function preTreatmentRecord(now: Date): PatientRecord {
  const kit = new RecordKit(now, PRE_TREATMENT_PATIENT_ID, 'bench-pre');
  const p = codes.project;
  const mri = 12;
  const observations: Observation[] = [
    // EBV DNA: the screening series, the diagnostic rise, the latest result before the decision.
    ...[300, 240, 180, 120].map((d, i) => kit.ebv(d, 200 + 100 * i)),
    kit.ebv(45, 2800),
    kit.ebv(20, 4100, 'entered-in-error'),
    kit.ebv(10, 3500),
    // Staging: a preliminary work-up, then the final staging on LOINC and on SNOMED axes.
    ...kit.stagingSet(40, LOINC, 'T2', 'N1', 'M0', undefined, 'preliminary'),
    ...kit.stagingSet(30, LOINC, 'T3', 'N2', 'M0', 'III'),
    ...kit.stagingSet(14, SNOMED, 'T3', 'N2', 'M0', 'III'),
    // The planning MRI: tumor volume, ICTOS and its features, TBF, diameters.
    kit.imaging(p.primaryTumorVolume, 45, 29.9, 'mL'),
    kit.imaging(p.primaryTumorVolume, mri, 28.4, 'cm3'),
    kit.feature(p.ictos, mri, -0.3298),
    kit.feature(p.skewnessZ, mri, 0.3),
    kit.feature(p.glcmVarianceZ, mri, 0.2),
    kit.feature(p.glrlmLrhgleZ, mri, -0.1),
    kit.feature(p.skewness, mri, 0.612),
    kit.feature(p.glcmVariance, mri, 273.6),
    kit.feature(p.glrlmLrhgle, mri, 2051.4),
    kit.tbf(45, 141.7),
    kit.tbf(mri, 149.0, 'mL/(100.g)/min', 'preliminary'),
    kit.tbf(mri, 150.2),
    kit.imaging(p.maxTumorDiameter, 45, 36.2, 'mm'),
    kit.imaging(p.maxTumorDiameter, mri, 3.71, 'cm'),
    kit.tumorSize(45, 36.2),
    kit.tumorSize(mri, 37.1),
  ];
  return {
    patient: kit.patient('Test Patient Pretreatment', 'female', '1968-09-02'),
    conditions: [kit.npcCondition(50)],
    observations,
    procedures: [],
    medicationAdministrations: [],
  };
}

/** The TPF induction regimen as draft MedicationRequests of one ordering session (RxNorm ingredients). */
export function tpfDraftOrders(now: Date, patientId: string): Bundle<MedicationRequest> {
  const agents = ['docetaxel', 'cisplatin', 'fluorouracil'].map((name) => {
    const agent = codes.chemotherapy.find((c) => c.display === name);
    if (agent === undefined) throw new Error(`bench prefetch: no code for ${name}`);
    return agent;
  });
  const dose: Readonly<Record<string, number>> = { docetaxel: 75, cisplatin: 75, fluorouracil: 750 };
  return {
    resourceType: 'Bundle',
    type: 'collection',
    entry: agents.map((agent) => ({
      resource: {
        resourceType: 'MedicationRequest',
        id: `bench-tpf-${agent.display ?? agent.code}`,
        status: 'draft',
        intent: 'order',
        subject: { reference: `Patient/${patientId}` },
        authoredOn: now.toISOString(),
        medicationCodeableConcept: { ...concept(agent), text: agent.display ?? agent.code },
        dosageInstruction: [{ text: `${dose[agent.display ?? ''] ?? 0} mg/m2 IV, day 1 of a 21-day cycle, 3 cycles (TPF)` }],
      },
    })),
  };
}

/** Other results of a patient's years in the hospital: codes the service does not read. */
const FILLER_CODES: readonly { code: string; display: string; ucum: string; value: number; vital: boolean }[] = [
  { code: '8867-4', display: 'Heart rate', ucum: '/min', value: 72, vital: true },
  { code: '8480-6', display: 'Systolic blood pressure', ucum: 'mm[Hg]', value: 128, vital: true },
  { code: '29463-7', display: 'Body weight', ucum: 'kg', value: 64.5, vital: true },
  { code: '8310-5', display: 'Body temperature', ucum: 'Cel', value: 36.8, vital: true },
  { code: '718-7', display: 'Hemoglobin [Mass/volume] in Blood', ucum: 'g/dL', value: 13.1, vital: false },
  { code: '6690-2', display: 'Leukocytes [#/volume] in Blood by Automated count', ucum: '10*3/uL', value: 6.4, vital: false },
  { code: '777-3', display: 'Platelets [#/volume] in Blood by Automated count', ucum: '10*3/uL', value: 245, vital: false },
  { code: '2160-0', display: 'Creatinine [Mass/volume] in Serum or Plasma', ucum: 'mg/dL', value: 0.9, vital: false },
  { code: '1742-6', display: 'Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma', ucum: 'U/L', value: 24, vital: false },
];

/**
 * `count` Observations of earlier years, all older than the main record's, so that the cards stay the same:
 * nine in ten are vitals and labs the service does not read (an EHR that ignores the code filter of the
 * prefetch template sends them), one in ten an older EBV DNA or TBF result that selection must weigh and skip.
 */
export function fillerObservations(kit: RecordKit, count: number): Observation[] {
  const out: Observation[] = [];
  for (let i = 0; i < count; i++) {
    // Spread over the ten years before the last 400 days, a few per day.
    const daysAgo = 400 + (i % 3650);
    if (i % 10 === 9) {
      out.push(i % 20 === 19 ? kit.tbf(daysAgo, 110 + (i % 40)) : kit.ebv(daysAgo, 100 + (i % 900)));
      continue;
    }
    const c = FILLER_CODES[i % FILLER_CODES.length] ?? FILLER_CODES[0];
    if (c === undefined) continue;
    out.push(
      kit.obs({
        category: c.vital ? VITAL_SIGNS : LABORATORY,
        code: { coding: [{ system: LOINC, code: c.code, display: c.display }] },
        effectiveDateTime: kit.at(daysAgo, 7 + (i % 10)),
        valueQuantity: kit.quantity(Math.round(c.value * (0.9 + (i % 21) / 100) * 100) / 100, c.ucum),
      }),
    );
  }
  return out;
}
