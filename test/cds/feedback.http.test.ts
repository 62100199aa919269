/**
 * CDS Hooks 2.0 feedback (https://cds-hooks.hl7.org/2.0/#feedback) over HTTP: a card the service issued,
 * then the EHR's feedback on it; idempotent on repeat; counted in the store's report; validated with the
 * offending field named.
 */
import nock from 'nock';
import request from 'supertest';
import type { Card } from '../../src/cds/card-schema';
import { cardOfKind } from '../support/card-expectations';
import { patientViewRequest, scenarioClock, SERVICE_IDS, testApp, type TestApp } from '../support/app';

const SCENARIO = 'low-ictos-risk-indeterminate';
const HOOK = `/cds-services/${SERVICE_IDS['patient-view']}`;
const FEEDBACK = `${HOOK}/feedback`;
const OVERRIDE = {
  reason: { system: 'https://npc-cds.org/fhir/CodeSystem/override-reason', code: 'tumor-board-decision', display: 'Multidisciplinary tumor board decided on induction chemotherapy' },
  userComment: 'Discussed at the tumor board on 2026-05-30',
};

let t: TestApp;

beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
});
beforeEach(async () => {
  t = await testApp({ now: scenarioClock(SCENARIO) });
});
afterEach(async () => {
  expect(nock.pendingMocks()).toEqual([]);
  nock.cleanAll();
  await t.close();
});
afterAll(() => {
  nock.enableNetConnect();
  // nock patches node:http for the whole worker; later files in it must get the real one back.
  nock.restore();
});

/** Calls patient-view for the scenario and returns its missing-data card. */
async function missingDataCard(): Promise<Card> {
  const res = await request(t.app).post(HOOK).send(patientViewRequest(SCENARIO));
  expect(res.status).toBe(200);
  const card = cardOfKind(res.body.cards as Card[], 'missing-data');
  expect(card?.suggestions?.[0]?.uuid).toEqual(expect.any(String));
  return card as Card;
}

const accepted = (card: Card) => ({
  card: card.uuid,
  outcome: 'accepted',
  acceptedSuggestions: [{ id: card.suggestions?.[0]?.uuid }],
  outcomeTimestamp: '2026-06-01T09:15:00Z',
});
const overridden = (card: Card) => ({ card: card.uuid, outcome: 'overridden', overrideReason: OVERRIDE, outcomeTimestamp: '2026-06-01T09:20:00+02:00' });

test('accepting a suggestion of an issued card is stored once', async () => {
  const card = await missingDataCard();
  const res = await request(t.app).post(FEEDBACK).send({ feedback: [accepted(card)] });
  expect(res.status).toBe(200);
  expect(res.body).toEqual({ stored: 1, duplicates: 0, unknownCards: 0 });
});

test('overriding an issued card with a coded reason and a comment is stored once', async () => {
  const card = await missingDataCard();
  const res = await request(t.app).post(FEEDBACK).send({ feedback: [overridden(card)] });
  expect(res.status).toBe(200);
  expect(res.body).toEqual({ stored: 1, duplicates: 0, unknownCards: 0 });
});

test('the same feedback sent again is a duplicate, not stored twice', async () => {
  const card = await missingDataCard();
  const body = { feedback: [accepted(card)] };
  expect((await request(t.app).post(FEEDBACK).send(body)).body).toEqual({ stored: 1, duplicates: 0, unknownCards: 0 });
  const again = await request(t.app).post(FEEDBACK).send(body);
  expect(again.status).toBe(200);
  expect(again.body).toEqual({ stored: 0, duplicates: 1, unknownCards: 0 });
  const report = await t.store.report();
  expect(report.totals).toMatchObject({ cardsWithFeedback: 1, accepted: 1 });
});

