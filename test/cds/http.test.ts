/**
 * Every endpoint of the CDS Hooks service and every error of its contract, driven with supertest on an
 * app that does not listen (conventions.md, habits 5 and 7). No test here may call out: the network is
 * closed to everything but loopback, and any attempt is recorded.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Express } from 'express';
import nock from 'nock';
import request, { type Response } from 'supertest';
import { cardSchema, responseSchema, type Card } from '../../src/cds/card-schema';
import { CardTemplates } from '../../src/cds/templates';
import { prefetchTemplates } from '../../src/fhir/prefetch';
import { expectOrderCheckCards, expectPatientViewCards, findingsOf } from '../support/card-expectations';
import {
  orderRequest,
  patientViewRequest,
  REPO_ROOT,
  scenario,
  scenarioClock,
  SERVICE_IDS,
  testApp,
  testConfig,
  type TestApp,
  type TestHookRequest,
} from '../support/app';
import { configurationWarnings } from '../../src/express-app';

const COMPLETE = 'complete-pre-treatment-high-ictos';
const ORDERS = 'order-induction-low-ictos';
const PATIENT_VIEW = `/cds-services/${SERVICE_IDS['patient-view']}`;
const ORDER_SIGN = `/cds-services/${SERVICE_IDS['order-sign']}`;
const ORDER_SELECT = `/cds-services/${SERVICE_IDS['order-select']}`;
const ALLOWED_FHIR = 'https://fhir.example/r4';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Hosts, other than loopback, that something tried to reach during the test. */
let outgoing: string[] = [];
const recordOutgoing = (req: { hostname?: string }) => {
  if (req.hostname !== undefined && !/^(127\.0\.0\.1|localhost)$/.test(req.hostname)) outgoing.push(req.hostname);
};

beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
  nock.emitter.on('no match', recordOutgoing);
});
beforeEach(() => {
  outgoing = [];
});
afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
  nock.cleanAll();
  expect(outgoing).toEqual([]);
});
afterAll(() => {
  nock.emitter.removeListener('no match', recordOutgoing);
  nock.enableNetConnect();
  // nock patches node:http for the whole worker; later files in it must get the real one back.
  nock.restore();
});

/** An error answer of the one error contract: JSON, the status, code and field, and no stack trace or file path. */
function expectError(res: Response, status: number, code: string, field?: string): void {
  expect({ status: res.status, code: res.body?.error?.code, field: res.body?.error?.field }).toEqual({ status, code, field });
  expect(res.type).toBe('application/json');
  expect(Object.keys(res.body)).toEqual(['error']);
  expect(res.body.error).toMatchObject({ status, code, message: expect.any(String) });
  for (const key of Object.keys(res.body.error)) expect(['status', 'code', 'message', 'field', 'issues']).toContain(key);
  expectNoInternals(res.text);
}

function expectNoInternals(text: string): void {
  expect(text).not.toMatch(/(^|\\n|\s)at \S+ \(/);
  expect(text).not.toMatch(/\\n\s+at /);
  expect(text).not.toMatch(/[\w.-]+\.(ts|js):\d+/);
  expect(text).not.toContain(REPO_ROOT);
  expect(text).not.toContain('node_modules');
  expect(text).not.toMatch(/"stack"/);
}

/** A follow-up valid patient-view request is served with the scenario's cards. */
async function expectStillServing(app: Express): Promise<void> {
  const res = await request(app).post(PATIENT_VIEW).send(patientViewRequest(COMPLETE));
  expect(res.status).toBe(200);
  expectPatientViewCards(res.body.cards, scenario(COMPLETE));
}

type ServiceJson = { id: string } & Record<string, unknown>;
const byId = (a: ServiceJson, b: ServiceJson) => a.id.localeCompare(b.id);
const serviceFiles = (): ServiceJson[] =>
  readdirSync(path.join(REPO_ROOT, 'cds-hooks'))
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(path.join(REPO_ROOT, 'cds-hooks', f), 'utf8')) as ServiceJson);

