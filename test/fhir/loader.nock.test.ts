import type { Bundle, Observation } from 'fhir/r4';
import nock from 'nock';
import { DataUnobtainableError, FhirServerFaultError, FhirServerNotAllowedError } from '../../src/fhir/errors';
import type { LoadOptions, LoadRequest } from '../../src/fhir/loader';
import { allowedFhirServer, loadPatientRecord } from '../../src/fhir/loader';
import type { PrefetchKey } from '../../src/fhir/prefetch';
import { PREFETCH_KEYS } from '../../src/fhir/prefetch';

const ORIGIN = 'https://ehr.example.org';
const BASE = `${ORIGIN}/fhir`;
const PATIENT = 'p1';
const TOKEN = 'opaque-token';
/** A deadline no answer of nock comes near, on a loaded machine too; the test of the deadline sets a short one. */
const OPTIONS: LoadOptions = { allowedFhirServers: [BASE], deadlineMs: 10_000 };

const observation = (id: string, patientId = PATIENT): Observation => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  subject: { reference: `Patient/${patientId}` },
  code: { coding: [{ system: 'http://loinc.org', code: '47982-4' }] },
});

const searchset = (resources: object[], next?: string): Bundle => ({
  resourceType: 'Bundle',
  type: 'searchset',
  entry: resources.map((resource) => ({ resource: resource as Observation })),
  ...(next === undefined ? {} : { link: [{ relation: 'next', url: next }] }),
});

const emptyBundle = (): Bundle => ({ resourceType: 'Bundle', type: 'searchset' });

/** A usable prefetch for every key except the given ones, which must then be fetched. */
function prefetchExcept(...missing: PrefetchKey[]): Record<string, unknown> {
  const all: Record<PrefetchKey, unknown> = {
    patient: { resourceType: 'Patient', id: PATIENT },
    conditions: emptyBundle(),
    observations: emptyBundle(),
    procedures: emptyBundle(),
    medicationAdministrations: emptyBundle(),
  };
  return Object.fromEntries(Object.entries(all).filter(([key]) => !missing.includes(key as PrefetchKey)));
}

const request = (prefetch: Record<string, unknown>): LoadRequest => ({
  patientId: PATIENT,
  prefetch,
  fhirServer: BASE,
  fhirAuthorization: { access_token: TOKEN, token_type: 'Bearer', expires_in: 300, scope: 'patient/*.read', subject: 'npc-cds' },
});

/** The FHIR server, expecting the bearer token on every request. */
const ehr = () => nock(ORIGIN, { reqheaders: { authorization: `Bearer ${TOKEN}` } });

const observationsPath = (uri: string): boolean => uri.startsWith('/fhir/Observation?');

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

/** The failures of a FHIR server fault: the server was asked and failed (a "data unavailable" card). */
async function failuresOf(promise: Promise<unknown>): Promise<DataUnobtainableError['failures']> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(FhirServerFaultError);
  return (error as FhirServerFaultError).failures;
}

/** The failures when the request gave no means to fetch (or the caller went away): not a server fault (412). */
async function noAccessFailuresOf(promise: Promise<unknown>): Promise<DataUnobtainableError['failures']> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(DataUnobtainableError);
  expect(error).not.toBeInstanceOf(FhirServerFaultError);
  return (error as DataUnobtainableError).failures;
}

beforeAll(() => {
  nock.disableNetConnect();
});

afterEach(() => {
  nock.abortPendingRequests();
  nock.cleanAll();
});

afterAll(() => {
  nock.enableNetConnect();
  // nock patches node:http for the whole worker; later files in it must get the real one back.
  nock.restore();
});

