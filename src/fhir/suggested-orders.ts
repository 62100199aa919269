/**
 * The ServiceRequests NPC-CDS suggests when an input is missing (the "what is missing" card's
 * suggestions): their codes (published as fhir/CodeSystem-npc-orderables.json, the EBV DNA test by
 * LOINC) and the draft resource a suggestion creates. Nothing is ordered: the EHR shows the draft for the
 * clinician to review.
 */
import type { ServiceRequest } from 'fhir/r4';
import type { OrderableId } from '../core';
import { EBV_DNA_VIRAL_LOAD } from './codes';

export const ORDERABLE_SYSTEM = 'https://npc-cds.org/fhir/CodeSystem/npc-orderables';

/** A code with its system and display, as every coding NPC-CDS writes has. */
export interface FullCoding {
  readonly system: string;
  readonly code: string;
  readonly display: string;
}

/** The code of each suggested order. */
export const ORDERABLE_CODES: Readonly<Record<OrderableId, FullCoding>> = {
  'ebv-dna': { system: EBV_DNA_VIRAL_LOAD.system, code: EBV_DNA_VIRAL_LOAD.code, display: EBV_DNA_VIRAL_LOAD.display },
  'asl-mri': { system: ORDERABLE_SYSTEM, code: 'asl-mri-tumor-blood-flow', display: 'ASL perfusion MRI of the nasopharynx with tumor blood flow measurement' },
  'radiomics-mri': { system: ORDERABLE_SYSTEM, code: 'ce-t1-mri-ictos', display: 'Contrast-enhanced T1-weighted MRI radiomic analysis (ICTOS features, tumor volume)' },
};

/** What a suggested order is about. */
export interface SuggestedOrderInput {
  readonly orderable: OrderableId;
  readonly patientId: string;
  /** "Condition/x": the NPC diagnosis the order is for, when the record has one. */
  readonly condition?: string | undefined;
  /** The order's note: why it is suggested. */
  readonly note: string;
}

/** The draft ServiceRequest (status draft, intent proposal) a suggestion creates. */
export function suggestedServiceRequest(input: SuggestedOrderInput): ServiceRequest {
  const code = ORDERABLE_CODES[input.orderable];
  return {
    resourceType: 'ServiceRequest',
    status: 'draft',
    intent: 'proposal',
    code: { coding: [{ ...code }], text: code.display },
    subject: { reference: `Patient/${input.patientId}` },
    ...(input.condition !== undefined ? { reasonReference: [{ reference: input.condition }] } : {}),
    note: [{ text: input.note }],
  };
}
