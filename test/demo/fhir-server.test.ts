import type { Bundle, Observation, OperationOutcome, Patient } from 'fhir/r4';
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
