/**
 * SIGTERM stops the service within SHUTDOWN_TIMEOUT_MS whatever happens (issue 19, item 9): once the
 * service survived SIGTERM for 45 minutes, its main thread blocked writing log lines to a stdout pipe
 * nobody read. Spawns the server (bundled from src/ with esbuild into node_modules/.cache, so that the test
 * needs no `npm run build` and never runs a stale one) with stdout a pipe this test never reads.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { connect, createServer } from 'node:net';
import path from 'node:path';
import { build } from 'esbuild';

const REPO_ROOT = path.resolve(__dirname, '../..');
const SERVER = path.join(REPO_ROOT, 'node_modules', '.cache', 'npc-cds-tests', 'shutdown-server.js');
const SHUTDOWN_TIMEOUT_MS = 3000;

beforeAll(async () => {
  // Inside the project, so that the bundle finds package.json (paths.ts) and node_modules above it.
  await build({ entryPoints: [path.join(REPO_ROOT, 'src/server.ts')], outfile: SERVER, bundle: true, platform: 'node', format: 'cjs', packages: 'external', logLevel: 'silent' });
}, 60_000);

/** A free port, found by asking for port 0 and closing it. */
async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Starts the server with stdout a pipe nobody reads (stderr ignored); resolves once it answers. */
async function start(port: number): Promise<ChildProcess> {
  const env = {
    PATH: process.env['PATH'] ?? '',
    PORT: String(port),
    HOST: '127.0.0.1',
    DEMO: 'off',
    DATABASE_PATH: ':memory:',
    LOG_LEVEL: 'debug',
    SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
  };
  const child = spawn(process.execPath, [SERVER], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'ignore'] });
  child.stdout?.pause();
  for (let i = 0; i < 100; i += 1) {
    if (await get(port).then(() => true, () => false)) return child;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error('the server did not start');
}

function get(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/cds-services', agent: false, timeout: 2000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** Many requests, so that the log lines fill the 64 KiB pipe nobody reads; errors (a blocked server) are ignored. */
async function flood(port: number, count: number): Promise<void> {
  for (let i = 0; i < count; i += 20) {
    await Promise.all(Array.from({ length: 20 }, () => get(port).catch(() => 0)));
  }
}

/** Sends SIGTERM and resolves with how long the process took to exit, or Infinity after `waitMs` (then kills it). */
function stopWithin(child: ChildProcess, waitMs: number): Promise<number> {
  return new Promise((resolve) => {
    const began = Date.now();
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(Number.POSITIVE_INFINITY);
    }, waitMs);
    child.once('exit', () => {
      clearTimeout(t);
      resolve(Date.now() - began);
    });
    child.kill('SIGTERM');
  });
}

describe('shutdown', () => {
  test('with stdout a full pipe nobody reads, SIGTERM still ends the process within SHUTDOWN_TIMEOUT_MS', async () => {
    const port = await freePort();
    const child = await start(port);
    await flood(port, 600);
    expect(await stopWithin(child, SHUTDOWN_TIMEOUT_MS + 5000)).toBeLessThan(SHUTDOWN_TIMEOUT_MS + 5000);
  }, 60_000);

  test('after a dripping-body attack whose sockets stay open, SIGTERM still ends the process within SHUTDOWN_TIMEOUT_MS', async () => {
    const port = await freePort();
    const child = await start(port);
    const sockets = Array.from({ length: 50 }, () => {
      const s = connect(port, '127.0.0.1');
      s.on('error', () => undefined);
      s.write(`POST /cds-services/npc-treatment-guidance HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 5000000\r\n\r\n{`);
      return s;
    });
    await flood(port, 200);
    try {
      expect(await stopWithin(child, SHUTDOWN_TIMEOUT_MS + 5000)).toBeLessThan(SHUTDOWN_TIMEOUT_MS + 5000);
    } finally {
      for (const s of sockets) s.destroy();
    }
  }, 60_000);
});