describe('discovery', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp();
  });
  afterAll(() => t.close());

  test('GET /cds-services lists exactly the services of cds-hooks/*.json, each with the prefetch templates of the configured code lists', async () => {
    const res = await request(t.app).get('/cds-services');
    expect(res.status).toBe(200);
    expect(res.type).toBe('application/json');
    expect(Object.keys(res.body)).toEqual(['services']);
    const expected = serviceFiles().map((s) => ({ ...s, prefetch: prefetchTemplates(t.config.codes) }));
    expect([...(res.body.services as ServiceJson[])].sort(byId)).toEqual(expected.sort(byId));
    expect(res.body.services).toHaveLength(3);
  });

  test('the three services each have a hook, title, description and the five prefetch templates', async () => {
    const res = await request(t.app).get('/cds-services');
    const services = res.body.services as { id: string; hook: string; title: string; description: string; prefetch: Record<string, string> }[];
    expect(services.map((s) => [s.id, s.hook]).sort()).toEqual(
      Object.entries(SERVICE_IDS)
        .map(([hook, id]) => [id, hook])
        .sort(),
    );
    for (const s of services) {
      expect(s.title.length).toBeGreaterThan(0);
      expect(s.description.length).toBeGreaterThan(0);
      expect(Object.keys(s.prefetch).sort()).toEqual(['conditions', 'medicationAdministrations', 'observations', 'patient', 'procedures']);
      expect(s.prefetch['patient']).toBe('Patient/{{context.patientId}}');
    }
  });
});

describe('patient-view', () => {
  test('a complete pre-treatment record gives 200 and the scenario\u2019s cards, each passing the card schema', async () => {
    const t = await testApp({ now: scenarioClock(COMPLETE) });
    const res = await request(t.app).post(PATIENT_VIEW).send(patientViewRequest(COMPLETE));
    expect(res.status).toBe(200);
    expect(responseSchema.safeParse(res.body).success).toBe(true);
    expectPatientViewCards(res.body.cards, scenario(COMPLETE));
    await t.close();
  });

  test('every card has a uuid, a short summary, an info indicator, a DOI source with a topic, the detail sections and the findings', async () => {
    const t = await testApp({ now: scenarioClock(COMPLETE) });
    const res = await request(t.app).post(PATIENT_VIEW).send(patientViewRequest(COMPLETE));
    const cards = res.body.cards as Card[];
    expect(cards.length).toBeGreaterThan(0);
    expect(new Set(cards.map((c) => c.uuid)).size).toBe(cards.length);
    for (const card of cards) {
      expect(cardSchema.safeParse(card).success).toBe(true);
      expect(card.uuid).toMatch(UUID);
      expect(card.summary.length).toBeLessThan(140);
      expect(card.indicator).toBe('info');
      expect(card.source.url).toMatch(/^https:\/\/doi\.org\/10\.\d{4,}\//);
      expect(card.source.topic?.code).toEqual(expect.any(String));
      for (const section of ['Inputs used', 'Evidence', 'Limitations', 'Citation']) expect(card.detail).toMatch(new RegExp(`^### ${section}`, 'm'));
      expect(findingsOf(card).length).toBeGreaterThan(0);
    }
    await t.close();
  });

  test('with a SMART app URL configured, every card has one smart link whose appContext is a JSON string', async () => {
    const smartAppUrl = 'https://ehr.example/npc-cds/launch';
    const t = await testApp({ now: scenarioClock(COMPLETE), config: { smartAppUrl } });
    const res = await request(t.app).post(PATIENT_VIEW).send(patientViewRequest(COMPLETE));
    const cards = res.body.cards as Card[];
    expect(cards.length).toBeGreaterThan(0);
    for (const card of cards) {
      const smart = (card.links ?? []).filter((l) => l.type === 'smart');
      expect(smart).toHaveLength(1);
      const link = smart[0];
      expect(link).toMatchObject({ type: 'smart', url: smartAppUrl, appContext: expect.any(String) });
      expect(JSON.parse(link?.appContext ?? '')).toMatchObject({ card: card.source.topic?.code, service: SERVICE_IDS['patient-view'] });
    }
    await t.close();
  });

  test('without a SMART app URL, no card has a smart link; the treatment-selection card links to trial NCT01245959', async () => {
    const t = await testApp({ now: scenarioClock(COMPLETE) });
    const res = await request(t.app).post(PATIENT_VIEW).send(patientViewRequest(COMPLETE));
    expect(res.body.cards.length).toBeGreaterThan(0);
    for (const card of res.body.cards as Card[]) expect((card.links ?? []).filter((l) => l.type === 'smart')).toEqual([]);
    const selection = (res.body.cards as Card[]).find((c) => c.source.topic?.code === 'treatment-selection');
    expect(selection?.links).toEqual([{ label: expect.any(String), url: 'https://clinicaltrials.gov/study/NCT01245959', type: 'absolute' }]);
    await t.close();
  });
});

describe('order hooks', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp({ now: scenarioClock(ORDERS) });
  });
  afterAll(() => t.close());

  // (v2, spec section 6) the whole regimen: the partners and the cisplatin ordered with them.
  const induction = ['MedicationRequest/oil-mr-cisplatin', 'MedicationRequest/oil-mr-docetaxel', 'MedicationRequest/oil-mr-fluorouracil'];

  test('the draft orders are sent as EHRs do: a Bundle without type, with an order without intent and one without medication', () => {
    const drafts = orderRequest('order-sign', ORDERS).context['draftOrders'] as { type?: string; entry: { resource: Record<string, unknown> }[] };
    expect(drafts).not.toHaveProperty('type');
    const byId = new Map(drafts.entry.map((e) => [e.resource['id'], e.resource]));
    expect(byId.get('oil-mr-fluorouracil')).not.toHaveProperty('intent');
    expect(Object.keys(byId.get('oil-mr-nomed') ?? {}).some((k) => k.startsWith('medication'))).toBe(false);
  });

  test('order-sign with induction orders for a low-ICTOS patient gives a warning card with override reasons and a delete per order of the induction regimen', async () => {
    const res = await request(t.app).post(ORDER_SIGN).send(orderRequest('order-sign', ORDERS));
    expect(res.status).toBe(200);
    expectOrderCheckCards(res.body.cards, scenario(ORDERS));
    const cards = res.body.cards as Card[];
    expect(cards).toHaveLength(1);
    const card = cards[0] as Card;
    expect(card.indicator).toBe('warning');
    expect(card.overrideReasons?.length).toBeGreaterThan(0);
    for (const reason of card.overrideReasons ?? []) expect(reason.display).toEqual(expect.stringMatching(/\S/));
    const deletes = (card.suggestions ?? []).flatMap((s) => (s.actions ?? []).filter((a) => a.type === 'delete').map((a) => a.resourceId));
    expect(deletes.sort()).toEqual(induction);
    expect(card.selectionBehavior).toBe('at-most-one');
  });

  test('order-select with every draft order selected gives the same check', async () => {
    const res = await request(t.app).post(ORDER_SELECT).send(orderRequest('order-select', ORDERS));
    expect(res.status).toBe(200);
    expectOrderCheckCards(res.body.cards, scenario(ORDERS));
  });

  test('order-select with only the cisplatin order selected gives no card', async () => {
    const res = await request(t.app)
      .post(ORDER_SELECT)
      .send(orderRequest('order-select', ORDERS, { context: { selections: ['MedicationRequest/oil-mr-cisplatin'] } }));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ cards: [] });
  });
});

