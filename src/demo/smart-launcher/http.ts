/**
 * How the launch stand-in answers: every response goes through one `send`, which adds CORS and records
 * the request; JSON and FHIR JSON bodies; OperationOutcomes; and reading request bodies.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { OperationOutcome } from 'fhir/r4';
import type { LauncherRequest } from './types';

/** An OperationOutcome issue code. */
export type IssueCode = OperationOutcome['issue'][number]['code'];

export const FHIR_JSON = 'application/fhir+json';

/** The answer to a CORS preflight to the token endpoint or the FHIR proxy. */
export const CORS_PREFLIGHT: OutgoingHttpHeaders = {
  'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE, OPTIONS',
  'access-control-allow-headers': 'Authorization, Content-Type, Accept, Prefer, If-Match, If-None-Match, If-None-Exist',
  'access-control-max-age': '600',
};

/** Sends responses and records them in `requests` (when recording). */
export interface Responder {
  send(req: IncomingMessage, res: ServerResponse, status: number, body: string | undefined, headers: OutgoingHttpHeaders, authorized?: boolean): void;
  sendJson(req: IncomingMessage, res: ServerResponse, status: number, body: unknown, headers?: OutgoingHttpHeaders, authorized?: boolean): void;
  sendFhir(req: IncomingMessage, res: ServerResponse, status: number, body: unknown, headers?: OutgoingHttpHeaders, authorized?: boolean): void;
}

/** An OperationOutcome with one error issue. */
export const outcome = (code: IssueCode, diagnostics: string): OperationOutcome => ({
  resourceType: 'OperationOutcome',
  issue: [{ severity: 'error', code, diagnostics }],
});

const resolved = new WeakMap<IncomingMessage, URL>();

/**
 * Resolves the target of a request against the launcher's origin, once, before routing (dot segments
 * removed, an absolute-form or `//host` target reduced to its path); a TypeError when it cannot.
 */
export function resolveRequestUrl(req: IncomingMessage, origin: string): URL {
  const url = new URL(req.url ?? '/', origin);
  resolved.set(req, url);
  return url;
}

/** The URL `resolveRequestUrl` resolved for a request. */
export function requestUrl(req: IncomingMessage): URL {
  const url = resolved.get(req);
  if (url === undefined) throw new Error('The request URL was not resolved before routing.');
  return url;
}

/**
 * The responder of a launcher. Requests are recorded in `requests` (unless undefined) with their
 * resolved path and query, or as sent when their target could not be resolved.
 */
export function createResponder(requests: LauncherRequest[] | undefined): Responder {
  const send: Responder['send'] = (req, res, status, body, headers, authorized = false) => {
    if (requests !== undefined) {
      const url = resolved.get(req);
      requests.push({ method: req.method ?? '', path: url === undefined ? (req.url ?? '') : `${url.pathname}${url.search}`, status, authorized });
    }
    res.writeHead(status, {
      'access-control-allow-origin': req.headers.origin ?? '*',
      'access-control-expose-headers': 'Location, Content-Location, ETag, Last-Modified, WWW-Authenticate',
      vary: 'Origin',
      ...headers,
    });
    res.end(body);
  };
  return {
    send,
    sendJson: (req, res, status, body, headers = {}, authorized = false) =>
      send(req, res, status, JSON.stringify(body), { 'content-type': 'application/json', ...headers }, authorized),
    sendFhir: (req, res, status, body, headers = {}, authorized = false) =>
      send(req, res, status, JSON.stringify(body), { 'content-type': FHIR_JSON, ...headers }, authorized),
  };
}

/** The whole request body. */
export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Parsed JSON, or undefined when the text is not JSON. */
export function parseJson(body: Buffer | string): unknown {
  try {
    return JSON.parse(body.toString()) as unknown;
  } catch {
    return undefined;
  }
}

/** Whether a value is a JSON object. */
export const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
