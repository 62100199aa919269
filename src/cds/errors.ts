/**
 * One error contract for the HTTP adapter (conventions.md, habit 5): typed errors, one middleware,
 * JSON bodies naming the offending field, never a stack trace.
 */
import type { ErrorRequestHandler } from 'express';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { DataUnobtainableError, FhirServerNotAllowedError } from '../fhir/errors';
import { JwtError } from './jwt';
import { routeLabel } from './route-label';

export interface ErrorBody {
  readonly error: {
    readonly status: number;
    readonly code: string;
    readonly message: string;
    /** The request member at fault ("context.patientId"), when there is one. */
    readonly field?: string;
    readonly issues?: readonly { readonly field: string; readonly message: string }[];
  };
}

export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly issues?: ErrorBody['error']['issues'],
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

/** Longest member name, and longest field, an error body repeats from the request. */
const MAX_NAME = 64;
const MAX_FIELD = 256;

/** The first `max` UTF-16 units of `s` (never half a surrogate pair), with an ellipsis when cut. */
function clip(s: string, max: number): string {
  if (s.length <= max) return s;
  const end = /[\ud800-\udbff]/.test(s.charAt(max - 1)) ? max - 1 : max;
  return `${s.slice(0, end)}…`;
}

/**
 * The dotted path of a zod issue. Member names come from the request (a prefetch key can be anything),
 * so each is clipped, and so is the whole: an error body must not echo a megabyte key back, three times.
 */
export const fieldOf = (path: readonly PropertyKey[]) => clip(path.map((k) => clip(String(k), MAX_NAME)).join('.'), MAX_FIELD) || '(body)';

/** A 400 from a zod validation error: the first issue's field, and all issues. */
export function badRequest(error: z.ZodError): HttpError {
  const issues = error.issues.slice(0, 20).map((i) => ({ field: fieldOf(i.path), message: i.message }));
  const first = issues[0] ?? { field: '(body)', message: 'invalid request' };
  return new HttpError(400, 'bad-request', `${first.field}: ${first.message}`, first.field, issues);
}

/**
 * The path of the first number in a parsed JSON body that is not finite, or undefined when there is none.
 * JSON has no Infinity, but `JSON.parse` reads a literal beyond the double range (`1e999`) as Infinity:
 * left in, such a value makes a resource unreadable further on, and the caller would get a misleading 412.
 */
export function nonFiniteNumberPath(body: unknown): PropertyKey[] | undefined {
  // The common case, every number finite, is checked without building a single path (bodies are large).
  if (!hasNonFinite(body)) return undefined;
  // Each entry links to its parent rather than copying a path: the walk stays linear however deep the body.
  interface Step {
    readonly value: unknown;
    readonly key?: PropertyKey;
    readonly parent?: Step;
  }
  const stack: Step[] = [{ value: body }];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const { value } = next;
    if (typeof value === 'number' && !Number.isFinite(value)) {
      const path: PropertyKey[] = [];
      for (let step: Step | undefined = next; step?.key !== undefined; step = step.parent) path.push(step.key);
      return path.reverse();
    }
    if (typeof value === 'object' && value !== null) {
      const entries = Object.entries(value);
      for (let i = entries.length - 1; i >= 0; i -= 1) {
        const [key, member] = entries[i] as [string, unknown];
        if (typeof member === 'object' || typeof member === 'number') stack.push({ value: member, key: Array.isArray(value) ? Number(key) : key, parent: next });
      }
    }
  }
  return undefined;
}

/**
 * Whether any number in `body` is not finite. Recursive while the body is shallow (a for-in walk is about
 * three times faster than one that keeps its own stack and copies each object's values); a body nested
 * deeper than {@link RECURSION_DEPTH} is walked on from there with an explicit stack, since it may nest
 * deeper than the call stack.
 */
