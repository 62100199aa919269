/**
 * Recognises induction chemotherapy among the draft orders of an order-select / order-sign hook
 * (clinical-spec.md section 6). Draft orders come from the EHR's ordering session and are often
 * incomplete FHIR: a Bundle without `type`, MedicationRequests without `intent` or even without a
 * medication. Nothing here throws on such input; what cannot be identified is reported as ignored.
 *
 * (v2) Agents are recognised by ingredient code, product code, Medication ingredients, ATC code or name
 * (src/fhir/drugs.ts), and every recognised order says how. The whole induction regimen is returned for
 * removal: the induction orders and every platinum draft of the same draft orders, unless that platinum
 * is marked concurrent (courseOfTherapyType, category or text: "concurrent", "with radiotherapy", "CCRT").
 */
import type { MedicationRequest } from 'fhir/r4';
import type { DraftInduction } from '../core';
import type { CodeLists } from './codes';
import { DEFAULT_CODE_LISTS } from './codes';
import { medicationOf, medicationResolver, recogniseMedicationUse, type Recognition } from './drugs';
import { isFhirId } from './ids';

/** One draft MedicationRequest recognised as (part of) induction chemotherapy. */
export interface InductionOrder {
  /** "MedicationRequest/id" */
  readonly reference: string;
  /** False when the order has no id: it cannot be the target of a delete suggestion. */
  readonly identifiable: boolean;
  /** The agents named by the order (generic names). */
  readonly agents: readonly string[];
  /** (v2) The agents with how each was recognised (ingredient code, product code, ..., name). */
  readonly recognised: readonly Recognition[];
  /**
   * Why it counts: an induction partner agent, an explicit induction marker on the order, or (v2) a
   * platinum in the same draft orders as an induction partner, not marked concurrent.
   */
  readonly by: 'induction-partner' | 'induction-marker' | 'regimen-platinum';
}

/** A recognised systemic-therapy order that is not induction chemotherapy (a platinum kept, cetuximab, an anti-PD-1). */
export interface SystemicOrder {
  readonly reference: string;
  readonly identifiable: boolean;
  readonly agents: readonly string[];
  readonly recognised: readonly Recognition[];
}

export type IgnoredOrderReason = 'no-medication' | 'not-chemotherapy' | 'inactive-status';

export interface DraftOrderReview {
  /** The orders that make the draft orders induction chemotherapy: an induction partner agent or an explicit marker. */
  readonly induction: readonly InductionOrder[];
  /**
   * (v2) The whole induction regimen, every order a removal takes away: `induction` and the platinum
   * orders of the same draft orders not marked concurrent (`by: 'regimen-platinum'`). Empty without induction.
   */
  readonly regimen: readonly InductionOrder[];
  /** Platinum orders kept: alone in the draft orders (the concurrent part of CCRT), or marked concurrent. */
  readonly platinumOnly: readonly string[];
  /** (v2) Platinum orders kept because the order marks them concurrent (a subset of `platinumOnly`). */
  readonly concurrentPlatinum: readonly string[];
  /** (v2) The kept platinum orders with their agents and how they were recognised. */
  readonly platinumOrders: readonly SystemicOrder[];
  /** (v2) Other systemic anti-cancer therapy (cetuximab, nimotuzumab, anti-PD-1, tegafur, an unidentified L01 agent): not induction, kept. */
  readonly otherSystemic: readonly SystemicOrder[];
  readonly ignored: readonly { readonly reference: string; readonly reason: IgnoredOrderReason }[];
}

const INACTIVE = new Set(['cancelled', 'entered-in-error', 'stopped', 'completed', 'revoked']);
const INDUCTION_MARKER = /\binduction\b/i;
/** (v2) Words that mark a platinum order as the concurrent part of chemoradiotherapy. */
const CONCURRENT_MARKER = /\b(concurrent|concomitant|ccrt|chemo-?radi(?:o|ation)\w*|with\s+(?:radiotherapy|radiation|rt|irradiation))\b/i;

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function conceptText(cc: unknown): string[] {
  if (!isRecord(cc)) return [];
  const codings = Array.isArray(cc['coding']) ? (cc['coding'] as unknown[]).filter(isRecord) : [];
  const texts = [cc['text'], ...codings.flatMap((c) => [c['display'], c['code']])];
  return texts.filter((t): t is string => typeof t === 'string');
}

const arrayOf = (x: unknown): unknown[] => (Array.isArray(x) ? (x as unknown[]) : []);

/** True when the order itself says it is induction chemotherapy (courseOfTherapyType or category). */
function markedAsInduction(mr: Record<string, unknown>): boolean {
  return [mr['courseOfTherapyType'], ...arrayOf(mr['category'])].some((cc) => conceptText(cc).some((t) => INDUCTION_MARKER.test(t)));
}

