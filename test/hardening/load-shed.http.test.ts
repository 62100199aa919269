/**
 * Load shedding (issue 19, item 3): beyond MAX_IN_FLIGHT requests being served, with the event loop
 * running later than MAX_EVENT_LOOP_DELAY_MS, or busier than MAX_EVENT_LOOP_UTILIZATION, a CDS Hooks or feedback request gets 503 with Retry-After at
 * once, counted in /health and in one rate-limited log line, while discovery and /health keep answering.
 * The app listens on loopback; requests in flight are held by a FHIR server that answers only when told.
 */
import { Agent, createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hookRequest, SERVICE_IDS, testApp, testConfig, type TestApp } from '../support/app';

const TOKEN = 'ehr-token-for-load-tests';

interface Answer {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly body: unknown;
}

function call(origin: string, method: 'GET' | 'POST', path: string, body?: unknown, headers: Record<string, string> = {}, agent: Agent | false = false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = httpRequest(`${origin}${path}`, { method, agent, headers: { ...(data !== undefined ? { 'content-type': 'application/json' } : {}), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text === '' ? undefined : JSON.parse(text) });
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A FHIR server that holds every request until `release()`, then answers 404 (the hook then answers with a data-unavailable card). */
async function holdingFhirServer(): Promise<{ origin: string; held: () => number; release: () => void; close: () => Promise<void> }> {
  const pending: ServerResponse[] = [];
  let released = false;
  const answer = (res: ServerResponse) => {
    res.writeHead(404, { 'content-type': 'application/fhir+json' });
    res.end('{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"not-found"}]}');
  };
  const server = createServer((_req, res) => (released ? answer(res) : pending.push(res)));
  const origin = await listen(server);
  return {
    origin,
    held: () => pending.length,
    release: () => {
      released = true;
      for (const res of pending.splice(0)) answer(res);
    },
    close: () => close(server),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await sleep(5);
  }
}

/** Keeps this process's event loop busy: `times` stretches of `ms` each, letting timers run between them. */
async function blockLoop(times: number, ms: number): Promise<void> {
  for (let i = 0; i < times; i += 1) {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      // busy: the loop cannot run its timers
    }
    await new Promise((r) => setTimeout(r, 1));
  }
}

const PATIENT_VIEW = `/cds-services/${SERVICE_IDS['patient-view']}`;
const FIXTURE = 'complete-pre-treatment-high-ictos';
const withPrefetch = () => hookRequest('patient-view', FIXTURE);

let t: TestApp;
let server: Server;
let origin: string;

async function start(loadShed: Partial<ReturnType<typeof testConfig>['loadShed']>, more: Parameters<typeof testConfig>[0] = {}): Promise<void> {
  t = await testApp({ logs: true, config: { loadShed: { ...testConfig().loadShed, ...loadShed }, corsOrigins: ['https://ehr.example'], ...more } });
  server = createServer(t.app);
  origin = await listen(server);
}

afterEach(async () => {
  await close(server);
  await t.close();
});

const loadLines = () => t.logs().map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l['msg'] === 'load shed');
const requestLines = () => t.logs().map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l['msg'] === 'request');

