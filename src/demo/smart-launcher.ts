/**
 * A SMART App Launch 2.x stand-in, for tests and the embedded demo: a small authorization server (EHR and standalone launch,
 * authorization code with PKCE S256 only, public clients) and a bearer-checked FHIR proxy in front of an
 * upstream FHIR server (normally `startFhirServer()`), on 127.0.0.1 (random port).
 *
 * The app sees `${origin}/fhir` as its FHIR server (`iss`). Every endpoint a browser app calls with fetch
 * (well-known, token, FHIR) answers CORS, so the app may be served from another origin.
 *
 * Deliberate choices, where the SMART / OAuth texts leave room or where fhirclient needs it:
 * - A valid `launch` parameter makes an EHR launch even when the `launch` scope is missing: fhirclient 2.x
 *   adds `launch` to the scope only when no requested scope contains the text "launch" (so
 *   `launch/patient` suppresses it).
 * - Token errors follow RFC 6749 §5.2 and RFC 7636 §4.6: a code that is unknown, used, expired, issued to
 *   another client or for another redirect_uri, or whose verifier does not match, is `invalid_grant`;
 *   missing or repeated parameters are `invalid_request`; another grant type is `unsupported_grant_type`.
 * - Codes and tokens are base64url: fhirclient puts the code into the token request body unencoded.
 * - patient/ scopes confine access to the token's patient. A resource belongs to a patient through
 *   `subject` or `patient` (or, for Patient, its id). Reads of resources with neither (Practitioner,
 *   Medication...) are allowed; writes must carry the token's patient.
 * - Upstream responses without a Location on 201 get one built from the returned resource, so that a
 *   client can always follow it to the proxy.
 * - A refresh token comes with `online_access` or `offline_access` (both are treated alike: the token lives
 *   12 hours and is reused, not rotated). The refresh_token grant keeps the grant's scope (or a narrower
 *   `scope`) and launch context, and issues no new id_token.
 * - No `jwks_uri` (the id_token is HS256 with a per-server secret).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import type { CapabilityStatement, OperationOutcome } from 'fhir/r4';

export interface SmartClientRegistration {
  readonly clientId: string;
  /** Compared exactly with the `redirect_uri` of an authorization request. */
  readonly redirectUris: readonly string[];
}

export interface LaunchContext {
  /** Patient id. */
  readonly patient: string;
  /** Encounter id. */
  readonly encounter?: string;
  /** A CDS Hooks link's appContext, returned in the token response as `appContext`. */
  readonly appContext?: string;
  /** Default true. */
  readonly needPatientBanner?: boolean;
  readonly intent?: string;
}

export interface SmartLauncherOptions {
  /** Upstream FHIR base, e.g. http://127.0.0.1:41234/fhir */
  readonly fhirBaseUrl: string;
  /** Sent upstream as `Authorization: Bearer <token>` when the upstream requires one. */
  readonly upstreamBearerToken?: string;
  readonly clients: readonly SmartClientRegistration[];
  /** The patient "picked" on a standalone launch (stands in for a patient picker). */
  readonly standalonePatient?: string;
  /** E.g. `Practitioner/dr-lee`: the id_token's `fhirUser` when `openid` and `fhirUser` are granted. */
  readonly fhirUser?: string;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Keep every request in `requests` (default true; the long-running demo turns it off). */
  readonly recordRequests?: boolean;
  /** Lifetime of access tokens (and of id_tokens), in seconds; default 3600. */
  readonly accessTokenLifetimeS?: number;
}

export interface LauncherRequest {
  readonly method: string;
  /** Path and query, e.g. `/fhir/Observation?patient=pat-1`. */
  readonly path: string;
  readonly status: number;
  /** True when the request carried a valid, unexpired access token issued by this launcher. */
  readonly authorized: boolean;
}

export interface SmartGrant {
  readonly clientId: string;
  readonly scope: string;
  readonly patient: string;
  readonly encounter?: string;
  /** True for an access token issued by the refresh_token grant. */
  readonly refreshed?: true;
}

