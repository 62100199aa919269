/**
 * FHIR server faults (issue: "slow past the deadline, 500, garbage, a Bundle of the wrong type, a redirect
 * to another host: the card says the data were unavailable, within the deadline; no recommendation is made
 * on partial data"). The real service, driven over HTTP with supertest, reads what the prefetch lacks from
 * real misbehaving node:http servers on 127.0.0.1: a fault proxy in front of the real in-process FHIR
 * server (test/support/fhir-server.ts) that fails every query, or only the Observation search while the
 * other queries get the patient's real data. A second server stands for "another host": it must never be
 * asked anything. See docs/decisions/0007-fhir-faults.md.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import nock from 'nock';
import request from 'supertest';
import { cardSchema, type Card } from '../../src/cds/card-schema';
import { DEFAULT_CODE_LISTS } from '../../src/fhir/codes';
import { PREFETCH_KEYS, prefetchQueries } from '../../src/fhir/prefetch';
import type { IssuedCard } from '../../src/store/store';
import { hookRequest, orderRequest, scenario, scenarioClock, SERVICE_IDS, testApp, type HookName, type TestApp, type TestHookRequest } from '../support/app';
import { findingsOf } from '../support/card-expectations';
import { startFhirServer, type FhirTestServer } from '../support/fhir-server';
import { loadBundle, resourcesOf } from '../support/scenarios';

/** The service's FHIR deadline here: the real server must answer the queries that do not fail within it, on a loaded machine too. */
const DEADLINE_MS = 1000;
/** When a slow fault would answer (never, in practice: the service abandons the request at the deadline). */
const SLOW_ANSWER_MS = 60_000;
/**
 * A behavioural bound (the deadline plus a generous margin for a loaded CI machine, far below SLOW_ANSWER_MS:
 * the service answered at its deadline, not when the server would have), not a benchmark.
 */
const WITHIN_MS = 10_000;

jest.setTimeout(3 * WITHIN_MS);
const TOKEN = 'ehr-token-for-fault-tests';
const PATIENT_VIEW_FIXTURE = 'complete-pre-treatment-high-ictos';
const ORDER_FIXTURE = 'order-induction-low-ictos';
const PLATINUM_FIXTURE = 'order-platinum-alone';

// ---- servers ---------------------------------------------------------------------------------------