describe('errors', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp({ now: scenarioClock(COMPLETE), config: { allowedFhirServers: [ALLOWED_FHIR] } });
  });
  afterAll(() => t.close());

  test('malformed JSON is a 400 malformed-json, and the service keeps serving', async () => {
    const res = await request(t.app).post(PATIENT_VIEW).set('Content-Type', 'application/json').send('{"hook": "patient-view", "context": {');
    expectError(res, 400, 'malformed-json', '(body)');
    await expectStillServing(t.app);
  });

  const without = <T extends object>(o: T, key: keyof T): T => {
    const copy = { ...o };
    delete copy[key];
    return copy;
  };
  const pv = () => patientViewRequest(COMPLETE);
  const badRequests: [string, string, () => unknown, string][] = [
    ['context.patientId is a number', PATIENT_VIEW, () => ({ ...pv(), context: { ...pv().context, patientId: 42 } }), 'context.patientId'],
    ['hookInstance is not a UUID', PATIENT_VIEW, () => ({ ...pv(), hookInstance: 'not-a-uuid' }), 'hookInstance'],
    ['context is missing', PATIENT_VIEW, () => without(pv(), 'context'), 'context'],
    ['order-select has no selections', ORDER_SELECT, () => orderRequest('order-select', ORDERS, { context: { selections: undefined } }), 'context.selections'],
    ['draftOrders is a Patient, not a Bundle', ORDER_SIGN, () => orderRequest('order-sign', ORDERS, { context: { draftOrders: { resourceType: 'Patient', id: 'x' } } }), 'context.draftOrders.resourceType'],
    ['draftOrders is a string', ORDER_SIGN, () => orderRequest('order-sign', ORDERS, { context: { draftOrders: 'MedicationRequest/oil-mr-docetaxel' } }), 'context.draftOrders'],
    ['a prefetch value is a string', PATIENT_VIEW, () => patientViewRequest(COMPLETE, { prefetch: { observations: 'Observation?patient=hi-patient' } }), 'prefetch.observations'],
    ['a patient-view body is sent to the order-sign service', ORDER_SIGN, () => patientViewRequest(ORDERS), 'hook'],
    [
      'fhirAuthorization comes without fhirServer',
      PATIENT_VIEW,
      () => patientViewRequest(COMPLETE, { extra: { fhirAuthorization: { access_token: 'abc', token_type: 'Bearer', expires_in: 300, scope: 'patient/*.read', subject: 'npc-cds' } } }),
      'fhirServer',
    ],
    ['the body is a JSON array', PATIENT_VIEW, () => [pv()], '(body)'],
  ];
  test.each(badRequests)('when %s, the answer is a 400 naming the field, and the service keeps serving', async (_name, url, body, field) => {
    const res = await request(t.app).post(url).send(body() as object);
    expectError(res, 400, 'bad-request', field);
    expect(res.body.error.message).toContain(field);
    await expectStillServing(t.app);
  });

  test.each([
    ['text/plain', 'hello'],
    ['application/x-www-form-urlencoded', 'hook=patient-view'],
  ])('a %s body is a 415', async (type, body) => {
    const res = await request(t.app).post(PATIENT_VIEW).set('Content-Type', type).send(body);
    expectError(res, 415, 'unsupported-media-type', 'Content-Type');
    await expectStillServing(t.app);
  });

  test('application/fhir+json is accepted as JSON', async () => {
    const res = await request(t.app).post(PATIENT_VIEW).set('Content-Type', 'application/fhir+json').send(JSON.stringify(patientViewRequest(COMPLETE)));
    expect(res.status).toBe(200);
    expectPatientViewCards(res.body.cards, scenario(COMPLETE));
  });

  test('a call to an unknown service is a 404', async () => {
    const res = await request(t.app).post('/cds-services/no-such-service').send(pv());
    expectError(res, 404, 'not-found');
    await expectStillServing(t.app);
  });

  test('feedback to an unknown service is a 404', async () => {
    const res = await request(t.app)
      .post('/cds-services/no-such-service/feedback')
      .send({ feedback: [{ card: 'c', outcome: 'overridden', outcomeTimestamp: '2026-06-01T10:00:00Z' }] });
    expectError(res, 404, 'not-found');
  });

  test.each([
    ['GET', PATIENT_VIEW, 'POST'],
    ['PUT', '/cds-services', 'GET'],
    ['DELETE', '/cds-services', 'GET'],
    ['GET', `${PATIENT_VIEW}/feedback`, 'POST'],
    ['PUT', `${ORDER_SIGN}/feedback`, 'POST'],
  ])('%s %s is a 405 with Allow: %s', async (method, url, allow) => {
    const res = await request(t.app)[method.toLowerCase() as 'get' | 'put' | 'delete'](url);
    expectError(res, 405, 'method-not-allowed');
    expect(res.headers['allow']).toBe(allow);
    await expectStillServing(t.app);
  });

  test('a body over the configured limit is a 413, and the service keeps serving', async () => {
    const small = await testApp({ now: scenarioClock(COMPLETE), config: { bodyLimitBytes: 2048 } });
    const body = patientViewRequest(COMPLETE);
    expect(JSON.stringify(body).length).toBeGreaterThan(2048);
    const res = await request(small.app).post(PATIENT_VIEW).send(body);
    expectError(res, 413, 'payload-too-large');
    const nulls = { patient: null, conditions: null, observations: null, procedures: null, medicationAdministrations: null };
    const followUp = await request(small.app).post(PATIENT_VIEW).send(patientViewRequest(COMPLETE, { prefetch: nulls }));
    expect(followUp.status).toBe(200);
    expect(followUp.body).toEqual({ cards: [] });
    expect((await request(small.app).get('/cds-services')).status).toBe(200);
    await small.close();
  });

  test('no prefetch and no fhirServer is a 412 data-unobtainable naming every prefetch key', async () => {
    const res = await request(t.app).post(PATIENT_VIEW).send(patientViewRequest(COMPLETE, { prefetch: false }));
    expectError(res, 412, 'data-unobtainable', 'prefetch');
    expect((res.body.error.issues as { field: string }[]).map((i) => i.field).sort()).toEqual(
      ['conditions', 'medicationAdministrations', 'observations', 'patient', 'procedures'].map((k) => `prefetch.${k}`),
    );
    await expectStillServing(t.app);
  });

  test.each([
    'https://unlisted.example/fhir',
    'https://fhir.example.attacker.test/r4',
    'https://fhir.example/r4-other',
    'http://fhir.example/r4',
    'https://user:secret@fhir.example/r4',
  ])('prefetch missing and fhirServer %s not in the allowlist is a 412 fhir-server-not-allowed, with no outgoing request', async (fhirServer) => {
    const body = patientViewRequest(COMPLETE, { extra: { fhirServer, fhirAuthorization: { access_token: 'abc', token_type: 'Bearer', expires_in: 300, scope: 'patient/*.read', subject: 'npc-cds' } } });
    delete body.prefetch?.['observations'];
    const res = await request(t.app).post(PATIENT_VIEW).send(body);
    expectError(res, 412, 'fhir-server-not-allowed', 'fhirServer');
    expect(outgoing).toEqual([]);
    await expectStillServing(t.app);
  });

  test('a prefetch value that is an OperationOutcome is not used: without a fhirServer it is a 412 naming that key, not a 500', async () => {
    const outcome = { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'too-costly', diagnostics: 'prefetch failed' }] };
    const res = await request(t.app).post(PATIENT_VIEW).send(patientViewRequest(COMPLETE, { prefetch: { observations: outcome } }));
    expectError(res, 412, 'data-unobtainable', 'prefetch');
    expect(res.body.error.issues).toEqual([{ field: 'prefetch.observations', message: 'no-fhir-server' }]);
    await expectStillServing(t.app);
  });

  test('a prefetch value that is an OperationOutcome, with a fhirServer not in the allowlist, is a 412 fhir-server-not-allowed', async () => {
    const outcome = { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception' }] };
    const res = await request(t.app)
      .post(PATIENT_VIEW)
      .send(patientViewRequest(COMPLETE, { prefetch: { observations: outcome }, extra: { fhirServer: 'https://unlisted.example/fhir' } }));
    expectError(res, 412, 'fhir-server-not-allowed', 'fhirServer');
  });

  /** The fixture's prefetch with one member of one resource replaced (the path is below the resource). */
  function withMember(file: string, key: string, id: string, member: (string | number)[], value: unknown): TestHookRequest {
    const body = patientViewRequest(file);
    const bundle = JSON.parse(JSON.stringify(body.prefetch?.[key])) as { entry: { resource: Record<string, unknown> }[] };
    const entry = bundle.entry.find((e) => e.resource['id'] === id);
    if (entry === undefined) throw new Error(`${id} is not in the ${key} of ${file}`);
    let target: Record<string | number, unknown> = entry.resource;
    for (const step of member.slice(0, -1)) target = target[step] as Record<string | number, unknown>;
    target[member[member.length - 1] as string | number] = value;
    return { ...body, prefetch: { ...body.prefetch, [key]: bundle } };
  }

  const FIG4 = 'tbf-liu-fig4-patient';
  test.each([
    ['valueQuantity: null (as some serializers write absent members)', COMPLETE, 'observations', 'hi-tbf', ['valueQuantity'], null],
    ['valueQuantity.code: null', COMPLETE, 'observations', 'hi-ebv', ['valueQuantity', 'code'], null],
    ['code.coding: [null]', COMPLETE, 'observations', 'hi-ictos', ['code', 'coding'], [null]],
    ['effectiveDateTime as a number', COMPLETE, 'observations', 'hi-t', ['effectiveDateTime'], 2026],
    ['Condition code.coding[0].code as a number', COMPLETE, 'conditions', 'hi-npc', ['code', 'coding', 0, 'code'], 11.9],
    ['Procedure code.coding as an object', FIG4, 'procedures', 'f4-rt', ['code', 'coding'], { system: 'http://snomed.info/sct', code: '108290001' }],
    ['MedicationAdministration medicationCodeableConcept.coding: [null]', FIG4, 'medicationAdministrations', 'f4-cisplatin', ['medicationCodeableConcept', 'coding', 0], null],
  ] as const)('a prefetch resource with %s is unusable data, not a 500', async (_name, file, key, id, member, value) => {
    const own = file === COMPLETE ? undefined : await testApp({ now: scenarioClock(file) });
    const res = await request(own?.app ?? t.app)
      .post(PATIENT_VIEW)
      .send(withMember(file, key, id, [...member], value));
    expect({ status: res.status, code: res.body?.error?.code }).not.toEqual({ status: 500, code: 'internal-error' });
    expect([200, 412]).toContain(res.status);
    if (res.status === 412) expectError(res, 412, 'data-unobtainable', 'prefetch');
    await own?.close();
    await expectStillServing(t.app);
  });

  test('a body whose Content-Encoding does not decode is a 400, not a 500', async () => {
    const res = await request(t.app).post(PATIENT_VIEW).set('Content-Type', 'application/json').set('Content-Encoding', 'deflate').send('{"hook": "patient-view"}');
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ status: 400, field: '(body)' });
    expectNoInternals(res.text);
    await expectStillServing(t.app);
  });

  test.each([
    ['GET', '/nothing-here'],
    ['POST', '/cds-services/npc-treatment-guidance/feedback/extra'],
    ['GET', '/admin'],
  ])('%s %s, an unknown route, is a 404', async (method, url) => {
    const res = await request(t.app)[method.toLowerCase() as 'get' | 'post'](url);
    expectError(res, 404, 'not-found');
  });

  test('an internal error is a generic 500 without details, and the next request is served', async () => {
    const templates = CardTemplates.load();
    jest.spyOn(templates, 'detail').mockImplementationOnce(() => {
      throw new Error(`template failed at ${path.join(REPO_ROOT, 'src/cds/cards.ts')}:12:34 for Patient/hi-patient`);
    });
    const broken = await testApp({ now: scenarioClock(COMPLETE), templates });
    const res = await request(broken.app).post(PATIENT_VIEW).send(patientViewRequest(COMPLETE));
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ error: { status: 500, code: 'internal-error', message: 'Internal error' } });
    expectNoInternals(res.text);
    expect(res.text).not.toContain('hi-patient');
    await expectStillServing(broken.app);
    await broken.close();
  });
});

