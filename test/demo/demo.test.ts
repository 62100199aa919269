/**
 * The embedded demo in process: its FHIR server, launch stand-in and routes, with the service rewired to
 * them (the browser side is in test/e2e/npm-start.test.ts). Every hook here reads the demo FHIR server
 * itself, with the token the demo EHR hands out, as the "without prefetch" button does.
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:http';
import request from 'supertest';
import type { Express } from 'express';
import { buildApp } from '../../src/express-app';
import { startDemo, type Demo } from '../../src/demo';
import { DEMO_PATIENTS } from '../../src/demo/patients';
import { createLogger } from '../../src/logger';
import { openSqliteStore } from '../../src/store/sqlite';
import type { Store } from '../../src/store/store';
import { testConfig } from '../support/app';

interface Finding {
  rule: string;
  outcome: string;
}

let demo: Demo;
let store: Store;
let app: Express;
let server: Server;
let baseUrl: string;

beforeAll(async () => {
  server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  demo = await startDemo(testConfig({ demo: true }), { baseUrl });
  store = await openSqliteStore(':memory:');
  app = await buildApp({ config: demo.config, store, logger: createLogger('silent'), routes: [demo.routes(store)] });
  server.on('request', app);
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await demo.close();
  await store.close();
});

async function findingsOf(patientId: string): Promise<Finding[]> {
  const session = await request(app).post('/demo/api/session').send({ patientId }).expect(200);
  const response = await request(app)
    .post('/cds-services/npc-treatment-guidance')
    .send({ hook: 'patient-view', hookInstance: randomUUID(), fhirServer: session.body.fhirServer, fhirAuthorization: session.body.fhirAuthorization, context: { userId: 'Practitioner/demo-clinician', patientId } });
  expect([response.status, response.body.message]).toEqual([200, undefined]);
  return (response.body.cards as { extension?: Record<string, Finding[]> }[]).flatMap((c) => c.extension?.['org.npc-cds.findings'] ?? []);
}

describe('the embedded demo', () => {
  test('the service is rewired to the demo: its FHIR server is the only allowed one, and cards link to the app it serves', () => {
    expect(demo.config.allowedFhirServers).toEqual([demo.launcher.issuer]);
    expect(demo.config.smartAppUrl).toBe(`${baseUrl}/app/launch.html`);
    expect(demo.config.smartApp).toMatchObject({ redirectUrl: `${baseUrl}/app/index.html`, allowedIss: [demo.launcher.issuer], standaloneIss: demo.launcher.issuer });
  });

  // Each patient is read from the in-process FHIR server, which scans every stored resource per search: a generous timeout.
  test('between them the demo patients reach every outcome of every TBF rule and every recommendation tier, read from the FHIR server', async () => {
    const outcomes = new Map<string, Set<string>>();
    for (const p of DEMO_PATIENTS) {
      for (const f of await findingsOf(p.id)) outcomes.set(f.rule, (outcomes.get(f.rule) ?? new Set()).add(f.outcome));
    }
    for (const rule of ['pre-tbf-response', 'delta-tbf-response', 'post-tbf-response']) {
      expect([rule, [...(outcomes.get(rule) ?? [])].sort()]).toEqual([rule, ['favorable', 'insufficient-data', 'unfavorable']]);
    }
    // v2: a residual prediction expires once its outcome is due (the patient three months after CCRT).
    for (const rule of ['pre-tbf-residual', 'delta-tbf-residual']) {
      expect([rule, [...(outcomes.get(rule) ?? [])].sort()]).toEqual([rule, ['favorable', 'insufficient-data', 'not-applicable', 'unfavorable']]);
    }
    expect([...(outcomes.get('order-check') ?? [])]).toEqual([]);
    expect([...(outcomes.get('recommendation') ?? [])].sort()).toEqual(['ccrt-alone', 'clinical-trial', 'ict-ccrt', 'insufficient-data', 'not-applicable', 'undetermined']);
  }, 60_000);

  test('the demo’s FHIR server answers browser clients as the standalone one does: CORS, a CapabilityStatement, form _search', async () => {
    const base = demo.fhir.baseUrl;
    const preflight = await fetch(`${base}/Observation/_search`, { method: 'OPTIONS', headers: { origin: baseUrl, 'access-control-request-method': 'POST' } });
    expect(preflight.headers.get('access-control-allow-origin')).toBe(baseUrl);
    const metadata = (await (await fetch(`${base}/metadata`)).json()) as { resourceType: string; rest?: { resource?: { type: string }[] }[] };
    expect(metadata.resourceType).toBe('CapabilityStatement');
    expect(metadata.rest?.[0]?.resource?.map((r) => r.type)).toEqual(expect.arrayContaining(['Patient', 'Observation', 'Condition', 'Practitioner']));
    const form = await fetch(`${base}/Patient/_search`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '_id=hi-patient' });
    expect(((await form.json()) as { entry?: unknown[] }).entry).toHaveLength(1);
  });

  test('the patient outside the studied population gets no card', async () => {
    expect(await findingsOf('m1-patient')).toEqual([]);
  });

  test('the demo API lists the patients as demo data and refuses what is not a demo patient or not this app', async () => {
    const list = await request(app).get('/demo/api/patients').expect(200);
    expect(list.headers['x-npc-cds-demo']).toBe('synthetic data');
    expect(list.body.notice).toMatch(/synthetic/);
    expect(list.body.patients).toHaveLength(DEMO_PATIENTS.length);
    await request(app).post('/demo/api/session').send({ patientId: 'someone-else' }).expect(400);
    await request(app).post('/demo/api/session').send({ patientId: 42 }).expect(400);
    await request(app).post('/demo/api/session').set('content-type', 'application/json').send('{"patientId":').expect(400);
    await request(app).post('/demo/api/launch').send({ patientId: 'hi-patient', appUrl: 'https://elsewhere.example/app/launch.html' }).expect(400);
    const launch = await request(app).post('/demo/api/launch').send({ patientId: 'hi-patient', appUrl: `${baseUrl}/app/launch.html`, appContext: '{"card":"treatment-selection"}' }).expect(200);
    const url = new URL(launch.body.launchUrl as string);
    expect(url.origin + url.pathname).toBe(`${baseUrl}/app/launch.html`);
    expect(url.searchParams.get('iss')).toBe(demo.launcher.issuer);
    expect(url.searchParams.get('launch')).toMatch(/\S+/);
  });

  test('the demo page is served on one origin only: another Host is sent to the canonical URL', async () => {
    const response = await request(app).get('/').set('Host', 'localhost:1').expect(302);
    expect(response.headers['location']).toBe(`${baseUrl}/`);
  });

  test('the feedback report of the demo reads the service\u2019s store', async () => {
    const report = await request(app).get('/demo/api/report').expect(200);
    expect(report.body.totals.cardsIssued).toBeGreaterThan(0);
  });
});
