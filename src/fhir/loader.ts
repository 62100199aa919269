/**
 * Loads the FHIR data the services need for one patient: from the CDS Hooks prefetch where it is present
 * and usable, otherwise from the request's `fhirServer` with its bearer token, under one per-request
 * deadline. CDS Hooks 2.0 ("Prefetch template", "FHIR Resource Access").
 */
import type {
  Condition,
  FhirResource,
  MedicationAdministration,
  Observation,
  Patient,
  Procedure,
} from 'fhir/r4';
import { allowedFhirServer, isWithin } from './allowlist';
import type { CodeLists } from './codes';
import { DEFAULT_CODE_LISTS } from './codes';
import type { FaultKey, FaultReason, UnobtainableKey } from './errors';
import { DataUnobtainableError, FhirServerFaultError, FhirServerNotAllowedError } from './errors';
import type { PrefetchKey, PrefetchQueries } from './prefetch';
import { PREFETCH_KEYS, PREFETCH_RESOURCE_TYPES, prefetchQueries } from './prefetch';
import { hasReadableShape } from './shapes';

export { allowedFhirServer };

/** `fhirAuthorization` of a CDS Hooks 2.0 request. */
export interface FhirAuthorization {
  readonly access_token: string;
  readonly token_type: string;
  readonly expires_in?: number | undefined;
  readonly scope?: string | undefined;
  readonly subject?: string | undefined;
}

/** The parts of a CDS Hooks request the loader reads. */
export interface LoadRequest {
  readonly patientId: string;
  readonly prefetch?: Readonly<Record<string, unknown>> | undefined;
  readonly fhirServer?: string | undefined;
  readonly fhirAuthorization?: FhirAuthorization | undefined;
}

export interface LoadOptions {
  /** FHIR server base URLs the service may call (https; http only for 127.0.0.1 / localhost entries). */
  readonly allowedFhirServers: readonly string[];
  /** One deadline for all fetches of the request; outstanding requests are aborted when it passes. */
  readonly deadlineMs?: number | undefined;
  /** Pages followed per query; a query with more pages is unobtainable (incomplete data is not used). */
  readonly maxPages?: number | undefined;
  /**
   * Bytes read from one FHIR answer at most, counted after content decoding (gzip is inflated by fetch) as
   * the body streams in; a declared Content-Length over it is refused before the body is read.
   */
  readonly maxResponseBytes?: number | undefined;
  /** Bytes read from the FHIR server for one request at most: every key and every page together, decoded. */
  readonly maxRequestBytes?: number | undefined;
  readonly codes?: CodeLists | undefined;
  /** Cancels outstanding fetches (for example when the client went away). */
  readonly signal?: AbortSignal | undefined;
}

export interface PatientRecord {
  patient?: Patient;
  conditions: Condition[];
  observations: Observation[];
  procedures: Procedure[];
  medicationAdministrations: MedicationAdministration[];
}

/** Where a key's data came from: usable prefetch, prefetch `null` (no data), or the FHIR server. */
export type DataSource =
  | { readonly from: 'prefetch' | 'prefetch-null'; readonly count: number }
  | { readonly from: 'fhir-server'; readonly count: number; readonly pages: number };

export interface LoadResult {
  readonly record: PatientRecord;
  readonly sources: Readonly<Record<PrefetchKey, DataSource>>;
}

export const DEFAULT_DEADLINE_MS = 3000;
export const DEFAULT_MAX_PAGES = 10;
/** Default of {@link LoadOptions.maxResponseBytes}: 20 MiB (docs/configuration.md, FHIR_MAX_RESPONSE_BYTES). */
export const DEFAULT_MAX_RESPONSE_BYTES = 20 * 1024 * 1024;
/** Default of {@link LoadOptions.maxRequestBytes}: 50 MiB (docs/configuration.md, FHIR_MAX_REQUEST_BYTES). */
export const DEFAULT_MAX_REQUEST_BYTES = 50 * 1024 * 1024;

interface Obtained {
  readonly resources: readonly FhirResource[];
  readonly source: DataSource;
}

/** Why one key's data cannot be used; becomes an entry of FhirServerFaultError (or DataUnobtainableError). */
class Unusable extends Error {
  constructor(
    readonly reason: FaultReason | 'cancelled',
    readonly status?: number,
    readonly found?: string,
    readonly limitBytes?: number,
  ) {
    super(reason);
  }
}

/** A resource type or Bundle type as the server sent it, when it is a plain token; never free text. */
function typeToken(value: unknown): string {
  return typeof value === 'string' && /^[A-Za-z][A-Za-z-]{0,63}$/.test(value) ? value : 'unknown';
}