describe('CORS', () => {
  const ORIGIN = 'https://ehr.example';
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp({ now: scenarioClock(COMPLETE), config: { corsOrigins: [ORIGIN] } });
  });
  afterAll(() => t.close());

  const preflight = (url: string, origin: string) =>
    request(t.app).options(url).set('Origin', origin).set('Access-Control-Request-Method', 'POST').set('Access-Control-Request-Headers', 'authorization,content-type');

  test.each(['/cds-services', PATIENT_VIEW, `${PATIENT_VIEW}/feedback`])('a preflight from an allowed origin on %s is answered 204 with the CORS headers', async (url) => {
    const res = await preflight(url, ORIGIN);
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(res.headers['access-control-allow-methods']?.split(',')).toEqual(expect.arrayContaining(['POST']));
    const headers = (res.headers['access-control-allow-headers'] ?? '').toLowerCase().split(',');
    expect(headers).toEqual(expect.arrayContaining(['authorization', 'content-type']));
  });

  test.each(['/cds-services', PATIENT_VIEW, `${PATIENT_VIEW}/feedback`])('a preflight from another origin on %s is a 403 with no Access-Control-Allow-Origin', async (url) => {
    const res = await preflight(url, 'https://evil.example');
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({ status: 403, code: 'cors-origin-not-allowed' });
    expect(res.headers).not.toHaveProperty('access-control-allow-origin');
  });

  test('a hook call from the allowed origin carries Access-Control-Allow-Origin', async () => {
    const res = await request(t.app).post(PATIENT_VIEW).set('Origin', ORIGIN).send(patientViewRequest(COMPLETE));
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe(ORIGIN);
  });

  test('a discovery call from another origin carries no Access-Control-Allow-Origin', async () => {
    const res = await request(t.app).get('/cds-services').set('Origin', 'https://evil.example');
    expect(res.status).toBe(200);
    expect(res.headers).not.toHaveProperty('access-control-allow-origin');
  });
});

