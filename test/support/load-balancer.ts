/**
 * A round-robin HTTP load balancer for the scale-out tests, as nginx's `upstream` does it: each request
 * goes to the next upstream; an upstream that refuses the connection is skipped for that request (passive
 * failover, `proxy_next_upstream error`); when none answers, 502. The response says which upstream served
 * it in `x-upstream` (its index). Request bodies are buffered, so that a request can be sent again.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoadBalancer {
  readonly url: string;
  close(): Promise<void>;
}

export async function startLoadBalancer(upstreams: readonly string[]): Promise<LoadBalancer> {
  const targets = upstreams.map((u) => new URL(u));
  let next = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const first = next;
      next = (next + 1) % targets.length;
      const attempt = (tries: number): void => {
        const index = (first + tries) % targets.length;
        const target = targets[index] as URL;
        const upstream = http.request(
          { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent: false },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, { ...answer.headers, 'x-upstream': String(index) });
            answer.pipe(res);
          },
        );
        upstream.on('error', () => {
          if (res.headersSent) res.destroy();
          else if (tries + 1 < targets.length) attempt(tries + 1);
          else res.writeHead(502, { 'content-type': 'text/plain' }).end('no upstream answered\n');
        });
        upstream.end(body);
      };
      attempt(0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
