/**
 * The prefetch templates of the CDS services and the same queries with the patient id filled in, for
 * fetching from the FHIR server when prefetch is missing: one source for both.
 *
 * Only query forms that CDS Hooks 2.0 ("Prefetch query restrictions") allows: an instance read, type
 * searches with `patient={{context.patientId}}` and token equality (`code=system|code,system|code`).
 */
import type { CodeLists, CodeRef } from './codes';
import { DEFAULT_CODE_LISTS } from './codes';

export const PREFETCH_KEYS = ['patient', 'conditions', 'observations', 'procedures', 'medicationAdministrations'] as const;

export type PrefetchKey = (typeof PREFETCH_KEYS)[number];

/** One query per prefetch key: templates (with the token) or queries (with the patient id). */
export type PrefetchQueries = Readonly<Record<PrefetchKey, string>>;

/** The resource type each key's query returns. */
export const PREFETCH_RESOURCE_TYPES = {
  patient: 'Patient',
  conditions: 'Condition',
  observations: 'Observation',
  procedures: 'Procedure',
  medicationAdministrations: 'MedicationAdministration',
} as const satisfies Record<PrefetchKey, string>;

export const PATIENT_ID_TOKEN = '{{context.patientId}}';

/** A FHIR R4 resource id (R4 "id" datatype): 1-64 letters, digits, '-' and '.'. */
export function isFhirId(value: string): boolean {
  return /^[A-Za-z0-9\-.]{1,64}$/.test(value);
}

/** Escapes a token part for FHIR search (`\`, `,`, `|`, `$`) and for a query string, keeping `:` and `/` readable. */
function tokenPart(value: string): string {
  const fhirEscaped = value.replace(/[\\,|$]/g, (c) => `\\${c}`);
  return encodeURIComponent(fhirEscaped).replace(/%3A/gi, ':').replace(/%2F/gi, '/');
}

function tokenList(refs: readonly Pick<CodeRef, 'system' | 'code'>[]): string {
  const tokens = refs.map((r) => `${tokenPart(r.system)}|${tokenPart(r.code)}`);
  return [...new Set(tokens)].join(',');
}

/** The Observation codes the services read: staging, EBV DNA, the project codes and mCODE tumor size. */
export function observationCodes(codes: CodeLists): CodeRef[] {
  const project = Object.values(codes.project).map((code) => ({ system: codes.projectSystem, code }));
  return [
    ...codes.tCategory,
    ...codes.nCategory,
    ...codes.mCategory,
    ...codes.stageGroup,
    ...codes.ebvDna,
    ...project,
    codes.tumorSize.observation,
  ];
}

/**
 * The prefetch templates (CDS Hooks 2.0 discovery `prefetch`), built from the code lists.
 * Conditions are not filtered by code: ICD-10 C11.x is a prefix, which token equality cannot express.
 */
export function prefetchTemplates(codes: CodeLists = DEFAULT_CODE_LISTS): PrefetchQueries {
  const patient = `patient=${PATIENT_ID_TOKEN}`;
  return {
    patient: `Patient/${PATIENT_ID_TOKEN}`,
    conditions: `Condition?${patient}`,
    observations: `Observation?${patient}&code=${tokenList(observationCodes(codes))}`,
    procedures: `Procedure?${patient}&code=${tokenList(codes.radiotherapy)}`,
    medicationAdministrations: `MedicationAdministration?${patient}&code=${tokenList(codes.chemotherapy)}`,
  };
}

/**
 * The prefetch templates with the patient id filled in: the relative URLs to fetch from `fhirServer`.
 * Throws a RangeError when `patientId` is not a FHIR id (it would change the query).
 */
export function prefetchQueries(patientId: string, codes: CodeLists = DEFAULT_CODE_LISTS): PrefetchQueries {
  if (!isFhirId(patientId)) {
    throw new RangeError('patientId is not a valid FHIR id');
  }
  const templates = prefetchTemplates(codes);
  const fill = (template: string): string => template.replaceAll(PATIENT_ID_TOKEN, patientId);
  return {
    patient: fill(templates.patient),
    conditions: fill(templates.conditions),
    observations: fill(templates.observations),
    procedures: fill(templates.procedures),
    medicationAdministrations: fill(templates.medicationAdministrations),
  };
}
