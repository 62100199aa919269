/**
 * Verification of the JWT a CDS Client presents with every CDS Hooks request (CDS Hooks 2.0,
 * "Trusting CDS Clients", https://cds-hooks.hl7.org/2.0/#trusting-cds-clients): an allowlist of
 * issuers, each with its JWK Set (inline, at a configured URL, or at an allowlisted `jku`),
 * asymmetric algorithms only, `aud` equal to the URL that was called, short-lived tokens and a
 * `jti` replay cache.
 *
 * Errors are `JwtError`s carrying a `JwtFailure` name; their messages never contain the token, a
 * key or a claim value, and the underlying jose error (whose `payload` holds every claim) is not
 * attached.
 */
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, decodeProtectedHeader, errors, jwtVerify } from 'jose';
import type { JWTPayload, JWTVerifyGetKey } from 'jose';
import { LRUCache } from 'lru-cache';
import type { TrustedIssuer } from '../config';

/**
 * Signature algorithms accepted in the JWT header, checked before any key is looked up.
 *
 * ES384 and RS384 are the ones CDS Hooks 2.0 recommends; their SHA-256 and SHA-512 siblings and the
 * RSASSA-PSS family (PS256/384/512, the same RSA keys with a stronger padding scheme) are accepted
 * too, since the specification leaves the choice to the service and all of them are asymmetric.
 * `none` and every HMAC (HS*) algorithm are refused, as the specification requires. EdDSA is not
 * accepted (no CDS Client is known to use it; add it here if one does).
 */
export const ACCEPTED_ALGORITHMS: readonly string[] = Object.freeze([
  'ES256',
  'ES384',
  'ES512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
]);

/** A CDS Client (or the identity provider issuing its tokens) that this service trusts. */
export type { TrustedIssuer } from '../config';

export interface JwtVerifierOptions {
  readonly issuers: readonly TrustedIssuer[];
  /** Allowed clock skew for `exp`, `iat` and `nbf`, and slack on the lifetime limit. Default 60. */
  readonly clockToleranceSeconds?: number | undefined;
  /** Longest accepted `exp - iat` (plus the clock tolerance). Default 300. */
  readonly maxLifetimeSeconds?: number | undefined;
  /**
   * Most `iss`+`jti` pairs remembered for replay detection. Default 100 000. When full, the least
   * recently accepted pair is forgotten, expired or not (see `JwtVerifier`). The slots are allocated
   * up front, about 44 bytes each (4.4 MB at the default), before any key is stored.
   */
  readonly replayCacheSize?: number | undefined;
  /** The clock, in epoch milliseconds (tests). Default `Date.now`. */
  readonly now?: (() => number) | undefined;
  /** Deadline for one remote JWKS fetch, in milliseconds. Default 1500. */
  readonly jwksTimeoutMs?: number | undefined;
}

/** Why a token was refused. Every failure means HTTP 401 for the caller. */
export type JwtFailure =
  /** No Authorization header, or not the Bearer scheme, or Bearer with no token. */
  | 'missing-token'
  /** Not a compact JWS, undecodable header or payload, no `kid`, `typ` other than JWT, or a claim of the wrong type. */
  | 'malformed-token'
  /** `alg` is not one of `ACCEPTED_ALGORITHMS` (e.g. `none`, HS256). */
  | 'algorithm-not-allowed'
  /** `iss` is not a configured issuer. */
  | 'unknown-issuer'
  /** A `jku` header not on the issuer's `allowedJku`, from an issuer with no pinned key set (`jwks` / `jwksUrl`) to fall back on. */
  | 'jku-not-allowed'
  /** No key in the issuer's JWK Set matches `kid` (and `alg`), or several do. */
  | 'unknown-key'
  /** The signature does not verify with the issuer's key. */
  | 'bad-signature'
  /** `aud` is not (and does not contain) the URL that was called. */
  | 'wrong-audience'
  /** `exp` is in the past beyond the clock tolerance. */
  | 'expired'
  /** `iat` (or `nbf`) is in the future beyond the clock tolerance. */
  | 'issued-in-future'
  /** `exp - iat` exceeds the maximum lifetime. */
  | 'lifetime-too-long'
  /** One of iss, aud, exp, iat, jti is absent, or iss or jti is an empty string. */
  | 'missing-claim'
  /** This issuer's `jti` was already accepted and has not yet expired. */
  | 'replayed'
  /** The issuer's remote JWK Set could not be fetched or used (network, timeout, HTTP error, bad JSON). */
  | 'keys-unavailable';