/** What a `Bundle` of another type, or a resource of another type, was (for `unexpected-resource`). */
function unexpected(resource: FhirResource): Unusable {
  const found = resource.resourceType === 'Bundle' ? `Bundle/${typeToken(resource.type)}` : typeToken(resource.resourceType);
  return new Unusable('unexpected-resource', undefined, found);
}

type Json = Record<string, unknown>;
type ResourceOfType<T extends FhirResource['resourceType']> = Extract<FhirResource, { resourceType: T }>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

const isResource = (value: unknown): value is FhirResource => isObject(value) && typeof value['resourceType'] === 'string';

/** An optional JSON array, as unknown elements; anything else is malformed. */
function arrayOrEmpty(value: unknown): readonly unknown[] {
  if (value === undefined) {
    return [];
  }
  if (!Array.isArray(value)) {
    throw new Unusable('malformed-response');
  }
  return value as unknown[];
}

function ofType<T extends FhirResource['resourceType']>(resources: readonly FhirResource[], type: T): ResourceOfType<T>[] {
  return resources.filter((r): r is ResourceOfType<T> => r.resourceType === type);
}

function isAboutPatient(resource: FhirResource, patientId: string): boolean {
  const subject: unknown = 'subject' in resource ? resource.subject : undefined;
  const reference = isObject(subject) ? subject['reference'] : undefined;
  if (typeof reference !== 'string') {
    return false;
  }
  const path = reference.replace(/\/_history\/[^/]*$/, '');
  return path === `Patient/${patientId}` || path.endsWith(`/Patient/${patientId}`);
}

/**
 * The resources of one prefetch value or server response for `key`, and its `next` link.
 * Throws Unusable when the value is not the patient's data of the expected type.
 */
function readPage(key: PrefetchKey, body: unknown, patientId: string): { resources: FhirResource[]; next?: string } {
  if (!isResource(body)) {
    throw new Unusable('malformed-response');
  }
  if (body.resourceType === 'OperationOutcome') {
    throw new Unusable('operation-outcome');
  }
  if (key === 'patient') {
    if (body.resourceType !== 'Patient') {
      throw unexpected(body);
    }
    if (body.id !== undefined && body.id !== patientId) {
      throw new Unusable('wrong-patient');
    }
    if (!hasReadableShape(body)) {
      throw new Unusable('malformed-response');
    }
    return { resources: [body] };
  }
  if (body.resourceType !== 'Bundle' || body.type !== 'searchset') {
    throw unexpected(body);
  }
  const entries = arrayOrEmpty(body.entry);
  const links = arrayOrEmpty(body.link);
  const resources: FhirResource[] = [];
  for (const entry of entries) {
    const resource: unknown = isObject(entry) ? entry['resource'] : undefined;
    const search: unknown = isObject(entry) ? entry['search'] : undefined;
    if (!isResource(resource)) {
      throw new Unusable('malformed-response');
    }
    if (resource.resourceType === 'OperationOutcome' && isObject(search) && search['mode'] === 'outcome') {
      continue;
    }
    if (resource.resourceType !== PREFETCH_RESOURCE_TYPES[key]) {
      throw new Unusable('unexpected-resource', undefined, `Bundle/searchset of ${typeToken(resource.resourceType)}`);
    }
    if (!isAboutPatient(resource, patientId)) {
      throw new Unusable('wrong-patient');
    }
    if (!hasReadableShape(resource)) {
      throw new Unusable('malformed-response');
    }
    resources.push(resource);
  }
  const nextLink = links.find((l) => isObject(l) && l['relation'] === 'next');
  const next = isObject(nextLink) ? nextLink['url'] : undefined;
  if (next !== undefined && typeof next !== 'string') {
    throw new Unusable('malformed-response');
  }
  return next === undefined ? { resources } : { resources, next };
}

/**
 * Usable prefetch for `key`, or undefined when it must be fetched: the key is missing, holds an
 * OperationOutcome or an invalid value, or pages (CDS Hooks 2.0: prefetch holds no next-page links).
 */
function fromPrefetch(key: PrefetchKey, prefetch: LoadRequest['prefetch'], patientId: string): Obtained | undefined {
  if (prefetch === undefined || !Object.hasOwn(prefetch, key) || prefetch[key] === undefined) {
    return undefined;
  }
  const value = prefetch[key];
  if (value === null) {
    return { resources: [], source: { from: 'prefetch-null', count: 0 } };
  }
  try {
    const page = readPage(key, value, patientId);
    return page.next === undefined
      ? { resources: page.resources, source: { from: 'prefetch', count: page.resources.length } }
      : undefined;
  } catch (error) {
    if (error instanceof Unusable) {
      return undefined;
    }
    throw error;
  }
}

