/**
 * The codes the cards use: card topics, override reasons and the orders that "what is missing"
 * suggests. Published as FHIR CodeSystems in `fhir/` (checked by test/cds/vocabulary.test.ts).
 */
import type { Coding } from 'fhir/r4';
import { SYSTEMS } from '../fhir/codes';

export const CARD_TOPIC_SYSTEM = 'https://npc-cds.org/fhir/CodeSystem/card-topic';
export const OVERRIDE_REASON_SYSTEM = 'https://npc-cds.org/fhir/CodeSystem/override-reason';
export const ORDERABLE_SYSTEM = 'https://npc-cds.org/fhir/CodeSystem/npc-orderables';

export type CardKind = 'treatment-selection' | 'response-prediction' | 'missing-data' | 'order-check' | 'data-unavailable' | 'population';

export const CARD_TOPICS: Readonly<Record<CardKind, Coding & { code: string; display: string }>> = {
  'treatment-selection': { system: CARD_TOPIC_SYSTEM, code: 'treatment-selection', display: 'Induction chemotherapy selection (ICTOS, Dong 2019)' },
  'response-prediction': { system: CARD_TOPIC_SYSTEM, code: 'response-prediction', display: 'Response prediction from ASL tumor blood flow (Liu 2022)' },
  'missing-data': { system: CARD_TOPIC_SYSTEM, code: 'missing-data', display: 'Inputs missing for NPC decision support' },
  'order-check': { system: CARD_TOPIC_SYSTEM, code: 'order-check', display: 'Induction chemotherapy order check (ICTOS, Dong 2019)' },
  'data-unavailable': { system: CARD_TOPIC_SYSTEM, code: 'data-unavailable', display: 'Data for NPC decision support unavailable' },
  population: { system: CARD_TOPIC_SYSTEM, code: 'outside-studied-population', display: 'NPC decision support not applied: outside the studied population' },
};

/** Override reasons offered on warning cards (the order check). */
export const OVERRIDE_REASONS: readonly (Coding & { system: string; code: string; display: string })[] = [
  { system: OVERRIDE_REASON_SYSTEM, code: 'tumor-board-decision', display: 'Multidisciplinary tumor board decided on induction chemotherapy' },
  { system: OVERRIDE_REASON_SYSTEM, code: 'trial-protocol', display: 'Treated within a clinical trial protocol' },
  { system: OVERRIDE_REASON_SYSTEM, code: 'ictos-not-applicable', display: 'ICTOS not applicable (MRI protocol or normalization differs from the study)' },
  { system: OVERRIDE_REASON_SYSTEM, code: 'other-clinical-reason', display: 'Other clinical reason (see comment)' },
];

/**
 * Override reasons offered on the patient-view cards, so that a dismissal records why (CDS Hooks 2.0
 * feedback `overrideReason`).
 */
export const PATIENT_VIEW_OVERRIDE_REASONS: readonly (Coding & { system: string; code: string; display: string })[] = [
  { system: OVERRIDE_REASON_SYSTEM, code: 'data-incorrect', display: 'The data shown are incorrect or incomplete' },
  { system: OVERRIDE_REASON_SYSTEM, code: 'already-decided', display: 'Treatment already decided (e.g. by the tumor board)' },
  { system: OVERRIDE_REASON_SYSTEM, code: 'ictos-not-applicable', display: 'ICTOS not applicable (MRI protocol or normalization differs from the study)' },
  { system: OVERRIDE_REASON_SYSTEM, code: 'tbf-not-applicable', display: 'TBF not comparable (scanner or ASL protocol differs from the study)' },
  { system: OVERRIDE_REASON_SYSTEM, code: 'other-clinical-reason', display: 'Other clinical reason (see comment)' },
];

export type OrderableId = 'ebv-dna' | 'asl-mri' | 'radiomics-mri';

/** What the "what is missing" card can suggest ordering, with the code of the ServiceRequest. */
export const ORDERABLES: Readonly<Record<OrderableId, { code: Coding & { system: string; code: string; display: string }; label: string }>> = {
  'ebv-dna': {
    code: { system: SYSTEMS.loinc, code: '47982-4', display: 'Epstein Barr virus DNA [#/volume] (viral load) in Plasma by NAA with probe detection' },
    label: 'Order plasma EBV DNA (copies/mL)',
  },
  'asl-mri': {
    code: { system: ORDERABLE_SYSTEM, code: 'asl-mri-tumor-blood-flow', display: 'ASL perfusion MRI of the nasopharynx with tumor blood flow measurement' },
    label: 'Order ASL-MRI for tumor blood flow',
  },
  'radiomics-mri': {
    code: { system: ORDERABLE_SYSTEM, code: 'ce-t1-mri-ictos', display: 'Contrast-enhanced T1-weighted MRI radiomic analysis (ICTOS features, tumor volume)' },
    label: 'Order MRI radiomic analysis (ICTOS, tumor volume)',
  },
};