/**
 * A refused token. The message names the failure only; `detail`, when present, is an error code
 * from jose or Node (e.g. `ERR_JWKS_TIMEOUT`, `ECONNREFUSED`) for the logs, never a value from the
 * token.
 */
export class JwtError extends Error {
  override readonly name = 'JwtError';
  readonly failure: JwtFailure;
  readonly detail: string | undefined;

  constructor(failure: JwtFailure, detail?: string) {
    super(`CDS Client JWT rejected: ${failure}`);
    this.failure = failure;
    this.detail = detail;
  }
}

/** The authenticated CDS Client, from a verified token. */
export interface VerifiedClient {
  readonly iss: string;
  /** The client id, when the token names it (CDS Hooks 2.0 does not require `sub`). */
  readonly sub?: string;
  readonly jti: string;
  readonly tenant?: string;
  readonly alg: string;
  readonly kid: string;
}

const DEFAULT_CLOCK_TOLERANCE_SECONDS = 60;
const DEFAULT_MAX_LIFETIME_SECONDS = 300;
const DEFAULT_REPLAY_CACHE_SIZE = 100_000;
const DEFAULT_JWKS_TIMEOUT_MS = 1500;
/** Far above any CDS Hooks JWT (an RS512 token with a 4096-bit key is under 2 KiB). */
const MAX_TOKEN_LENGTH = 16_384;
// CDS Hooks 2.0 lists iss, aud, exp, iat and jti as required; `sub` (the client id) is read when present.
const REQUIRED_CLAIMS = ['iss', 'aud', 'exp', 'iat', 'jti'];
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', 'localhost', '[::1]']);
const SAFE_CODE = /^[A-Za-z0-9_]{1,64}$/;

/** An error's `code` when it is a plain identifier (jose and Node codes are), for `JwtError.detail`. */
function codeOf(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const { code } = error;
    if (typeof code === 'string' && SAFE_CODE.test(code)) {
      return code;
    }
  }
  return error instanceof Error && SAFE_CODE.test(error.name) ? error.name : undefined;
}

/** Where a token's verification key comes from. */
type KeySource = JWTVerifyGetKey;

interface IssuerKeys {
  readonly iss: string;
  /** The pinned key set, from `jwks` or `jwksUrl`: for tokens without `jku` or with a `jku` not on `allowedJku`. */
  readonly keys: KeySource | undefined;
  /** Allowed `jku` value → its key source. */
  readonly jku: ReadonlyMap<string, KeySource>;
}

/** Header fields read before verification, already type-checked. */
interface CheckedHeader {
  readonly alg: string;
  readonly kid: string;
  readonly jku: string | undefined;
}

function positive(value: number | undefined, fallback: number, name: string, allowZero = false): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v < 0 || (v === 0 && !allowZero)) {
    throw new RangeError(`JwtVerifier: ${name} must be a ${allowZero ? 'non-negative' : 'positive'} number`);
  }
  return v;
}

/** A JWKS location from configuration: https, or http on the loopback interface only. */
function keySetUrl(value: string, iss: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`JwtVerifier: ${what} of issuer ${iss} is not a URL`);
  }
  if (url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))) {
    return url;
  }
  throw new Error(`JwtVerifier: ${what} of issuer ${iss} must be https (http only for 127.0.0.1 or localhost)`);
}

