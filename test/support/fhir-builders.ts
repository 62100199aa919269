/** Small builders for synthetic FHIR R4 resources in unit tests (never real patient data). */
import type { Condition, MedicationAdministration, Observation, Procedure } from 'fhir/r4';
import { DEFAULT_CODE_LISTS, PROJECT_CODE_SYSTEM, SYSTEMS } from '../../src/fhir/codes';
import type { PatientRecord } from '../../src/fhir/loader';

export const PATIENT_ID = 'unit-p1';
const subject = { reference: `Patient/${PATIENT_ID}` };
let counter = 0;
const nextId = (prefix: string) => `${prefix}-${++counter}`;

export function record(parts: Partial<Omit<PatientRecord, 'patient'>>): PatientRecord {
  return {
    patient: { resourceType: 'Patient', id: PATIENT_ID },
    conditions: parts.conditions ?? [npcCondition()],
    observations: parts.observations ?? [],
    procedures: parts.procedures ?? [],
    medicationAdministrations: parts.medicationAdministrations ?? [],
  };
}

export function npcCondition(over: Partial<Condition> = {}): Condition {
  return {
    resourceType: 'Condition',
    id: nextId('cond'),
    subject,
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
    verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed' }] },
    code: { coding: [{ system: SYSTEMS.icd10cm, code: 'C11.9' }] },
    ...over,
  };
}

export function measurement(
  projectCode: string,
  value: number,
  date: string,
  unit: string | undefined,
  over: Partial<Observation> = {},
): Observation {
  return {
    resourceType: 'Observation',
    id: over.id ?? nextId(projectCode),
    status: 'final',
    subject,
    code: { coding: [{ system: PROJECT_CODE_SYSTEM, code: projectCode }] },
    effectiveDateTime: date,
    valueQuantity: { value, ...(unit !== undefined ? { system: SYSTEMS.ucum, code: unit, unit } : {}) },
    ...over,
  };
}

export const tbf = (value: number, date: string, over: Partial<Observation> = {}) =>
  measurement('tumor-blood-flow', value, date, 'mL/(100.g)/min', over);

export function staging(axis: 'T' | 'N' | 'M' | 'stage', text: string, date: string, over: Partial<Observation> = {}): Observation {
  const code = { T: DEFAULT_CODE_LISTS.tCategory, N: DEFAULT_CODE_LISTS.nCategory, M: DEFAULT_CODE_LISTS.mCategory, stage: DEFAULT_CODE_LISTS.stageGroup }[axis][0];
  return {
    resourceType: 'Observation',
    id: over.id ?? nextId(`staging-${axis}`),
    status: 'final',
    subject,
    code: { coding: [{ system: code?.system, code: code?.code }] },
    effectiveDateTime: date,
    valueCodeableConcept: { text },
    ...over,
  };
}

export function radiotherapy(start: string, end?: string, over: Partial<Procedure> = {}): Procedure {
  return {
    resourceType: 'Procedure',
    id: nextId('rt'),
    status: 'completed',
    subject,
    code: { coding: [{ system: SYSTEMS.snomed, code: '1217123003' }] },
    performedPeriod: { start, ...(end !== undefined ? { end } : {}) },
    ...over,
  };
}

export function chemo(rxnorm: string, date: string, over: Partial<MedicationAdministration> = {}): MedicationAdministration {
  return {
    resourceType: 'MedicationAdministration',
    id: nextId('chemo'),
    status: 'completed',
    subject,
    medicationCodeableConcept: { coding: [{ system: SYSTEMS.rxnorm, code: rxnorm }] },
    effectiveDateTime: date,
    ...over,
  };
}