describe('health', () => {
  test('GET /health is 200 and, with no trusted issuers, reports security mode open with a warning', async () => {
    const t = await testApp();
    const res = await request(t.app).get('/health');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok', security: { mode: 'open', issuers: 0 }, store: { kind: 'sqlite', ok: true } });
    expect(res.body.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/No trusted issuers/)]));
    await t.close();
  });

  const SMART_WARNING = /^No FHIR server is allowed for the SMART app .*every launch .* is refused\. Set SMART_ALLOWED_ISS/;
  test.each([
    { name: 'with no SMART_* setting and no ALLOWED_FHIR_SERVERS', config: {}, warned: true },
    { name: 'with a FHIR server the app may be launched against', config: { smartApp: { ...testConfig().smartApp, allowedIss: ['https://fhir.example/r4'] } }, warned: false },
    { name: 'in demo mode, whose configuration is its own', config: { demo: true }, warned: false },
  ])('/health $name warns about the SMART app: $warned', async ({ config, warned }) => {
    const t = await testApp({ config });
    const res = await request(t.app).get('/health');
    expect((res.body.warnings as string[]).some((w) => SMART_WARNING.test(w))).toBe(warned);
    expect(configurationWarnings(t.config).some((w) => SMART_WARNING.test(w))).toBe(warned);
    await t.close();
  });
});

