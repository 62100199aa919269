/**
 * CDS Client JWTs over HTTP (CDS Hooks 2.0, "Trusting CDS Clients"): with trusted issuers configured,
 * discovery, the hooks and feedback each demand a valid token whose `aud` is the URL called; every
 * refusal is a 401 with the JSON error body and a WWW-Authenticate header; /health stays open.
 */
import { randomUUID } from 'node:crypto';
import nock from 'nock';
import request, { type Response } from 'supertest';
import { hs256Token, makeIssuer, signToken, unsignedToken, type TestIssuer } from '../support/jwt';
import { patientViewRequest, scenarioClock, SERVICE_IDS, testApp, type TestApp } from '../support/app';

const BASE = 'https://cds.example.org';
const SCENARIO = 'complete-pre-treatment-high-ictos';
const HOOK = `/cds-services/${SERVICE_IDS['patient-view']}`;
const OTHER_HOOK = `/cds-services/${SERVICE_IDS['order-sign']}`;

let es: TestIssuer;
let rs: TestIssuer;
let t: TestApp;

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
  [es, rs] = await Promise.all([makeIssuer('ES384'), makeIssuer('RS384')]);
  t = await testApp({
    now: scenarioClock(SCENARIO),
    config: {
      publicBaseUrl: BASE,
      trustedIssuers: [
        { iss: es.iss, jwks: es.jwks },
        { iss: rs.iss, jwks: rs.jwks },
      ],
      corsOrigins: ['https://ehr.example'],
    },
  });
});
afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
  nock.cleanAll();
});
afterAll(async () => {
  await t.close();
  nock.enableNetConnect();
});

const feedbackBody = () => ({ feedback: [{ card: randomUUID(), outcome: 'overridden', outcomeTimestamp: '2026-06-01T10:00:00Z' }] });

interface Endpoint {
  readonly name: string;
  readonly path: string;
  /** Calls the endpoint (at `path`, by default its own) with this Authorization header value. */
  send(authorization: string | undefined, path?: string): Promise<Response>;
}

const bearer = (token: string | undefined) => (token === undefined ? undefined : `Bearer ${token}`);
const authorized = (req: request.Test, authorization: string | undefined) => (authorization === undefined ? req : req.set('Authorization', authorization));

const ENDPOINTS: readonly Endpoint[] = [
  { name: 'discovery', path: '/cds-services', send: (auth, path = '/cds-services') => authorized(request(t.app).get(path), auth) },
  { name: 'the patient-view hook', path: HOOK, send: (auth, path = HOOK) => authorized(request(t.app).post(path), auth).send(patientViewRequest(SCENARIO)) },
  { name: 'feedback', path: `${HOOK}/feedback`, send: (auth, path = `${HOOK}/feedback`) => authorized(request(t.app).post(path), auth).send(feedbackBody()) },
];

function expectUnauthorized(res: Response, failure?: string): void {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status: 401, code: 'unauthorized' });
  expect(res.type).toBe('application/json');
  expect(res.body.error).toMatchObject({ status: 401, field: 'Authorization', message: expect.any(String) });
  expect(res.headers['www-authenticate']).toMatch(/^Bearer /);
  if (failure !== undefined) expect(res.headers['www-authenticate']).toContain(`error_description="${failure}"`);
}

function expectAccepted(res: Response): void {
  expect(res.status).toBe(200);
  expect(res.body).not.toHaveProperty('error');
}

const standardClaims = (aud: string, iss = es.iss) => {
  const now = Math.floor(Date.now() / 1000);
  return { iss, sub: 'test-ehr-client', aud, iat: now, exp: now + 300, jti: randomUUID() };
};

/** How each bad token is made, for the URL it is presented at; and the failure it must be refused with. */
const BAD_TOKENS: readonly [string, (aud: string) => Promise<string | undefined>, string | undefined][] = [
  ['no token', async () => undefined, 'missing-token'],
  ['an unsigned token (alg none)', async (aud) => unsignedToken(standardClaims(aud), { kid: es.kid }), 'algorithm-not-allowed'],
  ['an HS256 token', async (aud) => hs256Token('a-shared-secret-the-service-never-agreed-to', standardClaims(aud), { kid: es.kid }), 'algorithm-not-allowed'],
  ['a token for another service\u2019s URL', async () => signToken(es, `${BASE}${OTHER_HOOK}`), 'wrong-audience'],
  ['a token for the same path on another host', async (aud) => signToken(es, aud.replace(BASE, 'https://other-cds.example.org')), 'wrong-audience'],
  ['an expired token', async (aud) => signToken(es, aud, { iatOffsetSeconds: -900, expiresInSeconds: 300 }), 'expired'],
  ['a token issued in the future', async (aud) => signToken(es, aud, { iatOffsetSeconds: 600 }), 'issued-in-future'],
  ['a token living longer than allowed', async (aud) => signToken(rs, aud, { expiresInSeconds: 3600 }), 'lifetime-too-long'],
  ['a token with an unknown kid', async (aud) => signToken(es, aud, { header: { kid: 'no-such-key' } }), 'unknown-key'],
  ['a token from an unknown issuer', async (aud) => signToken(es, aud, { claims: { iss: 'https://unknown-ehr.example.org' } }), 'unknown-issuer'],
  ['an ES384 token signed with another key under the trusted kid', async (aud) => signToken(await makeIssuer('ES384', es.iss, es.kid), aud), 'bad-signature'],
  ['an RS384 token signed with another key under the trusted kid', async (aud) => signToken(await makeIssuer('RS384', rs.iss, rs.kid), aud), 'bad-signature'],
  ['a token without jti', async (aud) => signToken(es, aud, { omit: ['jti'] }), 'missing-claim'],
  ['a token that is not a JWT', async () => 'not.a-jwt', 'malformed-token'],
];