/** Key lookup failures as `JwtError`s: no matching key, or a key set that could not be had. */
function keyFailure(error: unknown): JwtError {
  if (error instanceof JwtError) {
    return error;
  }
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return new JwtError('unknown-key', codeOf(error));
  }
  return new JwtError('keys-unavailable', codeOf(error));
}

/**
 * Wraps a jose key set so that its failures arrive as `JwtError`s, and a remote one keeps a deadline.
 *
 * The deadline is not a duplicate of jose's `timeoutDuration` (which is passed too): in jose 5's
 * Node build that option only bounds the wait for the response headers, so a JWKS server that sends
 * its headers and then stalls or trickles the body would hold the request for as long as the
 * connection lives. This race bounds the whole lookup.
 */
function keySource(getKey: JWTVerifyGetKey, deadlineMs: number | undefined): KeySource {
  return async (header, token) => {
    let timer: NodeJS.Timeout | undefined;
    try {
      const lookup = Promise.resolve(getKey(header, token));
      if (deadlineMs === undefined) {
        return await lookup;
      }
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new JwtError('keys-unavailable', 'JWKS_DEADLINE')), deadlineMs);
        timer.unref();
      });
      return await Promise.race([lookup, deadline]);
    } catch (error) {
      throw keyFailure(error);
    } finally {
      clearTimeout(timer);
    }
  };
}

/** jose's verification errors as `JwtFailure`s. Note `JWTExpired` is not a `JWTClaimValidationFailed`. */
function verificationFailure(error: unknown): JwtError {
  if (error instanceof JwtError) {
    return error;
  }
  const code = codeOf(error);
  if (error instanceof errors.JWTExpired) {
    return new JwtError('expired', code);
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === 'missing') {
      return new JwtError('missing-claim', error.claim);
    }
    if (error.reason === 'check_failed') {
      switch (error.claim) {
        case 'aud':
          return new JwtError('wrong-audience', code);
        case 'iss':
          return new JwtError('unknown-issuer', code);
        case 'iat':
        case 'nbf':
          return new JwtError('issued-in-future', error.claim);
      }
    }
    return new JwtError('malformed-token', error.claim);
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return new JwtError('algorithm-not-allowed', code);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return new JwtError('bad-signature', code);
  }
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return new JwtError('unknown-key', code);
  }
  if (error instanceof errors.JWKSTimeout) {
    return new JwtError('keys-unavailable', code);
  }
  if (error instanceof errors.JOSEError) {
    // JWSInvalid, JWTInvalid, JOSENotSupported (e.g. an unknown `crit` extension).
    return new JwtError('malformed-token', code);
  }
  // Not a jose error: e.g. Node's TypeError for an RSA key under 2048 bits in a trusted JWK Set.
  return new JwtError('bad-signature', code);
}

/** The compact JWS from an Authorization header value. */
function bearerToken(authorization: string | undefined): string {
  const value = authorization?.trim() ?? '';
  const space = value.indexOf(' ');
  const scheme = space === -1 ? value : value.slice(0, space);
  if (scheme.toLowerCase() !== 'bearer') {
    throw new JwtError('missing-token');
  }
  const token = space === -1 ? '' : value.slice(space + 1).trim();
  if (token === '') {
    throw new JwtError('missing-token');
  }
  if (token.length > MAX_TOKEN_LENGTH || !COMPACT_JWS.test(token)) {
    throw new JwtError('malformed-token');
  }
  return token;
}