describe('logging', () => {
  const ACCESS_TOKEN = 'ehr-access-token-SHOULD-NEVER-BE-LOGGED-8f2c';

  test('the logs of a hook call hold the hookInstance and service, but no patient id, token, name or value', async () => {
    const t = await testApp({ now: scenarioClock(COMPLETE), logs: true });
    const body = patientViewRequest(COMPLETE, {
      extra: { fhirServer: ALLOWED_FHIR, fhirAuthorization: { access_token: ACCESS_TOKEN, token_type: 'Bearer', expires_in: 300, scope: 'patient/*.read', subject: 'npc-cds' } },
    });
    const res = await request(t.app).post(PATIENT_VIEW).set('Authorization', `Bearer ${ACCESS_TOKEN}`).send(body);
    expect(res.status).toBe(200);
    expect(res.body.cards.length).toBeGreaterThan(0);
    const bad = await request(t.app)
      .post(PATIENT_VIEW)
      .send({ ...body, hookInstance: 'hi-patient' });
    expect(bad.status).toBe(400);

    const log = t.logs().join('');
    expect(t.logs().length).toBeGreaterThanOrEqual(2);
    expect(log).toContain(body.hookInstance);
    expect(log).toContain(SERVICE_IDS['patient-view']);
    for (const phi of [scenario(COMPLETE).patientId, ACCESS_TOKEN, 'Test Patient', '150.2', '3500', '0.3298', '28.4', 'hi-tbf', 'Observation/']) {
      expect({ phi, found: log.includes(phi) }).toEqual({ phi, found: false });
    }
    await t.close();
  });

  test('every log line is a JSON object without duplicate keys (log pipelines reject or silently merge them)', async () => {
    const templates = CardTemplates.load();
    jest.spyOn(templates, 'summary').mockImplementationOnce(() => 'x'.repeat(200));
    const t = await testApp({ now: scenarioClock(COMPLETE), logs: true, templates });
    await request(t.app).post(PATIENT_VIEW).send(patientViewRequest(COMPLETE));
    await request(t.app).get('/cds-services');
    expect(t.logs().length).toBeGreaterThanOrEqual(3);
    for (const line of t.logs()) {
      // JSON.parse keeps the last of duplicate keys, so a line with duplicates does not survive a round trip.
      const parsed = JSON.parse(line) as Record<string, unknown>;
      expect({ msg: parsed['msg'], line: line.trimEnd() }).toEqual({ msg: parsed['msg'], line: JSON.stringify(parsed) });
    }
    await t.close();
  });

  test('a card that fails the card schema is dropped and logged', async () => {
    const templates = CardTemplates.load();
    jest.spyOn(templates, 'summary').mockImplementation(() => 'x'.repeat(200));
    const t = await testApp({ now: scenarioClock(COMPLETE), logs: true, templates });
    const res = await request(t.app).post(PATIENT_VIEW).send(patientViewRequest(COMPLETE));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ cards: [] });
    const lines = t.logs().map((l) => JSON.parse(l) as Record<string, unknown>);
    const dropped = lines.filter((l) => String(l['msg']).startsWith('card failed the card schema'));
    expect(dropped.length).toBeGreaterThan(0);
    expect(dropped[0]).toMatchObject({ hookInstance: expect.any(String), issues: expect.arrayContaining([expect.objectContaining({ path: 'summary' })]) });
    expect(lines.find((l) => l['msg'] === 'request')).toMatchObject({ droppedCards: dropped.length, cardKinds: [] });
    expect(t.logs().join('')).not.toContain('x'.repeat(200));
    await t.close();
  });
});

