/**
 * Several instances of the service behind a load balancer (docs/deployment.md): each instance is the real
 * app (buildApp) with its own store and its own port, the state they share is the database. With
 * PostgreSQL (a real server, test/support/postgres.ts): three instances, any of them can take any request,
 * feedback for a card lands wherever it is posted, every instance reports the same, and losing an instance
 * or the database is visible, not fatal. With SQLite: two instances on one host sharing one WAL file.
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { buildApp } from '../../src/express-app';
import type { Card } from '../../src/cds/card-schema';
import type { Config } from '../../src/config';
import { createLogger } from '../../src/logger';
import { MIGRATIONS } from '../../src/store/migrations';
import { openPostgresStore } from '../../src/store/postgres';
import { openSqliteStore } from '../../src/store/sqlite';
import { hashPatientId, type Report, type Store } from '../../src/store/store';
import { patientViewRequest, scenario, scenarioClock, SERVICE_IDS, testConfig } from '../support/app';
import { startLoadBalancer, type LoadBalancer } from '../support/load-balancer';
import { sql, startTestPostgres, type TestPostgres } from '../support/postgres';

const ADMIN_TOKEN = 'admin-token-of-the-scale-test';
const SCENARIO = 'low-ictos-risk-indeterminate';
const HOOK = `/cds-services/${SERVICE_IDS['patient-view']}`;
const FEEDBACK = `${HOOK}/feedback`;

interface Instance {
  readonly url: string;
  readonly store: Store;
  stop(): Promise<void>;
}

interface Group {
  readonly instances: readonly Instance[];
  readonly lb: LoadBalancer;
  close(): Promise<void>;
}

/** One instance: the app over `store`, listening on a port of its own. */
async function startInstance(store: Store, config: Partial<Config>): Promise<Instance> {
  const app = await buildApp({ config: testConfig({ adminToken: ADMIN_TOKEN, ...config }), store, logger: createLogger('silent'), now: scenarioClock(SCENARIO) });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    store,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** `count` instances, each opening its own store at the same time (as replicas starting together), behind a load balancer. */
async function startGroup(count: number, openStore: () => Promise<Store>, config: Partial<Config>): Promise<Group> {
  const stores = await Promise.all(Array.from({ length: count }, () => openStore()));
  const instances = await Promise.all(stores.map((store) => startInstance(store, config)));
  const lb = await startLoadBalancer(instances.map((i) => i.url));
  return {
    instances,
    lb,
    close: async () => {
      await lb.close();
      for (const i of instances) await i.stop();
      for (const s of stores) await s.close();
    },
  };
}

const at = <T>(list: readonly T[], index: number): T => {
  const item = list[index];
  if (item === undefined) throw new Error(`no item ${index}`);
  return item;
};

async function hook(base: string): Promise<{ cards: Card[]; upstream: string | undefined }> {
  const res = await request(base).post(HOOK).send(patientViewRequest(SCENARIO));
  expect(res.status).toBe(200);
  return { cards: res.body.cards as Card[], upstream: res.headers['x-upstream'] as string | undefined };
}

/** The cards without their per-call identifiers (card and suggestion uuids). */
const comparable = (cards: readonly Card[]) => JSON.parse(JSON.stringify(cards).replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>')) as unknown;

const accepted = (card: Card) => ({
  card: card.uuid,
  outcome: 'accepted',
  acceptedSuggestions: [{ id: card.suggestions?.[0]?.uuid }],
  outcomeTimestamp: '2026-06-01T09:15:00Z',
});
const overridden = (card: Card) => ({
  card: card.uuid,
  outcome: 'overridden',
  overrideReason: { reason: { system: 'https://npc-cds.org/fhir/CodeSystem/override-reason', code: 'tumor-board-decision' } },
  outcomeTimestamp: '2026-06-01T09:20:00Z',
});

/** The admin report of one instance, without its time stamp. */
async function reportOf(base: string): Promise<Omit<Report, 'generatedAt'>> {
  const res = await request(base).get('/admin/report').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
  expect(res.status).toBe(200);
  const { generatedAt, ...rest } = res.body as Report;
  expect(Date.parse(generatedAt)).not.toBeNaN();
  return rest;
}

/** Issues two cards through `issuer`, posts feedback on them through `receiver` (one accepted, one overridden), and checks it was counted as for known cards. */
async function feedbackAcross(issuer: string, receiver: string): Promise<void> {
  const [first, second] = [at((await hook(issuer)).cards, 0), at((await hook(issuer)).cards, 0)];
  expect(first.suggestions?.length).toBeGreaterThan(0);
  const res = await request(receiver)
    .post(FEEDBACK)
    .send({ feedback: [accepted(first), overridden(second)] });
  expect(res.status).toBe(200);
  expect(res.body).toEqual({ stored: 2, duplicates: 0, unknownCards: 0 });
}

describe('three instances on one PostgreSQL database, behind a round-robin load balancer', () => {
  let server: TestPostgres;
  let url: string;
  let group: Group;

  beforeAll(async () => {
    server = await startTestPostgres();
    url = await server.createDatabase();
    group = await startGroup(3, () => openPostgresStore(url, { pingTimeoutMs: 1000 }), { databaseUrl: url });
  }, 60_000);
  afterAll(async () => {
    await group?.close();
    await server?.close();
  });

  test('instances that started together on a new database migrated it once', async () => {
    expect(await sql(url, 'SELECT version FROM schema_migrations ORDER BY version')).toEqual(MIGRATIONS.map((m) => ({ version: m.version })));
  });

  test('hooks through the load balancer go to each instance in turn and get the same cards', async () => {
    const calls = [];
    for (let i = 0; i < 6; i++) calls.push(await hook(group.lb.url));
    const upstreams = calls.map((c) => c.upstream);
    expect(new Set(upstreams.slice(0, 3))).toEqual(new Set(['0', '1', '2']));
    expect(upstreams.slice(3)).toEqual(upstreams.slice(0, 3));
    expect(at(calls, 0).cards.length).toBeGreaterThan(0);
    for (const call of calls) expect(comparable(call.cards)).toEqual(comparable(at(calls, 0).cards));
  });

  test('feedback posted to one instance on cards another issued is counted, and every instance reports the same', async () => {
    const [a, b, c] = group.instances.map((i) => i.url) as [string, string, string];
    await feedbackAcross(b, a);
    await feedbackAcross(c, b);
    const reports = await Promise.all([a, b, c, group.lb.url].map(reportOf));
    for (const report of reports) expect(report).toEqual(at(reports, 0));
    expect(at(reports, 0).totals).toMatchObject({ cardsWithFeedback: 4, accepted: 2, overridden: 2, acceptanceRate: 0.5 });
    expect(at(reports, 0).feedbackForUnknownCards).toBe(0);
  });

  test('the same feedback posted to every instance at once is stored once', async () => {
    const { cards } = await hook(at(group.instances, 0).url);
    const body = { feedback: [overridden(at(cards, 0))] };
    const results = await Promise.all(group.instances.map(async (i) => (await request(i.url).post(FEEDBACK).send(body)).body as { stored: number; duplicates: number }));
    expect(results.reduce((n, r) => n + r.stored, 0)).toBe(1);
    expect(results.reduce((n, r) => n + r.duplicates, 0)).toBe(2);
  });

  test('every instance pseudonymises a patient the same way: one salt, kept in the shared database', async () => {
    const salts = await Promise.all(group.instances.map((i) => i.store.patientHashSalt()));
    expect(new Set(salts).size).toBe(1);
    const issued = await Promise.all(group.instances.map((i) => hook(i.url)));
    const uuids = issued.flatMap((call) => call.cards.map((c) => c.uuid));
    expect(uuids.length).toBeGreaterThanOrEqual(3);
    const hashes = await sql<{ patient_hash: string }>(url, 'SELECT DISTINCT patient_hash FROM issued_cards WHERE uuid = ANY($1::text[])', [uuids]);
    expect(hashes).toEqual([{ patient_hash: hashPatientId(at(salts, 0), scenario(SCENARIO).patientId) }]);
  });

  test('with one instance stopped, the load balancer serves every request through the others', async () => {
    await at(group.instances, 0).stop();
    const calls = [];
    for (let i = 0; i < 6; i++) calls.push(await hook(group.lb.url));
    expect(calls.map((c) => c.upstream)).not.toContain('0');
    const health = await request(group.lb.url).get('/health');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok', store: { kind: 'postgres', ok: true } });
  });

  test('with the database down, every instance says so on /health (503, degraded) but still returns cards, and recovers when it is back', async () => {
    if (!server.ownCluster) return; // A TEST_DATABASE_URL server is not ours to stop.
    const running = group.instances.slice(1);
    await server.stop();
    try {
      for (const instance of running) {
        const started = performance.now();
        const res = await request(instance.url).get('/health');
        expect(performance.now() - started).toBeLessThan(3000);
        expect(res.status).toBe(503);
        expect(res.body).toMatchObject({ status: 'degraded', store: { kind: 'postgres', ok: false } });
      }
      // Decision support does not depend on the record: the cards are sent, the failed write is logged.
      expect((await hook(group.lb.url)).cards.length).toBeGreaterThan(0);
    } finally {
      await server.start();
    }
    for (const instance of running) {
      const res = await request(instance.url).get('/health');
      expect(res.status).toBe(200);
    }
  }, 30_000);
});

describe('two instances on one host sharing one SQLite file (WAL)', () => {
  let dir: string;
  let group: Group;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'npc-cds-scale-'));
    const file = path.join(dir, 'npc-cds.sqlite');
    group = await startGroup(2, () => openSqliteStore(file), { databasePath: file });
  }, 30_000);
  afterAll(async () => {
    await group?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('hooks alternate between the instances, and both pseudonymise with the salt of the shared file', async () => {
    const first = await hook(group.lb.url);
    const second = await hook(group.lb.url);
    expect(new Set([first.upstream, second.upstream])).toEqual(new Set(['0', '1']));
    expect(comparable(second.cards)).toEqual(comparable(first.cards));
    const [a, b] = await Promise.all(group.instances.map((i) => i.store.patientHashSalt()));
    expect(a).toBe(b);
  });

  test('feedback posted to one instance on cards the other issued is counted, and both report the same', async () => {
    const [a, b] = group.instances.map((i) => i.url) as [string, string];
    await feedbackAcross(a, b);
    await feedbackAcross(b, a);
    const [ra, rb] = await Promise.all([reportOf(a), reportOf(b)]);
    expect(ra).toEqual(rb);
    expect(ra.totals).toMatchObject({ cardsWithFeedback: 4, accepted: 2, overridden: 2 });
  });
});