test('the report counts the accepted and the overridden card under each rule the cards carried', async () => {
  const first = await missingDataCard();
  const second = await missingDataCard();
  expect(second.uuid).not.toBe(first.uuid);
  const res = await request(t.app)
    .post(FEEDBACK)
    .send({ feedback: [accepted(first), overridden(second)] });
  expect(res.body).toEqual({ stored: 2, duplicates: 0, unknownCards: 0 });

  const report = await t.store.report();
  const row = (rule: string, outcome: string) => report.rows.find((r) => r.rule === rule && r.outcome === outcome);
  for (const [rule, outcome] of [
    ['recommendation', 'undetermined'],
    ['risk', 'indeterminate'],
  ] as const) {
    expect(row(rule, outcome)).toMatchObject({ cardsIssued: 2, cardsWithFeedback: 2, accepted: 1, overridden: 1, acceptanceRate: 0.5, overrideRate: 0.5 });
    expect(row(rule, outcome)?.overrideReasons).toEqual([{ code: OVERRIDE.reason.code, display: OVERRIDE.reason.display, count: 1 }]);
  }
  expect(report.totals).toMatchObject({ cardsIssued: 2, cardsWithFeedback: 2, accepted: 1, overridden: 1 });
  expect(report.feedbackForUnknownCards).toBe(0);
});

test('feedback for a card uuid never issued is stored and counted as an unknown card', async () => {
  const res = await request(t.app)
    .post(FEEDBACK)
    .send({ feedback: [{ card: 'f3b1c9a2-0000-4000-8000-000000000000', outcome: 'overridden', outcomeTimestamp: '2026-06-01T10:00:00Z' }] });
  expect(res.status).toBe(200);
  expect(res.body).toEqual({ stored: 1, duplicates: 0, unknownCards: 1 });
  expect((await t.store.report()).feedbackForUnknownCards).toBe(1);
});

test('feedback to an unknown service is a 404', async () => {
  const card = await missingDataCard();
  const res = await request(t.app)
    .post('/cds-services/no-such-service/feedback')
    .send({ feedback: [accepted(card)] });
  expect(res.status).toBe(404);
  expect(res.body.error).toMatchObject({ status: 404, code: 'not-found' });
});

describe('invalid feedback is a 400 naming the field, and nothing is stored', () => {
  const item = { card: 'c0ffee00-0000-4000-8000-000000000000', outcome: 'overridden', outcomeTimestamp: '2026-06-01T10:00:00Z' };
  const withoutTimestamp = { card: item.card, outcome: item.outcome };
  test.each([
    ['feedback is not an array', { feedback: item }, 'feedback'],
    ['feedback is empty', { feedback: [] }, 'feedback'],
    ['there is no feedback member', {}, 'feedback'],
    ['the outcome is "maybe"', { feedback: [{ ...item, outcome: 'maybe' }] }, 'feedback.0.outcome'],
    ['the outcomeTimestamp is missing', { feedback: [withoutTimestamp] }, 'feedback.0.outcomeTimestamp'],
    ['the outcomeTimestamp is not a date-time', { feedback: [{ ...item, outcomeTimestamp: 'yesterday' }] }, 'feedback.0.outcomeTimestamp'],
    ['an accepted item has no acceptedSuggestions', { feedback: [{ ...item, outcome: 'accepted' }] }, 'feedback.0.acceptedSuggestions'],
    ['an accepted item has an empty acceptedSuggestions', { feedback: [{ ...item, outcome: 'accepted', acceptedSuggestions: [] }] }, 'feedback.0.acceptedSuggestions'],
    ['an accepted item carries an override reason', { feedback: [{ ...item, outcome: 'accepted', acceptedSuggestions: [{ id: 's' }], overrideReason: OVERRIDE }] }, 'feedback.0.overrideReason'],
    ['the second item has no card', { feedback: [item, { ...item, card: undefined }] }, 'feedback.1.card'],
    ['an override reason has no code', { feedback: [{ ...item, overrideReason: { reason: { system: 'x', display: 'y' } } }] }, 'feedback.0.overrideReason.reason.code'],
  ])('when %s', async (_name, body, field) => {
    const res = await request(t.app).post(FEEDBACK).send(body);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ status: 400, code: 'bad-request', field });
    expect((await t.store.report()).feedbackForUnknownCards).toBe(0);
  });
});
