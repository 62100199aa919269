/**
 * Property-based fuzzing of the hook endpoints (POST /cds-services/{id}, the three services of
 * cds-hooks/*.json) and the feedback endpoint (POST /cds-services/{id}/feedback), on a real listening
 * HTTP server driven with fetch: random JSON, mutated valid requests, raw-body mutations
 * (test/hardening/fuzz-arbitraries.ts). For every case, the oracle of bench/fuzz-harness.ts (an answer
 * within the time limit, else a hang; never a 5xx; a JSON body of the error contract, or cards that pass
 * the card schema with nothing from the request unescaped in their Markdown; no stack trace or file path),
 * no error logged, nothing written to the console, and a store left unchanged by any request answered with
 * an error. After each property, known-good calls still get their scenario's cards. Each bug the fuzzing
 * found has a targeted test here.
 *
 * `FUZZ_SEED=n` replays a run (fast-check prints the seed and path of a failure); the default seed is
 * fixed so that the suite is deterministic. The suite runs a short fuzz of {@link DEFAULT_CASES} cases;
 * `FUZZ_CASES=n` runs n cases in the same shares (`FUZZ_CASES=4700` is the count the suite ran before it was
 * shortened), and `npm run fuzz` runs many more against a server in a child process (bench/fuzz.ts).
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import nock from 'nock';
import request from 'supertest';
import type { Card } from '../../src/cds/card-schema';
import { MAX_PREFETCH_KEYS } from '../../src/cds/request-schema';
import { fhirAccess } from '../../bench/fuzz-arbitraries';
import { send, startFhirStub, violations, type FhirStub } from '../../bench/fuzz-harness';
import { expectOrderCheckCards, expectPatientViewCards } from '../support/card-expectations';
import { orderRequest, patientViewRequest, REPO_ROOT, scenario, scenarioClock, SERVICE_IDS, testApp, type TestApp } from '../support/app';
import { fixtureSeeds, FuzzRequest, hookSeeds, testFamilies, type Family } from './fuzz-arbitraries';

const SEED = process.env['FUZZ_SEED'] !== undefined && process.env['FUZZ_SEED'] !== '' ? Number(process.env['FUZZ_SEED']) : 20_260_601;
/** Cases in all by default: a short fuzz, a few seconds; the long one is `npm run fuzz`. */
const DEFAULT_CASES = 600;
const CASES = process.env['FUZZ_CASES'] !== undefined && process.env['FUZZ_CASES'] !== '' ? Number(process.env['FUZZ_CASES']) : DEFAULT_CASES;
if (!Number.isInteger(CASES) || CASES < 4) throw new Error(`FUZZ_CASES must be an integer of at least 4, not ${process.env['FUZZ_CASES'] ?? ''}`);
/** Each family's share of the cases (1200, 1800, 800 and 900 of 4,700 before; bench/fuzz.ts uses about the same). */
const SHARES: Readonly<Record<Family, number>> = { 'random-json': 12 / 47, 'mutated-hook': 18 / 47, 'mutated-feedback': 8 / 47, 'raw-body': 9 / 47 };
const RUNS = Object.fromEntries(Object.entries(SHARES).map(([family, share]) => [family, Math.max(1, Math.round(CASES * share))])) as Readonly<Record<Family, number>>;
const TIMEOUT_MS = 10_000;
const COMPLETE = 'complete-pre-treatment-high-ictos';
const ORDERS = 'order-induction-low-ictos';

// Per test, so per family: generous for a loaded machine (a case takes a few to some tens of milliseconds on an idle core).
jest.setTimeout(120_000 + 100 * Math.max(...Object.values(RUNS)));

let t: TestApp;
let fhir: FhirStub;
let server: Server;
let base: string;
let families: Readonly<Record<Family, fc.Arbitrary<FuzzRequest>>>;
const tally = new Map<Family, { cases: number; statuses: Map<string, number>; ms: number; slowest: number }>();
/** What reached the console during a case: the service logs through its logger only. */
let consoleWrites: string[] = [];

