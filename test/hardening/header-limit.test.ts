/**
 * A request Node's HTTP parser refuses gets the service's JSON error body with a reason (issue 19, item 8):
 * a JWT larger than the 16 KB header limit was a bare 431. A real service (src/server.ts) on loopback.
 */
import { connect } from 'node:net';
import { startService, type RunningService } from '../../src/server';

let running: RunningService;
let port = 0;

beforeAll(async () => {
  running = await startService({ PORT: '0', HOST: '127.0.0.1', DEMO: 'off', DATABASE_PATH: ':memory:', LOG_LEVEL: 'silent' }, () => undefined);
  port = Number(new URL(running.url).port);
});

afterAll(() => running.close());

/** Sends raw bytes and reads the whole answer until the server closes the connection. */
function exchange(raw: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.end(raw);
  });
}

function parse(answer: string): { status: number; headers: string; body: unknown } {
  const at = answer.indexOf('\r\n\r\n');
  const head = answer.slice(0, at);
  return { status: Number(head.split(' ')[1]), headers: head.toLowerCase(), body: JSON.parse(answer.slice(at + 4)) as unknown };
}

/** A JWT-shaped token of about `bytes` bytes. */
const bigJwt = (bytes: number) => `eyJhbGciOiJFUzM4NCJ9.${'A'.repeat(bytes)}.c2ln`;

describe('requests the HTTP parser refuses', () => {
  test('a JWT larger than the header limit gets a 431 with a JSON reason naming the limit', async () => {
    const answer = parse(await exchange(`POST /cds-services/npc-treatment-guidance HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${bigJwt(20_000)}\r\nContent-Length: 0\r\n\r\n`));
    expect(answer.status).toBe(431);
    expect(answer.headers).toContain('content-type: application/json');
    expect(answer.headers).toContain('connection: close');
    expect(answer.body).toEqual({ error: { status: 431, code: 'request-headers-too-large', message: expect.stringMatching(/headers are larger than this server accepts \(16384 bytes in all\): a JWT in Authorization must be smaller/) } });
  });

  test('a request line that is not HTTP gets a 400 with a JSON reason', async () => {
    const answer = parse(await exchange('NOT HTTP AT ALL\r\n\r\n'));
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ error: { status: 400, code: 'malformed-request', message: 'The request is not valid HTTP' } });
  });

  test('after both, a request within the limits is served', async () => {
    const answer = await exchange(`GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${bigJwt(8_000)}\r\nConnection: close\r\n\r\n`);
    expect(answer.startsWith('HTTP/1.1 200')).toBe(true);
  });
});
