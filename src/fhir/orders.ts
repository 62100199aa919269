/**
 * Recognises induction chemotherapy among the draft orders of an order-select / order-sign hook
 * (clinical-spec.md section 6). Draft orders come from the EHR's ordering session and are often
 * incomplete FHIR: a Bundle without `type`, MedicationRequests without `intent` or even without a
 * medication. Nothing here throws on such input; what cannot be identified is reported as ignored.
 */
import type { CodeableConcept, Coding, Medication, MedicationRequest } from 'fhir/r4';
import type { ChemotherapyAgent, CodeLists } from './codes';
import { DEFAULT_CODE_LISTS } from './codes';
import { isFhirId } from './ids';

/** One draft MedicationRequest recognised as (part of) induction chemotherapy. */
export interface InductionOrder {
  /** "MedicationRequest/id" */
  readonly reference: string;
  /** False when the order has no id: it cannot be the target of a delete suggestion. */
  readonly identifiable: boolean;
  /** The agents named by the order (display names of the code lists). */
  readonly agents: readonly string[];
  /** Why it counts: an induction partner agent, or an explicit induction marker on the order. */
  readonly by: 'induction-partner' | 'induction-marker';
}

export type IgnoredOrderReason = 'no-medication' | 'not-chemotherapy' | 'inactive-status';

export interface DraftOrderReview {
  readonly induction: readonly InductionOrder[];
  /** Platinum orders that are not marked as induction: the concurrent part of CCRT, kept. */
  readonly platinumOnly: readonly string[];
  readonly ignored: readonly { readonly reference: string; readonly reason: IgnoredOrderReason }[];
}

const INACTIVE = new Set(['cancelled', 'entered-in-error', 'stopped', 'completed', 'revoked']);
const INDUCTION_MARKER = /\binduction\b/i;

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function codings(cc: unknown): Coding[] {
  if (!isRecord(cc) || !Array.isArray(cc['coding'])) return [];
  return cc['coding'].filter(isRecord) as Coding[];
}

function conceptText(cc: unknown): string[] {
  if (!isRecord(cc)) return [];
  const texts = [cc['text'], ...codings(cc).flatMap((c) => [c.display, c.code])];
  return texts.filter((t): t is string => typeof t === 'string');
}

/** The medication concept of an order: `medicationCodeableConcept`, or a contained Medication it references. */
function medicationConcept(mr: Record<string, unknown>): CodeableConcept | undefined {
  if (isRecord(mr['medicationCodeableConcept'])) return mr['medicationCodeableConcept'] as CodeableConcept;
  const reference = isRecord(mr['medicationReference']) ? mr['medicationReference']['reference'] : undefined;
  if (typeof reference === 'string' && reference.startsWith('#') && Array.isArray(mr['contained'])) {
    const contained = (mr['contained'] as unknown[]).find(
      (r): r is Medication => isRecord(r) && r['resourceType'] === 'Medication' && `#${String(r['id'])}` === reference,
    );
    return contained?.code;
  }
  return undefined;
}

/** True when the order itself says it is induction chemotherapy (courseOfTherapyType or category). */
function markedAsInduction(mr: Record<string, unknown>): boolean {
  const categories = Array.isArray(mr['category']) ? (mr['category'] as unknown[]) : [];
  return [mr['courseOfTherapyType'], ...categories].some((cc) => conceptText(cc).some((t) => INDUCTION_MARKER.test(t)));
}

/** The draft MedicationRequests of `context.draftOrders`, whatever the Bundle's `type`. */
export function draftMedicationRequests(draftOrders: unknown): MedicationRequest[] {
  if (!isRecord(draftOrders) || !Array.isArray(draftOrders['entry'])) return [];
  return (draftOrders['entry'] as unknown[])
    .map((e) => (isRecord(e) ? e['resource'] : undefined))
    .filter((r): r is MedicationRequest => isRecord(r) && r['resourceType'] === 'MedicationRequest');
}

/**
 * Sorts the draft MedicationRequests into induction orders, platinum-only orders and orders that cannot
 * be identified. An induction partner agent (docetaxel, fluorouracil, gemcitabine, capecitabine,
 * paclitaxel) or an explicit induction marker makes an order induction; a platinum alone does not.
 */
export function reviewDraftOrders(draftOrders: unknown, codes: CodeLists = DEFAULT_CODE_LISTS): DraftOrderReview {
  const induction: InductionOrder[] = [];
  const platinumOnly: string[] = [];
  const ignored: { reference: string; reason: IgnoredOrderReason }[] = [];
  for (const mr of draftMedicationRequests(draftOrders)) {
    const raw = mr as unknown as Record<string, unknown>;
    // Only a valid FHIR id can be the target of a delete suggestion (the card schema checks Type/id).
    const identifiable = typeof mr.id === 'string' && isFhirId(mr.id);
    const reference = `MedicationRequest/${identifiable ? mr.id : '(no id)'}`;
    if (typeof mr.status === 'string' && INACTIVE.has(mr.status)) {
      ignored.push({ reference, reason: 'inactive-status' });
      continue;
    }
    const concept = medicationConcept(raw);
    const marker = markedAsInduction(raw);
    const agents: ChemotherapyAgent[] = codes.chemotherapy.filter((a) =>
      codings(concept).some((c) => c.system === a.system && c.code === a.code),
    );
    if (concept === undefined && !marker) {
      ignored.push({ reference, reason: 'no-medication' });
      continue;
    }
    const names = agents.map((a) => a.display ?? a.code);
    if (agents.some((a) => a.role === 'induction-partner')) {
      induction.push({ reference, identifiable, agents: names, by: 'induction-partner' });
    } else if (marker) {
      induction.push({ reference, identifiable, agents: names, by: 'induction-marker' });
    } else if (agents.length > 0) {
      platinumOnly.push(reference);
    } else {
      ignored.push({ reference, reason: 'not-chemotherapy' });
    }
  }
  return { induction, platinumOnly, ignored };
}