describe.each(ENDPOINTS)('$name', (endpoint) => {
  test.each(BAD_TOKENS)('with %s, the answer is a 401 with WWW-Authenticate', async (_name, make, failure) => {
    const res = await endpoint.send(bearer(await make(`${BASE}${endpoint.path}`)));
    expectUnauthorized(res, failure);
  });

  test.each(['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer '])('an Authorization header "%s" is a 401', async (authorization) => {
    expectUnauthorized(await endpoint.send(authorization), 'missing-token');
  });

  test('a replayed token is accepted once, then refused with a 401', async () => {
    const token = await signToken(es, `${BASE}${endpoint.path}`);
    expectAccepted(await endpoint.send(bearer(token)));
    expectUnauthorized(await endpoint.send(bearer(token)), 'replayed');
  });

  test.each(['ES384', 'RS384'] as const)('a valid %s token is accepted', async (alg) => {
    const issuer = alg === 'ES384' ? es : rs;
    expectAccepted(await endpoint.send(bearer(await signToken(issuer, `${BASE}${endpoint.path}`))));
  });

  test('a query string does not change the audience', async () => {
    expectAccepted(await endpoint.send(bearer(await signToken(rs, `${BASE}${endpoint.path}`)), `${endpoint.path}?trace=1`));
  });
});

test('a valid token on the hook gives the scenario\u2019s cards', async () => {
  const res = await request(t.app)
    .post(HOOK)
    .set('Authorization', `Bearer ${await signToken(es, `${BASE}${HOOK}`)}`)
    .send(patientViewRequest(SCENARIO));
  expect(res.status).toBe(200);
  expect(res.body.cards.length).toBeGreaterThan(0);
});

test('the 401 body does not echo the token', async () => {
  const token = await signToken(es, `${BASE}${OTHER_HOOK}`);
  const res = await request(t.app).post(HOOK).set('Authorization', `Bearer ${token}`).send(patientViewRequest(SCENARIO));
  expectUnauthorized(res, 'wrong-audience');
  expect(res.text).not.toContain(token);
  expect(JSON.stringify(res.headers)).not.toContain(token);
});

test('/health stays open and reports security mode jwt', async () => {
  const res = await request(t.app).get('/health');
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ status: 'ok', security: { mode: 'jwt', issuers: 2 }, warnings: [] });
});

test('a CORS preflight from an allowed origin needs no token', async () => {
  const res = await request(t.app).options(HOOK).set('Origin', 'https://ehr.example').set('Access-Control-Request-Method', 'POST').set('Access-Control-Request-Headers', 'authorization,content-type');
  expect(res.status).toBe(204);
  expect(res.headers['access-control-allow-origin']).toBe('https://ehr.example');
});

describe('a 401 never reveals whether a service exists', () => {
  test.each([
    ['POST', '/cds-services/no-such-service'],
    ['POST', '/cds-services/no-such-service/feedback'],
  ])('without a token, %s %s is a 401, not a 404', async (method, path) => {
    const res = await request(t.app)[method.toLowerCase() as 'post'](path).send({});
    expectUnauthorized(res, 'missing-token');
  });

  test.each([
    ['GET', '/cds-services/no-such-service', HOOK],
    ['GET', '/cds-services/no-such-service/feedback', `${HOOK}/feedback`],
    ['PUT', '/cds-services/no-such-service', HOOK],
  ])('without a token, %s %s answers exactly as the same call on a service that exists', async (method, unknown, known) => {
    const verb = method.toLowerCase() as 'get' | 'put';
    const [a, b] = await Promise.all([request(t.app)[verb](unknown), request(t.app)[verb](known)]);
    expect({ status: a.status, code: a.body?.error?.code }).toEqual({ status: b.status, code: b.body?.error?.code });
    expectUnauthorized(a);
  });
});
