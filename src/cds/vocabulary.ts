/**
 * The codes the cards use: card topics and override reasons (the codes of the orders that "what is
 * missing" suggests are in src/fhir/suggested-orders.ts). Published as FHIR CodeSystems in `fhir/` (checked by test/cds/vocabulary.test.ts).
 */
import type { FullCoding } from '../fhir/suggested-orders';

type Coding = FullCoding;

export const CARD_TOPIC_SYSTEM = 'https://npc-cds.org/fhir/CodeSystem/card-topic';
export const OVERRIDE_REASON_SYSTEM = 'https://npc-cds.org/fhir/CodeSystem/override-reason';

export type CardKind = 'treatment-selection' | 'response-prediction' | 'missing-data' | 'order-check' | 'data-unavailable' | 'population';

export const CARD_TOPICS: Readonly<Record<CardKind, Coding>> = {
  'treatment-selection': { system: CARD_TOPIC_SYSTEM, code: 'treatment-selection', display: 'Induction chemotherapy selection (ICTOS, Dong 2019)' },
  'response-prediction': { system: CARD_TOPIC_SYSTEM, code: 'response-prediction', display: 'Response prediction from ASL tumor blood flow (Liu 2022)' },
  'missing-data': { system: CARD_TOPIC_SYSTEM, code: 'missing-data', display: 'Inputs missing for NPC decision support' },
  'order-check': { system: CARD_TOPIC_SYSTEM, code: 'order-check', display: 'Induction chemotherapy order check (ICTOS, Dong 2019)' },
  'data-unavailable': { system: CARD_TOPIC_SYSTEM, code: 'data-unavailable', display: 'Data for NPC decision support unavailable' },
  population: { system: CARD_TOPIC_SYSTEM, code: 'outside-studied-population', display: 'NPC decision support not applied: outside the studied population' },
};

const ICTOS_NOT_APPLICABLE: Coding = { system: OVERRIDE_REASON_SYSTEM, code: 'ictos-not-applicable', display: 'ICTOS not applicable (MRI protocol or normalization differs from the study)' };
const OTHER_CLINICAL_REASON: Coding = { system: OVERRIDE_REASON_SYSTEM, code: 'other-clinical-reason', display: 'Other clinical reason (see comment)' };

/** Override reasons offered on warning cards (the order check). */
export const OVERRIDE_REASONS: readonly Coding[] = [
  { system: OVERRIDE_REASON_SYSTEM, code: 'tumor-board-decision', display: 'Multidisciplinary tumor board decided on induction chemotherapy' },
  { system: OVERRIDE_REASON_SYSTEM, code: 'trial-protocol', display: 'Treated within a clinical trial protocol' },
  ICTOS_NOT_APPLICABLE,
  OTHER_CLINICAL_REASON,
];

/**
 * Override reasons offered on the patient-view cards, so that a dismissal records why (CDS Hooks 2.0
 * feedback `overrideReason`).
 */
export const PATIENT_VIEW_OVERRIDE_REASONS: readonly Coding[] = [
  { system: OVERRIDE_REASON_SYSTEM, code: 'data-incorrect', display: 'The data shown are incorrect or incomplete' },
  { system: OVERRIDE_REASON_SYSTEM, code: 'already-decided', display: 'Treatment already decided (e.g. by the tumor board)' },
  ICTOS_NOT_APPLICABLE,
  { system: OVERRIDE_REASON_SYSTEM, code: 'tbf-not-applicable', display: 'TBF not comparable (scanner or ASL protocol differs from the study)' },
  OTHER_CLINICAL_REASON,
];
