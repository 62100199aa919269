import { randomUUID } from 'node:crypto';
import { orderCheckCards, patientViewCards, type CardContext } from '../../src/cds/cards';
import { CardTemplates } from '../../src/cds/templates';
import { assessPatient, DEFAULT_THRESHOLDS } from '../../src/core';
import { extractInputs } from '../../src/fhir/extract';
import { reviewDraftOrders } from '../../src/fhir/orders';
import { draftOrdersFor } from '../support/app';
import { expectOrderCheckCards, expectPatientViewCards } from '../support/card-expectations';
import { loadBundle, recordFromBundle, scenarios, type Scenario } from '../support/scenarios';

const templates = CardTemplates.load();

function context(s: Scenario): CardContext {
  const extraction = extractInputs(recordFromBundle(loadBundle(s.file), s.patientId), s.now);
  const assessment = assessPatient(extraction.inputs, DEFAULT_THRESHOLDS, s.normalization);
  return { serviceId: 'test', patientId: s.patientId, extraction, assessment, thresholds: DEFAULT_THRESHOLDS, templates, newUuid: randomUUID, smartAppUrl: 'https://ehr.example/npc-cds/app/launch' };
}

describe.each(scenarios.map((s) => ({ s, name: s.file.replace('.bundle.json', '') })))('scenario $name', ({ s }) => {
  test('the patient-view cards are the manifest\u2019s and pass the card schema', () => {
    expectPatientViewCards(patientViewCards(context(s)).map((b) => b.card), s);
  });

  if (s.expected.orderCheck !== undefined) {
    test('on order-sign the order check is the manifest\u2019s', () => {
      const review = reviewDraftOrders(draftOrdersFor(s.file));
      expectOrderCheckCards(orderCheckCards(context(s), review).map((b) => b.card), s);
    });

    test('on order-select the order check runs when the induction order is among the selections', () => {
      const drafts = draftOrdersFor(s.file);
      const review = reviewDraftOrders(drafts);
      const all = (drafts.entry ?? []).map((e) => `MedicationRequest/${e.resource?.id ?? ''}`);
      expectOrderCheckCards(orderCheckCards(context(s), review, all).map((b) => b.card), s);
      const platinumOnly = orderCheckCards(context(s), review, review.platinumOnly);
      expect(platinumOnly).toEqual([]);
    });
  }
});
