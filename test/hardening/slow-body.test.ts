/**
 * Slow bodies and too many sockets cannot hold the service (issue 19, item 4): a body that drips is cut off
 * by the body-read deadline, an early 401 with an unread body closes its connection, and MAX_CONNECTIONS
 * caps the open sockets. A real service (src/server.ts) on loopback, with short deadlines.
 */
import { connect, type Socket } from 'node:net';
import { startService, type RunningService } from '../../src/server';

const base = { PORT: '0', HOST: '127.0.0.1', DEMO: 'off', DATABASE_PATH: ':memory:', LOG_LEVEL: 'silent' };
const limits = { REQUEST_TIMEOUT_MS: '3000', HEADERS_TIMEOUT_MS: '2000', BODY_TIMEOUT_MS: '1000' };

const started: RunningService[] = [];
const sockets: Socket[] = [];

async function start(env: Record<string, string>): Promise<number> {
  const running = await startService({ ...base, ...limits, ...env }, () => undefined);
  started.push(running);
  return Number(new URL(running.url).port);
}

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const r of started.splice(0)) {
    r.server.closeAllConnections();
    await r.close();
  }
});

/** Opens a socket, writes `head`, then drips one byte a second; resolves with what came back once the server closed it (or after `waitMs`). */
function drip(port: number, head: string, waitMs: number): Promise<{ answer: string; closed: boolean; ms: number }> {
  return new Promise((resolve) => {
    const began = Date.now();
    const socket = connect(port, '127.0.0.1');
    sockets.push(socket);
    const chunks: Buffer[] = [];
    const ticker = setInterval(() => socket.writable && socket.write('1'), 1000);
    const done = (closed: boolean) => {
      clearInterval(ticker);
      clearTimeout(giveUp);
      resolve({ answer: Buffer.concat(chunks).toString('utf8'), closed, ms: Date.now() - began });
    };
    const giveUp = setTimeout(() => done(false), waitMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.on('close', () => done(true));
    socket.write(head);
  });
}

const post = (length: number, extra = '') => `POST /cds-services/npc-treatment-guidance HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n${extra}\r\n{"hook`;

describe('slow bodies', () => {
  test('a request whose body drips is answered 408 with a JSON reason and its connection closed by the body deadline', async () => {
    const port = await start({});
    const { answer, closed } = await drip(port, post(5_000_000), 8000);
    expect(closed).toBe(true);
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer.toLowerCase()).toContain('connection: close');
    expect(answer).toContain('"code":"request-timeout"');
    expect(answer.match(/HTTP\/1\.1 /g)).toHaveLength(1);
  }, 15_000);

  test('an unauthenticated request with a big Content-Length gets its 401 and then loses the socket, not held for the body', async () => {
    const port = await start({ TRUSTED_ISSUERS: JSON.stringify([{ iss: 'https://issuer.example', jwksUrl: 'https://issuer.example/jwks' }]) });
    const { answer, closed } = await drip(port, post(5_000_000), 8000);
    expect(answer).toMatch(/^HTTP\/1\.1 401 /);
    expect(answer.toLowerCase()).toContain('connection: close');
    expect(closed).toBe(true);
    expect(answer.match(/HTTP\/1\.1 /g)).toHaveLength(1);
  }, 15_000);
});

describe('MAX_CONNECTIONS', () => {
  test('sockets beyond MAX_CONNECTIONS are dropped while those within it stay open', async () => {
    const port = await start({ MAX_CONNECTIONS: '3', REQUEST_TIMEOUT_MS: '60000', HEADERS_TIMEOUT_MS: '60000', BODY_TIMEOUT_MS: '60000' });
    const open = (): Promise<Socket> =>
      new Promise((resolve) => {
        const s = connect(port, '127.0.0.1', () => resolve(s));
        s.on('error', () => undefined);
        sockets.push(s);
      });
    const held = [await open(), await open(), await open()];
    await new Promise((r) => setTimeout(r, 300));
    const extra = await open();
    const extraClosed = await new Promise<boolean>((resolve) => {
      const t = setTimeout(() => resolve(false), 3000);
      extra.on('close', () => {
        clearTimeout(t);
        resolve(true);
      });
    });
    expect(extraClosed).toBe(true);
    expect(held.every((s) => !s.destroyed)).toBe(true);
  }, 15_000);
});
