import { randomUUID } from 'node:crypto';
import nock from 'nock';
import { ACCEPTED_ALGORITHMS, JwtError, JwtVerifier } from '../../src/cds/jwt';
import type { JwtFailure, JwtVerifierOptions, TrustedIssuer, VerifiedClient } from '../../src/cds/jwt';
import { TEST_SUBJECT, hs256Token, makeIssuer, serveJwks, signToken, unsignedToken } from '../support/jwt';
import type { JwksServer, TestAlgorithm, TestIssuer, TokenOverrides } from '../support/jwt';

/** The URL the client called: every token is for this audience unless a row says otherwise. */
const AUD = 'https://cds.example.org/cds-services/npc-ictos';
/** A fixed "now" for the clock rows, well before the system clock: 2020-03-02T09:00:00Z. */
const T0 = Date.UTC(2020, 2, 2, 9, 0, 0);

/** The CDS Hooks Sandbox's issuer and the jku it puts in every token's header. */
const SANDBOX_ISS = 'https://sandbox.cds-hooks.org';
const SANDBOX_JKU = 'https://sandbox.cds-hooks.org/.well-known/jwks.json';

const VALID_ALGORITHMS: readonly TestAlgorithm[] = ['ES384', 'RS384', 'ES256', 'RS512', 'PS384'];

const issuers = new Map<TestAlgorithm, TestIssuer>();
const servers = new Map<TestAlgorithm, JwksServer>();
/** Same iss and kid as the ES384 issuer, different key pair. */
let imposter: TestIssuer;
/** A second trusted issuer, for per-issuer replay keys. */
let second: TestIssuer;
const started: JwksServer[] = [];

function issuer(alg: TestAlgorithm): TestIssuer {
  const found = issuers.get(alg);
  if (found === undefined) {
    throw new Error(`no test issuer for ${alg}`);
  }
  return found;
}

function server(alg: TestAlgorithm): JwksServer {
  const found = servers.get(alg);
  if (found === undefined) {
    throw new Error(`no JWKS server for ${alg}`);
  }
  return found;
}

async function serve(...args: Parameters<typeof serveJwks>): Promise<JwksServer> {
  const s = await serveJwks(...args);
  started.push(s);
  return s;
}

const inline = (i: TestIssuer): TrustedIssuer => ({ iss: i.iss, jwks: i.jwks });

function verifierFor(trusted: readonly TrustedIssuer[], options: Omit<JwtVerifierOptions, 'issuers'> = {}): JwtVerifier {
  return new JwtVerifier({ ...options, issuers: trusted });
}

/** The verifier's verdict: 'accepted', or the failure it rejected with. */
async function verdict(verifier: JwtVerifier, authorization: string | undefined, audience = AUD): Promise<JwtFailure | 'accepted'> {
  try {
    await verifier.verify(authorization, audience);
    return 'accepted';
  } catch (error) {
    if (error instanceof JwtError) {
      return error.failure;
    }
    throw error;
  }
}

const bearer = async (token: string | Promise<string>): Promise<string> => `Bearer ${await token}`;
const es384Token = (overrides?: TokenOverrides): Promise<string> => signToken(issuer('ES384'), AUD, overrides);
const claimsOf = (i: TestIssuer): Record<string, unknown> => {
  const iat = Math.floor(Date.now() / 1000);
  return { iss: i.iss, sub: TEST_SUBJECT, aud: AUD, iat, exp: iat + 300, jti: `jti-${iat}` };
};

beforeAll(async () => {
  // Key sets are served on loopback only: a fetch of any other jku (the Sandbox's) fails instead of leaving the machine.
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
  for (const alg of VALID_ALGORITHMS) {
    const i = await makeIssuer(alg);
    issuers.set(alg, i);
    servers.set(alg, await serve(i.jwks));
  }
  imposter = await makeIssuer('ES384', issuer('ES384').iss, issuer('ES384').kid);
  second = await makeIssuer('ES384', 'https://second-ehr.example.org', 'second-key');
});

afterAll(async () => {
  await Promise.all(started.map((s) => s.close()));
  nock.enableNetConnect();
  // nock patches node:http for the whole worker; later files in it must get the real one back.
  nock.restore();
});

describe('accepted algorithms', () => {
  test('the accepted algorithms are asymmetric and include the two CDS Hooks recommends', () => {
    expect(ACCEPTED_ALGORITHMS).toEqual(expect.arrayContaining(['ES384', 'RS384']));
    expect(ACCEPTED_ALGORITHMS.filter((alg) => !/^(ES|RS|PS)(256|384|512)$/.test(alg))).toEqual([]);
  });
});