/**
 * (v2) True when the order says it is the concurrent part of chemoradiotherapy: in its courseOfTherapyType,
 * category, notes, dosage instructions or medication text.
 */
function markedAsConcurrent(mr: Record<string, unknown>): boolean {
  const medication = medicationOf(mr);
  const texts = [
    ...[mr['courseOfTherapyType'], ...arrayOf(mr['category'])].flatMap(conceptText),
    ...arrayOf(mr['note']).map((n) => (isRecord(n) ? n['text'] : undefined)),
    ...arrayOf(mr['dosageInstruction']).flatMap((d) => (isRecord(d) ? [d['text'], d['patientInstruction']] : [])),
    ...(medication?.kind === 'concept' && isRecord(medication.concept) ? [medication.concept['text']] : []),
  ];
  return texts.some((t) => typeof t === 'string' && CONCURRENT_MARKER.test(t));
}

/** The resources of `context.draftOrders`, whatever the Bundle's `type`. */
function draftResources(draftOrders: unknown): unknown[] {
  if (!isRecord(draftOrders) || !Array.isArray(draftOrders['entry'])) return [];
  return (draftOrders['entry'] as unknown[]).map((e) => (isRecord(e) ? e['resource'] : undefined)).filter(isRecord);
}

/** The draft MedicationRequests of `context.draftOrders`, whatever the Bundle's `type`. */
export function draftMedicationRequests(draftOrders: unknown): MedicationRequest[] {
  return draftResources(draftOrders).filter((r): r is MedicationRequest => isRecord(r) && r['resourceType'] === 'MedicationRequest');
}

const names = (recognised: readonly Recognition[]) => recognised.map((r) => r.label);

/**
 * Sorts the draft MedicationRequests into induction orders, the whole induction regimen, kept platinum
 * orders, other systemic therapy and orders that cannot be identified. An induction partner agent
 * (docetaxel, fluorouracil, gemcitabine, capecitabine, paclitaxel) or an explicit induction marker makes an
 * order induction; a platinum alone does not. With induction in the draft orders, a platinum order belongs
 * to the regimen unless it is marked concurrent. A Medication referenced by an order is read when it is
 * contained in the order or is itself an entry of the draft orders.
 */
export function reviewDraftOrders(draftOrders: unknown, codes: CodeLists = DEFAULT_CODE_LISTS): DraftOrderReview {
  const induction: InductionOrder[] = [];
  const platinum: { order: SystemicOrder; concurrent: boolean }[] = [];
  const otherSystemic: SystemicOrder[] = [];
  const ignored: { reference: string; reason: IgnoredOrderReason }[] = [];
  const resolve = medicationResolver(draftResources(draftOrders));
  for (const mr of draftMedicationRequests(draftOrders)) {
    const raw = mr as unknown as Record<string, unknown>;
    // Only a valid FHIR id can be the target of a delete suggestion (the card schema checks Type/id).
    const identifiable = typeof mr.id === 'string' && isFhirId(mr.id);
    const reference = `MedicationRequest/${identifiable ? mr.id : '(no id)'}`;
    if (typeof mr.status === 'string' && INACTIVE.has(mr.status)) {
      ignored.push({ reference, reason: 'inactive-status' });
      continue;
    }
    const hasMedication = medicationOf(raw, resolve) !== undefined;
    const marker = markedAsInduction(raw);
    const recognised = recogniseMedicationUse(raw, codes, resolve);
    if (!hasMedication && !marker) {
      ignored.push({ reference, reason: 'no-medication' });
      continue;
    }
    const order = { reference, identifiable, agents: names(recognised), recognised };
    if (recognised.some((r) => r.role === 'induction-partner')) {
      induction.push({ ...order, by: 'induction-partner' });
    } else if (marker) {
      induction.push({ ...order, by: 'induction-marker' });
    } else if (recognised.some((r) => r.role === 'platinum')) {
      platinum.push({ order, concurrent: markedAsConcurrent(raw) });
    } else if (recognised.length > 0) {
      otherSystemic.push(order);
    } else {
      ignored.push({ reference, reason: 'not-chemotherapy' });
    }
  }
  const inRegimen = induction.length > 0 ? platinum.filter((p) => !p.concurrent) : [];
  const kept = platinum.filter((p) => !inRegimen.includes(p));
  return {
    induction,
    regimen: [...induction, ...inRegimen.map((p) => ({ ...p.order, by: 'regimen-platinum' as const }))],
    platinumOnly: kept.map((p) => p.order.reference),
    concurrentPlatinum: kept.filter((p) => p.concurrent).map((p) => p.order.reference),
    platinumOrders: kept.map((p) => p.order),
    otherSystemic,
    ignored,
  };
}

/** The draft orders as the order check (src/core/order-check.ts) sees them. */
export function draftInduction(review: DraftOrderReview, selections?: readonly string[]): DraftInduction {
  return { induction: review.induction.map((o) => o.reference), selections };
}