describe('fetching what the prefetch lacks, against FHIR server behaviour on demand', () => {
  test('only the missing key is fetched, with the bearer token, and the data comes from the server', async () => {
    const scope = ehr().get(observationsPath).reply(200, searchset([observation('o1')]));

    const { record, sources } = await loadPatientRecord(request(prefetchExcept('observations')), OPTIONS);

    scope.done();
    expect(record.observations.map((o) => o.id)).toEqual(['o1']);
    expect(sources.observations).toEqual({ from: 'fhir-server', count: 1, pages: 1 });
    expect(sources.conditions).toEqual({ from: 'prefetch', count: 0 });
  });

  test('without fhirAuthorization, the allowed server is queried without an Authorization header', async () => {
    const scope = nock(ORIGIN, { badheaders: ['authorization'] })
      .get(observationsPath)
      .reply(200, searchset([]));
    const withoutAuthorization: LoadRequest = { patientId: PATIENT, prefetch: prefetchExcept('observations'), fhirServer: BASE };

    await loadPatientRecord(withoutAuthorization, OPTIONS);

    scope.done();
  });

  test('a response slower than the deadline rejects with FhirServerFaultError (timeout) within about the deadline', async () => {
    const scope = ehr().get(observationsPath).delay(5000).reply(200, searchset([]));
    const started = Date.now();

    const failures = await failuresOf(loadPatientRecord(request(prefetchExcept('observations')), { ...OPTIONS, deadlineMs: 200 }));

    // Well before the answer: the deadline, plus a margin for a loaded machine.
    expect(Date.now() - started).toBeLessThan(3000);
    expect(failures).toEqual([{ key: 'observations', reason: 'timeout' }]);
    scope.done();
  });

  test('the caller’s AbortSignal cancels outstanding fetches, and that is not a server fault', async () => {
    const scope = ehr().get(observationsPath).delay(2000).reply(200, searchset([]));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);

    const failures = await noAccessFailuresOf(
      loadPatientRecord(request(prefetchExcept('observations')), { ...OPTIONS, deadlineMs: 5000, signal: controller.signal }),
    );

    expect(failures).toEqual([{ key: 'observations', reason: 'cancelled' }]);
    scope.done();
  });

  test.each([
    [401, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'login' }] }],
    [403, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'forbidden' }] }],
    [404, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found' }] }],
    [500, 'Internal Server Error'],
  ])('an HTTP %i answer is a server fault with that status', async (status, body) => {
    const scope = ehr().get(observationsPath).reply(status, body);

    const failures = await failuresOf(loadPatientRecord(request(prefetchExcept('observations')), OPTIONS));

    expect(failures).toEqual([{ key: 'observations', reason: 'http-error', status }]);
    scope.done();
  });

  test.each([
    {
      label: 'malformed JSON',
      body: '{"resourceType": "Bundle", "entry": [',
      headers: { 'content-type': 'application/fhir+json' },
      reason: 'malformed-response',
    },
    {
      label: 'an OperationOutcome in place of a Bundle',
      body: { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'too-costly' }] },
      reason: 'operation-outcome',
    },
    {
      label: 'a fetched Bundle holding a resource of another type',
      body: searchset([{ resourceType: 'Condition', id: 'c1', subject: { reference: `Patient/${PATIENT}` } }]),
      reason: 'unexpected-resource',
      found: 'Bundle/searchset of Condition',
    },
    {
      label: 'a history Bundle in place of a searchset',
      body: { ...searchset([observation('o1')]), type: 'history' },
      reason: 'unexpected-resource',
      found: 'Bundle/history',
    },
    {
      label: 'a transaction-response Bundle in place of a searchset',
      body: { resourceType: 'Bundle', type: 'transaction-response', entry: [] },
      reason: 'unexpected-resource',
      found: 'Bundle/transaction-response',
    },
    {
      label: 'an HTML page served as text/html',
      body: '<html><body>Service unavailable</body></html>',
      headers: { 'content-type': 'text/html' },
      reason: 'malformed-response',
    },
    {
      label: 'a fetched Bundle holding another patient\u2019s resource',
      body: searchset([observation('o1'), observation('o2', 'someone-else')]),
      reason: 'wrong-patient',
    },
  ])('$label is a server fault ($reason), and nothing of it is used', async ({ body, headers, reason, found }) => {
    const scope = ehr().get(observationsPath).reply(200, body, headers);

    const failures = await failuresOf(loadPatientRecord(request(prefetchExcept('observations')), OPTIONS));

    expect(failures).toEqual([{ key: 'observations', reason, ...(found === undefined ? {} : { found }) }]);
    scope.done();
  });

  test.each([301, 302, 303, 307, 308])('an HTTP %i redirect to another host is refused: the other host receives no request', async (status) => {
    const scope = ehr().get(observationsPath).reply(status, '', { location: 'https://elsewhere.example.com/fhir/Observation?patient=p1' });
    const elsewhere = nock('https://elsewhere.example.com').get(() => true).reply(200, searchset([]));

    const failures = await failuresOf(loadPatientRecord(request(prefetchExcept('observations')), OPTIONS));

    expect(failures).toEqual([{ key: 'observations', reason: 'redirect-refused', status }]);
    scope.done();
    expect(elsewhere.isDone()).toBe(false);
  });

  test('a 201 with an empty body and a Location elsewhere is not followed (the token would go with it)', async () => {
    const scope = ehr().get(observationsPath).reply(201, '', { location: 'https://elsewhere.example.com/fhir/Bundle/1', 'content-type': 'application/fhir+json' });
    const elsewhere = nock('https://elsewhere.example.com').get(() => true).reply(200, searchset([]));

    const failures = await failuresOf(loadPatientRecord(request(prefetchExcept('observations')), OPTIONS));

    expect(failures).toEqual([{ key: 'observations', reason: 'malformed-response' }]);
    scope.done();
    expect(elsewhere.isDone()).toBe(false);
  });

  test.each([401, 403])('without fhirAuthorization, an HTTP %i is the request’s missing token (authorization-required), not a server fault', async (status) => {
    const scope = nock(ORIGIN, { badheaders: ['authorization'] })
      .get(observationsPath)
      .reply(status, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'login' }] });
    const withoutAuthorization: LoadRequest = { patientId: PATIENT, prefetch: prefetchExcept('observations'), fhirServer: BASE };

    const failures = await noAccessFailuresOf(loadPatientRecord(withoutAuthorization, OPTIONS));

    expect(failures).toEqual([{ key: 'observations', reason: 'authorization-required', status }]);
    scope.done();
  });

  test('a network error (connection refused) is a server fault', async () => {
    const scope = ehr().get(observationsPath).replyWithError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' });

    const failures = await failuresOf(loadPatientRecord(request(prefetchExcept('observations')), OPTIONS));

    expect(failures).toEqual([{ key: 'observations', reason: 'network-error' }]);
    scope.done();
  });

  test('several failing keys are all reported, each with its reason', async () => {
    const scope = ehr()
      .get(`/fhir/Patient/${PATIENT}`)
      .reply(503, '')
      .get(observationsPath)
      .reply(200, { resourceType: 'OperationOutcome', issue: [] });

    const failures = await failuresOf(loadPatientRecord(request(prefetchExcept('patient', 'observations')), OPTIONS));

    expect(failures).toEqual([
      { key: 'patient', reason: 'http-error', status: 503 },
      { key: 'observations', reason: 'operation-outcome' },
    ]);
    scope.done();
  });
});