describe('valid tokens', () => {
  const rows = VALID_ALGORITHMS.flatMap((alg) => [
    { alg, source: 'given inline' as const },
    { alg, source: 'served at its JWKS URL' as const },
  ]);

  test.each(rows)("a valid $alg token is accepted with the issuer's keys $source", async ({ alg, source }) => {
    const i = issuer(alg);
    const trusted: TrustedIssuer = source === 'given inline' ? inline(i) : { iss: i.iss, jwksUrl: server(alg).url };
    const token = await signToken(i, AUD, { claims: { jti: `valid-${alg}-${source}` } });

    const client = await verifierFor([trusted]).verify(`Bearer ${token}`, AUD);

    expect(client).toEqual<VerifiedClient>({ iss: i.iss, sub: TEST_SUBJECT, jti: `valid-${alg}-${source}`, alg, kid: i.kid });
  });

  test('a token whose aud is an array containing the called URL is accepted', async () => {
    const token = await es384Token({ claims: { aud: ['https://cds.example.org/cds-services', AUD] } });
    expect(await verdict(verifierFor([inline(issuer('ES384'))]), `Bearer ${token}`)).toBe('accepted');
  });

  test('the tenant claim is passed through to the verified client', async () => {
    const token = await es384Token({ claims: { tenant: 'hospital-a' } });
    const client = await verifierFor([inline(issuer('ES384'))]).verify(`Bearer ${token}`, AUD);
    expect(client.tenant).toBe('hospital-a');
  });

  test('the Bearer scheme is matched without regard to case', async () => {
    const token = await es384Token();
    expect(await verdict(verifierFor([inline(issuer('ES384'))]), `bearer ${token}`)).toBe('accepted');
  });

  test('a typ of "jwt" in lower case is accepted', async () => {
    const token = await es384Token({ header: { typ: 'jwt' } });
    expect(await verdict(verifierFor([inline(issuer('ES384'))]), `Bearer ${token}`)).toBe('accepted');
  });

  test('a verifier trusting several issuers picks the key set of the issuer the token names', async () => {
    const verifier = verifierFor([inline(issuer('RS384')), inline(issuer('ES384')), inline(second)]);
    expect(await verdict(verifier, await bearer(signToken(second, AUD)))).toBe('accepted');
    expect(await verdict(verifier, await bearer(signToken(issuer('RS384'), AUD)))).toBe('accepted');
  });
});