describe('requests in flight', () => {
  test('with MAX_IN_FLIGHT requests held by a slow FHIR server, the next hook call gets 503 overloaded with Retry-After at once, and is served again once they end', async () => {
    const fhir = await holdingFhirServer();
    try {
      await start({ maxInFlight: 2, retryAfterSeconds: 7, maxEventLoopDelayMs: 200 }, { allowedFhirServers: [fhir.origin], fhirDeadlineMs: 20_000 });
      const fromFhir = () =>
        hookRequest('patient-view', FIXTURE, {
          prefetch: false,
          extra: { fhirServer: fhir.origin, fhirAuthorization: { access_token: TOKEN, token_type: 'Bearer', expires_in: 300, scope: 'patient/*.read', subject: 'npc-cds' } },
        });
      const held = [call(origin, 'POST', PATIENT_VIEW, fromFhir()), call(origin, 'POST', PATIENT_VIEW, fromFhir())];
      await until(() => fhir.held() >= 2);
      const recordCards = jest.spyOn(t.store, 'recordCards');

      const began = Date.now();
      const shed = await call(origin, 'POST', PATIENT_VIEW, withPrefetch(), { origin: 'https://ehr.example' });
      const shedMs = Date.now() - began;
      expect(shed.status).toBe(503);
      expect(shed.body).toEqual({ error: { status: 503, code: 'overloaded', message: expect.stringMatching(/too many requests in flight.*retry after 7 s/) } });
      expect(shed.headers['retry-after']).toBe('7');
      expect(shed.headers['access-control-allow-origin']).toBe('https://ehr.example');
      expect(shedMs).toBeLessThan(1000);
      // Feedback is shed too; discovery and /health are not.
      expect((await call(origin, 'POST', `${PATIENT_VIEW}/feedback`, { feedback: [] })).status).toBe(503);
      expect((await call(origin, 'GET', '/cds-services')).status).toBe(200);
      const health = await call(origin, 'GET', '/health');
      expect(health.status).toBe(200);
      expect((health.body as { load: unknown }).load).toMatchObject({ inFlight: 2, maxInFlight: 2, shed: { inFlight: 2, eventLoopDelay: 0 } });
      // Nothing of a shed request was recorded, and it has no request log line of its own.
      expect(recordCards).not.toHaveBeenCalled();
      expect(requestLines().filter((l) => l['status'] === 503)).toEqual([]);

      fhir.release();
      const ended = await Promise.all(held);
      expect(ended.map((a) => a.status)).toEqual([200, 200]);
      const again = await call(origin, 'POST', PATIENT_VIEW, withPrefetch());
      expect(again.status).toBe(200);
      expect((again.body as { cards: unknown[] }).cards.length).toBeGreaterThan(0);
      expect(((await call(origin, 'GET', '/health')).body as { load: unknown }).load).toMatchObject({ inFlight: 0, shed: { inFlight: 2 } });
    } finally {
      fhir.release();
      await fhir.close();
    }
  }, 30_000);

  test('one warn line says what was shed, however many requests were shed within ten seconds, and no line is written at error level', async () => {
    const fhir = await holdingFhirServer();
    try {
      await start({ maxInFlight: 1 }, { allowedFhirServers: [fhir.origin], fhirDeadlineMs: 20_000 });
      const heldCall = call(origin, 'POST', PATIENT_VIEW, hookRequest('patient-view', FIXTURE, { prefetch: false, extra: { fhirServer: fhir.origin, fhirAuthorization: { access_token: TOKEN, token_type: 'Bearer', expires_in: 300, scope: 'patient/*.read', subject: 'npc-cds' } } }));
      await until(() => fhir.held() >= 1);
      const statuses = await Promise.all(Array.from({ length: 20 }, () => call(origin, 'POST', PATIENT_VIEW, withPrefetch()).then((a) => a.status)));
      expect(statuses).toEqual(Array.from({ length: 20 }, () => 503));
      const lines = loadLines();
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ level: 40, shed: { inFlight: 1, eventLoopDelay: 0 }, inFlight: 1, maxInFlight: 1 });
      expect(t.logs().map((l) => JSON.parse(l) as { level: number }).filter((l) => l.level >= 50)).toEqual([]);
      fhir.release();
      expect((await heldCall).status).toBe(200);
    } finally {
      fhir.release();
      await fhir.close();
    }
  }, 30_000);
});

describe('event-loop delay', () => {
  test('while the event loop keeps running late, a hook call gets 503 overloaded; once it catches up, the call is served', async () => {
    await start({ maxEventLoopDelayMs: 50 });
    expect((await call(origin, 'POST', PATIENT_VIEW, withPrefetch())).status).toBe(200); // starts the measurement
    await sleep(100);

    await blockLoop(6, 150);
    const shed = await call(origin, 'POST', PATIENT_VIEW, withPrefetch());
    expect(shed.status).toBe(503);
    expect(shed.body).toMatchObject({ error: { code: 'overloaded', message: expect.stringMatching(/event loop delayed/) } });
    expect(((await call(origin, 'GET', '/health')).body as { load: { shed: unknown } }).load.shed).toEqual({ inFlight: 0, eventLoopDelay: 1, eventLoopUtilization: 0 });

    await sleep(400);
    expect((await call(origin, 'POST', PATIENT_VIEW, withPrefetch())).status).toBe(200);
  }, 30_000);

  test('one slow stretch of the loop does not shed the requests behind it', async () => {
    await start({ maxEventLoopDelayMs: 100 });
    expect((await call(origin, 'POST', PATIENT_VIEW, withPrefetch())).status).toBe(200);
    await sleep(100);
    await blockLoop(1, 150);
    expect((await call(origin, 'POST', PATIENT_VIEW, withPrefetch())).status).toBe(200);
  }, 30_000);

  test('with MAX_EVENT_LOOP_DELAY_MS 0 the delay is not a reason to shed', async () => {
    await start({ maxEventLoopDelayMs: 0 });
    expect((await call(origin, 'POST', PATIENT_VIEW, withPrefetch())).status).toBe(200);
    await blockLoop(6, 150);
    expect((await call(origin, 'POST', PATIENT_VIEW, withPrefetch())).status).toBe(200);
    expect(((await call(origin, 'GET', '/health')).body as { load: unknown }).load).toMatchObject({ maxEventLoopDelayMs: 0, eventLoopDelayMs: 0, shed: { eventLoopDelay: 0 } });
  }, 30_000);
});