export interface SmartLauncher {
  /** http://127.0.0.1:<port> */
  readonly origin: string;
  /** The FHIR base the app sees: `${origin}/fhir` (the proxy). */
  readonly issuer: string;
  /** Registers an EHR launch context; returns an opaque launch id (reusable). */
  registerLaunch(context: LaunchContext): string;
  /** `${appLaunchUrl}?iss=<issuer>&launch=<id>`, URL-encoded (keeps a query appLaunchUrl already has). */
  ehrLaunchUrl(appLaunchUrl: string, launchId: string): string;
  /**
   * While set, POST/PUT/PATCH/DELETE to the proxy from an authenticated client answer this status with
   * an OperationOutcome and nothing is sent upstream. `undefined` restores normal writes.
   */
  failWrites(status: number | undefined): void;
  /** Likewise for reads (GET) of the given resource type through the proxy; `undefined` restores them. */
  failReads(resourceType: string, status: number | undefined): void;
  /** Every access token issued so far expires now (refresh tokens stay valid): what time passing does. */
  expireAccessTokens(): void;
  /** While true, the refresh_token grant is refused with `invalid_grant` (the EHR ended the session). */
  refuseRefresh(refuse: boolean): void;
  /**
   * An access token for a client of the EHR itself (no authorization code): what an EHR hands a CDS
   * service as `fhirAuthorization`, or uses for its own prefetch reads. The client must be registered.
   */
  issueToken(grant: { readonly clientId: string; readonly scope: string; readonly patient: string }): Promise<{
    readonly access_token: string;
    readonly token_type: 'Bearer';
    readonly expires_in: number;
    readonly scope: string;
    readonly patient: string;
  }>;
  /** Every request seen (proxy and authorization server), in order. */
  readonly requests: readonly LauncherRequest[];
  /** Every access token issued, in order. */
  readonly grants: readonly SmartGrant[];
  close(): Promise<void>;
}

type Permission = 'c' | 'r' | 'u' | 'd' | 's';
type IssueCode = OperationOutcome['issue'][number]['code'];

interface ResourceScope {
  readonly level: 'patient' | 'user';
  /** A resource type or `*`. */
  readonly type: string;
  readonly permissions: ReadonlySet<Permission>;
}

interface Grant {
  readonly clientId: string;
  readonly scope: string;
  readonly context: LaunchContext;
}

interface PendingCode extends Grant {
  readonly redirectUri: string;
  readonly codeChallenge: string;
  readonly expiresAt: number;
}

interface AccessToken {
  readonly patient: string;
  readonly scopes: readonly ResourceScope[];
  readonly expiresAt: number;
}

interface RefreshGrant extends Grant {
  readonly expiresAt: number;
}

type Operation =
  | { readonly kind: 'read' | 'update' | 'patch' | 'delete'; readonly type: string; readonly id: string }
  | { readonly kind: 'search'; readonly type: string; readonly params: URLSearchParams }
  | { readonly kind: 'create'; readonly type: string }
  | { readonly kind: 'bundle' }
  | { readonly kind: 'unsupported' };

interface UpstreamResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** A refusal: the status and the OperationOutcome issue code and text. */
class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly code: IssueCode,
    message: string,
  ) {
    super(message);
  }
}

const CODE_LIFETIME_MS = 60_000;
const TOKEN_LIFETIME_S = 3600;
const REFRESH_LIFETIME_MS = 12 * 3600_000;
const REFRESH_SCOPES = ['online_access', 'offline_access'];
const FHIR_JSON = 'application/fhir+json';
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const CONTEXT_SCOPES = new Set(['openid', 'fhirUser', 'launch', 'launch/patient', ...REFRESH_SCOPES]);
const RESOURCE_SCOPE = /^(patient|user)\/(\*|[A-Z][A-Za-z]*)\.(read|write|\*|c?r?u?d?s?)$/;
const RESOURCE_TYPE = /^[A-Z][A-Za-z]+$/;
const PKCE_VALUE = /^[A-Za-z0-9._~-]{43,128}$/;
const FORWARDED_HEADERS = ['content-type', 'accept', 'prefer', 'if-match', 'if-none-match', 'if-none-exist'];
const RETURNED_HEADERS = ['etag', 'last-modified'];
const CORS_PREFLIGHT: OutgoingHttpHeaders = {
  'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE, OPTIONS',
  'access-control-allow-headers': 'Authorization, Content-Type, Accept, Prefer, If-Match, If-None-Match, If-None-Exist',
  'access-control-max-age': '600',
};
const CAPABILITIES = [
  'launch-ehr',
  'launch-standalone',
  'client-public',
  'context-ehr-patient',
  'context-ehr-encounter',
  'context-standalone-patient',
  'context-banner',
  'sso-openid-connect',
  'permission-patient',
  'permission-online',
  'permission-offline',
  'permission-v1',
  'permission-v2',
];
const SCOPES_SUPPORTED = [
  ...CONTEXT_SCOPES,
  'patient/*.read',
  'patient/*.write',
  'patient/*.*',
  'patient/*.cruds',
  'patient/*.rs',
  'user/*.read',
  'user/*.write',
  'user/*.*',
  'user/*.cruds',
  'user/*.rs',
];

const randomId = (): string => randomBytes(32).toString('base64url');
const withoutTrailingSlash = (url: string): string => url.replace(/\/+$/, '');
const s256 = (verifier: string): string => createHash('sha256').update(verifier, 'ascii').digest('base64url');

