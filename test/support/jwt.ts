/**
 * A CDS Client stand-in for tests: key pairs, signed (and deliberately bad) CDS Hooks JWTs, and a
 * real JWKS server on 127.0.0.1 so that remote key sets are fetched over HTTP, not mocked.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CompactSign, exportJWK, generateKeyPair } from 'jose';
import type { CompactJWSHeaderParameters, JWK, KeyLike } from 'jose';

export type TestAlgorithm = 'ES256' | 'ES384' | 'ES512' | 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512';

/** A CDS Client with one signing key. */
export interface TestIssuer {
  readonly iss: string;
  readonly kid: string;
  readonly alg: TestAlgorithm;
  readonly privateKey: KeyLike;
  /** The public key as a JWK, with `kid`, `alg` and `use: "sig"`. */
  readonly publicJwk: JWK;
  /** `{ keys: [publicJwk] }`. */
  readonly jwks: { keys: JWK[] };
}

/** The `sub` of every token `signToken` makes unless overridden. */
export const TEST_SUBJECT = 'test-ehr-client';

/**
 * A new key pair for `alg` (RSA keys are 2048 bits). The issuer defaults to
 * `https://ehr-<alg>.example.org` and the kid to `<alg>-key-1`, both lower case.
 */
export async function makeIssuer(alg: TestAlgorithm, iss?: string, kid?: string): Promise<TestIssuer> {
  const name = alg.toLowerCase();
  const { privateKey, publicKey } = await generateKeyPair(alg);
  const keyId = kid ?? `${name}-key-1`;
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid: keyId, alg, use: 'sig' };
  return {
    iss: iss ?? `https://ehr-${name}.example.org`,
    kid: keyId,
    alg,
    privateKey,
    publicJwk,
    jwks: { keys: [publicJwk] },
  };
}

export interface TokenOverrides {
  /** Merged over `{ alg, typ: "JWT", kid }`. Extensions named in `crit` are signed as given. */
  header?: Record<string, unknown>;
  /** Merged over the default claims. */
  claims?: Record<string, unknown>;
  /** Names removed from the claims and from the header (`alg` stays). */
  omit?: string[];
  /** `iat` is now plus this. Default 0. */
  iatOffsetSeconds?: number;
  /** `exp` is `iat` plus this. Default 300. */
  expiresInSeconds?: number;
  /** "Now" in epoch milliseconds, for tests with a fixed clock. Default `Date.now()`. */
  now?: number;
}

const encodeJson = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * A CDS Hooks JWT signed by `issuer` for `audience`: `iss`, `sub` "test-ehr-client", `aud`, `iat`
 * now, `exp` five minutes later and a fresh random `jti`, with header `{ alg, typ: "JWT", kid }`;
 * then the overrides.
 */
export async function signToken(issuer: TestIssuer, audience: string, overrides: TokenOverrides = {}): Promise<string> {
  const iat = Math.floor((overrides.now ?? Date.now()) / 1000) + (overrides.iatOffsetSeconds ?? 0);
  const claims: Record<string, unknown> = {
    iss: issuer.iss,
    sub: TEST_SUBJECT,
    aud: audience,
    iat,
    exp: iat + (overrides.expiresInSeconds ?? 300),
    jti: randomUUID(),
    ...overrides.claims,
  };
  const header: Record<string, unknown> = { alg: issuer.alg, typ: 'JWT', kid: issuer.kid, ...overrides.header };
  for (const name of overrides.omit ?? []) {
    delete claims[name];
    if (name !== 'alg') {
      delete header[name];
    }
  }
  // jose signs a `crit` header only when told the extensions are understood.
  const crit = Array.isArray(header['crit']) ? header['crit'].filter((name): name is string => typeof name === 'string') : [];
  return new CompactSign(Buffer.from(JSON.stringify(claims)))
    .setProtectedHeader(header as CompactJWSHeaderParameters)
    .sign(issuer.privateKey, { crit: Object.fromEntries(crit.map((name) => [name, true])) });
}

/** An unsecured JWT (`alg: "none"`, empty signature). */
export function unsignedToken(claims: Record<string, unknown>, header: Record<string, unknown> = {}): string {
  return `${encodeJson({ alg: 'none', typ: 'JWT', ...header })}.${encodeJson(claims)}.`;
}

/** A JWT signed with HMAC SHA-256 under a shared secret (kid "hs256-key" unless the header says otherwise). */
export async function hs256Token(
  secret: string,
  claims: Record<string, unknown>,
  header: Record<string, unknown> = {},
): Promise<string> {
  return new CompactSign(Buffer.from(JSON.stringify(claims)))
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: 'hs256-key', ...header } as CompactJWSHeaderParameters)
    .sign(Buffer.from(secret));
}

export interface JwksServer {
  /** `http://127.0.0.1:<port>/jwks.json` */
  readonly url: string;
  /** How many requests the server has received. */
  requests(): number;
  /** Serves another key set from now on (key rotation). */
  setJwks(jwks: { keys: JWK[] }): void;
  /** Stops the server; calling it again does nothing. */
  close(): Promise<void>;
}

export interface JwksServerOptions {
  /**
   * `serve` (default) answers 200 with the key set; `fail` answers 500; `hang` never answers; `stall`
   * sends the 200 headers and the start of the body, then nothing more.
   */
  readonly behaviour?: 'serve' | 'fail' | 'hang' | 'stall';
}

/** A real node:http server on 127.0.0.1 (random port) serving `jwks` at `/jwks.json`. */
export async function serveJwks(jwks: { keys: JWK[] }, options: JwksServerOptions = {}): Promise<JwksServer> {
  let current = jwks;
  let count = 0;
  const behaviour = options.behaviour ?? 'serve';
  const server = createServer((req, res) => {
    count += 1;
    if (behaviour === 'hang') {
      return;
    }
    if (behaviour === 'stall') {
      res.writeHead(200, { 'content-type': 'application/json' }).write('{"keys":');
      return;
    }
    if (behaviour === 'fail') {
      res.writeHead(500, { 'content-type': 'text/plain' }).end('unavailable');
      return;
    }
    if (req.url !== '/jwks.json') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(current));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/jwks.json`,
    requests: () => count,
    setJwks(next) {
      current = next;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        if (!server.listening) {
          resolve();
          return;
        }
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