describe('event-loop utilization', () => {
  test('while the event loop is busy nearly all the time but never late enough for the delay bound, a hook call gets 503 overloaded; once it idles, the call is served', async () => {
    await start({ maxEventLoopDelayMs: 0, maxEventLoopUtilization: 0.75 });
    expect((await call(origin, 'POST', PATIENT_VIEW, withPrefetch())).status).toBe(200); // starts the measurement
    await sleep(100);

    // 1.5 s of 15 ms stretches: each timer check is late by at most 15 ms, the loop is busy ~95 % of the time.
    await blockLoop(100, 15);
    const shed = await call(origin, 'POST', PATIENT_VIEW, withPrefetch(), { origin: 'https://ehr.example' });
    expect(shed.status).toBe(503);
    expect(shed.body).toMatchObject({ error: { code: 'overloaded', message: expect.stringMatching(/event loop busy/) } });
    expect(shed.headers['retry-after']).toBe('1');
    const load = ((await call(origin, 'GET', '/health')).body as { load: { shed: unknown; eventLoopUtilization: number; maxEventLoopUtilization: number } }).load;
    expect(load.shed).toEqual({ inFlight: 0, eventLoopDelay: 0, eventLoopUtilization: 1 });
    expect(load.maxEventLoopUtilization).toBe(0.75);
    expect(load.eventLoopUtilization).toBeGreaterThan(0.5);
    await until(() => loadLines().length === 1, 12_000);
    expect(loadLines()[0]).toMatchObject({ level: 40, shed: { inFlight: 0, eventLoopDelay: 0, eventLoopUtilization: 1 }, maxEventLoopUtilization: 0.75 });

    // Idle for 2 s: the smoothed utilization (time constant 0.5 s) falls well below 0.75.
    await sleep(2000);
    expect((await call(origin, 'POST', PATIENT_VIEW, withPrefetch())).status).toBe(200);
  }, 30_000);

  test('a shed request with a body of unknown length has its connection closed', async () => {
    await start({ maxEventLoopDelayMs: 0, maxEventLoopUtilization: 0.75 });
    expect((await call(origin, 'POST', PATIENT_VIEW, withPrefetch())).status).toBe(200);
    await blockLoop(100, 15);
    const keepAlive = new Agent({ keepAlive: true });
    const shed = await call(origin, 'POST', PATIENT_VIEW, withPrefetch(), { 'transfer-encoding': 'chunked' }, keepAlive);
    keepAlive.destroy();
    expect(shed.status).toBe(503);
    expect(shed.headers['connection']).toBe('close');
  }, 30_000);

  test('with MAX_EVENT_LOOP_UTILIZATION 0 a busy loop is not a reason to shed', async () => {
    await start({ maxEventLoopDelayMs: 0, maxEventLoopUtilization: 0 });
    expect((await call(origin, 'POST', PATIENT_VIEW, withPrefetch())).status).toBe(200);
    await blockLoop(100, 15);
    expect((await call(origin, 'POST', PATIENT_VIEW, withPrefetch())).status).toBe(200);
    expect(((await call(origin, 'GET', '/health')).body as { load: unknown }).load).toMatchObject({ maxEventLoopUtilization: 0, eventLoopUtilization: 0, shed: { eventLoopUtilization: 0 } });
  }, 30_000);
});