async function post(path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(TIMEOUT_MS) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** The store as a report shows it, without the time of the report. */
async function storeState(): Promise<string> {
  return JSON.stringify(await t.store.report({ now: '2026-06-01T00:00:00Z' }));
}

/** Known-good calls of each service get their scenario's cards, and feedback about one of them is stored. */
async function expectStillServing(): Promise<void> {
  const pv = await post(`/cds-services/${SERVICE_IDS['patient-view']}`, patientViewRequest(COMPLETE));
  expect(pv.status).toBe(200);
  expectPatientViewCards(pv.body['cards'] as Card[], scenario(COMPLETE));
  for (const hook of ['order-sign', 'order-select'] as const) {
    const res = await post(`/cds-services/${SERVICE_IDS[hook]}`, orderRequest(hook, ORDERS));
    expect(res.status).toBe(200);
    expectOrderCheckCards(res.body['cards'] as Card[], scenario(ORDERS));
  }
  const card = (pv.body['cards'] as Card[])[0] as Card;
  const feedback = await post(`/cds-services/${SERVICE_IDS['patient-view']}/feedback`, {
    feedback: [{ card: card.uuid, outcome: 'overridden', outcomeTimestamp: '2026-06-01T10:00:00Z' }],
  });
  expect(feedback).toEqual({ status: 200, body: { stored: 1, duplicates: 0, unknownCards: 0 } });
}

/** Runs one family's cases; each must satisfy the oracle and, when answered with an error, leave the store as it was. */
async function fuzz(family: Family): Promise<void> {
  const counts = { cases: 0, statuses: new Map<string, number>(), ms: 0, slowest: 0 };
  tally.set(family, counts);
  // The store as the last case left it: a case answered with an error must leave it so.
  let state = await storeState();
  await fc.assert(
    fc.asyncProperty(families[family], async (req) => {
      const outcome = await send(base, req, TIMEOUT_MS);
      const status = outcome.kind === 'answer' ? String(outcome.status) : outcome.kind;
      counts.cases += 1;
      counts.statuses.set(status, (counts.statuses.get(status) ?? 0) + 1);
      counts.ms += outcome.ms;
      counts.slowest = Math.max(counts.slowest, outcome.ms);
      expect(violations(req, outcome, REPO_ROOT)).toEqual([]);
      const after = await storeState();
      if (outcome.kind === 'answer' && outcome.status !== 200) expect(after).toBe(state);
      state = after;
      expect(t.logs()).toEqual([]);
      expect(consoleWrites).toEqual([]);
    }),
    { seed: SEED, numRuns: RUNS[family] },
  );
  await expectStillServing();
  expect(t.logs()).toEqual([]);
}

beforeAll(async () => {
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    jest.spyOn(console, method).mockImplementation((...args: unknown[]) => void consoleWrites.push(args.map(String).join(' ')));
  }
  nock.disableNetConnect();
  nock.enableNetConnect(/^(127\.0\.0\.1|localhost)(:\d+)?$/);
  fhir = await startFhirStub();
  // Every log line at error level is a failure: a 5xx, a card dropped by the card schema, a failed write.
  t = await testApp({ now: scenarioClock(COMPLETE), logs: true, config: { logLevel: 'error', allowedFhirServers: [fhir.url] } });
  server = t.app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issued = await Promise.all(
    [patientViewRequest(COMPLETE), orderRequest('order-sign', ORDERS), orderRequest('order-select', ORDERS)].map(async (body) => {
      const service = SERVICE_IDS[body.hook];
      const res = await post(`/cds-services/${service}`, body);
      return { service, cards: res.body['cards'] as Card[] };
    }),
  );
  families = testFamilies(issued, fhir.url, t.config.bodyLimitBytes);
});

afterAll(async () => {
  jest.restoreAllMocks();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await t.close();
  await fhir.close();
  nock.enableNetConnect();
  // nock patches node:http for the whole worker; later files in it must get the real one back.
  nock.restore();
  const rows = [...tally].map(([family, c]) => {
    const statuses = [...c.statuses].sort(([a], [b]) => a.localeCompare(b)).map(([s, n]) => `${s}: ${n}`).join(', ');
    return `  ${family}: ${c.cases} cases (${statuses}); mean ${(c.ms / Math.max(1, c.cases)).toFixed(1)} ms, slowest ${c.slowest.toFixed(0)} ms`;
  });
  const total = [...tally.values()].reduce((n, c) => n + c.cases, 0);
  console.log(`fuzz (seed ${SEED}): ${total} cases, ${fhir.requests()} calls to the stand-in FHIR server\n${rows.join('\n')}`);
});