/** The bytes one request may still read: shared by the parallel fetches of all keys and their pages. */
interface ByteBudget {
  readonly maxResponseBytes: number;
  readonly maxRequestBytes: number;
  /** Decoded bytes read so far, by every fetch of the request (including those that then failed). */
  used: number;
}

interface FetchContext {
  readonly base: URL;
  /** `Bearer <token>`, sent to the fhirServer base only; undefined when the request carried no token. */
  readonly authorization: string | undefined;
  readonly patientId: string;
  readonly maxPages: number;
  readonly budget: ByteBudget;
  readonly signal: AbortSignal;
}

const isRedirect = (response: Response): boolean =>
  response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400);

const tooLarge = (limitBytes: number): Unusable => new Unusable('too-large', undefined, undefined, limitBytes);
const requestTooLarge = (limitBytes: number): Unusable => new Unusable('request-too-large', undefined, undefined, limitBytes);

/** Refuses a declared Content-Length that cannot fit (on the wire, or what is left of the request's budget). */
function checkDeclaredLength(response: Response, budget: ByteBudget): void {
  const header = response.headers.get('content-length');
  const declared = header === null || !/^\d+$/.test(header.trim()) ? undefined : Number(header.trim());
  if (declared === undefined) {
    return;
  }
  if (declared > budget.maxResponseBytes) {
    throw tooLarge(budget.maxResponseBytes);
  }
  if (budget.used + declared > budget.maxRequestBytes) {
    throw requestTooLarge(budget.maxRequestBytes);
  }
}

/**
 * The body as text, read as a stream and counted chunk by chunk (decoded bytes: what fetch hands over after
 * inflating gzip or deflate). Passing the answer's or the request's cap stops at once: `stop` aborts the
 * fetch and the stream is cancelled, so the connection is closed and nothing more is buffered. The chunks
 * are kept as bytes and decoded once at the end, as `Response.text()` does (UTF-8, a BOM dropped, bad bytes
 * replaced): decoding chunk by chunk held half as much again while streaming. Browser and Node alike
 * (WHATWG streams, TextDecoder).
 */
async function readCapped(response: Response, budget: ByteBudget, stop: () => void): Promise<string> {
  const body = response.body;
  if (body === null) {
    return '';
  }
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let read = 0;
  try {
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) {
        break;
      }
      read += chunk.value.byteLength;
      budget.used += chunk.value.byteLength;
      if (read > budget.maxResponseBytes) {
        throw tooLarge(budget.maxResponseBytes);
      }
      if (budget.used > budget.maxRequestBytes) {
        throw requestTooLarge(budget.maxRequestBytes);
      }
      chunks.push(chunk.value);
    }
  } catch (error) {
    stop();
    reader.cancel().catch(() => undefined);
    throw error;
  }
  const whole = new Uint8Array(read);
  let at = 0;
  for (const c of chunks) {
    whole.set(c, at);
    at += c.byteLength;
  }
  chunks.length = 0;
  return new TextDecoder().decode(whole);
}

/**
 * One GET of the FHIR server, parsed as JSON. Redirects are never followed (`redirect: 'manual'`): the
 * bearer token goes to the fhirServer base and nowhere else, so a 3xx answer is a fault of its own
 * (docs/decisions/0007-fhir-faults.md). The request and the reading of the body share the deadline's signal,
 * and the body is read under the byte caps of `ctx.budget` (too-large, request-too-large).
 */
async function getJson(url: string, ctx: FetchContext): Promise<unknown> {
  // Its own controller, so that passing a cap closes this connection only; the deadline aborts it too.
  const controller = new AbortController();
  const abort = (): void => controller.abort();
  ctx.signal.addEventListener('abort', abort, { once: true });
  if (ctx.signal.aborted) {
    abort();
  }
  try {
    const response = await fetch(url, {
      method: 'GET',
      headers: {
        accept: 'application/fhir+json, application/json;q=0.9',
        ...(ctx.authorization === undefined ? {} : { authorization: ctx.authorization }),
      },
      redirect: 'manual',
      credentials: 'omit',
      signal: controller.signal,
    });
    if (isRedirect(response) || !response.ok) {
      await response.body?.cancel().catch(() => undefined);
      // A browser reports a refused redirect as an opaque response with status 0.
      const status = response.status === 0 ? undefined : response.status;
      throw new Unusable(isRedirect(response) ? 'redirect-refused' : 'http-error', status);
    }
    try {
      checkDeclaredLength(response, ctx.budget);
    } catch (error) {
      abort();
      await response.body?.cancel().catch(() => undefined);
      throw error;
    }
    const body = await readCapped(response, ctx.budget, abort);
    try {
      return JSON.parse(body) as unknown;
    } catch {
      throw new Unusable('malformed-response');
    }
  } finally {
    ctx.signal.removeEventListener('abort', abort);
  }
}

