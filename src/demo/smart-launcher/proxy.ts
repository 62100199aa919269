/**
 * The launch stand-in's FHIR proxy: a bearer-checked pass-through to the upstream FHIR server, with
 * the scope and compartment checks of compartment.ts, absolute upstream URLs rewritten to the proxy's,
 * a Location added to a 201 that has none, and failures that tests can switch on (`failWrites`,
 * `failReads`).
 */
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { Request, Response } from 'express';
import { createCompartmentGuard, Refusal } from './compartment';
import { FHIR_JSON, isRecord, outcome, parseJson, readBody, requestUrl, type Responder } from './http';
import type { AccessToken } from './oauth';
import { classify } from './operation';
import type { SmartLauncher } from './types';

/** An upstream answer, read whole. */
export interface UpstreamResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** The upstream FHIR server, as the proxy calls it. */
export interface Upstream {
  /** The upstream base, without a trailing slash. */
  readonly base: string;
  /** Calls `${base}${pathAndQuery}`, forwarding the content-negotiation and conditional headers of `req`. */
  call(method: string, pathAndQuery: string, req: IncomingMessage | undefined, body: Buffer | undefined): Promise<UpstreamResponse>;
}

const FORWARDED_HEADERS = ['content-type', 'accept', 'prefer', 'if-match', 'if-none-match', 'if-none-exist'];
const RETURNED_HEADERS = ['etag', 'last-modified'];
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The upstream at `fhirBaseUrl`, called with `Authorization: Bearer <bearerToken>` when one is given. */
export function createUpstream(fhirBaseUrl: string, bearerToken: string | undefined): Upstream {
  const base = fhirBaseUrl.replace(/\/+$/, '');
  return {
    base,
    async call(method, pathAndQuery, req, body) {
      const headers: Record<string, string> = { accept: FHIR_JSON };
      for (const name of FORWARDED_HEADERS) {
        const value = req?.headers[name];
        if (typeof value === 'string') {
          headers[name] = value;
        }
      }
      if (bearerToken !== undefined) {
        headers['authorization'] = `Bearer ${bearerToken}`;
      }
      const response = await fetch(`${base}${pathAndQuery}`, {
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
    },
  };
}

/** The proxy of one launcher: its handler (for everything under /fhir) and the failure switches. */
export interface FhirProxy extends Pick<SmartLauncher, 'failWrites' | 'failReads'> {
  handle(req: Request, res: Response): Promise<void>;
}

/** What the proxy needs from the launcher. */
export interface FhirProxySite {
  /** The proxy's FHIR base: `${origin}/fhir`. */
  readonly issuer: string;
  readonly upstream: Upstream;
  readonly responder: Responder;
  /** The unexpired access token an Authorization header carries, or undefined. */
  accessFor(authorization: string | undefined): AccessToken | undefined;
}

/** The FHIR proxy of a launcher. */
export function createFhirProxy(site: FhirProxySite): FhirProxy {
  const { issuer, upstream, responder, accessFor } = site;
  const { send, sendFhir } = responder;
  let writeFailure: number | undefined;
  const readFailures = new Map<string, number>();

  const normalizeReference = (reference: string): string => {
    for (const base of [issuer, upstream.base]) {
      if (reference.startsWith(`${base}/`)) {
        return reference.slice(base.length + 1);
      }
    }
    return reference;
  };
  const guard = createCompartmentGuard({
    normalizeReference,
    async currentResource(type, id) {
      const response = await upstream.call('GET', `/${encodeURIComponent(type)}/${encodeURIComponent(id)}`, undefined, undefined);
      return response.status === 200 ? parseJson(response.body) : undefined;
    },
  });
  const toProxy = (text: string): string => text.split(upstream.base).join(issuer);

  const handle = async (req: Request, res: Response): Promise<void> => {
    const url = requestUrl(req);
    const method = req.method;
    const token = accessFor(req.headers.authorization);
    if (token === undefined) {
      sendFhir(req, res, 401, outcome('login', 'A bearer token issued by this server is required.'), { 'www-authenticate': 'Bearer realm="fhir"' });
      return;
    }
    const reply = (status: number, body: unknown, headers: OutgoingHttpHeaders = {}): void => sendFhir(req, res, status, body, headers, true);
    const refused = (error: unknown): boolean => {
      if (error instanceof Refusal) {
        reply(error.status, outcome(error.code, error.message));
        return true;
      }
      return false;
    };
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
        await guard.authorizeBundle(json, token);
        checkResponse = false;
      } else {
        checkResponse = await guard.authorize(operation, token, json, false);
      }
    } catch (error: unknown) {
      if (refused(error)) return;
      throw error;
    }

    const response = await upstream.call(method, `${path}${url.search}`, req, body);
    const text = toProxy(response.body);
    const parsed = parseJson(text);
    if (checkResponse && response.status === 200) {
      try {
        guard.assertReadable(parsed, token.patient);
      } catch (error: unknown) {
        if (refused(error)) return;
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
        headers[name] = toProxy(value);
      }
    }
    if (response.status === 201 && headers['location'] === undefined && isRecord(parsed) && typeof parsed['resourceType'] === 'string' && typeof parsed['id'] === 'string') {
      const meta = parsed['meta'];
      const version = isRecord(meta) && typeof meta['versionId'] === 'string' ? `/_history/${meta['versionId']}` : '';
      headers['location'] = `${issuer}/${parsed['resourceType']}/${parsed['id']}${version}`;
    }
    send(req, res, response.status, text, headers, true);
  };

  return {
    handle,
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
  };
}
