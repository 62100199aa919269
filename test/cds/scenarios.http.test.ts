/**
 * Every scenario fixture through the HTTP service, twice: with the data as prefetch, and with no
 * prefetch so that the service fetches it from a real in-process FHIR R4 server with the EHR's token
 * (one of a few servers, each holding several patients: test/support/scenario-servers.ts).
 * Both must give the manifest's cards, the same findings, and cards that pass the card schema.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Express } from 'express';
import request from 'supertest';
import { buildApp } from '../../src/express-app';
import type { Card } from '../../src/cds/card-schema';
import { CardTemplates } from '../../src/cds/templates';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { openSqliteStore } from '../../src/store/sqlite';
import type { Store } from '../../src/store/store';
import { draftOrdersFor, NO_EVENT_LOOP_SHEDDING, prefetchFor, TEST_FHIR_DEADLINE_MS } from '../support/app';
import { expectOrderCheckCards, expectPatientViewCards, findingsOf } from '../support/card-expectations';
import { startScenarioServers, type ScenarioServers } from '../support/scenario-servers';
import { scenarios, type Scenario } from '../support/scenarios';

// Above the FHIR deadline of the configuration: a slow fetch fails as a card, not as a test timeout.
jest.setTimeout(2 * TEST_FHIR_DEADLINE_MS);

const TOKEN = 'ehr-access-token-for-scenarios';
const templates = CardTemplates.load();
let fhir: ScenarioServers;
let store: Store;

beforeAll(async () => {
  fhir = await startScenarioServers({ bearerToken: TOKEN });
  store = await openSqliteStore(':memory:');
});
afterAll(async () => {
  await store.close();
  await fhir.close();
});

function appFor(s: Scenario): Promise<Express> {
  const config = {
    ...loadConfig({ LOG_LEVEL: 'silent', ...NO_EVENT_LOOP_SHEDDING }, path.resolve(__dirname, '../..')),
    allowedFhirServers: [fhir.serverFor(s).baseUrl],
    fhirDeadlineMs: TEST_FHIR_DEADLINE_MS,
    normalization: s.normalization,
  };
  return buildApp({ config, store, logger: createLogger('silent'), templates, now: () => new Date(s.now) });
}

type DataPath = 'prefetch' | 'fhir-server';

function body(s: Scenario, hook: string, via: DataPath, extraContext: Record<string, unknown> = {}) {
  return {
    hook,
    hookInstance: randomUUID(),
    context: { userId: 'Practitioner/scenario-tester', patientId: s.patientId, ...extraContext },
    ...(via === 'prefetch'
      ? { prefetch: prefetchFor(s.file) }
      : { fhirServer: fhir.serverFor(s).baseUrl, fhirAuthorization: { access_token: TOKEN, token_type: 'Bearer', expires_in: 300, scope: 'patient/*.read', subject: 'npc-cds' } }),
  };
}

/** The findings without card-specific ids: what both data paths must agree on. */
const conclusions = (cards: Card[]) => cards.map((c) => ({ topic: c.source.topic?.code, summary: c.summary, indicator: c.indicator, findings: findingsOf(c) }));

describe.each(scenarios.map((s) => ({ s, name: s.file.replace('.bundle.json', '') })))('scenario $name over HTTP', ({ s }) => {
  const results: Partial<Record<DataPath, Card[]>> = {};
  let app: Express;
  beforeAll(async () => {
    app = await appFor(s);
  });

  test.each(['prefetch', 'fhir-server'] as const)('patient-view with the data from %s gives the manifest\u2019s cards', async (via) => {
    const res = await request(app).post('/cds-services/npc-treatment-guidance').send(body(s, 'patient-view', via));
    expect(res.status).toBe(200);
    expectPatientViewCards(res.body.cards, s);
    results[via] = res.body.cards;
  });

  test('both data paths reach the same conclusions', () => {
    expect(conclusions(results['fhir-server'] ?? [])).toEqual(conclusions(results.prefetch ?? []));
  });

  if (s.expected.orderCheck !== undefined) {
    test.each(['prefetch', 'fhir-server'] as const)('order-sign with the data from %s gives the manifest\u2019s order check', async (via) => {
      const res = await request(app).post('/cds-services/npc-induction-order-check-sign').send(body(s, 'order-sign', via, { draftOrders: draftOrdersFor(s.file) }));
      expect(res.status).toBe(200);
      expectOrderCheckCards(res.body.cards, s);
    });

    test('order-select with every draft order selected gives the manifest\u2019s order check', async () => {
      const drafts = draftOrdersFor(s.file);
      const selections = (drafts.entry ?? []).map((e) => `MedicationRequest/${e.resource?.id ?? ''}`);
      const res = await request(app).post('/cds-services/npc-induction-order-check-select').send(body(s, 'order-select', 'prefetch', { draftOrders: drafts, selections }));
      expect(res.status).toBe(200);
      expectOrderCheckCards(res.body.cards, s);
    });
  }
});
