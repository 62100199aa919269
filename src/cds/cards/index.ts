/**
 * From an assessed patient to CDS Hooks cards (one module per card, src/cds/cards/) (clinical-spec.md sections 1, 6 and 8; conventions.md
 * findings). At most one card per decision: treatment selection (before treatment), response prediction
 * (whenever TBF data exist), what is missing (in scope, inputs missing), and the order check on the
 * order hooks. No card for a patient without NPC; no card for an NPC patient outside the studied
 * population (docs/decisions/0005-cds-service.md). When the EHR's FHIR server failed, one card that
 * says so instead of all of them (docs/decisions/0007-fhir-faults.md).
 */
export type { BuiltCard, CardContext } from './envelope';
export { patientViewCards } from './patient-view';
export { orderCheckCards } from './order-check';
export { dataUnavailableCard, type UnavailableContext } from './data-unavailable';