/** Decodes and checks the protected header (unverified): alg allowed, kid present, typ JWT if given. */
function checkedHeader(token: string): CheckedHeader {
  let header: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    throw new JwtError('malformed-token', 'header');
  }
  const { alg, kid, typ, jku } = header;
  if (typeof alg !== 'string') {
    throw new JwtError('malformed-token', 'alg');
  }
  if (!ACCEPTED_ALGORITHMS.includes(alg)) {
    throw new JwtError('algorithm-not-allowed');
  }
  if (typeof kid !== 'string' || kid === '') {
    throw new JwtError('malformed-token', 'kid');
  }
  if (typ !== undefined && (typeof typ !== 'string' || typ.toUpperCase() !== 'JWT')) {
    throw new JwtError('malformed-token', 'typ');
  }
  if (jku !== undefined && typeof jku !== 'string') {
    throw new JwtError('malformed-token', 'jku');
  }
  return { alg, kid, jku };
}

/** A required string claim: absent or empty is `missing-claim`, another type is `malformed-token`. */
function stringClaim(payload: JWTPayload, name: string): string {
  const value = payload[name];
  if (value === undefined || value === '') {
    throw new JwtError('missing-claim', name);
  }
  if (typeof value !== 'string') {
    throw new JwtError('malformed-token', name);
  }
  return value;
}

function numericClaim(payload: JWTPayload, name: string): number {
  const value = payload[name];
  if (typeof value !== 'number') {
    throw new JwtError(value === undefined ? 'missing-claim' : 'malformed-token', name);
  }
  return value;
}

/**
 * Verifies the bearer JWT of an incoming CDS Hooks request (CDS Hooks 2.0, "Trusting CDS Clients").
 *
 * Order of checks: a Bearer token; header `alg` in `ACCEPTED_ALGORITHMS` (before any key lookup),
 * `kid` present, `typ` "JWT" if given; the unverified `iss` picks a configured issuer; a `jku`
 * header that is one of that issuer's `allowedJku` supplies the keys, otherwise the issuer's pinned
 * inline JWKS or `jwksUrl` does whatever the `jku` says (a `jku` not listed is never fetched), and
 * an issuer with neither refuses the token (`jku-not-allowed`); then jose verifies the signature
 * (key chosen by `kid`), `iss`, `aud` (equal to, or an array containing, the URL called), `exp` and
 * `nbf` with the clock tolerance, and the presence of iss, aud, exp, iat and jti; then `iat` must
 * not be in the future beyond the tolerance, `exp - iat` must not exceed `maxLifetimeSeconds` plus
 * the tolerance (CDS Hooks does not fix a lifetime; five minutes is the SMART Backend Services figure); last, the
 * `jti` must not have been accepted before.
 *
 * Remote JWK Sets are fetched with jose's `createRemoteJWKSet`, one per URL, cached for ten minutes
 * and refetched (at most every 30 s) when a `kid` is not found, so a key rotation is picked up. A
 * fetch that fails or outlasts `jwksTimeoutMs` gives `keys-unavailable`; failures are not cached.
 *
 * Replay protection is in memory, per verifier (per process), in an `lru-cache` with a time to
 * live per entry: `iss`+`jti` pairs are kept until `exp` plus the tolerance, and recorded only after
 * everything else passed, so a rejected token cannot block a good one. Only verified tokens of
 * trusted issuers enter the cache. The cache holds at most `replayCacheSize` pairs and, when full,
 * degrades gracefully rather than refusing service: the least recently accepted pair is dropped
 * (entries are never read back, so that is the oldest one, expired or not). The guarantee: a
 * replay is caught while the token is unexpired and fewer than `replayCacheSize` tokens have been
 * accepted since. An entry lives at most `maxLifetimeSeconds` plus three tolerances (iat up to one
 * tolerance ahead, the lifetime slack, the hold after `exp`), 480 s by default, so no replay is
 * missed below `replayCacheSize` / 480 accepted tokens a second (about 200 with the defaults).
 * (Before lru-cache, a full cache dropped the entry expiring soonest; LRU may drop an older entry
 * that expires later, or keep an expired one while a live one goes.)
 *
 * The constructor throws on bad configuration (a non-https JWKS URL, a duplicate issuer, an issuer
 * without keys, a private or symmetric key in an inline JWKS, a bad number).
 */