test('the seeds that npm run fuzz reads from the fixtures are the request bodies test/support builds', () => {
  expect(fixtureSeeds(REPO_ROOT, fhir.url)).toEqual(hookSeeds(fhir.url));
});

test('the oracle rejects a 5xx, a hang, a stack trace, an echoing error body, an invalid card and an unescaped link', async () => {
  const req = new FuzzRequest('random-json', SERVICE_IDS['patient-view'], 'hook', {}, new Uint8Array(), 'oracle check');
  const answer = (status: number, body: unknown) => ({ kind: 'answer' as const, status, contentType: 'application/json; charset=utf-8', text: JSON.stringify(body), ms: 1 });
  const error = (status: number, message: string) => answer(status, { error: { status, code: 'x', message } });
  const pv = await post(`/cds-services/${SERVICE_IDS['patient-view']}`, patientViewRequest(COMPLETE));
  const card = (pv.body['cards'] as Card[])[0] as Card;
  const linked = { ...card, detail: `${card.detail ?? ''}\n\nsee [more](https://evil.example/x)` };
  expect(violations(req, answer(200, pv.body), REPO_ROOT)).toEqual([]);
  expect(violations(req, error(500, 'Internal error'), REPO_ROOT)).toEqual(['status 500 (server error)']);
  expect(violations(req, { kind: 'hang', ms: TIMEOUT_MS }, REPO_ROOT)).toEqual([`no answer within ${TIMEOUT_MS} ms (hang)`]);
  expect(violations(req, error(400, 'boom\n    at serveHook (/srv/src/cds/hooks.ts:61:11)'), REPO_ROOT).join()).toMatch(/stack frame/);
  expect(violations(req, error(400, 'k'.repeat(20_000)), REPO_ROOT).join()).toMatch(/echoes the request/);
  expect(violations(req, answer(200, { cards: [{ ...card, summary: '' }] }), REPO_ROOT).join()).toMatch(/card schema/);
  expect(violations(req, answer(200, { cards: [linked] }), REPO_ROOT)).toContain('card 0 detail has a Markdown link or image to the fuzzer\'s host');
  const mailto = { ...card, detail: `${card.detail ?? ''}\n\nask contact-radiology@evil.com` };
  expect(violations(req, answer(200, { cards: [mailto] }), REPO_ROOT)).toEqual(['card 0 detail renders a link that is not ours']);
  expect(violations(req, answer(401, {}), REPO_ROOT).join()).toMatch(/status 401 is not one of/);
});

test('an error about a 70,000-character prefetch key names the key clipped, not echoed in full (found by fuzzing)', async () => {
  const key = 'k'.repeat(70_000);
  const res = await post(`/cds-services/${SERVICE_IDS['patient-view']}`, patientViewRequest(COMPLETE, { prefetch: { [key]: 'not a resource' } }));
  expect(res.status).toBe(400);
  const error = res.body['error'] as { field: string; message: string; issues: { field: string }[] };
  expect(error.field).toBe(`prefetch.${'k'.repeat(64)}…`);
  expect(error.message.startsWith(`${error.field}: `)).toBe(true);
  expect(JSON.stringify(res.body).length).toBeLessThan(1024);
});

test('a prefetch of 300,000 members is one 400 issue naming prefetch, its members not checked one by one (found by fuzzing)', async () => {
  const prefetch = Object.fromEntries(Array.from({ length: 300_000 }, (_, i) => [`k${i}`, 0]));
  const res = await post(`/cds-services/${SERVICE_IDS['patient-view']}`, { ...patientViewRequest(COMPLETE), prefetch });
  expect(res.status).toBe(400);
  expect(res.body['error']).toMatchObject({ field: 'prefetch', issues: [{ field: 'prefetch', message: `must be an object of at most ${MAX_PREFETCH_KEYS} prefetch results` }] });
});

test('an override reason whose code is over 256 characters is a 400, not stored', async () => {
  const before = await storeState();
  const reason = { code: 'c'.repeat(257) };
  const res = await post(`/cds-services/${SERVICE_IDS['patient-view']}/feedback`, { feedback: [{ card: 'any-card', outcome: 'overridden', overrideReason: { reason }, outcomeTimestamp: '2026-06-01T10:00:00Z' }] });
  expect(res.status).toBe(400);
  expect(res.body['error']).toMatchObject({ field: 'feedback.0.overrideReason.reason.code' });
  expect(await storeState()).toBe(before);
});