describe('admin report', () => {
  const ADMIN = 'admin-token-for-tests-0123456789';

  test('without an admin token configured, GET /admin/report is a 404', async () => {
    const t = await testApp();
    expectError(await request(t.app).get('/admin/report').set('Authorization', `Bearer ${ADMIN}`), 404, 'not-found');
    await t.close();
  });

  test.each([
    ['no token', undefined, 'missing-token'],
    ['a wrong token', 'Bearer admin-token-for-tests-0123456788', 'wrong-admin-token'],
    ['a shorter token', 'Bearer admin', 'wrong-admin-token'],
    ['the token with the wrong scheme', `Basic ${ADMIN}`, 'wrong-scheme'],
  ])('with %s, GET /admin/report is a 401 logged at warn with its reason and without the token', async (_name, authorization, reason) => {
    const t = await testApp({ config: { adminToken: ADMIN }, logs: true });
    const req = request(t.app).get('/admin/report');
    const res = await (authorization === undefined ? req : req.set('Authorization', authorization));
    expectError(res, 401, 'unauthorized', 'Authorization');
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    // The request line is written on the response's `finish` event, which may follow the client's read.
    for (let waited = 0; t.logs().length === 0 && waited < 10_000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(t.logs().map((l) => JSON.parse(l) as unknown)).toEqual([expect.objectContaining({ level: 40, status: 401, route: '/admin/report', refused: { reason } })]);
    expect(t.logs().join('')).not.toContain('admin-token-for-tests');
    await t.close();
  });

  test('with the right token, the report is JSON with rows and the split per threshold set after a hook call and a feedback', async () => {
    const t = await testApp({ now: scenarioClock(COMPLETE), config: { adminToken: ADMIN } });
    const hook = await request(t.app).post(PATIENT_VIEW).send(patientViewRequest(COMPLETE));
    const card = (hook.body.cards as Card[]).find((c) => c.source.topic?.code === 'treatment-selection') as Card;
    const feedback = await request(t.app)
      .post(`${PATIENT_VIEW}/feedback`)
      .send({ feedback: [{ card: card.uuid, outcome: 'overridden', overrideReason: { userComment: 'tumor board' }, outcomeTimestamp: '2026-06-01T09:00:00Z' }] });
    expect(feedback.body).toEqual({ stored: 1, duplicates: 0, unknownCards: 0 });

    const res = await request(t.app).get('/admin/report').set('Authorization', `Bearer ${ADMIN}`);
    expect(res.status).toBe(200);
    expect(res.type).toBe('application/json');
    expect(res.body.rows).toEqual(expect.arrayContaining([expect.objectContaining({ rule: 'recommendation', outcome: 'ict-ccrt', cardsIssued: 1, overridden: 1 })]));
    expect(res.body.totals).toMatchObject({ cardsIssued: hook.body.cards.length, cardsWithFeedback: 1, overridden: 1 });
    // Until a caller's site profile is chosen, every card is recorded with the default threshold set.
    expect(res.body.bySet).toEqual([expect.objectContaining({ thresholdSet: 'default', cardsIssued: hook.body.cards.length, totals: res.body.totals })]);
    await t.close();
  });

  test('a since that is not a date is a 400 naming since', async () => {
    const t = await testApp({ config: { adminToken: ADMIN } });
    const res = await request(t.app).get('/admin/report?since=yesterday').set('Authorization', `Bearer ${ADMIN}`);
    expectError(res, 400, 'bad-request', 'since');
    await t.close();
  });
});