describe('paging through next links', () => {
  const page = (n: number) => `${BASE}?_getpages=abc&_page=${n}`;

  test('three pages linked by next are fetched and joined in order', async () => {
    const scope = ehr()
      .get(observationsPath)
      .reply(200, searchset([observation('o1')], page(2)))
      .get('/fhir?_getpages=abc&_page=2')
      .reply(200, searchset([observation('o2')], page(3)))
      .get('/fhir?_getpages=abc&_page=3')
      .reply(200, searchset([observation('o3')]));

    const { record, sources } = await loadPatientRecord(request(prefetchExcept('observations')), OPTIONS);

    scope.done();
    expect(record.observations.map((o) => o.id)).toEqual(['o1', 'o2', 'o3']);
    expect(sources.observations).toEqual({ from: 'fhir-server', count: 3, pages: 3 });
  });

  test('more pages than maxPages make the key unobtainable rather than incomplete, and no further page is fetched', async () => {
    const scope = ehr()
      .get(observationsPath)
      .reply(200, searchset([observation('o1')], page(2)))
      .get('/fhir?_getpages=abc&_page=2')
      .reply(200, searchset([observation('o2')], page(3)));

    const failures = await failuresOf(
      loadPatientRecord(request(prefetchExcept('observations')), { ...OPTIONS, maxPages: 2 }),
    );

    expect(failures).toEqual([{ key: 'observations', reason: 'too-many-pages' }]);
    scope.done();
  });

  test('a next link outside the fhirServer base is not followed, so the token goes nowhere else', async () => {
    const scope = ehr()
      .get(observationsPath)
      .reply(200, searchset([observation('o1')], 'https://elsewhere.example.com/fhir?page=2'));
    const elsewhere = nock('https://elsewhere.example.com').get(() => true).reply(200, searchset([]));

    const failures = await failuresOf(loadPatientRecord(request(prefetchExcept('observations')), OPTIONS));

    expect(failures).toEqual([{ key: 'observations', reason: 'next-link-outside-fhir-server' }]);
    scope.done();
    expect(elsewhere.isDone()).toBe(false);
  });

  test('a prefetch Bundle with a next link is incomplete, so the key is fetched instead', async () => {
    const scope = ehr().get(observationsPath).reply(200, searchset([observation('o1'), observation('o2')]));
    const prefetch = { ...prefetchExcept('observations'), observations: searchset([observation('o1')], page(2)) };

    const { sources } = await loadPatientRecord(request(prefetch), OPTIONS);

    scope.done();
    expect(sources.observations).toEqual({ from: 'fhir-server', count: 2, pages: 1 });
  });
});