test.each([['a NUL', 'a\u0000b'], ['a line break', 'a\r\nX-Injected: 1'], ['a lone surrogate', '\ud800'], ['a space', 'a b']])(
  'an access token with %s is a 400 naming it, not a card blaming an unreachable FHIR server',
  async (_name, token) => {
    const calls = fhir.requests();
    const body = patientViewRequest(COMPLETE, { extra: { ...fhirAccess(fhir.url), fhirAuthorization: { ...fhirAccess(fhir.url).fhirAuthorization, access_token: token } } });
    delete body.prefetch?.['observations'];
    const res = await post(`/cds-services/${SERVICE_IDS['patient-view']}`, body);
    expect(res.status).toBe(400);
    expect(res.body['error']).toMatchObject({ field: 'fhirAuthorization.access_token' });
    expect(fhir.requests()).toBe(calls);
  },
);

test('a draft order whose id is not a FHIR id still gets the order-check warning card, without a delete action for it (found by fuzzing)', async () => {
  // orders.ts took any non-empty id as identifiable, so the card's delete action named "MedicationRequest/ ",
  // the card failed the card schema and was dropped: the clinician got no warning.
  const own = await testApp({ now: scenarioClock(ORDERS), logs: true, config: { logLevel: 'error' } });
  const body = orderRequest('order-sign', ORDERS);
  const drafts = body.context['draftOrders'] as { entry: { resource: { id: string } }[] };
  (drafts.entry[0] as { resource: { id: string } }).resource.id = ' ';
  const res = await request(own.app).post(`/cds-services/${SERVICE_IDS['order-sign']}`).send(body);
  await own.close();
  expect(res.status).toBe(200);
  expect(res.body.cards).toHaveLength(1);
  expect(own.logs()).toEqual([]);
});

test('a unit code with a space is unusable data, and nothing is written to the console (found by fuzzing)', async () => {
  // @lhncbc/ucum-lhc console.logs "Unit requested for unit string <the unit>..." when parsing throws: units.ts
  // refuses a unit that is not printable ASCII without spaces before asking it.
  consoleWrites = [];
  const body = patientViewRequest(COMPLETE);
  const observations = body.prefetch?.['observations'] as { entry: { resource: { valueQuantity?: { code?: string } } }[] };
  const quantity = observations.entry.map((e) => e.resource.valueQuantity).find((q) => q?.code !== undefined) as { code: string };
  quantity.code = `${quantity.code} x`;
  const res = await post(`/cds-services/${SERVICE_IDS['patient-view']}`, body);
  const written = consoleWrites;
  consoleWrites = [];
  expect(res.status).toBe(200);
  expect(written).toEqual([]);
});

test('a unit code with empty parentheses is unusable data, and nothing is written to the console (found by fuzzing)', async () => {
  // "mL/(()100.g)/min" is printable ASCII, so units.ts passes it to ucum-lhc, whose parser throws a TypeError
  // and console.logs the unit; units.ts silences the console around its calls.
  consoleWrites = [];
  const body = patientViewRequest(COMPLETE);
  const observations = body.prefetch?.['observations'] as { entry: { resource: { valueQuantity?: { code?: string } } }[] };
  const quantity = observations.entry.map((e) => e.resource.valueQuantity).find((q) => q?.code !== undefined) as { code: string };
  quantity.code = `${quantity.code.slice(0, 4)}()${quantity.code.slice(4)}`;
  const res = await post(`/cds-services/${SERVICE_IDS['patient-view']}`, body);
  const written = consoleWrites;
  consoleWrites = [];
  expect(res.status).toBe(200);
  expect(written).toEqual([]);
});

test('random JSON to any service or feedback endpoint never gets a 5xx, a hang or a stack trace, and the service keeps serving', async () => {
  await fuzz('random-json');
});

test('mutated hook calls never get a 5xx, a hang or a stack trace, every 200 carries valid cards, and the service keeps serving', async () => {
  await fuzz('mutated-hook');
});

test('mutated feedback never gets a 5xx, a hang or a stack trace, a rejected body leaves the store unchanged, and the service keeps serving', async () => {
  await fuzz('mutated-feedback');
});

test('truncated, non-UTF-8, wrongly typed, encoded, empty and oversized bodies never get a 5xx, a hang or a stack trace, and the service keeps serving', async () => {
  await fuzz('raw-body');
});