function parseResourceScope(scope: string): ResourceScope | undefined {
  const match = RESOURCE_SCOPE.exec(scope);
  const [level, type, access] = [match?.[1], match?.[2], match?.[3]];
  if ((level !== 'patient' && level !== 'user') || type === undefined || access === undefined || access === '') {
    return undefined;
  }
  const v1: Record<string, readonly Permission[]> = { read: ['r', 's'], write: ['c', 'u', 'd'], '*': ['c', 'r', 'u', 'd', 's'] };
  const permissions = v1[access] ?? [...access].filter((l): l is Permission => 'cruds'.includes(l));
  return { level, type, permissions: new Set(permissions) };
}

/** The requested scopes this server understands, each once, in the order asked. */
function understoodScopes(requested: string): string[] {
  const scopes = requested.split(/\s+/).filter((s) => s !== '');
  return [...new Set(scopes)].filter((s) => CONTEXT_SCOPES.has(s) || parseResourceScope(s) !== undefined);
}

const outcome = (code: IssueCode, diagnostics: string): OperationOutcome => ({
  resourceType: 'OperationOutcome',
  issue: [{ severity: 'error', code, diagnostics }],
});

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function referenceOf(value: unknown): string | undefined {
  return isRecord(value) && typeof value['reference'] === 'string' ? value['reference'] : undefined;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function parseJson(body: Buffer | string): unknown {
  try {
    return JSON.parse(body.toString()) as unknown;
  } catch {
    return undefined;
  }
}

/** Starts the launcher; call `close()` when done. */
export async function startSmartLauncher(options: SmartLauncherOptions): Promise<SmartLauncher> {
  const host = options.host ?? '127.0.0.1';
  const upstreamBase = withoutTrailingSlash(options.fhirBaseUrl);
  const clients = new Map(options.clients.map((c) => [c.clientId, c]));
  const launches = new Map<string, LaunchContext>();
  const codes = new Map<string, PendingCode>();
  const tokens = new Map<string, AccessToken>();
  const refreshTokens = new Map<string, RefreshGrant>();
  const lifetimeS = options.accessTokenLifetimeS ?? TOKEN_LIFETIME_S;
  if (!Number.isInteger(lifetimeS) || lifetimeS < 1) throw new RangeError('accessTokenLifetimeS must be a positive whole number of seconds.');
  let refreshRefused = false;
  const requests: LauncherRequest[] = [];
  const grants: SmartGrant[] = [];
  const idTokenSecret = new Uint8Array(randomBytes(32));
  let writeFailure: number | undefined;
  const readFailures = new Map<string, number>();
  let origin = '';
  let issuer = '';

  const normalizeReference = (reference: string): string => {
    for (const base of [issuer, upstreamBase]) {
      if (reference.startsWith(`${base}/`)) {
        return reference.slice(base.length + 1);
      }
    }
    return reference;
  };

  /** Sends a response and records it; every response goes through here. */
  const send = (
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    body: string | undefined,
    headers: OutgoingHttpHeaders,
    authorized = false,
  ): void => {
    if (options.recordRequests !== false) {
      const url = new URL(req.url ?? '/', origin);
      requests.push({ method: req.method ?? '', path: `${url.pathname}${url.search}`, status, authorized });
    }
    res.writeHead(status, {
      'access-control-allow-origin': req.headers.origin ?? '*',
      'access-control-expose-headers': 'Location, Content-Location, ETag, Last-Modified, WWW-Authenticate',
      vary: 'Origin',
      ...headers,
    });
    res.end(body);
  };

  const sendJson = (req: IncomingMessage, res: ServerResponse, status: number, body: unknown, headers: OutgoingHttpHeaders = {}, authorized = false): void =>
    send(req, res, status, JSON.stringify(body), { 'content-type': 'application/json', ...headers }, authorized);

  const sendFhir = (req: IncomingMessage, res: ServerResponse, status: number, body: unknown, headers: OutgoingHttpHeaders = {}, authorized = false): void =>
    send(req, res, status, JSON.stringify(body), { 'content-type': FHIR_JSON, ...headers }, authorized);

  const upstream = async (method: string, pathAndQuery: string, req: IncomingMessage | undefined, body: Buffer | undefined): Promise<UpstreamResponse> => {
    const headers: Record<string, string> = { accept: FHIR_JSON };
    for (const name of FORWARDED_HEADERS) {
      const value = req?.headers[name];
      if (typeof value === 'string') {
        headers[name] = value;
      }
    }
    if (options.upstreamBearerToken !== undefined) {
      headers['authorization'] = `Bearer ${options.upstreamBearerToken}`;
    }
    const response = await fetch(`${upstreamBase}${pathAndQuery}`, {
      method,
      headers,
      redirect: 'manual',
      ...(body !== undefined && body.length > 0 && method !== 'GET' ? { body: body.toString('utf8') } : {}),
    });
    const returned: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      returned[name] = value;
    });
    return { status: response.status, headers: returned, body: await response.text() };
  };

  /** The current upstream version of a resource, or undefined when it cannot be read. */
  const currentResource = async (type: string, id: string): Promise<unknown> => {
    const response = await upstream('GET', `/${encodeURIComponent(type)}/${encodeURIComponent(id)}`, undefined, undefined);
    return response.status === 200 ? parseJson(response.body) : undefined;
  };

  // ---- patient compartment --------------------------------------------------------------------

  /** The patient a resource belongs to (`Patient/<id>`), or undefined when it names none. */
  const patientOf = (resource: Record<string, unknown>): string | undefined => {
    if (resource['resourceType'] === 'Patient') {
      return typeof resource['id'] === 'string' ? `Patient/${resource['id']}` : undefined;
    }
    const reference = referenceOf(resource['subject']) ?? referenceOf(resource['patient']);
    return reference === undefined ? undefined : normalizeReference(reference);
  };

  /** Reads: a resource of another patient is refused; resources linked to no patient pass. */
  const assertReadable = (resource: unknown, patient: string): void => {
    const resources = isRecord(resource) && resource['resourceType'] === 'Bundle' && Array.isArray(resource['entry'])
      ? (resource['entry'] as unknown[]).map((e) => (isRecord(e) ? e['resource'] : undefined))
      : [resource];
    for (const r of resources) {
      if (isRecord(r)) {
        const owner = patientOf(r);
        if (owner !== undefined && owner !== `Patient/${patient}`) {
          throw new Refusal(403, 'forbidden', 'The resource belongs to another patient than the launch context.');
        }
      }
    }
  };

  /** Writes: the resource must belong to the token's patient. */
  const assertWritable = (resource: unknown, patient: string): void => {
    if (!isRecord(resource) || patientOf(resource) !== `Patient/${patient}`) {
      throw new Refusal(403, 'forbidden', 'A patient-level scope allows writing only resources whose subject is the launch patient.');
    }
  };

  const assertSearchInCompartment = (type: string, params: URLSearchParams, patient: string): void => {
    const names = type === 'Patient' ? ['_id'] : ['patient', 'subject'];
    const values = names.flatMap((n) => params.getAll(n)).flatMap((v) => v.split(','));
    const own = (value: string): boolean => {
      const reference = normalizeReference(value);
      return type === 'Patient' ? reference === patient : reference === patient || reference === `Patient/${patient}`;
    };
    if (values.length === 0 || !values.every(own)) {
      throw new Refusal(403, 'forbidden', `A patient-level search must name the launch patient (${names.join(' or ')}).`);
    }
  };

  // ---- scopes ---------------------------------------------------------------------------------

  const permissionFor = (operation: Exclude<Operation, { kind: 'bundle' | 'unsupported' }>): Permission => {
    switch (operation.kind) {
      case 'read':
        return 'r';
      case 'search':
        return 's';
      case 'create':
        return 'c';
      case 'update':
      case 'patch':
        return 'u';
      case 'delete':
        return 'd';
    }
  };

  /** Whether the token's scopes allow the operation, and whether only patient-level scopes do. */
  const compartmentRequired = (token: AccessToken, type: string, permission: Permission): boolean => {
    const granting = token.scopes.filter((s) => (s.type === '*' || s.type === type) && s.permissions.has(permission));
    if (granting.length === 0) {
      throw new Refusal(403, 'forbidden', `The granted scopes do not allow this on ${type}.`);
    }
    return granting.every((s) => s.level === 'patient');
  };

  /**
   * Checks one operation (a request or a Bundle entry) against the token. Returns true when the
   * response must be checked against the compartment (top-level reads); `preRead` says whether a read
   * may be checked beforehand by reading the resource upstream.
   */
  const authorize = async (operation: Operation, token: AccessToken, body: unknown, preRead: boolean): Promise<boolean> => {
    if (operation.kind === 'unsupported' || operation.kind === 'bundle') {
      throw new Refusal(403, 'forbidden', 'This interaction is not available through the SMART stand-in.');
    }
    if (!compartmentRequired(token, operation.type, permissionFor(operation))) {
      return false;
    }
    const patient = token.patient;
    switch (operation.kind) {
      case 'search':
        assertSearchInCompartment(operation.type, operation.params, patient);
        return true;
      case 'create':
        assertWritable(body, patient);
        return false;
      case 'read':
        if (operation.type === 'Patient' && operation.id !== patient) {
          throw new Refusal(403, 'forbidden', 'A patient-level scope allows reading only the launch patient.');
        }
        if (preRead) {
          assertReadable(await currentResource(operation.type, operation.id), patient);
        }
        return !preRead;
      case 'update':
      case 'patch':
      case 'delete':
        if (operation.type === 'Patient' && operation.id !== patient) {
          throw new Refusal(403, 'forbidden', 'A patient-level scope allows changing only the launch patient.');
        }
        if (operation.kind === 'update') {
          assertWritable(body, patient);
        }
        assertReadable(await currentResource(operation.type, operation.id), patient);
        return false;
    }
  };

  const classify = (method: string, path: string, params: URLSearchParams): Operation => {
    let segments: string[];
    try {
      segments = path.split('/').filter((s) => s !== '').map((s) => decodeURIComponent(s));
    } catch {
      return { kind: 'unsupported' };
    }
    const [type, id, history] = segments;
    if (type === undefined) {
      return method === 'POST' ? { kind: 'bundle' } : { kind: 'unsupported' };
    }
    if (!RESOURCE_TYPE.test(type)) {
      return { kind: 'unsupported' };
    }
    if (id === undefined) {
      return method === 'GET' ? { kind: 'search', type, params } : method === 'POST' ? { kind: 'create', type } : { kind: 'unsupported' };
    }
    if (id.startsWith('$') || id.startsWith('_')) {
      return { kind: 'unsupported' };
    }
    if (segments.length === 2) {
      const kinds: Record<string, 'read' | 'update' | 'patch' | 'delete'> = { GET: 'read', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };
      const kind = kinds[method];
      return kind === undefined ? { kind: 'unsupported' } : { kind, type, id };
    }
    return method === 'GET' && history === '_history' && segments.length <= 4 ? { kind: 'read', type, id } : { kind: 'unsupported' };
  };

  /** Transactions and batches: every entry is checked as if it were its own request. */
  const authorizeBundle = async (body: unknown, token: AccessToken): Promise<void> => {
    if (!isRecord(body) || body['resourceType'] !== 'Bundle' || (body['type'] !== 'transaction' && body['type'] !== 'batch')) {
      throw new Refusal(400, 'invalid', 'Only a transaction or batch Bundle can be posted to the base.');
    }
    const entries: unknown[] = Array.isArray(body['entry']) ? body['entry'] : [];
    for (const [index, entry] of entries.entries()) {
      const request = isRecord(entry) ? entry['request'] : undefined;
      const method = isRecord(request) ? request['method'] : undefined;
      const url = isRecord(request) ? request['url'] : undefined;
      if (typeof method !== 'string' || typeof url !== 'string') {
        throw new Refusal(400, 'invalid', `Bundle entry ${index} has no request method and url.`);
      }
      const relative = normalizeReference(url);
      const [path = '', query = ''] = relative.split('?', 2);
      const operation = classify(method.toUpperCase(), path, new URLSearchParams(query));
      try {
        await authorize(operation, token, isRecord(entry) ? entry['resource'] : undefined, true);
      } catch (error: unknown) {
        if (error instanceof Refusal) {
          throw new Refusal(error.status, error.code, `Bundle entry ${index}: ${error.message}`);
        }
        throw error;
      }
    }
  };

  // ---- endpoints ------------------------------------------------------------------------------

  const smartConfiguration = () => ({
    issuer,
    authorization_endpoint: `${origin}/authorize`,
    token_endpoint: `${origin}/token`,
    grant_types_supported: ['authorization_code', 'refresh_token'],
    response_types_supported: ['code'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['none'],
    scopes_supported: SCOPES_SUPPORTED,
    capabilities: CAPABILITIES,
  });

  /** The upstream CapabilityStatement with the SMART OAuth URIs added (or a minimal one of ours). */
  const metadata = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const response = await upstream('GET', '/metadata', req, undefined);
    const parsed = parseJson(response.body.split(upstreamBase).join(issuer));
    const statement: CapabilityStatement =
      response.status === 200 && isRecord(parsed) && parsed['resourceType'] === 'CapabilityStatement'
        ? (parsed as unknown as CapabilityStatement)
        : { resourceType: 'CapabilityStatement', status: 'active', date: new Date().toISOString(), kind: 'instance', fhirVersion: '4.0.1', format: ['json'] };
    const [rest, ...others] = statement.rest ?? [{ mode: 'server' }];
    const security = {
      ...rest?.security,
      service: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' }] }],
      extension: [
        {
          url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
          extension: [
            { url: 'authorize', valueUri: `${origin}/authorize` },
            { url: 'token', valueUri: `${origin}/token` },
          ],
        },
      ],
    };
    sendFhir(req, res, 200, { ...statement, rest: [{ mode: 'server', ...rest, security }, ...others] });
  };

  const authorizeEndpoint = (req: IncomingMessage, res: ServerResponse, params: URLSearchParams): void => {
    const clientId = params.get('client_id') ?? '';
    const redirectUri = params.get('redirect_uri') ?? '';
    const client = clients.get(clientId);
    if (client === undefined || !client.redirectUris.includes(redirectUri)) {
      const text = client === undefined ? 'Unknown client_id.' : 'The redirect_uri is not registered for this client.';
      send(req, res, 400, `${text}\n`, { 'content-type': 'text/plain; charset=utf-8' });
      return;
    }
    const state = params.get('state');
    const redirect = (answer: Record<string, string>): void => {
      const target = new URL(redirectUri);
      for (const [name, value] of Object.entries(answer)) {
        target.searchParams.set(name, value);
      }
      if (state !== null) {
        target.searchParams.set('state', state);
      }
      send(req, res, 302, undefined, { location: target.href, 'cache-control': 'no-store' });
    };
    const refuse = (error: string, description: string): void => redirect({ error, error_description: description });

    const codeChallenge = params.get('code_challenge') ?? '';
    const requested = params.get('scope') ?? '';
    const scopes = understoodScopes(requested);
    const launchId = params.get('launch');
    if (params.get('response_type') !== 'code') {
      refuse('unsupported_response_type', 'Only response_type=code is supported.');
    } else if (state === null || state === '') {
      refuse('invalid_request', 'state is required.');
    } else if (params.get('code_challenge_method') !== 'S256' || !PKCE_VALUE.test(codeChallenge)) {
      refuse('invalid_request', 'PKCE is required: code_challenge with code_challenge_method=S256.');
    } else if (withoutTrailingSlash(params.get('aud') ?? '') !== issuer) {
      refuse('invalid_request', 'aud must be the FHIR server this launcher protects.');
    } else if (launchId !== null && !launches.has(launchId)) {
      refuse('invalid_request', 'Unknown launch.');
    } else if (launchId === null && scopes.includes('launch')) {
      refuse('invalid_request', 'The launch scope needs the launch parameter of an EHR launch.');
    } else if (launchId === null && !scopes.includes('launch/patient')) {
      refuse('invalid_scope', 'Request launch (EHR launch) or launch/patient (standalone launch).');
    } else {
      const context: LaunchContext | undefined =
        launchId !== null ? launches.get(launchId) : options.standalonePatient === undefined ? undefined : { patient: options.standalonePatient };
      if (context === undefined) {
        refuse('access_denied', 'No patient was selected.');
        return;
      }
      const code = randomId();
      codes.set(code, { clientId, redirectUri, codeChallenge, scope: scopes.join(' '), context, expiresAt: Date.now() + CODE_LIFETIME_MS });
      redirect({ code });
    }
  };

  /** Forgets expired codes and tokens, so that a long-running launcher does not grow. */
  const purgeExpired = (): void => {
    const now = Date.now();
    for (const [code, pending] of codes) if (pending.expiresAt <= now) codes.delete(code);
    for (const [token, access] of tokens) if (access.expiresAt <= now) tokens.delete(token);
    for (const [token, refresh] of refreshTokens) if (refresh.expiresAt <= now) refreshTokens.delete(token);
  };

  /**
   * A token response for the grant: a new access token, a refresh token when online_access or
   * offline_access is granted (`refreshToken` is the one being used, on a refresh), and an id_token on
   * the first grant only.
   */
  const tokenResponse = async (grant: Grant, refreshToken?: string): Promise<Record<string, unknown>> => {
    purgeExpired();
    const accessToken = randomId();
    const scopes = grant.scope.split(' ');
    const { context } = grant;
    tokens.set(accessToken, {
      patient: context.patient,
      scopes: scopes.flatMap((s) => parseResourceScope(s) ?? []),
      expiresAt: Date.now() + lifetimeS * 1000,
    });
    grants.push({
      clientId: grant.clientId,
      scope: grant.scope,
      patient: context.patient,
      ...(context.encounter === undefined ? {} : { encounter: context.encounter }),
      ...(refreshToken === undefined ? {} : { refreshed: true as const }),
    });
    let refresh = refreshToken;
    if (refresh === undefined && scopes.some((s) => REFRESH_SCOPES.includes(s))) {
      refresh = randomId();
      refreshTokens.set(refresh, { clientId: grant.clientId, scope: grant.scope, context, expiresAt: Date.now() + REFRESH_LIFETIME_MS });
    }
    const idToken =
      refreshToken === undefined && scopes.includes('openid') && scopes.includes('fhirUser') && options.fhirUser !== undefined
        ? await new SignJWT({ fhirUser: options.fhirUser })
            .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
            .setIssuer(issuer)
            .setSubject(options.fhirUser)
            .setAudience(grant.clientId)
            .setIssuedAt()
            .setExpirationTime(`${lifetimeS}s`)
            .sign(idTokenSecret)
        : undefined;
    return {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: lifetimeS,
      scope: grant.scope,
      ...(refresh === undefined ? {} : { refresh_token: refresh }),
      patient: context.patient,
      ...(context.encounter === undefined ? {} : { encounter: context.encounter }),
      need_patient_banner: context.needPatientBanner ?? true,
      ...(context.appContext === undefined ? {} : { appContext: context.appContext }),
      ...(context.intent === undefined ? {} : { intent: context.intent }),
      ...(idToken === undefined ? {} : { id_token: idToken }),
    };
  };

  /**
   * RFC 6749 §6 for a public client: `refresh_token` once; `client_id`, when sent, must be the grant's;
   * `scope`, when sent, must not exceed the grant's. Refused while `refuseRefresh(true)`.
   */
  const refreshGrant = async (
    form: URLSearchParams,
    refuse: (error: string, description: string) => void,
    grant: (answer: Record<string, unknown>) => void,
  ): Promise<void> => {
    const token = form.get('refresh_token') ?? '';
    if (form.getAll('refresh_token').length !== 1 || token === '' || form.getAll('client_id').length > 1 || form.getAll('scope').length > 1) {
      refuse('invalid_request', 'The refresh_token grant needs one refresh_token (and at most one client_id and scope).');
      return;
    }
    const known = refreshTokens.get(token);
    const clientId = form.get('client_id');
    if (known === undefined || known.expiresAt <= Date.now()) {
      refuse('invalid_grant', 'The refresh token is unknown or expired.');
    } else if (clientId !== null && clientId !== known.clientId) {
      refuse('invalid_grant', 'The refresh token was issued to another client.');
    } else if (refreshRefused) {
      refuse('invalid_grant', 'The session has ended: refreshes are refused (refuseRefresh).');
    } else {
      const asked = form.get('scope');
      const granted = new Set(known.scope.split(' '));
      const scope = asked === null ? known.scope : understoodScopes(asked).join(' ');
      if (asked !== null && (scope === '' || !scope.split(' ').every((s) => granted.has(s)))) {
        refuse('invalid_scope', 'A refresh may ask only for scopes already granted.');
        return;
      }
      grant(await tokenResponse({ clientId: known.clientId, scope, context: known.context }, token));
    }
  };

  const tokenEndpoint = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const noStore = { 'cache-control': 'no-store', pragma: 'no-cache' };
    const refuse = (error: string, description: string): void => sendJson(req, res, 400, { error, error_description: description }, noStore);
    const body = await readBody(req);
    if (!(req.headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')) {
      refuse('invalid_request', 'The token request must be application/x-www-form-urlencoded.');
      return;
    }
    const form = new URLSearchParams(body.toString('utf8'));
    const grantType = form.get('grant_type');
    if (grantType === 'refresh_token' && form.getAll('grant_type').length === 1) {
      await refreshGrant(form, refuse, (answer) => sendJson(req, res, 200, answer, noStore));
      return;
    }
    const names = ['grant_type', 'code', 'redirect_uri', 'client_id', 'code_verifier'];
    const missing = names.filter((n) => form.getAll(n).length !== 1 || form.get(n) === '');
    if (grantType !== null && form.getAll('grant_type').length === 1 && grantType !== 'authorization_code') {
      refuse('unsupported_grant_type', 'Only grant_type=authorization_code and refresh_token are supported.');
      return;
    }
    if (missing.length > 0) {
      refuse('invalid_request', `Missing or repeated: ${missing.join(', ')}.`);
      return;
    }
    const verifier = form.get('code_verifier') ?? '';
    if (!PKCE_VALUE.test(verifier)) {
      refuse('invalid_request', 'code_verifier must be 43 to 128 unreserved characters.');
      return;
    }
    const code = form.get('code') ?? '';
    const pending = codes.get(code);
    codes.delete(code);
    if (pending === undefined || pending.expiresAt <= Date.now()) {
      refuse('invalid_grant', 'The code is unknown, used or expired.');
    } else if (pending.clientId !== form.get('client_id') || pending.redirectUri !== form.get('redirect_uri')) {
      refuse('invalid_grant', 'The code was issued to another client or redirect_uri.');
    } else if (s256(verifier) !== pending.codeChallenge) {
      refuse('invalid_grant', 'The code_verifier does not match the code_challenge.');
    } else {
      sendJson(req, res, 200, await tokenResponse(pending), noStore);
    }
  };

  const proxy = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const method = req.method ?? 'GET';
    const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    const token = match?.[1] === undefined ? undefined : tokens.get(match[1]);
    if (token === undefined || token.expiresAt <= Date.now()) {
      sendFhir(req, res, 401, outcome('login', 'A bearer token issued by this server is required.'), { 'www-authenticate': 'Bearer realm="fhir"' });
      return;
    }
    const reply = (status: number, body: unknown, headers: OutgoingHttpHeaders = {}): void => sendFhir(req, res, status, body, headers, true);
    const body = await readBody(req);
    if (writeFailure !== undefined && WRITE_METHODS.has(method)) {
      reply(writeFailure, outcome('transient', 'Writes are failing on purpose (failWrites).'));
      return;
    }
    const path = url.pathname.slice('/fhir'.length);
    const readFailure = method === 'GET' ? readFailures.get(path.split('/')[1] ?? '') : undefined;
    if (readFailure !== undefined) {
      reply(readFailure, outcome('transient', 'Reads are failing on purpose (failReads).'));
      return;
    }
    const json = body.length > 0 ? parseJson(body) : undefined;
    if (body.length > 0 && json === undefined && WRITE_METHODS.has(method) && method !== 'PATCH') {
      reply(400, outcome('invalid', 'The body is not JSON.'));
      return;
    }
    const operation = classify(method, path, url.searchParams);
    if (operation.kind === 'create' && isRecord(json) && json['resourceType'] !== operation.type) {
      reply(400, outcome('invalid', 'The resourceType of the body does not match the URL.'));
      return;
    }
    let checkResponse: boolean;
    try {
      if (operation.kind === 'bundle') {
        await authorizeBundle(json, token);
        checkResponse = false;
      } else {
        checkResponse = await authorize(operation, token, json, false);
      }
    } catch (error: unknown) {
      if (error instanceof Refusal) {
        reply(error.status, outcome(error.code, error.message));
        return;
      }
      throw error;
    }

    const response = await upstream(method, `${path}${url.search}`, req, body);
    const text = response.body.split(upstreamBase).join(issuer);
    const parsed = parseJson(text);
    if (checkResponse && response.status === 200) {
      try {
        assertReadable(parsed, token.patient);
      } catch (error: unknown) {
        if (error instanceof Refusal) {
          reply(error.status, outcome(error.code, error.message));
          return;
        }
        throw error;
      }
    }
    const headers: OutgoingHttpHeaders = { 'content-type': response.headers['content-type'] ?? FHIR_JSON };
    for (const name of RETURNED_HEADERS) {
      const value = response.headers[name];
      if (value !== undefined) {
        headers[name] = value;
      }
    }
    for (const name of ['location', 'content-location']) {
      const value = response.headers[name];
      if (value !== undefined) {
        headers[name] = value.split(upstreamBase).join(issuer);
      }
    }
    if (response.status === 201 && headers['location'] === undefined && isRecord(parsed) && typeof parsed['resourceType'] === 'string' && typeof parsed['id'] === 'string') {
      const meta = parsed['meta'];
      const version = isRecord(meta) && typeof meta['versionId'] === 'string' ? `/_history/${meta['versionId']}` : '';
      headers['location'] = `${issuer}/${parsed['resourceType']}/${parsed['id']}${version}`;
    }
    send(req, res, response.status, text, headers, true);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', origin);
    const { pathname } = url;
    const method = req.method ?? 'GET';
    const underFhir = pathname === '/fhir' || pathname.startsWith('/fhir/');
    if (method === 'OPTIONS' && (underFhir || pathname === '/token')) {
      send(req, res, 204, undefined, CORS_PREFLIGHT);
    } else if (method === 'GET' && pathname === '/fhir/.well-known/smart-configuration') {
      sendJson(req, res, 200, smartConfiguration());
    } else if (method === 'GET' && pathname === '/fhir/metadata') {
      await metadata(req, res);
    } else if (method === 'GET' && pathname === '/authorize') {
      authorizeEndpoint(req, res, url.searchParams);
    } else if (method === 'POST' && pathname === '/token') {
      await tokenEndpoint(req, res);
    } else if (underFhir) {
      await proxy(req, res, url);
    } else {
      sendJson(req, res, 404, { error: 'not_found' });
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (res.headersSent) {
        res.destroy();
      } else {
        sendFhir(req, res, 500, outcome('exception', 'The SMART stand-in failed to answer.'));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  issuer = `${origin}/fhir`;

  return {
    origin,
    issuer,
    requests,
    grants,
    registerLaunch(context) {
      const id = randomId();
      launches.set(id, { ...context });
      return id;
    },
    ehrLaunchUrl(appLaunchUrl, launchId) {
      const url = new URL(appLaunchUrl);
      url.searchParams.set('iss', issuer);
      url.searchParams.set('launch', launchId);
      return url.href;
    },
    failWrites(status) {
      if (status !== undefined && !(Number.isInteger(status) && status >= 200 && status <= 599)) {
        throw new RangeError('failWrites needs an HTTP status from 200 to 599, or undefined.');
      }
      writeFailure = status;
    },
    failReads(resourceType, status) {
      if (status === undefined) readFailures.delete(resourceType);
      else readFailures.set(resourceType, status);
    },
    expireAccessTokens() {
      const now = Date.now();
      for (const [token, access] of tokens) tokens.set(token, { ...access, expiresAt: Math.min(access.expiresAt, now) });
    },
    refuseRefresh(refuse) {
      refreshRefused = refuse;
    },
    async issueToken(grant) {
      if (!clients.has(grant.clientId)) throw new RangeError(`issueToken: client ${grant.clientId} is not registered`);
      const response = await tokenResponse({ clientId: grant.clientId, scope: grant.scope, context: { patient: grant.patient } });
      return { access_token: String(response['access_token']), token_type: 'Bearer', expires_in: lifetimeS, scope: grant.scope, patient: grant.patient };
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
