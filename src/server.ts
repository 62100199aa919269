/**
 * Entry point of `npm start`: reads the configuration, opens the store, builds the app and listens on
 * PORT. With no production configuration it also runs the embedded demo (src/demo) and serves the demo
 * EHR page at `/`. With WORKERS > 1 (or `auto`: one per core) a primary process forks that many workers
 * that share the port (node:cluster) and replaces a worker that dies. Stops cleanly on SIGINT / SIGTERM.
 */
import cluster from 'node:cluster';
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { Worker } from 'node:worker_threads';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { buildApp, configurationWarnings, securityStatus } from './express-app';
import { clientErrorHandler } from './client-error';
import { ConfigError, loadConfig, type Config } from './config';
import { startDemo, type Demo } from './demo';
import { createLogger } from './logger';
import { describeStore, openStore } from './store/open';
import type { Store } from './store/store';

/** A running service: where it listens, and how to stop it. */
export interface RunningService {
  /** The URL to open: the demo EHR page when the demo runs, else the discovery endpoint. */
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

const displayHost = (host: string) => (host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host);

function listen(server: Server, config: Config): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * Starts one service process: listens first (so that the demo knows its own URL, PORT=0 included), then
 * builds the app and hands it the requests; until then requests get 503.
 */
export async function startService(
  env: NodeJS.ProcessEnv = process.env,
  out: (line: string) => void = (l) => process.stdout.write(l),
  loaded: Config = loadConfig(env),
): Promise<RunningService> {
  let config = loaded;
  const logger = createLogger(config.logLevel);
  const limits = config.lifecycle;
  // Node checks requestTimeout / headersTimeout only every connectionsCheckingInterval, settable only here.
  const server = createServer(
    {
      requestTimeout: limits.requestTimeoutMs,
      headersTimeout: limits.headersTimeoutMs,
      keepAliveTimeout: 65_000,
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
    },
    (_req, res) => {
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' }).end('{"error":"starting","message":"The service is starting"}');
    },
  );
  server.maxConnections = limits.maxConnections;
  server.on('clientError', clientErrorHandler(logger));
  const port = await listen(server, config);
  const origin = `http://${displayHost(config.host)}:${port}`;

  let demo: Demo | undefined;
  let opened: Store | undefined;
  let store: Store;
  try {
    if (config.demo) {
      demo = await startDemo({ ...config, port }, { baseUrl: origin });
      // Demo cards and feedback stay in memory unless DATABASE_PATH says otherwise.
      config = { ...demo.config, databasePath: env['DATABASE_PATH'] ?? ':memory:' };
    }
    store = opened = await openStore(config, { postgres: { onError: (e) => logger.warn({ err: e.message }, 'database connection lost') } });
    const app = await buildApp({ config, store, logger, ...(demo !== undefined ? { routes: [demo.routes(store)] } : {}) });
    server.removeAllListeners('request');
    server.on('request', guarded(app, limits.bodyTimeoutMs));
  } catch (error) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await demo?.close();
    await opened?.close();
    throw error;
  }

  const security = securityStatus(config);
  for (const warning of configurationWarnings(config)) {
    logger.warn({ security: security.mode }, warning);
    if (!config.demo) process.stderr.write(`\n  WARNING: ${warning}\n\n`);
  }
  logger.info({ port, host: config.host, security: security.mode, store: store.kind, demo: config.demo, pid: process.pid }, 'listening');
  const url = demo !== undefined ? `${origin}/` : `${origin}/cds-services`;
  if (cluster.isPrimary) {
    if (demo !== undefined) {
      out(
        [
          '',
          '  npc-cds DEMO: synthetic patients in an in-memory FHIR server, a SMART launch stand-in and a demo EHR.',
          '  Not for clinical use; it runs only without production settings (docs/configuration.md).',
          '',
          `  Open the demo EHR:   ${url}`,
          `  CDS Hooks discovery: ${origin}/cds-services   (security: ${security.mode})`,
          `  Demo FHIR server:    ${demo.launcher.issuer}`,
          '',
          '',
        ].join('\n'),
      );
    } else {
      out(`npc-cds CDS Hooks service: ${url} (security: ${security.mode}, store: ${store.kind} ${describeStore(config)})\n`);
    }
  }

  return {
    url,
    server,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await demo?.close();
      await store.close();
    },
  };
}

const BODY_TIMEOUT_ANSWER = JSON.stringify({ error: { status: 408, code: 'request-timeout', message: 'The request body was not received in time' } });

/**
 * Wraps the app (issue 19, item 4): a request whose body has not fully arrived within `bodyTimeoutMs` gets
 * a 408 (or, if its answer has begun, loses its connection); and an answer sent before the body was read
 * (an early 401, 413, 415) closes the connection, so that the unread body cannot hold the socket.
 */