describe('rejected tokens', () => {
  interface Row {
    readonly name: string;
    readonly failure: JwtFailure;
    readonly authorization: () => Promise<string | undefined> | string | undefined;
    readonly audience?: string;
  }
  const nowSeconds = (): number => Math.floor(Date.now() / 1000);

  const rows: Row[] = [
    { name: 'a request without an Authorization header', failure: 'missing-token', authorization: () => undefined },
    { name: 'an empty Authorization header', failure: 'missing-token', authorization: () => '' },
    { name: 'a Basic Authorization header', failure: 'missing-token', authorization: () => 'Basic dXNlcjpwYXNz' },
    { name: 'a JWT sent without the Bearer scheme', failure: 'missing-token', authorization: () => es384Token() },
    { name: 'the Bearer scheme with no token', failure: 'missing-token', authorization: () => 'Bearer   ' },
    { name: 'a bearer token that is not a JWT', failure: 'malformed-token', authorization: () => 'Bearer not-a-jwt' },
    {
      name: 'a token whose header is not JSON',
      failure: 'malformed-token',
      authorization: () => `Bearer ${Buffer.from('not json').toString('base64url')}.e30.c2ln`,
    },
    { name: 'a five-part token (a JWE)', failure: 'malformed-token', authorization: () => 'Bearer aaa.bbb.ccc.ddd.eee' },
    {
      name: 'a token whose payload is not JSON',
      failure: 'malformed-token',
      authorization: async () => {
        const [header, , signature] = (await es384Token()).split('.');
        return `Bearer ${header ?? ''}.${Buffer.from('not json').toString('base64url')}.${signature ?? ''}`;
      },
    },
    {
      name: 'an unsigned token (alg none)',
      failure: 'algorithm-not-allowed',
      authorization: () => `Bearer ${unsignedToken(claimsOf(issuer('ES384')), { kid: issuer('ES384').kid })}`,
    },
    {
      name: 'an HS256 token signed with a shared secret',
      failure: 'algorithm-not-allowed',
      authorization: () => bearer(hs256Token('a-shared-secret-of-32-characters', claimsOf(issuer('ES384')))),
    },
    {
      name: "an HS256 token keyed with the issuer's public JWK (algorithm confusion)",
      failure: 'algorithm-not-allowed',
      authorization: () =>
        bearer(hs256Token(JSON.stringify(issuer('ES384').publicJwk), claimsOf(issuer('ES384')), { kid: issuer('ES384').kid })),
    },
    {
      name: 'a token whose header has no alg',
      failure: 'malformed-token',
      authorization: () => `Bearer ${unsignedToken(claimsOf(issuer('ES384')), { alg: undefined, kid: 'k' })}`,
    },
    { name: 'a token without a kid', failure: 'malformed-token', authorization: () => bearer(es384Token({ omit: ['kid'] })) },
    {
      name: 'a token whose typ is not JWT',
      failure: 'malformed-token',
      authorization: () => bearer(es384Token({ header: { typ: 'at+jwt' } })),
    },
    {
      name: 'a token with an unknown critical header parameter',
      failure: 'malformed-token',
      authorization: () => bearer(es384Token({ header: { crit: ['x-unknown'], 'x-unknown': true } })),
    },
    {
      name: "a token for another service's URL",
      failure: 'wrong-audience',
      authorization: () => bearer(signToken(issuer('ES384'), 'https://cds.example.org/cds-services/other')),
    },
    {
      name: 'a token whose aud array does not contain the called URL',
      failure: 'wrong-audience',
      authorization: () => bearer(es384Token({ claims: { aud: ['https://a.example.org', 'https://b.example.org'] } })),
    },
    {
      name: 'a token for the discovery endpoint presented to a service endpoint',
      failure: 'wrong-audience',
      authorization: () => bearer(signToken(issuer('ES384'), 'https://cds.example.org/cds-services')),
    },
    { name: 'an expired token', failure: 'expired', authorization: () => bearer(es384Token({ iatOffsetSeconds: -1000 })) },
    {
      name: 'a token issued ten minutes in the future',
      failure: 'issued-in-future',
      authorization: () => bearer(es384Token({ iatOffsetSeconds: 600 })),
    },
    {
      name: 'a token not valid before ten minutes from now',
      failure: 'issued-in-future',
      authorization: () => bearer(es384Token({ claims: { nbf: nowSeconds() + 600 } })),
    },
    {
      name: 'a token valid for an hour',
      failure: 'lifetime-too-long',
      authorization: () => bearer(es384Token({ expiresInSeconds: 3600 })),
    },
    {
      name: 'a token naming a kid the issuer does not have',
      failure: 'unknown-key',
      authorization: () => bearer(es384Token({ header: { kid: 'retired-key' } })),
    },
    {
      name: 'a token from an issuer that is not configured',
      failure: 'unknown-issuer',
      authorization: () => bearer(es384Token({ claims: { iss: 'https://unknown-ehr.example.org' } })),
    },
    {
      name: 'a token signed by another key with the same kid',
      failure: 'bad-signature',
      authorization: () => bearer(signToken(imposter, AUD)),
    },
    {
      name: 'a token whose payload was altered after signing',
      failure: 'bad-signature',
      authorization: async () => {
        const [header, , signature] = (await es384Token()).split('.');
        const [, payload] = (await es384Token({ claims: { sub: 'someone-else' } })).split('.');
        return `Bearer ${header ?? ''}.${payload ?? ''}.${signature ?? ''}`;
      },
    },
    ...(['jti', 'aud', 'iat', 'exp', 'iss'] as const).map(
      (claim): Row => ({
        name: `a token without ${claim}`,
        failure: 'missing-claim',
        authorization: () => bearer(es384Token({ omit: [claim] })),
      }),
    ),
    { name: 'a token with an empty jti', failure: 'missing-claim', authorization: () => bearer(es384Token({ claims: { jti: '' } })) },
    { name: 'a token whose jti is a number', failure: 'malformed-token', authorization: () => bearer(es384Token({ claims: { jti: 42 } })) },
    {
      name: 'a token whose exp is not a number',
      failure: 'malformed-token',
      authorization: () => bearer(es384Token({ claims: { exp: 'tomorrow' } })),
    },
    {
      name: 'a token whose tenant is not a string',
      failure: 'malformed-token',
      authorization: () => bearer(es384Token({ claims: { tenant: 7 } })),
    },
    {
      name: 'a token whose jku is not a string',
      failure: 'malformed-token',
      authorization: () => bearer(es384Token({ header: { jku: ['https://ehr.example.org/jwks.json'] } })),
    },
  ];

  test.each(rows)('$name is rejected as $failure', async ({ failure, authorization, audience }) => {
    const verifier = verifierFor([inline(issuer('ES384')), inline(second)]);
    expect(await verdict(verifier, await authorization(), audience)).toBe(failure);
  });

  test.each([
    { name: 'an unsigned token (alg none)', failure: 'algorithm-not-allowed', token: () => unsignedToken(claimsOf(issuer('ES384')), { kid: 'es384-key-1' }) },
    { name: 'an HS256 token', failure: 'algorithm-not-allowed', token: () => hs256Token('shared', claimsOf(issuer('ES384'))) },
    { name: 'a token from an unknown issuer', failure: 'unknown-issuer', token: () => es384Token({ claims: { iss: 'https://x.example.org' } }) },
  ])("$name is rejected as $failure without fetching the issuer's JWKS", async ({ failure, token }) => {
    const jwks = await serve(issuer('ES384').jwks);
    const verifier = verifierFor([{ iss: issuer('ES384').iss, jwksUrl: jwks.url }]);
    expect(await verdict(verifier, await bearer(token()))).toBe(failure);
    expect(jwks.requests()).toBe(0);
  });

  test('an empty audience is a programming error, not an accepted token', async () => {
    const token = await es384Token({ claims: { aud: '' } });
    await expect(verifierFor([inline(issuer('ES384'))]).verify(`Bearer ${token}`, '')).rejects.toThrow(TypeError);
  });

  test('error messages name the failure and never carry the token or a claim value', async () => {
    const verifier = verifierFor([inline(issuer('ES384'))]);
    const jti = 'secret-looking-jti-value';
    const cases = [
      await es384Token({ claims: { jti }, iatOffsetSeconds: -1000 }),
      await signToken(issuer('ES384'), 'https://cds.example.org/elsewhere', { claims: { jti } }),
      await signToken(imposter, AUD, { claims: { jti } }),
      await es384Token({ claims: { jti, iss: 'https://unknown-ehr.example.org' } }),
    ];
    for (const token of cases) {
      const error: unknown = await verifier.verify(`Bearer ${token}`, AUD).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(JwtError);
      const { message, failure, detail } = error as JwtError;
      expect(message).toBe(`CDS Client JWT rejected: ${failure}`);
      for (const secret of [token, jti, AUD, issuer('ES384').iss, 'unknown-ehr', TEST_SUBJECT]) {
        expect(`${message} ${detail ?? ''} ${String(error)}`).not.toContain(secret);
      }
    }
  });
});

