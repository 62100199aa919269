/**
 * The in-process medplum FHIR server (src/demo/fhir-server.ts) behind a cache of its own answers, for the
 * benchmarks of the service's FHIR fallback path (bench/soak.ts, bench/http.ts).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FhirTestServer } from '../src/demo/fhir-server';

/**
 * A caching front for the medplum FHIR server: the first GET of a URL (with its Authorization header)
 * goes to medplum; repeats are answered with medplum's own bytes. medplum's in-memory search evaluates
 * every search parameter over every stored resource, ~100-250 ms of CPU for the Observation search with
 * its twenty codes: at a sustained rate the FHIR server, not the service under test, would be the bottleneck.
 * The data do not change during the run, so the service's side of the fallback path (HTTP reads with the
 * bearer token, parsing, deadlines) is exactly what it would be without the cache.
 */
export interface FhirFront {
  readonly baseUrl: string;
  /** Requests received, and those that went to medplum, since the last reset. */
  reads: number;
  misses: number;
  close(): Promise<void>;
}

export async function startFhirFront(upstream: FhirTestServer): Promise<FhirFront> {
  const up = new URL(upstream.baseUrl);
  const cache = new Map<string, { status: number; type: string; body: Buffer }>();
  const front = { reads: 0, misses: 0 };
  const server = createServer((req, res) => {
    front.reads++;
    const authorization = req.headers.authorization;
    const key = `${req.url ?? ''} ${authorization ?? ''}`;
    const hit = req.method === 'GET' ? cache.get(key) : undefined;
    if (hit !== undefined) {
      res.writeHead(hit.status, { 'content-type': hit.type, 'content-length': hit.body.length }).end(hit.body);
      return;
    }
    front.misses++;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers: Record<string, string> = {};
      if (authorization !== undefined) headers['authorization'] = authorization;
      if (req.headers['content-type'] !== undefined) headers['content-type'] = req.headers['content-type'];
      fetch(`${up.origin}${req.url ?? '/'}`, { method: req.method ?? 'GET', headers, ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}) })
        .then(async (r) => {
          const body = Buffer.from(await r.arrayBuffer());
          const type = r.headers.get('content-type') ?? 'application/fhir+json';
          if (req.method === 'GET' && r.status === 200) cache.set(key, { status: r.status, type, body });
          res.writeHead(r.status, { 'content-type': type, 'content-length': body.length }).end(body);
        })
        .catch((e: unknown) => {
          res.writeHead(502, { 'content-type': 'text/plain' }).end(e instanceof Error ? e.message : String(e));
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(front, {
    baseUrl: `http://127.0.0.1:${port}${up.pathname}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  });
}