function hasNonFinite(value: unknown, depth = 0): boolean {
  if (typeof value === 'number') return !Number.isFinite(value);
  if (typeof value !== 'object' || value === null) return false;
  if (depth >= RECURSION_DEPTH) return hasNonFiniteDeep(value);
  if (Array.isArray(value)) {
    for (const member of value as unknown[]) if ((typeof member === 'object' || typeof member === 'number') && hasNonFinite(member, depth + 1)) return true;
    return false;
  }
  const record = value as Record<string, unknown>;
  for (const key in record) {
    const member = record[key];
    if ((typeof member === 'object' || typeof member === 'number') && hasNonFinite(member, depth + 1)) return true;
  }
  return false;
}

const RECURSION_DEPTH = 256;

function hasNonFiniteDeep(body: unknown): boolean {
  const stack: unknown[] = [body];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) return true;
    } else if (typeof value === 'object' && value !== null) {
      for (const member of Object.values(value)) if (typeof member === 'object' || typeof member === 'number') stack.push(member);
    }
  }
  return false;
}

/** A 400 for a number too large for a double (it parsed as Infinity), naming where it is. */
export function nonFiniteNumber(path: readonly PropertyKey[]): HttpError {
  const field = fieldOf(path);
  return new HttpError(400, 'number-out-of-range', `${field}: the number is too large to represent (beyond ±1.8e308)`, field);
}

export const notFound = (what: string) => new HttpError(404, 'not-found', `${what} not found`);

/** Maps any error to its status and JSON body; unknown errors become a generic 500. */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof JwtError) {
    return new HttpError(401, 'unauthorized', `Authorization failed: ${err.failure}`, 'Authorization', undefined, {
      'WWW-Authenticate': `Bearer error="invalid_token", error_description="${err.failure}"`,
    });
  }
  if (err instanceof DataUnobtainableError) {
    return new HttpError(412, 'data-unobtainable', err.message, 'prefetch', err.failures.map((f) => ({ field: `prefetch.${f.key}`, message: f.status === undefined ? f.reason : `${f.reason} ${f.status}` })));
  }
  if (err instanceof FhirServerNotAllowedError) {
    return new HttpError(412, 'fhir-server-not-allowed', 'Required data are not in the prefetch, and the fhirServer of the request is not one this service may call', 'fhirServer');
  }
  // body-parser errors carry a `type` and a status.
  if (typeof err === 'object' && err !== null && 'type' in err) {
    const type = (err as { type: unknown }).type;
    if (type === 'entity.too.large') return new HttpError(413, 'payload-too-large', 'The request body is larger than the configured limit');
    if (type === 'entity.parse.failed') return new HttpError(400, 'malformed-json', 'The request body is not valid JSON', '(body)');
    if (type === 'encoding.unsupported' || type === 'charset.unsupported') return new HttpError(415, 'unsupported-media-type', 'Unsupported content encoding or charset');
    if (type === 'request.aborted') return new HttpError(400, 'request-aborted', 'The request was aborted');
  }
  // Any other client error of the body parser (a body that does not decode, a wrong Content-Length): 400.
  if (typeof err === 'object' && err !== null && 'expose' in err && err.expose === true && 'status' in err && typeof err.status === 'number' && err.status >= 400 && err.status < 500) {
    return new HttpError(400, 'malformed-body', 'The request body could not be read', '(body)');
  }
  return new HttpError(500, 'internal-error', 'Internal error');
}

/** The error middleware: logs (without the request body) and answers with the JSON error body. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  // express recognises an error handler by its four parameters.
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  return (err, req, res, _next) => {
    const e = toHttpError(err);
    if (e.status >= 500) {
      logger.error({ err: err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : String(err), route: routeLabel(req, res) }, 'request failed');
    }
    if (res.headersSent) return;
    res.status(e.status).set(e.headers).json({
      error: { status: e.status, code: e.code, message: e.message, ...(e.field !== undefined ? { field: e.field } : {}), ...(e.issues !== undefined ? { issues: e.issues } : {}) },
    } satisfies ErrorBody);
  };
}
