/**
 * The kinds of request the HTTP benchmark sends (bench/http.ts): what EHRs actually call the service with.
 * Each kind is a request body built with dates relative to `now` (bench/prefetch.ts), the service it goes
 * to, the number of cards the service must answer (a probe checks it before any measurement: a benchmark
 * of 400s or of empty answers measures nothing) and, for the FHIR fallback, the resources its FHIR server
 * must hold.
 */
import type { FhirResource } from 'fhir/r4';
import {
  BENCH_SERVICE_ID,
  BENCH_USER,
  benchRequest,
  patientViewBody,
  prefetchOf,
  PRE_TREATMENT_PATIENT_ID,
  preTreatmentRecord,
  resourcesOf,
  tpfDraftOrders,
} from './prefetch';

export const ORDER_SELECT_SERVICE_ID = 'npc-induction-order-check-select';
export const ORDER_SIGN_SERVICE_ID = 'npc-induction-order-check-sign';

export type KindId = 'pre-treatment' | 'during-RT' | 'order-select' | 'order-sign' | 'fhir-fallback';

/** Where the service reads the patient's data in the FHIR-fallback kind: a FHIR server and its token. */
export interface FhirAccess {
  readonly baseUrl: string;
  readonly accessToken: string;
}

export interface RequestKind {
  readonly id: KindId;
  readonly serviceId: string;
  /** One sentence for the report: who sends it, and what the service does with it. */
  readonly explanation: string;
  /** The request body, the same for every request of a run. */
  readonly body: string;
  /** True when the service reads the patient from the FHIR server (no prefetch). */
  readonly readsFhir: boolean;
  /** How many cards the service must answer, inclusive. */
  readonly cards: { readonly min: number; readonly max: number };
}

/** What the FHIR server of the FHIR-fallback kind must hold: the pre-treatment patient's resources. */
export function fhirFallbackResources(now: Date): FhirResource[] {
  return resourcesOf(preTreatmentRecord(now));
}

/**
 * Every kind, in report order. The FHIR-fallback kind is included only with `fhir`: its body names the
 * server, which must be started and seeded with `fhirFallbackResources` first.
 */
export function requestKinds(now: Date, hookInstance: string, fhir?: FhirAccess): RequestKind[] {
  const pre = preTreatmentRecord(now);
  const orderContext = { userId: BENCH_USER, patientId: PRE_TREATMENT_PATIENT_ID, draftOrders: tpfDraftOrders(now, PRE_TREATMENT_PATIENT_ID) };
  const selections = (orderContext.draftOrders.entry ?? []).map((e) => `MedicationRequest/${e.resource?.id ?? ''}`);
  const kinds: RequestKind[] = [
    {
      id: 'pre-treatment',
      serviceId: BENCH_SERVICE_ID,
      explanation: `patient-view with prefetch for a patient before any treatment (${pre.observations.length} Observations: staging, EBV DNA, the planning MRI with a low ICTOS and its features, TBF, diameters; no RT, no chemotherapy): the treatment-selection card (ccrt-alone) and the response-prediction card (Pre-TBF rules).`,
      body: JSON.stringify(patientViewBody(pre, hookInstance)),
      readsFhir: false,
      cards: { min: 2, max: 3 },
    },
    {
      id: 'during-RT',
      serviceId: BENCH_SERVICE_ID,
      explanation: 'the main request: patient-view with prefetch for a patient on RT day 31 (55 Observations, the RT course, two cisplatin administrations): one response-prediction card with the five TBF findings.',
      body: JSON.stringify(benchRequest(now, hookInstance).body),
      readsFhir: false,
      cards: { min: 1, max: 1 },
    },
    {
      id: 'order-select',
      serviceId: ORDER_SELECT_SERVICE_ID,
      explanation: `order-select: the pre-treatment patient's prefetch, the TPF regimen (docetaxel, cisplatin, fluorouracil) as ${selections.length} draft MedicationRequests in context.draftOrders, all of them in context.selections: the order-check warning (low ICTOS) with a suggestion to remove the regimen.`,
      body: JSON.stringify({ hook: 'order-select', hookInstance, fhirServer: 'https://ehr.example.org/fhir', context: { ...orderContext, selections }, prefetch: prefetchOf(pre) }),
      readsFhir: false,
      cards: { min: 1, max: 1 },
    },
    {
      id: 'order-sign',
      serviceId: ORDER_SIGN_SERVICE_ID,
      explanation: 'order-sign: the same patient and TPF draft orders when they are signed: the same order check.',
      body: JSON.stringify({ hook: 'order-sign', hookInstance, fhirServer: 'https://ehr.example.org/fhir', context: orderContext, prefetch: prefetchOf(pre) }),
      readsFhir: false,
      cards: { min: 1, max: 1 },
    },
  ];
  if (fhir !== undefined) {
    kinds.push({
      id: 'fhir-fallback',
      serviceId: BENCH_SERVICE_ID,
      explanation:
        'patient-view for the pre-treatment patient without prefetch: the service reads the five searches from the EHR\'s FHIR server (fhirServer + fhirAuthorization, a bearer token; ALLOWED_FHIR_SERVERS names it), the same cards as pre-treatment.',
      body: JSON.stringify({
        hook: 'patient-view',
        hookInstance,
        fhirServer: fhir.baseUrl,
        fhirAuthorization: { access_token: fhir.accessToken, token_type: 'Bearer', expires_in: 3600, scope: 'patient/*.read', subject: 'npc-cds-bench' },
        context: { userId: BENCH_USER, patientId: PRE_TREATMENT_PATIENT_ID },
      }),
      readsFhir: true,
      cards: { min: 2, max: 3 },
    });
  }
  return kinds;
}