async function fetchKey(key: PrefetchKey, query: string, ctx: FetchContext): Promise<Obtained> {
  const resources: FhirResource[] = [];
  let url = `${ctx.base.href.replace(/\/+$/, '')}/${query}`;
  for (let pages = 1; ; pages++) {
    const body = await getJson(url, ctx);
    const page = readPage(key, body, ctx.patientId);
    // Not push(...): a page under the byte cap can hold more resources than a call takes arguments.
    for (const resource of page.resources) {
      resources.push(resource);
    }
    if (page.next === undefined) {
      return { resources, source: { from: 'fhir-server', count: resources.length, pages } };
    }
    if (pages >= ctx.maxPages) {
      throw new Unusable('too-many-pages');
    }
    const next = new URL(page.next, ctx.base.href.endsWith('/') ? ctx.base : `${ctx.base.href}/`);
    if (!isWithin(next, ctx.base)) {
      throw new Unusable('next-link-outside-fhir-server');
    }
    url = next.href;
  }
}

function classify(error: unknown, signal: AbortSignal, timedOut: boolean): Unusable {
  if (error instanceof Unusable) {
    return error;
  }
  if (signal.aborted) {
    return new Unusable(timedOut ? 'timeout' : 'cancelled');
  }
  return new Unusable('network-error');
}

/** Settles with the signal's abort, so a fetch that ignores the signal cannot outlive the deadline. */
function rejectOnAbort(signal: AbortSignal): Promise<never> {
  const aborted = new Promise<never>((_, reject) => {
    const fail = (): void => reject(new Error('aborted'));
    if (signal.aborted) {
      fail();
    } else {
      signal.addEventListener('abort', fail, { once: true });
    }
  });
  aborted.catch(() => undefined);
  return aborted;
}

const failure = (key: PrefetchKey, u: Unusable): UnobtainableKey => ({
  key,
  reason: u.reason,
  ...(u.status === undefined ? {} : { status: u.status }),
  ...(u.found === undefined ? {} : { found: u.found }),
  ...(u.limitBytes === undefined ? {} : { limitBytes: u.limitBytes }),
});

const isFault = (f: UnobtainableKey): f is FaultKey =>
  f.reason !== 'cancelled' && f.reason !== 'no-fhir-server' && f.reason !== 'unsupported-authorization' && f.reason !== 'authorization-required';

const refusesAnonymous = (f: UnobtainableKey): boolean => f.reason === 'http-error' && (f.status === 401 || f.status === 403);

/**
 * The error for the failed keys. The caller went away: DataUnobtainableError (nobody reads the answer).
 * No token was given and the server wants one: DataUnobtainableError with `authorization-required`, the
 * EHR integration's error like a missing fhirServer. Otherwise the server failed: FhirServerFaultError.
 */
function failed(failures: readonly UnobtainableKey[], cancelled: boolean, anonymous: boolean, deadlineMs: number): DataUnobtainableError {
  if (cancelled) {
    return new DataUnobtainableError(failures);
  }
  if (anonymous && failures.some(refusesAnonymous)) {
    return new DataUnobtainableError(failures.map((f) => (refusesAnonymous(f) ? { ...f, reason: 'authorization-required' } : f)));
  }
  const faults = failures.filter(isFault);
  return faults.length === failures.length ? new FhirServerFaultError(faults, deadlineMs) : new DataUnobtainableError(failures);
}

