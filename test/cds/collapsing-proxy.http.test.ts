/**
 * The service's FHIR fallback through a proxy that collapses `//` anywhere in the URL, as
 * smart-launcher-v2's FHIR proxy does (test/support/collapsing-proxy.ts): every scenario fixture gives
 * the same cards through the proxy as from the FHIR server directly, because every search value is
 * percent-encoded and no `//` is left in a query for the proxy to collapse.
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
import { draftOrdersFor, NO_EVENT_LOOP_SHEDDING, scenario, TEST_FHIR_DEADLINE_MS } from '../support/app';
import { expectOrderCheckCards, expectPatientViewCards, findingsOf } from '../support/card-expectations';
import { collapseSlashes, startCollapsingProxy, type CollapsingProxy } from '../support/collapsing-proxy';
import type { FhirTestServer } from '../support/fhir-server';
import { startScenarioServers, type ScenarioServers } from '../support/scenario-servers';
import { scenarios, type Scenario } from '../support/scenarios';

// Above the FHIR deadline of the configuration: a slow fetch fails as a card, not as a test timeout.
jest.setTimeout(2 * TEST_FHIR_DEADLINE_MS);

const TOKEN = 'ehr-access-token-behind-a-proxy';
const templates = CardTemplates.load();
let servers: ScenarioServers;
/** The proxy in front of each FHIR server (test/support/scenario-servers.ts: a few servers, several patients each). */
const proxies = new Map<FhirTestServer, CollapsingProxy>();
let store: Store;

/** The FHIR server that holds the scenario, and the proxy in front of it. */
function serversOf(s: Scenario): { fhir: FhirTestServer; proxy: CollapsingProxy } {
  const fhir = servers.serverFor(s);
  const proxy = proxies.get(fhir);
  if (proxy === undefined) throw new Error(`no proxy for ${s.file}`);
  return { fhir, proxy };
}

beforeAll(async () => {
  servers = await startScenarioServers({ bearerToken: TOKEN });
  for (const fhir of servers.servers) proxies.set(fhir, await startCollapsingProxy(fhir.baseUrl));
  store = await openSqliteStore(':memory:');
});
afterAll(async () => {
  await store.close();
  await Promise.all([...proxies.values()].map((proxy) => proxy.close()));
  await servers.close();
});

describe('the test proxy rewrites URLs as smart-launcher-v2 does', () => {
  test.each<[string, string]>([
    ['http://h/fhir/Observation?code=http://loinc.org|21905-5', 'http:/h/fhir/Observation?code=http:/loinc.org|21905-5'],
    ['http://h/fhir//Patient/1', 'http:/h/fhir/Patient/1'],
    ['http://h/a///b', 'http:/h/a//b'],
    ['http://h/a/ /b', 'http:/h/a/b'],
    ['http://h/fhir/Observation?code=http%3A%2F%2Floinc.org%7C21905-5', 'http:/h/fhir/Observation?code=http%3A%2F%2Floinc.org%7C21905-5'],
  ])('%s becomes %s', (url, rewritten) => {
    expect(collapseSlashes(url)).toBe(rewritten);
  });

  test('an unencoded system URL in a search reaches the FHIR server with one slash, and finds nothing', async () => {
    const { fhir, proxy } = serversOf(scenario('complete-pre-treatment-high-ictos'));
    fhir.requests.length = 0;
    const res = await fetch(`${proxy.baseUrl}/Observation?patient=hi-patient&code=http://loinc.org|21905-5`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const bundle = (await res.json()) as { entry?: unknown[] };
    expect(fhir.requests).toEqual(['/fhir/Observation?patient=hi-patient&code=http:/loinc.org|21905-5']);
    expect(bundle.entry ?? []).toHaveLength(0);
    const direct = (await (await fetch(`${fhir.baseUrl}/Observation?patient=hi-patient&code=http://loinc.org|21905-5`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { entry?: unknown[] };
    expect(direct.entry ?? []).toHaveLength(1);
  });
});

async function appFor(s: Scenario): Promise<Express> {
  const { fhir, proxy } = serversOf(s);
  const config = {
    ...loadConfig({ LOG_LEVEL: 'silent', DEMO: 'off', ...NO_EVENT_LOOP_SHEDDING }, path.resolve(__dirname, '../..')),
    allowedFhirServers: [fhir.baseUrl, proxy.baseUrl],
    fhirDeadlineMs: TEST_FHIR_DEADLINE_MS,
    normalization: s.normalization,
  };
  return buildApp({ config, store, logger: createLogger('silent'), templates, now: () => new Date(s.now) });
}

type Via = 'direct' | 'proxy';

function body(s: Scenario, hook: string, via: Via, extraContext: Record<string, unknown> = {}) {
  const { fhir, proxy } = serversOf(s);
  return {
    hook,
    hookInstance: randomUUID(),
    context: { userId: 'Practitioner/proxy-tester', patientId: s.patientId, ...extraContext },
    fhirServer: via === 'direct' ? fhir.baseUrl : proxy.baseUrl,
    fhirAuthorization: { access_token: TOKEN, token_type: 'Bearer', expires_in: 300, scope: 'patient/*.read', subject: 'npc-cds' },
  };
}

/** What both paths must agree on: the cards without their ids. */
const conclusions = (cards: Card[]) => cards.map((c) => ({ topic: c.source.topic?.code, summary: c.summary, indicator: c.indicator, detail: c.detail, findings: findingsOf(c) }));

describe.each(scenarios.map((s) => ({ s, name: s.file.replace('.bundle.json', '') })))('scenario $name, no prefetch', ({ s }) => {
  test('patient-view through the collapsing proxy gives the manifest\u2019s cards, the same as from the FHIR server directly', async () => {
    const app = await appFor(s);
    const cards: Partial<Record<Via, Card[]>> = {};
    for (const via of ['direct', 'proxy'] as const) {
      const res = await request(app).post('/cds-services/npc-treatment-guidance').send(body(s, 'patient-view', via));
      expect(res.status).toBe(200);
      cards[via] = res.body.cards as Card[];
    }
    expectPatientViewCards(cards.proxy ?? [], s);
    expect(conclusions(cards.proxy ?? [])).toEqual(conclusions(cards.direct ?? []));
  });

  if (s.expected.orderCheck !== undefined) {
    test('order-sign through the collapsing proxy gives the manifest\u2019s order check', async () => {
      const app = await appFor(s);
      const res = await request(app).post('/cds-services/npc-induction-order-check-sign').send(body(s, 'order-sign', 'proxy', { draftOrders: draftOrdersFor(s.file) }));
      expect(res.status).toBe(200);
      expectOrderCheckCards(res.body.cards, s);
    });
  }
});
