/**
 * CDS Client JWTs over HTTP (CDS Hooks 2.0, "Trusting CDS Clients"): with trusted issuers configured,
 * discovery, the hooks and feedback each demand a valid token whose `aud` is the URL called; every
 * refusal is a 401 with the JSON error body and a WWW-Authenticate header; /health stays open.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import nock from 'nock';
import request, { type Response } from 'supertest';
import { hs256Token, makeIssuer, signToken, unsignedToken, type TestIssuer } from '../support/jwt';
import { patientViewRequest, scenario, scenarioClock, SERVICE_IDS, testApp, type TestApp } from '../support/app';
import { loadConfig } from '../../src/config';

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
  // nock patches node:http for the whole worker; later files in it must get the real one back.
  nock.restore();
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
  expect(res.body).toMatchObject({ status: 'ok', security: { mode: 'jwt', issuers: 2 } });
  // No security warning; the one warning left is the SMART app's, which this configuration leaves without a FHIR server.
  expect(res.body.warnings).toEqual([expect.stringMatching(/^No FHIR server is allowed for the SMART app .*SMART_ALLOWED_ISS/)]);
});

describe('CORS preflights are answered before authentication', () => {
  const PATHS = ['/cds-services', HOOK, `${HOOK}/feedback`, '/cds-services/no-such-service'];
  const preflight = (url: string, origin: string) =>
    request(t.app).options(url).set('Origin', origin).set('Access-Control-Request-Method', 'POST').set('Access-Control-Request-Headers', 'authorization,content-type');

  test.each(PATHS)('a preflight on %s from a listed origin succeeds without a token', async (url) => {
    const res = await preflight(url, 'https://ehr.example');
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('https://ehr.example');
    expect(res.headers).not.toHaveProperty('www-authenticate');
  });

  test.each(PATHS)('a preflight on %s from an origin not listed is a 403 CORS refusal, not a 401', async (url) => {
    const res = await preflight(url, 'https://other-ehr.example');
    expect(res.status).toBe(403);
    expect(res.type).toBe('application/json');
    expect(res.body).toEqual({ error: { status: 403, code: 'cors-origin-not-allowed', message: expect.stringContaining('CORS_ORIGINS'), field: 'Origin' } });
    expect(res.headers).not.toHaveProperty('access-control-allow-origin');
    expect(res.headers).not.toHaveProperty('www-authenticate');
    expect(res.headers['vary']).toMatch(/Origin/);
  });

  test('an OPTIONS request that is not a preflight (no Access-Control-Request-Method) still needs a token', async () => {
    expectUnauthorized(await request(t.app).options(HOOK).set('Origin', 'https://other-ehr.example'), 'missing-token');
  });
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

/** The CDS Hooks Sandbox (github.com/cds-hooks/sandbox) as its JWTs look; our own ES384 key stands in for its key. */
const SANDBOX_ISS = 'https://sandbox.cds-hooks.org';
const SANDBOX_JKU = 'https://sandbox.cds-hooks.org/.well-known/jwks.json';