describe('remote and jku key sets', () => {
  test('a token naming a kid missing from the served JWKS is rejected as unknown-key', async () => {
    const i = issuer('ES384');
    const verifier = verifierFor([{ iss: i.iss, jwksUrl: server('ES384').url }]);
    expect(await verdict(verifier, await bearer(signToken(i, AUD, { header: { kid: 'retired-key' } })))).toBe('unknown-key');
  });

  test('the served JWKS is fetched once for several tokens', async () => {
    const i = issuer('ES256');
    const jwks = await serve(i.jwks);
    const verifier = verifierFor([{ iss: i.iss, jwksUrl: jwks.url }]);
    for (let n = 0; n < 3; n += 1) {
      expect(await verdict(verifier, await bearer(signToken(i, AUD)))).toBe('accepted');
    }
    expect(jwks.requests()).toBe(1);
  });

  test('a token whose jku is on its issuer\'s allow list is verified with the keys served there', async () => {
    const i = issuer('ES384');
    const jku = await serve(i.jwks);
    const verifier = verifierFor([{ iss: i.iss, allowedJku: [jku.url] }]);
    const token = await signToken(i, AUD, { header: { jku: jku.url } });
    expect(await verdict(verifier, `Bearer ${token}`)).toBe('accepted');
    expect(jku.requests()).toBe(1);
  });

  test('a jku not on the allow list is never fetched, even when it serves a key with the right kid', async () => {
    const i = issuer('ES384');
    const attacker = await serve(imposter.jwks);
    const verifier = verifierFor([{ iss: i.iss, jwks: i.jwks, allowedJku: [server('ES384').url] }]);
    expect(await verdict(verifier, await bearer(signToken(imposter, AUD, { header: { jku: attacker.url } })))).toBe('bad-signature');
    expect(attacker.requests()).toBe(0);
    expect(await verdict(verifier, await bearer(signToken(imposter, AUD, { header: { jku: server('ES384').url } })))).toBe(
      'bad-signature',
    );
  });

  test('a kid that two keys of the JWK Set share is rejected as unknown-key', async () => {
    const i = issuer('ES384');
    const verifier = verifierFor([{ iss: i.iss, jwks: { keys: [i.publicJwk, imposter.publicJwk] } }]);
    expect(await verdict(verifier, await bearer(signToken(i, AUD)))).toBe('unknown-key');
  });

  test('a token without jku from an issuer trusted only through jku is rejected as unknown-key', async () => {
    const i = issuer('ES384');
    const verifier = verifierFor([{ iss: i.iss, allowedJku: [server('ES384').url] }]);
    expect(await verdict(verifier, await bearer(signToken(i, AUD)))).toBe('unknown-key');
  });

  test.each([
    { name: 'is down', behaviour: 'down' as const },
    { name: 'answers 500', behaviour: 'fail' as const },
    { name: 'never answers', behaviour: 'hang' as const },
    { name: 'sends its headers, then stalls the body', behaviour: 'stall' as const },
  ])('when the JWKS URL $name, a token is rejected as keys-unavailable', async ({ behaviour }) => {
    const i = issuer('ES384');
    const jwks = await serve(i.jwks, { behaviour: behaviour === 'down' ? 'serve' : behaviour });
    if (behaviour === 'down') {
      await jwks.close();
    }
    const verifier = verifierFor([{ iss: i.iss, jwksUrl: jwks.url }], { jwksTimeoutMs: 200 });
    const started = Date.now();
    expect(await verdict(verifier, await bearer(signToken(i, AUD)))).toBe('keys-unavailable');
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('where the keys come from: jku, allowedJku and the pinned key set', () => {
  /** The three key set servers of a row, fresh for each row so that their request counts are its own. */
  interface Servers {
    /** The issuer's jwksUrl. */
    readonly pinned: JwksServer;
    /** On the issuer's allowedJku. */
    readonly listed: JwksServer;
    /** Not on any list; serves the right key, so only the request count shows whether it was used. */
    readonly unlisted: JwksServer;
  }
  type Fetched = Readonly<Record<keyof Servers, number>>;
  interface Row {
    readonly name: string;
    readonly issuer: (s: Servers) => TrustedIssuer;
    readonly jku: (s: Servers) => string | undefined;
    readonly expected: JwtFailure | 'accepted';
    readonly fetched: Fetched;
    /** What the listed jku serves: the issuer's key (default) or another key under the same kid. */
    readonly listedServes?: 'issuer' | 'imposter';
  }
  const none: Fetched = { pinned: 0, listed: 0, unlisted: 0 };
  const i = (): TestIssuer => issuer('ES384');
  const rows: Row[] = [
    { name: 'pinned inline keys, no jku', issuer: () => inline(i()), jku: () => undefined, expected: 'accepted', fetched: none },
    { name: 'pinned inline keys, a jku not listed', issuer: () => inline(i()), jku: (s) => s.unlisted.url, expected: 'accepted', fetched: none },
    { name: "pinned inline keys, the Sandbox's jku (not reachable from here)", issuer: () => inline(i()), jku: () => SANDBOX_JKU, expected: 'accepted', fetched: none },
    { name: 'pinned inline keys and allowedJku, a listed jku', issuer: (s) => ({ ...inline(i()), allowedJku: [s.listed.url] }), jku: (s) => s.listed.url, expected: 'accepted', fetched: { ...none, listed: 1 } },
    { name: 'pinned inline keys and allowedJku, a jku not listed', issuer: (s) => ({ ...inline(i()), allowedJku: [s.listed.url] }), jku: (s) => s.unlisted.url, expected: 'accepted', fetched: none },
    {
      name: 'pinned inline keys and allowedJku, a listed jku serving another key under the kid',
      issuer: (s) => ({ ...inline(i()), allowedJku: [s.listed.url] }),
      jku: (s) => s.listed.url,
      listedServes: 'imposter',
      expected: 'bad-signature',
      fetched: { ...none, listed: 1 },
    },
    { name: 'a pinned jwksUrl, no jku', issuer: (s) => ({ iss: i().iss, jwksUrl: s.pinned.url }), jku: () => undefined, expected: 'accepted', fetched: { ...none, pinned: 1 } },
    { name: 'a pinned jwksUrl, a jku not listed', issuer: (s) => ({ iss: i().iss, jwksUrl: s.pinned.url }), jku: (s) => s.unlisted.url, expected: 'accepted', fetched: { ...none, pinned: 1 } },
    { name: 'a pinned jwksUrl and allowedJku, a listed jku', issuer: (s) => ({ iss: i().iss, jwksUrl: s.pinned.url, allowedJku: [s.listed.url] }), jku: (s) => s.listed.url, expected: 'accepted', fetched: { ...none, listed: 1 } },
    { name: 'allowedJku only, a listed jku', issuer: (s) => ({ iss: i().iss, allowedJku: [s.listed.url] }), jku: (s) => s.listed.url, expected: 'accepted', fetched: { ...none, listed: 1 } },
    { name: 'allowedJku only, a jku not listed', issuer: (s) => ({ iss: i().iss, allowedJku: [s.listed.url] }), jku: (s) => s.unlisted.url, expected: 'jku-not-allowed', fetched: none },
    { name: 'allowedJku only, a listed jku with a trailing slash added', issuer: (s) => ({ iss: i().iss, allowedJku: [s.listed.url] }), jku: (s) => `${s.listed.url}/`, expected: 'jku-not-allowed', fetched: none },
    { name: 'allowedJku only, no jku', issuer: (s) => ({ iss: i().iss, allowedJku: [s.listed.url] }), jku: () => undefined, expected: 'unknown-key', fetched: none },
  ];

  test.each(rows)('with $name, the token is $expected', async ({ issuer: trusted, jku, expected, fetched, listedServes }) => {
    const servers: Servers = { pinned: await serve(i().jwks), listed: await serve(listedServes === 'imposter' ? imposter.jwks : i().jwks), unlisted: await serve(i().jwks) };
    const header = jku(servers);
    const token = await es384Token(header === undefined ? {} : { header: { jku: header } });
    expect(await verdict(verifierFor([trusted(servers)]), `Bearer ${token}`)).toBe(expected);
    expect({ pinned: servers.pinned.requests(), listed: servers.listed.requests(), unlisted: servers.unlisted.requests() }).toEqual(fetched);
  });
});

describe('a token shaped as the CDS Hooks Sandbox sends it, verified against its issuer\u2019s pinned JWK Set', () => {
  // The Sandbox (github.com/cds-hooks/sandbox) signs ES384 with header { alg, typ: "JWT", kid: <a UUID>,
  // jku: its public JWK Set } and claims { iss, aud: the URL called, exp: iat + 300, iat, jti: <a UUID> },
  // no sub. Our own key stands in for its key; the JWK Set has the members of the Sandbox's (kty, use, crv,
  // kid, x, y, alg).
  let sandbox: TestIssuer;
  let sandboxImposter: TestIssuer;
  beforeAll(async () => {
    const kid = randomUUID();
    sandbox = await makeIssuer('ES384', SANDBOX_ISS, kid);
    sandboxImposter = await makeIssuer('ES384', SANDBOX_ISS, kid);
  });

  /** A token as the Sandbox makes it for `aud`: jku in the header, exp and iat rounded to the second, no sub. */
  const sandboxToken = (signer: TestIssuer = sandbox, overrides: { aud?: string; kid?: string; iatOffsetSeconds?: number; jti?: string } = {}): Promise<string> => {
    const iat = Math.round(Date.now() / 1000) + (overrides.iatOffsetSeconds ?? 0);
    return signToken(signer, overrides.aud ?? AUD, {
      header: { alg: 'ES384', typ: 'JWT', kid: overrides.kid ?? signer.kid, jku: SANDBOX_JKU },
      claims: { iss: SANDBOX_ISS, iat, exp: iat + 300, jti: overrides.jti ?? randomUUID() },
      omit: ['sub'],
    });
  };

  interface Row {
    readonly name: string;
    readonly token: () => Promise<string>;
    /** How many times the same token is presented; the verdict is the last one's. Default 1. */
    readonly times?: number;
    readonly expected: JwtFailure | 'accepted';
  }
  const rows: Row[] = [
    { name: 'as the Sandbox sends it', token: () => sandboxToken(), expected: 'accepted' },
    {
      name: 'with its payload altered after signing',
      token: async () => {
        const [header, , signature] = (await sandboxToken()).split('.');
        const [, payload] = (await sandboxToken(sandbox, { aud: 'https://cds.example.org/cds-services/other' })).split('.');
        return `${header ?? ''}.${payload ?? ''}.${signature ?? ''}`;
      },
      expected: 'bad-signature',
    },
    { name: 'signed by another key under the Sandbox\u2019s kid', token: () => sandboxToken(sandboxImposter), expected: 'bad-signature' },
    { name: 'for another URL', token: () => sandboxToken(sandbox, { aud: 'https://cds.example.org/cds-services/other' }), expected: 'wrong-audience' },
    { name: 'expired', token: () => sandboxToken(sandbox, { iatOffsetSeconds: -900 }), expected: 'expired' },
    { name: 'presented twice', token: () => sandboxToken(), times: 2, expected: 'replayed' },
    { name: 'naming a kid its JWK Set does not hold', token: () => sandboxToken(sandbox, { kid: randomUUID() }), expected: 'unknown-key' },
  ];

  // Network access is loopback only (above): had the verifier fetched the Sandbox's jku, the verdict would be keys-unavailable.
  test.each(rows)('a Sandbox token $name gives $expected, without fetching its jku', async ({ token, times, expected }) => {
    const verifier = verifierFor([{ iss: SANDBOX_ISS, jwks: sandbox.jwks }]);
    const authorization = `Bearer ${await token()}`;
    let result: JwtFailure | 'accepted' = 'accepted';
    for (let n = 0; n < (times ?? 1); n += 1) {
      result = await verdict(verifier, authorization);
    }
    expect(result).toBe(expected);
  });

  test('an accepted Sandbox token gives the client its iss, kid and jti, and no sub', async () => {
    const jti = randomUUID();
    const client = await verifierFor([{ iss: SANDBOX_ISS, jwks: sandbox.jwks }]).verify(`Bearer ${await sandboxToken(sandbox, { jti })}`, AUD);
    expect(client).toEqual<VerifiedClient>({ iss: SANDBOX_ISS, jti, alg: 'ES384', kid: sandbox.kid });
  });

  test('a Sandbox token is verified against a pinned jwksUrl too, without fetching its jku', async () => {
    const pinned = await serve(sandbox.jwks);
    expect(await verdict(verifierFor([{ iss: SANDBOX_ISS, jwksUrl: pinned.url }]), `Bearer ${await sandboxToken()}`)).toBe('accepted');
    expect(pinned.requests()).toBe(1);
  });

  test('a Sandbox token is refused as jku-not-allowed by an issuer with neither a pinned key set nor its jku on allowedJku', async () => {
    const other = await serve(sandbox.jwks);
    expect(await verdict(verifierFor([{ iss: SANDBOX_ISS, allowedJku: [other.url] }]), `Bearer ${await sandboxToken()}`)).toBe('jku-not-allowed');
    expect(other.requests()).toBe(0);
  });
});

describe('replay protection', () => {
  test('the same token presented twice is rejected the second time as replayed', async () => {
    const verifier = verifierFor([inline(issuer('ES384'))]);
    const authorization = await bearer(es384Token());
    expect(await verdict(verifier, authorization)).toBe('accepted');
    expect(await verdict(verifier, authorization)).toBe('replayed');
  });

  test('of two concurrent requests with the same token, exactly one is accepted', async () => {
    const verifier = verifierFor([inline(issuer('ES384'))]);
    const authorization = await bearer(es384Token());
    const verdicts = await Promise.all([verdict(verifier, authorization), verdict(verifier, authorization)]);
    expect([...verdicts].sort()).toEqual(['accepted', 'replayed']);
  });

  test('a new token reusing a jti is rejected as replayed', async () => {
    const verifier = verifierFor([inline(issuer('ES384'))]);
    expect(await verdict(verifier, await bearer(es384Token({ claims: { jti: 'reused' } })))).toBe('accepted');
    expect(await verdict(verifier, await bearer(es384Token({ claims: { jti: 'reused', sub: 'other-client' } })))).toBe('replayed');
  });

  test('the same jti from two different issuers is accepted for each', async () => {
    const verifier = verifierFor([inline(issuer('ES384')), inline(second)]);
    expect(await verdict(verifier, await bearer(es384Token({ claims: { jti: 'shared' } })))).toBe('accepted');
    expect(await verdict(verifier, await bearer(signToken(second, AUD, { claims: { jti: 'shared' } })))).toBe('accepted');
  });

  test.each([
    { name: 'a wrong audience', overrides: { claims: { jti: 'first-use', aud: 'https://elsewhere.example.org' } } },
    { name: 'an expired token', overrides: { claims: { jti: 'first-use' }, iatOffsetSeconds: -1000 } },
    { name: 'a too long lifetime', overrides: { claims: { jti: 'first-use' }, expiresInSeconds: 3600 } },
  ])('the jti of a token rejected for $name is not recorded', async ({ overrides }) => {
    const verifier = verifierFor([inline(issuer('ES384'))]);
    expect(await verdict(verifier, await bearer(es384Token(overrides)))).not.toBe('accepted');
    expect(await verdict(verifier, await bearer(es384Token({ claims: { jti: 'first-use' } })))).toBe('accepted');
  });

  test('a jti signed by an imposter is not recorded, so the real client can still use it', async () => {
    const verifier = verifierFor([inline(issuer('ES384'))]);
    expect(await verdict(verifier, await bearer(signToken(imposter, AUD, { claims: { jti: 'taken' } })))).toBe('bad-signature');
    expect(await verdict(verifier, await bearer(es384Token({ claims: { jti: 'taken' } })))).toBe('accepted');
  });

  test('past its capacity the cache still serves and still rejects a replay of a recent token', async () => {
    const verifier = verifierFor([inline(issuer('ES384'))], { replayCacheSize: 3 });
    const tokens = await Promise.all(Array.from({ length: 10 }, () => bearer(es384Token())));
    for (const authorization of tokens) {
      expect(await verdict(verifier, authorization)).toBe('accepted');
    }
    for (const authorization of tokens.slice(-3)) {
      expect(await verdict(verifier, authorization)).toBe('replayed');
    }
  });

  test('when full, the cache drops the least recently accepted entry, expired or not', async () => {
    let now = T0;
    const verifier = verifierFor([inline(issuer('ES384'))], { replayCacheSize: 3, now: () => now });
    const at = (overrides: TokenOverrides): Promise<string> => bearer(es384Token({ now, ...overrides }));
    // Held until exp + 60 s: a until T0+360, b until T0+90, c until T0+180.
    const a = await at({ expiresInSeconds: 300 });
    const b = await at({ expiresInSeconds: 30 });
    const c = await at({ expiresInSeconds: 120 });
    for (const token of [a, b, c]) {
      expect(await verdict(verifier, token)).toBe('accepted');
    }

    now = T0 + 100_000;
    const d = await at({}); // evicts a, the least recently accepted, although b has expired and a has not
    expect(await verdict(verifier, d)).toBe('accepted');
    for (const token of [c, d]) {
      expect(await verdict(verifier, token)).toBe('replayed');
    }
    expect(await verdict(verifier, b)).toBe('expired');
    // The documented degradation: the evicted entry's token is accepted again (and evicts b).
    expect(await verdict(verifier, a)).toBe('accepted');
    for (const token of [a, c, d]) {
      expect(await verdict(verifier, token)).toBe('replayed');
    }
  });

  test.each([
    { name: 'one millisecond before the hold ends', afterMs: 89_999, expected: 'replayed' },
    { name: 'when the hold ends', afterMs: 90_000, expected: 'replayed' },
    { name: 'one millisecond after the hold ends', afterMs: 90_001, expected: 'accepted' },
  ] as const)('a new token reusing a jti $name (exp plus the tolerance) is $expected', async ({ afterMs, expected }) => {
    let now = T0;
    const verifier = verifierFor([inline(issuer('ES384'))], { now: () => now });
    expect(await verdict(verifier, await bearer(es384Token({ now, expiresInSeconds: 30, claims: { jti: 'reused' } })))).toBe('accepted');
    now = T0 + afterMs;
    expect(await verdict(verifier, await bearer(es384Token({ now, claims: { jti: 'reused' } })))).toBe(expected);
  });
});

describe('clock tolerance', () => {
  interface Row {
    readonly name: string;
    readonly tolerance?: number;
    readonly overrides: TokenOverrides;
    readonly expected: JwtFailure | 'accepted';
  }
  const rows: Row[] = [
    { name: 'a token that expired 59 s ago is accepted with the default 60 s tolerance', overrides: { iatOffsetSeconds: -359 }, expected: 'accepted' },
    { name: 'a token that expired 60 s ago is rejected with the default 60 s tolerance', overrides: { iatOffsetSeconds: -360 }, expected: 'expired' },
    { name: 'a token issued 60 s ahead is accepted with the default 60 s tolerance', overrides: { iatOffsetSeconds: 60 }, expected: 'accepted' },
    { name: 'a token issued 61 s ahead is rejected with the default 60 s tolerance', overrides: { iatOffsetSeconds: 61 }, expected: 'issued-in-future' },
    { name: 'a lifetime of 300 s plus the 60 s tolerance is accepted', overrides: { expiresInSeconds: 360 }, expected: 'accepted' },
    { name: 'a lifetime of 361 s is rejected with the default limits', overrides: { expiresInSeconds: 361 }, expected: 'lifetime-too-long' },
    { name: 'with no tolerance, a token expiring now is rejected', tolerance: 0, overrides: { iatOffsetSeconds: -300 }, expected: 'expired' },
    { name: 'with no tolerance, a token expiring in 1 s is accepted', tolerance: 0, overrides: { iatOffsetSeconds: -299 }, expected: 'accepted' },
    { name: 'with no tolerance, a token issued 1 s ahead is rejected', tolerance: 0, overrides: { iatOffsetSeconds: 1 }, expected: 'issued-in-future' },
    { name: 'with no tolerance, a lifetime of 301 s is rejected', tolerance: 0, overrides: { expiresInSeconds: 301 }, expected: 'lifetime-too-long' },
  ];

  test.each(rows)('$name', async ({ tolerance, overrides, expected }) => {
    const verifier = verifierFor([inline(issuer('ES384'))], { now: () => T0, clockToleranceSeconds: tolerance });
    expect(await verdict(verifier, await bearer(es384Token({ ...overrides, now: T0 })))).toBe(expected);
  });

  test("the verifier's clock, not the system clock, decides whether a token is current", async () => {
    const token = await bearer(es384Token({ now: T0 }));
    expect(await verdict(verifierFor([inline(issuer('ES384'))]), token)).toBe('expired');
    expect(await verdict(verifierFor([inline(issuer('ES384'))], { now: () => T0 + 1000 }), token)).toBe('accepted');
  });
});

describe('configuration', () => {
  const base = (): TestIssuer => issuer('ES384');
  test.each([
    { name: 'a JWKS URL over plain http to another host', issuers: () => [{ iss: base().iss, jwksUrl: 'http://ehr.example.org/jwks' }] },
    { name: 'a jku allowed over plain http to another host', issuers: () => [{ iss: base().iss, allowedJku: ['http://ehr.example.org/jwks'] }] },
    { name: 'a JWKS URL that is not a URL', issuers: () => [{ iss: base().iss, jwksUrl: 'jwks.json' }] },
    { name: 'the same issuer twice', issuers: () => [inline(base()), inline(base())] },
    { name: 'an issuer without keys', issuers: () => [{ iss: base().iss }] },
    { name: 'an issuer with both jwks and jwksUrl', issuers: () => [{ ...inline(base()), jwksUrl: 'https://ehr.example.org/jwks' }] },
    { name: 'a private key in an inline JWKS', issuers: () => [{ iss: base().iss, jwks: { keys: [{ ...base().publicJwk, d: 'AAAA' }] } }] },
    { name: 'a symmetric key in an inline JWKS', issuers: () => [{ iss: base().iss, jwks: { keys: [{ kty: 'oct', k: 'AAAA' }] } }] },
    { name: 'an empty iss', issuers: () => [{ ...inline(base()), iss: '' }] },
  ])('a verifier configured with $name is refused at construction', ({ issuers: trusted }) => {
    expect(() => verifierFor(trusted())).toThrow(/JwtVerifier/);
  });

  test.each([
    { name: 'a negative clock tolerance', options: { clockToleranceSeconds: -1 } },
    { name: 'a zero maximum lifetime', options: { maxLifetimeSeconds: 0 } },
    { name: 'a fractional replay cache size', options: { replayCacheSize: 2.5 } },
    { name: 'a zero JWKS timeout', options: { jwksTimeoutMs: 0 } },
  ])('a verifier configured with $name is refused at construction', ({ options }) => {
    expect(() => verifierFor([inline(base())], options)).toThrow(RangeError);
  });

  test('JWKS URLs over http are accepted for 127.0.0.1 and localhost', () => {
    expect(() =>
      verifierFor([
        { iss: 'https://a.example.org', jwksUrl: 'http://127.0.0.1:9/jwks.json' },
        { iss: 'https://b.example.org', jwksUrl: 'http://localhost:9/jwks.json', allowedJku: ['http://[::1]:9/jwks.json'] },
      ]),
    ).not.toThrow();
  });
});

describe('the optional sub claim', () => {
  test('a token without sub is accepted, since CDS Hooks 2.0 does not require it', async () => {
    const issuer = await makeIssuer('ES384');
    const verifier = new JwtVerifier({ issuers: [{ iss: issuer.iss, jwks: issuer.jwks }] });
    const client = await verifier.verify(`Bearer ${await signToken(issuer, 'https://cds.example.org/cds-services/x', { omit: ['sub'] })}`, 'https://cds.example.org/cds-services/x');
    expect(client.sub).toBeUndefined();
  });
});
