/**
 * No path segment of ours is `.` or `..`, and a fhirServer is checked after percent-decoding (issue 19, item
 * 5). A real FHIR stub on loopback records every path it receives; the refused cases send it nothing.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { allowedFhirServer } from '../../src/fhir/loader';
import { isFhirId, prefetchQueries, resolvePrefetchTemplate } from '../../src/fhir/prefetch';
import { reviewDraftOrders } from '../../src/fhir/orders';
import { fhirAccess } from '../../bench/fuzz-arbitraries';
import { orderRequest, patientViewRequest, scenarioClock, testApp, type TestApp } from '../support/app';

const FIXTURE = 'complete-pre-treatment-high-ictos';
const HOOK = '/cds-services/npc-treatment-guidance';

let stub: Server;
let origin = '';
const received: string[] = [];
let t: TestApp;

beforeAll(async () => {
  stub = createServer((req, res) => {
    received.push(req.url ?? '');
    res.writeHead(404, { 'content-type': 'application/fhir+json' }).end('{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"not-found"}]}');
  });
  await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(stub.address() as AddressInfo).port}`;
  t = await testApp({ now: scenarioClock(FIXTURE), config: { allowedFhirServers: [`${origin}/fhir`], fhirDeadlineMs: 5000 } });
});

afterAll(async () => {
  await t.close();
  await new Promise<void>((resolve) => stub.close(() => resolve()));
});

beforeEach(() => {
  received.length = 0;
});

describe('ids that would be dot segments', () => {
  test.each([
    ['a dot', '.', false],
    ['two dots', '..', false],
    ['three dots', '...', false],
    ['a FHIR id', 'pat-1.2', true],
    ['a FHIR id starting with a dot', '.a', true],
    ['64 characters', 'a'.repeat(64), true],
    ['65 characters', 'a'.repeat(65), false],
    ['a slash', 'a/b', false],
    ['an encoded slash', 'a%2fb', false],
    ['empty', '', false],
  ])('%s (%s) is a FHIR id = %s', (_case, id, valid) => {
    expect(isFhirId(id)).toBe(valid);
  });

  test.each(['.', '..'])('prefetchQueries refuses the patient id "%s"', (id) => {
    expect(() => prefetchQueries(id)).toThrow(RangeError);
  });

  test.each(['.', '..', '...'])('a prefetch template resolved with the patient id "%s" throws instead of dropping the segment', (id) => {
    expect(() => resolvePrefetchTemplate('Patient/{{context.patientId}}', { patientId: id })).toThrow(RangeError);
  });

  test('the order check does not offer to delete a draft order whose id is only dots', () => {
    const bundle = { resourceType: 'Bundle', entry: [{ resource: { resourceType: 'MedicationRequest', id: '..', status: 'draft', intent: 'order', medicationCodeableConcept: { text: 'docetaxel induction' }, subject: { reference: 'Patient/p' } } }] };
    const review = reviewDraftOrders(bundle);
    expect(JSON.stringify(review)).not.toContain('MedicationRequest/..');
    expect(JSON.stringify(review)).toContain('MedicationRequest/(no id)');
  });

  test.each([
    ['patient-view', 'patientId', '.'],
    ['patient-view', 'patientId', '..'],
    ['patient-view', 'patientId', '...'],
    ['patient-view', 'encounterId', '.'],
    ['order-sign', 'patientId', '..'],
  ] as const)('%s with context.%s "%s" and no prefetch is a 400 naming it, and the FHIR server receives nothing', async (hook, field, id) => {
    const body =
      hook === 'patient-view'
        ? patientViewRequest(FIXTURE, { prefetch: false, context: { [field]: id }, extra: fhirAccess(`${origin}/fhir`) })
        : orderRequest(hook, 'order-induction-low-ictos', { prefetch: false, context: { [field]: id }, extra: fhirAccess(`${origin}/fhir`) });
    const service = hook === 'patient-view' ? HOOK : '/cds-services/npc-induction-order-check-sign';
    const res = await request(t.app).post(service).send(body);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain(`context.${field}`);
    expect(received).toEqual([]);
  });

  test('a valid patient id without prefetch is fetched from the stub as Patient/{id} (the stub does record)', async () => {
    const res = await request(t.app)
      .post(HOOK)
      .send(patientViewRequest(FIXTURE, { prefetch: false, context: { patientId: 'pat-1.2' }, extra: fhirAccess(`${origin}/fhir`) }));
    expect(res.status).toBe(200);
    expect(received).toContain('/fhir/Patient/pat-1.2');
    expect(received.every((p) => p.startsWith('/fhir/') && p !== '/fhir/Patient/')).toBe(true);
  });
});

describe('a fhirServer is checked after percent-decoding', () => {
  const ALLOW = ['https://ehr.example/fhir'];
  test.each([
    ['an encoded slash before ..', 'https://ehr.example/fhir/..%2fadmin', false],
    ['an encoded slash, upper case', 'https://ehr.example/fhir/..%2Fadmin', false],
    ['an encoded backslash before ..', 'https://ehr.example/fhir/..%5cadmin', false],
    ['encoded dots and slash', 'https://ehr.example/fhir/%2e%2e%2fadmin', false],
    ['two levels up from below the base', 'https://ehr.example/fhir/r4%2f..%2f..%2fadmin', false],
    ['a double-encoded slash', 'https://ehr.example/fhir/..%252fadmin', false],
    ['an encoded double slash to another host', 'https://ehr.example/%2f%2fevil.example/fhir', false],
    ['invalid percent-encoding', 'https://ehr.example/fhir/%zz', false],
    ['an encoded slash that stays below the base', 'https://ehr.example/fhir/r4%2fpart', true],
    ['the base itself', 'https://ehr.example/fhir', true],
    ['a path below the base', 'https://ehr.example/fhir/r4', true],
  ])('%s: %s is allowed = %s', (_case, fhirServer, allowed) => {
    expect(allowedFhirServer(fhirServer, ALLOW) !== undefined).toBe(allowed);
  });

  test.each(['/fhir/..%2fadmin', '/fhir/..%5cadmin', '/fhir/r4%2f..%2f..%2f', '/fhir/..%252f'])(
    'a request with fhirServer {stub}%s is refused with 412 fhir-server-not-allowed, and the FHIR server receives nothing',
    async (suffix) => {
      const res = await request(t.app)
        .post(HOOK)
        .send(patientViewRequest(FIXTURE, { prefetch: false, extra: fhirAccess(`${origin}${suffix}`) }));
      expect(res.status).toBe(412);
      expect(res.body.error).toMatchObject({ code: 'fhir-server-not-allowed', field: 'fhirServer' });
      expect(received).toEqual([]);
    },
  );
});
