/**
 * A reverse proxy that rewrites URLs as smart-launcher-v2's FHIR proxy does (its
 * backend/routes/fhir/proxy.ts, read for its behaviour, not copied): the upstream URL is the upstream
 * base followed by the request's path and query, and in that whole URL every `/`, optional whitespace,
 * `/` becomes one `/`, left to right. The scheme's own `//` is collapsed too and restored when the URL
 * is parsed again (`http:/host` is `http://host` to a WHATWG URL parser), so only the path and the query
 * are really changed: an unencoded `code=http://loinc.org|21905-5` reaches the server as
 * `code=http:/loinc.org|21905-5`. Answers come back with the upstream base replaced by the proxy's, as
 * the launcher does, so `next` links point at the proxy.
 *
 * Unlike the launcher, it forwards `Authorization` (it stands for any gateway between a client and a
 * bearer-checking FHIR server); like it, it drops `host`, `connection` and `x-*` headers.
 */
import { createServer } from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CollapsingProxy {
  /** The proxy's FHIR base, e.g. http://127.0.0.1:41235/fhir (the upstream base's path on the proxy's origin). */
  readonly baseUrl: string;
  /** Every upstream URL the proxy requested, after the rewrite, in order. */
  readonly forwarded: string[];
  close(): Promise<void>;
}

/** The launcher's rewrite: in the whole URL, `/` + optional whitespace + `/` becomes `/`, pairs taken left to right. */
export function collapseSlashes(url: string): string {
  return url.replace(/\/\s*\//g, '/');
}

const DROPPED = new Set(['host', 'connection', 'content-length', 'transfer-encoding']);

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return chunks.length === 0 ? undefined : Buffer.concat(chunks);
}

/** Starts the proxy in front of `upstreamBase` (e.g. the in-process FHIR server's base URL) on 127.0.0.1. */
export async function startCollapsingProxy(upstreamBase: string): Promise<CollapsingProxy> {
  const upstream = new URL(upstreamBase.replace(/\/+$/, ''));
  const forwarded: string[] = [];
  let proxyBase = '';

  const server = createServer((req, res) => {
    void (async () => {
      const suffix = (req.url ?? '/').startsWith(upstream.pathname) ? (req.url ?? '/').slice(upstream.pathname.length) : (req.url ?? '/');
      const target = new URL(collapseSlashes(new URL(`${upstream.href}${suffix}`).href));
      forwarded.push(target.href);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (value !== undefined && !DROPPED.has(name) && !/^x-/i.test(name)) headers[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : await readBody(req);
      const response = await fetch(target, { method: req.method ?? 'GET', headers, redirect: 'manual', ...(body !== undefined ? { body: body.toString('utf8') } : {}) });
      const text = (await response.text()).split(upstream.href).join(proxyBase);
      const out: Record<string, string> = {};
      for (const name of ['content-type', 'etag', 'location']) {
        const value = response.headers.get(name);
        if (value !== null) out[name] = value.split(upstream.href).join(proxyBase);
      }
      res.writeHead(response.status, out);
      res.end(text);
    })().catch(() => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end('bad gateway');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  proxyBase = `http://127.0.0.1:${port}${upstream.pathname}`;
  return {
    baseUrl: proxyBase,
    forwarded,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