export class JwtVerifier {
  private readonly issuers: ReadonlyMap<string, IssuerKeys>;
  private readonly clockTolerance: number;
  private readonly maxLifetime: number;
  private readonly now: () => number;
  /** `iss`+`jti` → held until `exp` plus the tolerance; LRU-bounded at `replayCacheSize`. */
  private readonly replays: LRUCache<string, true>;
  private readonly algorithms: string[] = [...ACCEPTED_ALGORITHMS];

  constructor(options: JwtVerifierOptions) {
    this.clockTolerance = positive(options.clockToleranceSeconds, DEFAULT_CLOCK_TOLERANCE_SECONDS, 'clockToleranceSeconds', true);
    this.maxLifetime = positive(options.maxLifetimeSeconds, DEFAULT_MAX_LIFETIME_SECONDS, 'maxLifetimeSeconds');
    const jwksTimeoutMs = positive(options.jwksTimeoutMs, DEFAULT_JWKS_TIMEOUT_MS, 'jwksTimeoutMs');
    const cacheSize = positive(options.replayCacheSize, DEFAULT_REPLAY_CACHE_SIZE, 'replayCacheSize');
    if (!Number.isInteger(cacheSize)) {
      throw new RangeError('JwtVerifier: replayCacheSize must be an integer');
    }
    this.now = options.now ?? Date.now;
    // Entries expire at `exp` (wall-clock time), so the cache reads the same clock as the claim
    // checks; `ttlResolution: 0` reads it on every check rather than caching it for a millisecond.
    const clock = this.now;
    this.replays = new LRUCache<string, true>({ max: cacheSize, ttlResolution: 0, perf: { now: () => clock() } });

    const remote = new Map<string, KeySource>();
    const remoteSource = (url: URL): KeySource => {
      let source = remote.get(url.href);
      if (source === undefined) {
        source = keySource(createRemoteJWKSet(url, { timeoutDuration: jwksTimeoutMs }), jwksTimeoutMs);
        remote.set(url.href, source);
      }
      return source;
    };

    const issuers = new Map<string, IssuerKeys>();
    for (const issuer of options.issuers) {
      const { iss } = issuer;
      if (typeof iss !== 'string' || iss === '') {
        throw new Error('JwtVerifier: every issuer needs a non-empty iss');
      }
      if (issuers.has(iss)) {
        throw new Error(`JwtVerifier: issuer ${iss} is configured twice`);
      }
      if (issuer.jwks !== undefined && issuer.jwksUrl !== undefined) {
        throw new Error(`JwtVerifier: issuer ${iss} has both jwks and jwksUrl; give one`);
      }
      let keys: KeySource | undefined;
      if (issuer.jwks !== undefined) {
        for (const key of issuer.jwks.keys) {
          if (key.kty === 'oct' || key.d !== undefined) {
            throw new Error(`JwtVerifier: the jwks of issuer ${iss} must hold public keys only`);
          }
        }
        try {
          keys = keySource(createLocalJWKSet({ keys: issuer.jwks.keys.map((key) => ({ ...key })) }), undefined);
        } catch {
          throw new Error(`JwtVerifier: the jwks of issuer ${iss} is not a JWK Set`);
        }
      } else if (issuer.jwksUrl !== undefined) {
        keys = remoteSource(keySetUrl(issuer.jwksUrl, iss, 'jwksUrl'));
      }
      const jku = new Map<string, KeySource>();
      for (const value of issuer.allowedJku ?? []) {
        jku.set(value, remoteSource(keySetUrl(value, iss, 'an allowedJku entry')));
      }
      if (keys === undefined && jku.size === 0) {
        throw new Error(`JwtVerifier: issuer ${iss} has no keys (jwks, jwksUrl or allowedJku)`);
      }
      issuers.set(iss, { iss, keys, jku });
    }
    this.issuers = issuers;
  }