describe('the CDS Hooks Sandbox, its issuer trusted with its JWK Set pinned in a jwksFile', () => {
  let sandbox: TestIssuer;
  let s: TestApp;
  beforeAll(async () => {
    sandbox = await makeIssuer('ES384', SANDBOX_ISS, randomUUID());
    const dir = mkdtempSync(path.join(tmpdir(), 'npc-cds-sandbox-'));
    writeFileSync(path.join(dir, 'sandbox-jwks.json'), JSON.stringify(sandbox.jwks));
    // The documented set-up, read by the configuration loader: TRUSTED_ISSUERS with the issuer and its jwksFile.
    const { trustedIssuers } = loadConfig({ DEMO: 'off', TRUSTED_ISSUERS: JSON.stringify([{ iss: SANDBOX_ISS, jwksFile: 'sandbox-jwks.json' }]) }, dir);
    s = await testApp({ now: scenarioClock(SCENARIO), logs: true, config: { publicBaseUrl: BASE, trustedIssuers, corsOrigins: [SANDBOX_ISS] } });
  });
  afterAll(() => s.close());

  /** A token as the Sandbox makes it: ES384, header { alg, typ, kid, jku }, claims { iss, aud, exp, iat, jti }, no sub. */
  const sandboxToken = (aud: string, options: { kid?: string; iatOffsetSeconds?: number } = {}) => {
    const iat = Math.round(Date.now() / 1000) + (options.iatOffsetSeconds ?? 0);
    return signToken(sandbox, aud, {
      header: { alg: 'ES384', typ: 'JWT', kid: options.kid ?? sandbox.kid, jku: SANDBOX_JKU },
      claims: { iss: SANDBOX_ISS, iat, exp: iat + 300, jti: randomUUID() },
      omit: ['sub'],
    });
  };
  const call = (path: string, authorization: string | undefined) => {
    const req = path === '/cds-services' ? request(s.app).get(path) : request(s.app).post(path).send(path.endsWith('/feedback') ? feedbackBody() : patientViewRequest(SCENARIO));
    return authorized(req, authorization);
  };
  const PATHS = ['/cds-services', HOOK, `${HOOK}/feedback`];

  test.each(PATHS)('a Sandbox token on %s is accepted without fetching its jku', async (path) => {
    // Network access is loopback only (nock): a fetch of the Sandbox's jku would have failed the call.
    expectAccepted(await call(path, bearer(await sandboxToken(`${BASE}${path}`))));
  });

  test('a Sandbox token on the hook gives the scenario\u2019s cards', async () => {
    const res = await call(HOOK, bearer(await sandboxToken(`${BASE}${HOOK}`)));
    expect(res.status).toBe(200);
    expect(res.body.cards.length).toBeGreaterThan(0);
  });

  /** Each refused Sandbox token, made for the URL it is presented at, and its reason. */
  const REFUSED: readonly [string, (aud: string) => Promise<string | undefined>, string][] = [
    ['no token', async () => undefined, 'missing-token'],
    [
      'a tampered token',
      async (aud) => {
        const [header, , signature] = (await sandboxToken(aud)).split('.');
        const [, payload] = (await sandboxToken(`${BASE}${OTHER_HOOK}`)).split('.');
        return `${header ?? ''}.${payload ?? ''}.${signature ?? ''}`;
      },
      'bad-signature',
    ],
    ['a token for another URL', async () => sandboxToken(`${BASE}${OTHER_HOOK}`), 'wrong-audience'],
    ['an expired token', async (aud) => sandboxToken(aud, { iatOffsetSeconds: -900 }), 'expired'],
    ['a token naming a kid the JWK Set does not hold', async (aud) => sandboxToken(aud, { kid: randomUUID() }), 'unknown-key'],
  ];

  /**
   * The JSON log lines written while `action` ran. The request line is written on the response's `finish`
   * event, which may come just after the client has read the response: wait for it (up to 10 s).
   */
  async function logsOf(action: () => Promise<unknown>): Promise<{ raw: string; parsed: Record<string, unknown>[] }> {
    const before = s.logs().length;
    await action();
    for (let waited = 0; s.logs().length === before && waited < 10_000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
    const lines = s.logs().slice(before);
    return { raw: lines.join(''), parsed: lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
  }

  /** Checks the one log line of a refused call: warn, 401, the reason, the service when the path names one, and no token material. */
  function expectRefusalLogged(log: { raw: string; parsed: Record<string, unknown>[] }, path: string, reason: string, token: string | undefined): void {
    expect(log.parsed).toHaveLength(1);
    const line = log.parsed[0] ?? {};
    expect(line).toMatchObject({ level: 40, msg: 'request', status: 401, refused: { reason } });
    // Besides the reason, at most jose's or Node's error code.
    const refused = line['refused'] as Record<string, unknown>;
    expect(refused).toEqual(refused['detail'] === undefined ? { reason } : { reason, detail: expect.stringMatching(/^[A-Za-z0-9_]{1,64}$/) });
    expect(line['service']).toBe(path === '/cds-services' ? undefined : SERVICE_IDS['patient-view']);
    // Neither the token nor any of its three parts, nor the key id, nor the patient.
    const secrets = [...(token !== undefined ? [token, ...token.split('.')] : []), scenario(SCENARIO).patientId, sandbox.kid];
    for (const secret of secrets.filter((x) => x.length > 0)) {
      expect({ secret, found: log.raw.includes(secret) }).toEqual({ secret, found: false });
    }
  }

  describe.each(PATHS)('on %s', (path) => {
    test.each(REFUSED)('%s is a 401 whose reason is logged at warn, with no token material', async (_name, make, reason) => {
      const token = await make(`${BASE}${path}`);
      let res: Response | undefined;
      const log = await logsOf(async () => {
        res = await call(path, bearer(token));
      });
      expectUnauthorized(res as Response, reason);
      expectRefusalLogged(log, path, reason, token);
    });

    test('a replayed Sandbox token is a 401 whose reason is logged at warn, with no token material', async () => {
      const token = await sandboxToken(`${BASE}${path}`);
      expectAccepted(await call(path, bearer(token)));
      let res: Response | undefined;
      const log = await logsOf(async () => {
        res = await call(path, bearer(token));
      });
      expectUnauthorized(res as Response, 'replayed');
      expectRefusalLogged(log, path, 'replayed', token);
    });
  });

  test('a refused preflight is logged at warn with its reason and origin', async () => {
    const log = await logsOf(() => request(s.app).options(HOOK).set('Origin', 'https://elsewhere.example').set('Access-Control-Request-Method', 'POST'));
    expect(log.parsed).toEqual([expect.objectContaining({ level: 40, status: 403, refused: { reason: 'cors-origin-not-allowed', origin: 'https://elsewhere.example' } })]);
  });

  test('the Sandbox\u2019s own origin may call from the browser', async () => {
    const res = await request(s.app).options(HOOK).set('Origin', SANDBOX_ISS).set('Access-Control-Request-Method', 'POST').set('Access-Control-Request-Headers', 'authorization,content-type');
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe(SANDBOX_ISS);
  });
});