interface Recorder {
  readonly server: Server;
  readonly origin: string;
  /** Method and path of every request received. */
  readonly requests: string[];
  close(): Promise<void>;
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Recorder> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method ?? '?'} ${req.url ?? ''}`);
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

type Fault = (req: IncomingMessage, res: ServerResponse) => void;

const fhirJson = { 'content-type': 'application/fhir+json' };
const send = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = fhirJson) => {
  res.writeHead(status, headers);
  res.end(body);
};
const PATIENT_OF = (req: IncomingMessage) => /(?:patient=|Patient\/)([A-Za-z0-9\-.]+)/.exec(req.url ?? '')?.[1] ?? 'unknown';

let fhir: FhirTestServer;
let elsewhere: Recorder;
let proxy: Recorder;
/** What the proxy does to the requests it fails; `undefined` passes everything to the FHIR server. */
let fault: Fault | undefined;
/** Which requests fail: every one, or only the Observation search. */
let failing: (req: IncomingMessage) => boolean = () => true;
/** Requests whose connection the client closed before the proxy answered (the deadline's abort). */
let abortedByClient: string[] = [];

async function forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const upstream = await fetch(`${new URL(fhir.baseUrl).origin}${req.url ?? '/'}`, {
    headers: { authorization: req.headers.authorization ?? '', accept: 'application/fhir+json' },
  });
  send(res, upstream.status, await upstream.text(), { 'content-type': upstream.headers.get('content-type') ?? 'application/fhir+json' });
}

/** Answers after `ms` unless the client has gone; records the client's abort. */
const after = (ms: number, answer: Fault): Fault => (req, res) => {
  const timer = setTimeout(() => answer(req, res), ms);
  res.on('close', () => {
    clearTimeout(timer);
    if (!res.writableFinished) abortedByClient.push(req.url ?? '');
  });
};

/**
 * The requests the client cancelled, once `count` of them are seen (or after 10 s): the cancellation
 * reaches the server a moment after the service has answered.
 */
async function abortsSeen(count: number): Promise<string[]> {
  for (let waited = 0; abortedByClient.length < count && waited < 10_000; waited += 20) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return [...abortedByClient];
}

// ---- the faults ------------------------------------------------------------------------------------

const searchset = (resources: object[]) => JSON.stringify({ resourceType: 'Bundle', type: 'searchset', entry: resources.map((resource) => ({ resource })) });

interface FaultRow {
  /** Completes "when the FHIR server ..." */
  readonly name: string;
  readonly fault: Fault;
  /** The reason code in the log. */
  readonly reason: string;
  readonly status?: number;
  /** What the summary must say about why (for a failed Observation search). */
  readonly summaryWhy: string;
  /** What it says when every query fails, where the keys fail differently. */
  readonly everyQuerySummaryWhy?: string;
  /** What the detail must say about why. */
  readonly detailWhy: RegExp;
  /** The fault is the deadline: the client must have aborted the request. */
  readonly slow?: boolean;
}

const FAULTS: readonly FaultRow[] = [
  {
    name: 'answers only after the deadline',
    fault: after(SLOW_ANSWER_MS, (req, res) => send(res, 200, searchset([]))),
    reason: 'timeout',
    summaryWhy: `timed out after ${DEADLINE_MS} ms`,
    detailWhy: new RegExp(`did not answer within the ${DEADLINE_MS} ms deadline`),
    slow: true,
  },
  {
    name: 'sends its headers in time but trickles the body past the deadline',
    fault: (req, res) => {
      res.writeHead(200, fhirJson);
      res.write('{"resourceType":"Bundle","type":"searchset","entry":[');
      const drip = setInterval(() => res.write(' '), 50);
      res.on('close', () => {
        clearInterval(drip);
        if (!res.writableFinished) abortedByClient.push(req.url ?? '');
      });
    },
    reason: 'timeout',
    summaryWhy: `timed out after ${DEADLINE_MS} ms`,
    detailWhy: new RegExp(`did not answer within the ${DEADLINE_MS} ms deadline`),
    slow: true,
  },
  {
    name: 'answers HTTP 500 with an OperationOutcome',
    fault: (req, res) => send(res, 500, JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception' }] })),
    reason: 'http-error',
    status: 500,
    summaryWhy: 'server error, HTTP 500',
    detailWhy: /the FHIR server failed \(HTTP 500\)/,
  },
  {
    name: 'answers HTTP 502 with an HTML page from a gateway',
    fault: (req, res) => send(res, 502, '<html><body><h1>502 Bad Gateway</h1></body></html>', { 'content-type': 'text/html' }),
    reason: 'http-error',
    status: 502,
    summaryWhy: 'server error, HTTP 502',
    detailWhy: /the FHIR server failed \(HTTP 502\)/,
  },
  {
    name: 'answers HTTP 200 with an HTML login page',
    fault: (req, res) => send(res, 200, '<!doctype html><html><body><form action="/login">Sign in</form></body></html>', { 'content-type': 'text/html; charset=utf-8' }),
    reason: 'malformed-response',
    summaryWhy: 'unreadable answer',
    detailWhy: /could not be read as FHIR JSON/,
  },
  {
    name: 'answers HTTP 200 with binary garbage labelled as FHIR JSON',
    fault: (req, res) => {
      res.writeHead(200, fhirJson);
      res.end(Buffer.from([0x00, 0xff, 0xfe, 0x7b, 0x22, 0x13, 0x37, 0x80, 0x9c]));
    },
    reason: 'malformed-response',
    summaryWhy: 'unreadable answer',
    detailWhy: /could not be read as FHIR JSON/,
  },
  {
    name: 'answers HTTP 200 with truncated JSON',
    fault: (req, res) => send(res, 200, searchset([{ resourceType: 'Observation', id: 'x', status: 'final' }]).slice(0, 60)),
    reason: 'malformed-response',
    summaryWhy: 'unreadable answer',
    detailWhy: /could not be read as FHIR JSON/,
  },
  {
    name: 'answers HTTP 200 with JSON that is not a FHIR resource',
    fault: (req, res) => send(res, 200, JSON.stringify({ results: [], page: 1 })),
    reason: 'malformed-response',
    summaryWhy: 'unreadable answer',
    detailWhy: /could not be read as FHIR JSON/,
  },
  {
    name: 'answers with a history Bundle instead of a searchset',
    fault: (req, res) => send(res, 200, JSON.stringify({ resourceType: 'Bundle', type: 'history', entry: [] })),
    reason: 'unexpected-resource',
    summaryWhy: 'unexpected Bundle/history',
    detailWhy: /not the expected search result \(found Bundle\/history\)/,
  },
  {
    name: 'answers with a transaction-response Bundle instead of a searchset',
    fault: (req, res) => send(res, 200, JSON.stringify({ resourceType: 'Bundle', type: 'transaction-response', entry: [] })),
    reason: 'unexpected-resource',
    summaryWhy: 'unexpected Bundle/transaction-response',
    detailWhy: /not the expected search result \(found Bundle\/transaction-response\)/,
  },
  {
    name: 'answers with a searchset holding resources of another type',
    fault: (req, res) => send(res, 200, searchset([{ resourceType: 'Device', id: 'd1', patient: { reference: `Patient/${PATIENT_OF(req)}` } }])),
    reason: 'unexpected-resource',
    summaryWhy: 'unexpected Bundle/searchset of Device',
    // The Patient read answered with a Bundle is "Bundle/searchset", the searches "Bundle/searchset of Device".
    everyQuerySummaryWhy: 'several faults',
    detailWhy: /not the expected search result \(found Bundle\/searchset of Device\)/,
  },
  {
    name: 'answers with another patient’s resources',
    fault: (req, res) => {
      const type = /^\/fhir\/([A-Za-z]+)/.exec(req.url ?? '')?.[1] ?? 'Observation';
      if (type === 'Patient') send(res, 200, JSON.stringify({ resourceType: 'Patient', id: 'someone-else' }));
      else send(res, 200, searchset([{ resourceType: type, id: 'x1', status: 'final', subject: { reference: 'Patient/someone-else' } }]));
    },
    reason: 'wrong-patient',
    summaryWhy: 'answer about another patient',
    detailWhy: /data about another patient/,
  },
  {
    name: 'redirects with 302 to another host',
    fault: (req, res) => send(res, 302, '', { location: `${elsewhere.origin}${req.url ?? '/'}` }),
    reason: 'redirect-refused',
    status: 302,
    summaryWhy: 'redirect 302 refused',
    detailWhy: /answered with a redirect \(HTTP 302\), which was refused/,
  },
  {
    name: 'redirects with 307 to another host',
    fault: (req, res) => send(res, 307, '', { location: `${elsewhere.origin}${req.url ?? '/'}` }),
    reason: 'redirect-refused',
    status: 307,
    summaryWhy: 'redirect 307 refused',
    detailWhy: /answered with a redirect \(HTTP 307\), which was refused/,
  },
  {
    name: 'refuses the EHR’s access token with 401',
    fault: (req, res) => send(res, 401, JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'login' }] }), { ...fhirJson, 'www-authenticate': 'Bearer error="invalid_token"' }),
    reason: 'http-error',
    status: 401,
    summaryWhy: 'access refused, HTTP 401',
    detailWhy: /refused the access token the EHR gave \(HTTP 401\)/,
  },
  {
    name: 'closes the connection without answering',
    fault: (req) => req.socket.destroy(),
    reason: 'network-error',
    summaryWhy: 'server unreachable',
    detailWhy: /could not be reached/,
  },
];

// ---- the service -----------------------------------------------------------------------------------

const apps = new Map<string, TestApp>();
const appFor = (fixture: string) => apps.get(fixture) as TestApp;

/** Hosts other than loopback that something tried to reach. */
let outgoing: string[] = [];
const recordOutgoing = (req: { hostname?: string }) => {
  if (req.hostname !== undefined && !/^(127\.0\.0\.1|localhost)$/.test(req.hostname)) outgoing.push(req.hostname);
};

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect(/^(127\.0\.0\.1|localhost)(:\d+)?$/);
  nock.emitter.on('no match', recordOutgoing);
  fhir = await startFhirServer({ bearerToken: TOKEN });
  for (const fixture of [PATIENT_VIEW_FIXTURE, ORDER_FIXTURE, PLATINUM_FIXTURE]) {
    await fhir.seed(resourcesOf(loadBundle(scenario(fixture).file)).filter((r) => r.resourceType !== 'MedicationRequest'));
  }
  // The first searches of a fresh in-memory server are slow (indexing): run every query once, so that the
  // real server answers within the deadline where the tests expect it to.
  for (const fixture of [PATIENT_VIEW_FIXTURE, ORDER_FIXTURE, PLATINUM_FIXTURE]) {
    const queries = prefetchQueries(scenario(fixture).patientId, DEFAULT_CODE_LISTS);
    await Promise.all(PREFETCH_KEYS.map((key) => fetch(`${fhir.baseUrl}/${queries[key]}`, { headers: { authorization: `Bearer ${TOKEN}` } }).then((r) => r.text())));
  }
  elsewhere = await listen((req, res) => send(res, 200, searchset([])));
  proxy = await listen((req, res) => {
    if (fault !== undefined && failing(req)) fault(req, res);
    else forward(req, res).catch(() => req.socket.destroy());
  });
  for (const fixture of [PATIENT_VIEW_FIXTURE, ORDER_FIXTURE, PLATINUM_FIXTURE]) {
    apps.set(fixture, await testApp({ now: scenarioClock(fixture), logs: true, config: { allowedFhirServers: [`${proxy.origin}/fhir`], fhirDeadlineMs: DEADLINE_MS } }));
  }
});

beforeEach(() => {
  fault = undefined;
  failing = () => true;
  abortedByClient = [];
  outgoing = [];
  elsewhere.requests.length = 0;
  proxy.requests.length = 0;
});

afterEach(() => {
  jest.restoreAllMocks();
  expect(outgoing).toEqual([]);
  expect(elsewhere.requests).toEqual([]);
});

afterAll(async () => {
  nock.emitter.removeListener('no match', recordOutgoing);
  nock.enableNetConnect();
  // nock patches node:http for the whole worker; later files in it must get the real one back.
  nock.restore();
  for (const t of apps.values()) await t.close();
  await proxy.close();
  await elsewhere.close();
  await fhir.close();
});

const fhirAccess = (token = TOKEN) => ({
  fhirServer: `${proxy.origin}/fhir`,
  fhirAuthorization: { access_token: token, token_type: 'Bearer', expires_in: 300, scope: 'patient/*.read', subject: 'npc-cds' },
});

type Hook = Extract<HookName, 'patient-view' | 'order-sign' | 'order-select'>;
const FIXTURE_OF: Readonly<Record<Hook, string>> = { 'patient-view': PATIENT_VIEW_FIXTURE, 'order-sign': ORDER_FIXTURE, 'order-select': ORDER_FIXTURE };

/** The hook call with no prefetch at all: every key is read from the fault proxy. */
function body(hook: Hook, fixture = FIXTURE_OF[hook], extra: Record<string, unknown> = fhirAccess()): TestHookRequest {
  return hook === 'patient-view' ? hookRequest(hook, fixture, { prefetch: false, extra }) : orderRequest(hook, fixture, { prefetch: false, extra });
}

interface Call {
  readonly status: number;
  readonly cards: Card[];
  readonly elapsedMs: number;
  readonly logs: string[];
  readonly recorded: IssuedCard[];
  readonly text: string;
}

async function call(hook: Hook, payload: TestHookRequest, fixture = FIXTURE_OF[hook]): Promise<Call> {
  const t = appFor(fixture);
  const recorded: IssuedCard[] = [];
  const record = t.store.recordCards.bind(t.store);
  jest.spyOn(t.store, 'recordCards').mockImplementation(async (cards) => {
    recorded.push(...cards);
    return record(cards);
  });
  const logsBefore = t.logs().length;
  const started = performance.now();
  const res = await request(t.app).post(`/cds-services/${SERVICE_IDS[hook]}`).send(payload);
  const elapsedMs = performance.now() - started;
  return { status: res.status, cards: (res.body?.cards ?? []) as Card[], elapsedMs, logs: t.logs().slice(logsBefore), recorded, text: res.text };
}

/** Exactly one card, the "data unavailable" card, valid, a warning, concluding nothing. */
function expectUnavailableCard(c: Call, rule: 'recommendation' | 'order-check'): Card {
  expect({ status: c.status, cards: c.cards.length }).toEqual({ status: 200, cards: 1 });
  const card = c.cards[0] as Card;
  const parsed = cardSchema.safeParse(card);
  expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
  expect(card.source.topic?.code).toBe('data-unavailable');
  expect(card.indicator).toBe('warning');
  expect(card.summary.length).toBeLessThan(140);
  expect(card.suggestions).toBeUndefined();
  const findings = findingsOf(card);
  expect(findings.map((f) => ({ rule: f.rule, outcome: f.outcome, inputs: f.inputs }))).toEqual([{ rule, outcome: 'insufficient-data', inputs: [] }]);
  expect(c.recorded.map((r) => ({ uuid: r.uuid, cardKind: r.cardKind, findings: r.findings }))).toEqual([
    { uuid: card.uuid, cardKind: 'data-unavailable', findings: [{ rule, outcome: 'insufficient-data' }] },
  ]);
  return card;
}

/** The log names the reason code and status of the failed keys, and no patient id or token. */
function expectFaultLogged(c: Call, keys: readonly string[], reason: string, status: number | undefined, patientId: string): void {
  const lines = c.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
  const warning = lines.find((l) => l['msg'] === 'FHIR server fault: decision-support data unavailable, no rule applied');
  expect(warning?.['fhirFaults']).toEqual(keys.map((key) => expect.objectContaining({ key, reason, ...(status !== undefined ? { status } : {}) })));
  const requestLine = lines.find((l) => l['msg'] === 'request');
  expect(requestLine).toMatchObject({ status: 200, cardKinds: ['data-unavailable'] });
  const all = c.logs.join('');
  for (const secret of [patientId, TOKEN, `Patient/${patientId}`]) expect({ secret, logged: all.includes(secret) }).toEqual({ secret, logged: false });
}

const HOOKS: readonly { hook: Hook; rule: 'recommendation' | 'order-check' }[] = [
  { hook: 'patient-view', rule: 'recommendation' },
  { hook: 'order-sign', rule: 'order-check' },
];

// ---- the tests -------------------------------------------------------------------------------------

describe('when the FHIR server answers normally (the control for every fault below)', () => {
  test.each(HOOKS)('$hook through the proxy gives the rules’ cards, not the unavailable card', async ({ hook }) => {
    const c = await call(hook, body(hook));
    expect(c.status).toBe(200);
    const topics = c.cards.map((card) => card.source.topic?.code);
    expect(topics).toContain(hook === 'patient-view' ? 'treatment-selection' : 'order-check');
    expect(topics).not.toContain('data-unavailable');
    expect(proxy.requests).toHaveLength(5);
  });
});

describe.each(HOOKS)('on $hook', ({ hook, rule }) => {
  const patientId = () => scenario(FIXTURE_OF[hook]).patientId;

  test.each(FAULTS)('when the FHIR server $name for every query, the answer within the deadline is only the card saying the data were unavailable and why', async (row) => {
    fault = row.fault;

    const c = await call(hook, body(hook));

    const card = expectUnavailableCard(c, rule);
    expect(card.summary).toContain('the patient’s data');
    expect(card.summary).toContain(row.everyQuerySummaryWhy ?? row.summaryWhy);
    expect(card.detail).toMatch(row.detailWhy);
    expect(c.elapsedMs).toBeLessThan(WITHIN_MS);
    if (row.slow === true) expect(await abortsSeen(5)).toHaveLength(5);
    expectFaultLogged(c, ['patient', 'conditions', 'observations', 'procedures', 'medicationAdministrations'], row.reason, row.status, patientId());
  });

  test.each(FAULTS)('when the FHIR server $name only for the Observation search, no recommendation is made from the other data: only the unavailable card naming observations', async (row) => {
    fault = row.fault;
    failing = (req) => (req.url ?? '').startsWith('/fhir/Observation');

    const c = await call(hook, body(hook));

    const card = expectUnavailableCard(c, rule);
    expect(card.summary).toContain('observations could not be read');
    expect(card.summary).toContain(row.summaryWhy);
    expect(card.detail).toMatch(/\*\*observations \(staging/);
    expect(card.detail).toMatch(row.detailWhy);
    expect(card.detail).not.toMatch(/\*\*conditions|\*\*procedures|\*\*medication administrations|\*\*the Patient record/);
    expect(c.elapsedMs).toBeLessThan(WITHIN_MS);
    if (row.slow === true) expect(await abortsSeen(1)).toEqual([expect.stringMatching(/^\/fhir\/Observation\?/)]);
    expect(proxy.requests).toHaveLength(5);
    expectFaultLogged(c, ['observations'], row.reason, row.status, patientId());
  });
});

describe('the unavailable card’s wording', () => {
  test('on patient-view it says that no recommendation and no prediction is made, and names the hook call for support', async () => {
    fault = (req, res) => send(res, 500, '');
    const payload = body('patient-view');

    const c = await call('patient-view', payload);

    const card = expectUnavailableCard(c, 'recommendation');
    expect(card.summary).toMatch(/^NPC decision support unavailable: /);
    expect(card.detail).toContain('NPC-CDS makes no recommendation and no prediction');
    expect(card.detail).toContain('all or nothing');
    expect(card.detail).toContain(payload.hookInstance);
  });

  test('on order-sign it says that the induction chemotherapy order was not checked, and lists the draft orders', async () => {
    fault = (req, res) => send(res, 500, '');

    const c = await call('order-sign', body('order-sign'));

    const card = expectUnavailableCard(c, 'order-check');
    expect(card.summary).toMatch(/^Induction chemotherapy not checked: /);
    expect(card.detail).toContain('the induction chemotherapy order was not checked');
    expect(card.detail).toContain('MedicationRequest/oil-mr-docetaxel\\: docetaxel, recognised by ingredient code RxNorm 72962');
    expect(card.overrideReasons).toBeUndefined();
  });

  test('on order-select with the induction order selected, the same card is shown', async () => {
    fault = after(SLOW_ANSWER_MS, (req, res) => send(res, 200, searchset([])));

    const c = await call('order-select', body('order-select'));

    const card = expectUnavailableCard(c, 'order-check');
    expect(card.summary).toContain(`timed out after ${DEADLINE_MS} ms`);
    expect(c.elapsedMs).toBeLessThan(WITHIN_MS);
  });

  test('on order-select with only a platinum selected, the check does not apply, so there is no card even when the server fails', async () => {
    fault = (req, res) => send(res, 500, '');

    const c = await call('order-select', body('order-select', PLATINUM_FIXTURE), PLATINUM_FIXTURE);

    expect({ status: c.status, cards: c.cards }).toEqual({ status: 200, cards: [] });
  });

  test('several keys failing for different reasons are each named, and the summary says "several faults"', async () => {
    fault = (req, res) => ((req.url ?? '').startsWith('/fhir/Procedure') ? send(res, 503, '') : send(res, 200, JSON.stringify({ resourceType: 'Bundle', type: 'history' })));
    failing = (req) => /^\/fhir\/(Observation|Procedure)/.test(req.url ?? '');

    const c = await call('patient-view', body('patient-view'));

    const card = expectUnavailableCard(c, 'recommendation');
    expect(card.summary).toContain('observations, procedures could not be read');
    expect(card.summary).toContain('several faults');
    expect(card.detail).toMatch(/\*\*observations[^\n]*found Bundle\/history/);
    expect(card.detail).toMatch(/\*\*procedures[^\n]*HTTP 503/);
  });
});

describe('when the request gives the service no means to fetch, the answer stays 412 (CDS Hooks 2.0)', () => {
  const bearer = { access_token: TOKEN, token_type: 'Bearer', expires_in: 300, scope: 'patient/*.read', subject: 'npc-cds' };
  test.each([
    ['there is no fhirServer', () => ({}), 'data-unobtainable', 'no-fhir-server'],
    ['the fhirServer is not in ALLOWED_FHIR_SERVERS', () => ({ fhirServer: 'http://127.0.0.1:9/fhir', fhirAuthorization: bearer }), 'fhir-server-not-allowed', undefined],
    ['there is no fhirAuthorization and the server requires a token', () => ({ fhirServer: `${proxy.origin}/fhir` }), 'data-unobtainable', 'authorization-required 401'],
  ] as const)('when %s, patient-view is a 412 and no card is made', async (_case, access, code, message) => {
    fault = (req, res) => send(res, req.headers.authorization === undefined ? 401 : 500, '');
    const extra = access();

    const c = await call('patient-view', body('patient-view', PATIENT_VIEW_FIXTURE, extra));

    expect(c.status).toBe(412);
    const error = (JSON.parse(c.text) as { error: { code: string; issues?: { message: string }[] } }).error;
    expect(error.code).toBe(code);
    if (message !== undefined) expect(error.issues?.map((i) => i.message)).toContain(message);
    expect(c.recorded).toEqual([]);
    if (message !== 'authorization-required 401') expect(proxy.requests).toEqual([]);
  });
});

describe('the deadline', () => {
  test('a server that never answers is abandoned at the deadline: the service answers and the server sees the request cancelled', async () => {
    fault = (req, res) => {
      res.on('close', () => {
        if (!res.writableFinished) abortedByClient.push(req.url ?? '');
      });
    };

    const c = await call('patient-view', { ...body('patient-view'), hookInstance: randomUUID() });

    expectUnavailableCard(c, 'recommendation');
    expect(c.elapsedMs).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
    expect(c.elapsedMs).toBeLessThan(WITHIN_MS);
    expect(await abortsSeen(5)).toHaveLength(5);
  });
});