describe('when no request may or can be made', () => {
  let unmatched: string[];
  const recordUnmatched = (req: { path?: string }): void => {
    unmatched.push(req.path ?? '?');
  };

  beforeEach(() => {
    unmatched = [];
    nock.emitter.on('no match', recordUnmatched);
  });

  afterEach(() => {
    nock.emitter.removeListener('no match', recordUnmatched);
  });

  test('a fhirServer not in the allowlist fails with FhirServerNotAllowedError and no request is made', async () => {
    const evil = { ...request({}), fhirServer: 'https://attacker.example.net/fhir' };

    const error = await rejection(loadPatientRecord(evil, OPTIONS));

    expect(error).toBeInstanceOf(FhirServerNotAllowedError);
    expect(unmatched).toEqual([]);
  });

  test('with no prefetch and no fhirServer, every key is unobtainable (no-fhir-server)', async () => {
    const failures = await noAccessFailuresOf(loadPatientRecord({ patientId: PATIENT }, OPTIONS));

    expect(failures).toEqual(PREFETCH_KEYS.map((key) => ({ key, reason: 'no-fhir-server' })));
    expect(unmatched).toEqual([]);
  });

  test('a complete prefetch needs no fhirServer at all, even one outside the allowlist', async () => {
    const evil = { ...request(prefetchExcept()), fhirServer: 'https://attacker.example.net/fhir' };

    const { sources } = await loadPatientRecord(evil, OPTIONS);

    expect(sources.patient).toEqual({ from: 'prefetch', count: 1 });
    expect(unmatched).toEqual([]);
  });

  test('a fhirAuthorization that is not a bearer token makes the missing keys unobtainable without a request', async () => {
    const req = { ...request(prefetchExcept('conditions')), fhirAuthorization: { access_token: 'x', token_type: 'MAC' } };

    const failures = await noAccessFailuresOf(loadPatientRecord(req, OPTIONS));

    expect(failures).toEqual([{ key: 'conditions', reason: 'unsupported-authorization' }]);
    expect(unmatched).toEqual([]);
  });

  test('a patient id that is not a FHIR id is refused before any request', async () => {
    const req = { ...request({}), patientId: '../Practitioner/1' };

    await expect(loadPatientRecord(req, OPTIONS)).rejects.toThrow(RangeError);
    expect(unmatched).toEqual([]);
  });
});

describe('the fhirServer allowlist', () => {
  test.each([
    ['the allowlisted base itself', 'https://ehr.example.org/fhir', true, ['https://ehr.example.org/fhir']],
    ['a trailing slash', 'https://ehr.example.org/fhir/', true, ['https://ehr.example.org/fhir']],
    ['a path below the base', 'https://ehr.example.org/fhir/r4', true, ['https://ehr.example.org/fhir/']],
    ['an explicit default port and upper-case host', 'https://EHR.example.org:443/fhir', true, ['https://ehr.example.org/fhir']],
    ['a path that only shares a prefix string', 'https://ehr.example.org/fhirx', false, ['https://ehr.example.org/fhir']],
    ['a path escaping the base with ..', 'https://ehr.example.org/fhir/../admin', false, ['https://ehr.example.org/fhir']],
    ['another host', 'https://ehr.example.org.evil.net/fhir', false, ['https://ehr.example.org/fhir']],
    ['another port', 'https://ehr.example.org:8443/fhir', false, ['https://ehr.example.org/fhir']],
    ['http for an https entry', 'http://ehr.example.org/fhir', false, ['https://ehr.example.org/fhir']],
    ['an http entry that is not loopback', 'http://ehr.example.org/fhir', false, ['http://ehr.example.org/fhir']],
    ['an http loopback entry (127.0.0.1)', 'http://127.0.0.1:8080/fhir', true, ['http://127.0.0.1:8080/fhir']],
    ['an http loopback entry (localhost)', 'http://localhost:8080/fhir', true, ['http://localhost:8080']],
    ['credentials in the URL', 'https://user:pw@ehr.example.org/fhir', false, ['https://ehr.example.org/fhir']],
    ['a query string', 'https://ehr.example.org/fhir?x=1', false, ['https://ehr.example.org/fhir']],
    ['not a URL', 'ehr.example.org/fhir', false, ['https://ehr.example.org/fhir']],
    ['an empty allowlist', 'https://ehr.example.org/fhir', false, []],
  ])('%s: %s is allowed = %s', (_case, fhirServer, allowed, allowlist) => {
    expect(allowedFhirServer(fhirServer, allowlist) !== undefined).toBe(allowed);
  });
});