async function fetchMissing(
  missing: readonly PrefetchKey[],
  queries: PrefetchQueries,
  request: LoadRequest,
  options: LoadOptions,
): Promise<Map<PrefetchKey, Obtained>> {
  const { fhirServer, fhirAuthorization } = request;
  if (fhirServer === undefined || fhirServer === '') {
    throw new DataUnobtainableError(missing.map((key) => ({ key, reason: 'no-fhir-server' })));
  }
  const base = allowedFhirServer(fhirServer, options.allowedFhirServers);
  if (base === undefined) {
    throw new FhirServerNotAllowedError();
  }
  if (fhirAuthorization !== undefined && fhirAuthorization.token_type.toLowerCase() !== 'bearer') {
    throw new DataUnobtainableError(missing.map((key) => ({ key, reason: 'unsupported-authorization' })));
  }

  const deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, deadlineMs);
  const cancel = (): void => controller.abort();
  options.signal?.addEventListener('abort', cancel, { once: true });
  if (options.signal?.aborted) {
    controller.abort();
  }

  try {
    const ctx: FetchContext = {
      base,
      authorization: fhirAuthorization === undefined ? undefined : `Bearer ${fhirAuthorization.access_token}`,
      patientId: request.patientId,
      maxPages: options.maxPages ?? DEFAULT_MAX_PAGES,
      budget: {
        maxResponseBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
        maxRequestBytes: options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES,
        used: 0,
      },
      signal: controller.signal,
    };
    const aborted = rejectOnAbort(controller.signal);
    const settled = await Promise.allSettled(
      missing.map((key) => Promise.race([fetchKey(key, queries[key], ctx), aborted])),
    );
    const fetched = new Map<PrefetchKey, Obtained>();
    const failures: UnobtainableKey[] = [];
    settled.forEach((result, i) => {
      const key = missing[i] as PrefetchKey;
      if (result.status === 'fulfilled') {
        fetched.set(key, result.value);
      } else {
        failures.push(failure(key, classify(result.reason, controller.signal, timedOut)));
      }
    });
    if (failures.length > 0) {
      throw failed(failures, controller.signal.aborted && !timedOut, fhirAuthorization === undefined, deadlineMs);
    }
    return fetched;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', cancel);
  }
}

/**
 * Loads the patient record for the CDS services (keys and queries of `prefetchTemplates`).
 *
 * For each prefetch key: a usable prefetch value (a searchset Bundle of the patient's resources of the
 * expected type, or the Patient) is used as is; `null` means "no data" and counts as obtained; a missing
 * key, an OperationOutcome or an unusable value is fetched from `fhirServer` (CDS Hooks 2.0). Fetches run
 * in parallel under one deadline, follow `next` links up to `maxPages`, read at most `maxResponseBytes` of
 * one answer and `maxRequestBytes` in all (decoded, counted while streaming), never follow redirects, and send
 * the request's bearer token only to the `fhirServer` base, which must be covered by `allowedFhirServers`.
 * All or nothing: when one key fails, nothing fetched for the others is returned.
 *
 * @throws FhirServerNotAllowedError when data must be fetched and `fhirServer` is not allowed (no request is sent).
 * @throws FhirServerFaultError when the server was asked and failed for some key (deadline, HTTP error,
 *   redirect, unreadable, unexpected or too large an answer, unreachable): the services answer with a
 *   "data unavailable" card.
 * @throws DataUnobtainableError when the request gave no means to fetch (no `fhirServer`, a non-bearer
 *   token, no token for a server that requires one) or the caller cancelled (HTTP 412).
 */
export async function loadPatientRecord(request: LoadRequest, options: LoadOptions): Promise<LoadResult> {
  const obtained = new Map<PrefetchKey, Obtained>();
  const missing: PrefetchKey[] = [];
  for (const key of PREFETCH_KEYS) {
    const found = fromPrefetch(key, request.prefetch, request.patientId);
    if (found === undefined) {
      missing.push(key);
    } else {
      obtained.set(key, found);
    }
  }
  if (missing.length > 0) {
    // The queries are built only when something must be fetched: a complete prefetch needs none.
    const queries = prefetchQueries(request.patientId, options.codes ?? DEFAULT_CODE_LISTS);
    for (const [key, value] of await fetchMissing(missing, queries, request, options)) {
      obtained.set(key, value);
    }
  }

  const get = (key: PrefetchKey): Obtained => {
    const value = obtained.get(key);
    if (value === undefined) {
      throw new Error(`No data for prefetch key ${key}`);
    }
    return value;
  };
  const patient = ofType(get('patient').resources, 'Patient')[0];
  return {
    record: {
      ...(patient === undefined ? {} : { patient }),
      conditions: ofType(get('conditions').resources, 'Condition'),
      observations: ofType(get('observations').resources, 'Observation'),
      procedures: ofType(get('procedures').resources, 'Procedure'),
      medicationAdministrations: ofType(get('medicationAdministrations').resources, 'MedicationAdministration'),
    },
    sources: {
      patient: get('patient').source,
      conditions: get('conditions').source,
      observations: get('observations').source,
      procedures: get('procedures').source,
      medicationAdministrations: get('medicationAdministrations').source,
    },
  };
}
