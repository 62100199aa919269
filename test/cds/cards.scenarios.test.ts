import { randomUUID } from 'node:crypto';
import type { Bundle, FhirResource } from 'fhir/r4';
import { orderCheckCards, patientViewCards, type CardContext } from '../../src/cds/cards';
import { CardTemplates } from '../../src/cds/templates';
import { assessPatient, DEFAULT_THRESHOLDS } from '../../src/core';
import { extractInputs } from '../../src/fhir/extract';
import { reviewDraftOrders } from '../../src/fhir/orders';
import { expectOrderCheckCards, expectPatientViewCards } from '../support/card-expectations';
import { loadBundle, recordFromBundle, resourcesOf, scenarios, type Scenario } from '../support/scenarios';

const templates = CardTemplates.load();

function context(s: Scenario): CardContext {
  const extraction = extractInputs(recordFromBundle(loadBundle(s.file), s.patientId), s.now);
  const assessment = assessPatient(extraction.inputs, DEFAULT_THRESHOLDS, s.normalization);
  return { serviceId: 'test', patientId: s.patientId, extraction, assessment, thresholds: DEFAULT_THRESHOLDS, templates, newUuid: randomUUID, smartAppUrl: 'https://ehr.example/npc-cds/app/launch' };
}

/** The scenario's draft orders as an order hook would send them: a Bundle (here without `type`). */
export function draftOrdersOf(s: Scenario): Bundle<FhirResource> {
  const ids = new Set(s['draftOrders' as keyof Scenario] as unknown as string[]);
  const entry = resourcesOf(loadBundle(s.file))
    .filter((r) => ids.has(`${r.resourceType}/${r.id ?? ''}`))
    .map((resource) => ({ resource }));
  return { resourceType: 'Bundle', entry } as Bundle<FhirResource>;
}

describe.each(scenarios.map((s) => ({ s, name: s.file.replace('.bundle.json', '') })))('scenario $name', ({ s }) => {
  test('the patient-view cards are the manifest\u2019s and pass the card schema', () => {
    expectPatientViewCards(patientViewCards(context(s)).map((b) => b.card), s);
  });

  if (s.expected.orderCheck !== undefined) {
    test('on order-sign the order check is the manifest\u2019s', () => {
      const review = reviewDraftOrders(draftOrdersOf(s));
      expectOrderCheckCards(orderCheckCards(context(s), review).map((b) => b.card), s);
    });

    test('on order-select the order check runs when the induction order is among the selections', () => {
      const drafts = draftOrdersOf(s);
      const review = reviewDraftOrders(drafts);
      const all = (drafts.entry ?? []).map((e) => `MedicationRequest/${e.resource?.id ?? ''}`);
      expectOrderCheckCards(orderCheckCards(context(s), review, all).map((b) => b.card), s);
      const platinumOnly = orderCheckCards(context(s), review, review.platinumOnly);
      expect(platinumOnly).toEqual([]);
    });
  }
});