function guarded(app: RequestListener, bodyTimeoutMs: number): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    const timer = setTimeout(() => {
      if (req.complete) return;
      if (res.headersSent) {
        req.socket.destroy();
        return;
      }
      res.writeHead(408, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(BODY_TIMEOUT_ANSWER), connection: 'close' });
      res.end(BODY_TIMEOUT_ANSWER);
    }, bodyTimeoutMs);
    timer.unref();
    const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
    (res as { writeHead: (...args: unknown[]) => ServerResponse }).writeHead = (...args: unknown[]) => {
      if (!req.complete && !res.headersSent) res.setHeader('connection', 'close');
      return writeHead(...args);
    };
    res.on('finish', () => {
      clearTimeout(timer);
      if (!req.complete) req.socket.destroySoon();
    });
    res.on('close', () => clearTimeout(timer));
    app(req, res);
  };
}

/**
 * A watchdog outside the main thread (issue 19, item 9): if the process still runs `ms` after it was armed
 * (the main thread blocked, say, on a write to a pipe nobody reads), the worker kills the process.
 */
function armWatchdog(ms: number): void {
  const worker = new Worker(`const { workerData } = require('node:worker_threads'); setTimeout(() => process.kill(workerData.pid, 'SIGKILL'), workerData.ms);`, {
    eval: true,
    workerData: { pid: process.pid, ms },
    stdout: false,
    stderr: false,
  });
  worker.unref();
}

/** Stops on SIGINT / SIGTERM, forcing an exit if closing takes longer than `timeoutMs` (SHUTDOWN_TIMEOUT_MS). */
function stopOnSignals(logger: Logger, stop: () => Promise<void>, timeoutMs: number, halfway?: () => void): void {
  let stopping = false;
  const onSignal = (signal: string) => {
    if (stopping) return;
    stopping = true;
    armWatchdog(timeoutMs);
    logger.info({ signal }, 'stopping');
    setTimeout(() => process.exit(1), Math.max(0, timeoutMs - 250)).unref();
    if (halfway !== undefined) setTimeout(halfway, Math.floor(timeoutMs / 2)).unref();
    stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
}

/** Restarts allowed per minute before the primary gives up (a worker that dies at once would loop). */
const MAX_RESTARTS_PER_MINUTE = 10;

/** A free TCP port on `host` (workers asked for port 0 would each get a port of their own). */
function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** The cluster primary: forks the workers, replaces one that dies, stops them all on a signal. */
async function runPrimary(config: Config, logger: Logger): Promise<void> {
  let stopping = false;
  let announced = false;
  const restarts: number[] = [];
  const env = config.port === 0 ? { PORT: String(await freePort(config.host)) } : {};
  // The primary opens the store once first: it applies the migrations (and, for SQLite, switches the file
  // to WAL) before any worker starts, so the workers never race to create the same schema.
  await (await openStore(config)).close();
  const fork = () => cluster.fork(env);
  for (let i = 0; i < config.workers; i += 1) fork();
  cluster.on('listening', (_worker, address) => {
    if (announced) return;
    announced = true;
    process.stdout.write(`npc-cds CDS Hooks service: http://${displayHost(config.host)}:${address.port}/cds-services (${config.workers} workers, primary pid ${process.pid})\n`);
  });
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    const now = Date.now();
    restarts.push(now);
    while (restarts.length > 0 && (restarts[0] ?? now) < now - 60_000) restarts.shift();
    logger.error({ worker: worker.process.pid, code, signal }, 'worker exited');
    if (restarts.length > MAX_RESTARTS_PER_MINUTE) {
      logger.fatal({ restarts: restarts.length }, 'workers keep exiting; stopping');
      process.stderr.write('npc-cds: workers keep exiting; see the log\n');
      process.exit(1);
    }
    fork();
  });
  stopOnSignals(logger, async () => {
    stopping = true;
    const workers = Object.values(cluster.workers ?? {}).filter((w) => w !== undefined);
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            w.once('exit', () => resolve());
            w.process.kill('SIGTERM');
          }),
      ),
    );
  }, config.lifecycle.shutdownTimeoutMs);
}

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  if (config.workers > 1 && cluster.isPrimary) {
    await runPrimary(config, logger);
    return;
  }
  const running = await startService(process.env, (l) => process.stdout.write(l), config);
  stopOnSignals(logger, () => running.close(), config.lifecycle.shutdownTimeoutMs, () => running.server.closeAllConnections());
}

if (require.main === module) {
  main().catch((err: unknown) => {
    const message = err instanceof ConfigError ? `configuration error: ${err.message}` : err instanceof Error ? err.message : String(err);
    process.stderr.write(`npc-cds could not start: ${message}\n`);
    process.exit(1);
  });
}