  /**
   * Verifies a request's credentials and returns the authenticated client, or rejects with a
   * `JwtError`.
   *
   * @param authorization the raw Authorization header value ("Bearer <jwt>") or undefined.
   * @param audience the exact URL the client called (e.g. `https://cds.example.org/cds-services/npc-ictos`).
   * @throws TypeError when `audience` is empty (a programming error, not a client's).
   */
  async verify(authorization: string | undefined, audience: string): Promise<VerifiedClient> {
    if (audience === '') {
      // jose skips the audience check for an empty string: refuse rather than accept any aud.
      throw new TypeError('JwtVerifier.verify: audience must be the URL that was called');
    }
    const token = bearerToken(authorization);
    const header = checkedHeader(token);
    const issuer = this.issuerOf(token);
    const keys = this.keysFor(issuer, header.jku);
    const nowMs = this.now();

    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: issuer.iss,
        audience,
        algorithms: this.algorithms,
        clockTolerance: this.clockTolerance,
        currentDate: new Date(nowMs),
        requiredClaims: REQUIRED_CLAIMS,
      }));
    } catch (error) {
      throw verificationFailure(error);
    }

    const sub = payload['sub'];
    if (sub !== undefined && (typeof sub !== 'string' || sub === '')) {
      throw new JwtError('malformed-token', 'sub');
    }
    const jti = stringClaim(payload, 'jti');
    const iat = numericClaim(payload, 'iat');
    const exp = numericClaim(payload, 'exp');
    const tenant = payload['tenant'];
    if (tenant !== undefined && typeof tenant !== 'string') {
      throw new JwtError('malformed-token', 'tenant');
    }
    const nowSeconds = Math.floor(nowMs / 1000);
    if (iat > nowSeconds + this.clockTolerance) {
      throw new JwtError('issued-in-future');
    }
    if (exp - iat > this.maxLifetime + this.clockTolerance) {
      throw new JwtError('lifetime-too-long');
    }
    const replayKey = `${issuer.iss.length}:${issuer.iss}${jti}`;
    if (this.replays.has(replayKey)) {
      throw new JwtError('replayed');
    }
    // jose refused exp + tolerance <= now (in whole seconds), so this is at least one millisecond.
    const heldMs = Math.max(1, Math.ceil((exp + this.clockTolerance) * 1000 - nowMs));
    this.replays.set(replayKey, true, { ttl: heldMs });
    return {
      iss: issuer.iss,
      ...(sub === undefined ? {} : { sub }),
      jti,
      ...(tenant === undefined ? {} : { tenant }),
      alg: header.alg,
      kid: header.kid,
    };
  }

  /** The configured issuer named by the token's (not yet verified) `iss`. */
  private issuerOf(token: string): IssuerKeys {
    let payload: JWTPayload;
    try {
      payload = decodeJwt(token);
    } catch {
      throw new JwtError('malformed-token', 'payload');
    }
    const iss = stringClaim(payload, 'iss');
    const issuer = this.issuers.get(iss);
    if (issuer === undefined) {
      throw new JwtError('unknown-issuer');
    }
    return issuer;
  }

  /**
   * The key source for a token of `issuer` with header `jku`: the `jku` itself only when it is one of
   * the issuer's `allowedJku`; otherwise the issuer's pinned key set (`jwks` or `jwksUrl`), whatever the
   * `jku` says, since a header the client controls must not decide where keys come from; and when the
   * issuer has no pinned key set either, `jku-not-allowed` (or `unknown-key` for a token without `jku`).
   */
  private keysFor(issuer: IssuerKeys, jku: string | undefined): KeySource {
    const listed = jku === undefined ? undefined : issuer.jku.get(jku);
    if (listed !== undefined) {
      return listed;
    }
    if (issuer.keys !== undefined) {
      return issuer.keys;
    }
    // Only allowedJku key sets are configured, and the token names none of them.
    throw jku === undefined ? new JwtError('unknown-key', 'no-jku') : new JwtError('jku-not-allowed');
  }
}
