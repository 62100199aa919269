/**
 * Benchmark (not a test): the CDS Hooks service over HTTP, driven by autocannon, each request against its
 * own ceiling: a bare express 5 app with express.json() on the same route that answers the real service's
 * response to that request, captured once, verbatim. Four parts:
 *
 * 1. The main request (bench/prefetch.ts `benchRequest`: patient-view during RT, one card) at 1, 10 and 50
 *    connections, against
 *    - the ceiling;
 *    - the service (buildApp, default configuration, SQLite file store, logging off), without JWT;
 *    - the same with logging at info (to /dev/null), to show what a log line per request costs;
 *    - the same with CDS Hooks JWTs, RS384 and ES384, one fresh pre-signed token per request;
 *    - the ES384 ceiling: the ceiling that also verifies the request's ES384 JWT (jose `jwtVerify`, one
 *      P-384 signature per request), the fair top for the ES384 service.
 *    All of them are started first; then, for each connection count, every configuration runs back to
 *    back, so that the ratios compare runs made close together in time.
 * 2. The request kinds users send (bench/requests.ts: pre-treatment, during-RT, order-select, order-sign,
 *    fhir-fallback), each at 10 connections against its own ceiling, back to back, and the service alone at
 *    1 connection for its p99. The fhir-fallback kind reads the patient from a FHIR server (the in-process
 *    medplum server behind a cache of its answers, bench/fhir-front.ts) in a child process of its own, so
 *    that its CPU does not count against the service; its ceiling answers from memory.
 * 3. Prefetch scaling: the main record padded to 500, 5,000 and 50,000 Observations, sequential requests,
 *    median and p95 latency: over HTTP when the body fits the service's body limit, and in-process through
 *    serveHook for every size (labelled), to see whether the cost grows linearly.
 * 4. A breakdown of one request's work by stage, measured in-process.
 * Each server under test runs in its own child process, so that autocannon's work does not share the
 * server's event loop. Each run records the server's CPU time and what the rest of the machine was doing,
 * so that a run disturbed by other processes can be recognised. Prints everything and writes it to
 * bench/RESULTS.md, with the targets of issue 15 as met / not met. Run with `npm run bench`; the measured
 * run length is BENCH_DURATION_S seconds (default 8).
 *
 * Other modes: `--quick` (ceiling and service at 10 connections, for iterating on a change), `--kinds`
 * (part 2 only, printed), `--scaling` (part 3 only, printed), `--stages` (part 4 only, printed), and
 * `--profile`, which samples the CPU of the service and of the ceiling under load and attributes the time
 * per request to the packages and modules that spend it.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { Session, type Profiler } from 'node:inspector';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import express from 'express';
import type { FhirResource } from 'fhir/r4';
import { exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT, type JWK, type KeyLike } from 'jose';
import { buildApp } from '../src/express-app';
import { cardSchema } from '../src/cds/card-schema';
import { serveHook, type HookDeps } from '../src/cds/hooks';
import { hookRequestSchema } from '../src/cds/request-schema';
import { loadServices, type ServiceDefinition } from '../src/cds/services';
import { CardTemplates } from '../src/cds/templates';
import { loadConfig, type Config } from '../src/config';
import { assessPatient } from '../src/core';
import { startFhirServer } from '../src/demo/fhir-server';
import { extractInputs } from '../src/fhir/extract';
import { loadPatientRecord } from '../src/fhir/loader';
import { createLogger } from '../src/logger';
import { openSqliteStore } from '../src/store/sqlite';
import { startFhirFront } from './fhir-front';
import { BENCH_SERVICE_ID, benchRequest, duringRtRecord, fillerObservations, patientViewBody } from './prefetch';
import { fhirFallbackResources, requestKinds, type RequestKind } from './requests';
import { machineCpuMs, writeResultsReport } from './results';

/** BENCH_DURATION_S: seconds per measured run (default 8; 1-2 to check that a change runs through). */
function durationFromEnv(): number {
  const raw = process.env['BENCH_DURATION_S'];
  if (raw === undefined || raw === '') return 8;
  const s = Number(raw);
  if (!Number.isFinite(s) || s < 1 || s > 600) throw new Error(`BENCH_DURATION_S: "${raw}" must be a number of seconds from 1 to 600`);
  return s;
}

const DURATION_S = durationFromEnv();
/** Per server, once, before any measurement (JIT, caches). */
const INITIAL_WARMUP_S = 2;
/** Before every measured run, at its connection count. */
const WARMUP_S = 1;
const CONNECTIONS = [1, 10, 50] as const;
/** The connection count of the per-kind table and of the targets of issue 15. */
const KIND_CONNECTIONS = 10;
/** The targets of issue 15 ("Speed"): reported as met or not met, never asserted. */
const TARGETS = {
  /** Service req/s at least this share of the ceiling's, at 10 connections. */
  rps: 0.8,
  /** Service p99 at most this multiple of the ceiling's p99, at 10 connections. */
  p99Ratio: 1.5,
  /** Service p99 below this, in ms, at 1 connection. */
  p99At1Ms: 5,
  /** With RS384 JWTs, at least this share of the plain ceiling's req/s. */
  rs384: 0.7,
  /** With ES384 JWTs, at least this share of the ES384 ceiling's req/s. */
  es384: 0.85,
  /** Prefetch scaling: 5,000 Observations answered in less than this, in ms. */
  scaling5000Ms: 50,
} as const;
const JSON_TYPES = ['application/json', 'application/fhir+json', 'application/*+json'];
const routeOf = (serviceId: string) => `/cds-services/${serviceId}`;

// ---- the servers under test (child processes) -------------------------------------------------------

/** What the ES384 ceiling checks: one JWT per request, signed by this issuer's P-384 key. */
interface JwtCheck {
  readonly iss: string;
  readonly jwk: JWK;
}

type ServerSpec =
  | { readonly kind: 'ceiling'; readonly body: string; readonly verify?: JwtCheck }
  | {
      readonly kind: 'service';
      readonly logging: 'silent' | 'info';
      readonly trustedIssuers?: string;
      /** ALLOWED_FHIR_SERVERS, for the fhir-fallback kind. */
      readonly allowedFhirServers?: string;
    }
  | { readonly kind: 'fhir'; readonly resources: readonly FhirResource[]; readonly bearerToken: string };

/** What a child reports when it stops: cards its store recorded (service), reads it answered (FHIR). */
interface Stopped {
  readonly cardsIssued?: number;
  readonly fhirReads?: number;
  /** FHIR reads that went to medplum (the rest came from the cache). */
  readonly fhirMisses?: number;
}

type ToChild =
  | { readonly type: 'start'; readonly spec: ServerSpec }
  | { readonly type: 'cpu' }
  | { readonly type: 'profile-start' }
  | { readonly type: 'profile-stop' }
  | { readonly type: 'stop' };
type FromChild =
  | { readonly type: 'listening'; readonly port: number; readonly baseUrl?: string }
  | { readonly type: 'cpu'; readonly micros: number }
  | { readonly type: 'profile'; readonly profile?: CpuProfile }
  | ({ readonly type: 'stopped' } & Stopped)
  | { readonly type: 'failed'; readonly message: string };

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** A server the child hosts: where it listens, and how it shuts down. */
interface Hosted {
  readonly port: number;
  readonly baseUrl?: string;
  finish(): Promise<Stopped>;
}

/** An HTTP server for the ceiling and the service, with the timeouts of production (src/server.ts). */
async function listeningServer(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { server, port: typeof address === 'object' && address !== null ? address.port : 0 };
}

const closeServer = (server: Server) => {
  server.close();
  server.closeAllConnections();
};

/**
 * Verifies the request's bearer JWT as a CDS service must at the least: the ES384 signature with the
 * issuer's public key, iss, aud (the URL called) and exp. No JWKS lookup by kid, no jti replay cache: those
 * are the service's own work on top.
 */
async function jwtCheck(check: JwtCheck, baseUrl: string): Promise<(req: express.Request) => Promise<boolean>> {
  const key = await importJWK(check.jwk, 'ES384');
  return async (req) => {
    const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (token === undefined) return false;
    try {
      await jwtVerify(token, key, { issuer: check.iss, audience: `${baseUrl}${req.originalUrl}`, algorithms: ['ES384'] });
      return true;
    } catch {
      return false;
    }
  };
}

async function hostCeiling(spec: Extract<ServerSpec, { kind: 'ceiling' }>): Promise<Hosted> {
  const { server, port } = await listeningServer();
  const verify = spec.verify !== undefined ? await jwtCheck(spec.verify, `http://127.0.0.1:${port}`) : undefined;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.post('/cds-services/:id', express.json({ limit: '5mb', type: JSON_TYPES }), async (req, res) => {
    if (verify !== undefined && !(await verify(req))) {
      res.status(401).json({ error: 'invalid token' });
      return;
    }
    res.type('application/json').send(spec.body);
  });
  server.on('request', app);
  return {
    port,
    finish: async () => {
      closeServer(server);
      return {};
    },
  };
}

/** The service: listens on an ephemeral loopback port first, so that PUBLIC_BASE_URL can name the port. */
async function hostService(spec: Extract<ServerSpec, { kind: 'service' }>): Promise<Hosted> {
  const { server, port } = await listeningServer();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'npc-cds-bench-'));
  const env: NodeJS.ProcessEnv = {
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    LOG_LEVEL: spec.logging,
    DATABASE_PATH: path.join(dir, 'npc-cds.sqlite'),
    // A closed-loop benchmark keeps the loop busy all the time: the utilization and delay bounds of load
    // shedding would answer 503 by design, and the ceiling sheds nothing. Requests in flight stay bounded.
    MAX_EVENT_LOOP_UTILIZATION: '0',
    MAX_EVENT_LOOP_DELAY_MS: '0',
    ...(spec.trustedIssuers !== undefined ? { TRUSTED_ISSUERS: spec.trustedIssuers } : {}),
    ...(spec.allowedFhirServers !== undefined ? { ALLOWED_FHIR_SERVERS: spec.allowedFhirServers } : {}),
  };
  const config = loadConfig(env, dir);
  // Logs go to the process's stdout, as in production; the parent points it at /dev/null.
  const logger = createLogger(config.logLevel);
  const store = await openSqliteStore(config.databasePath);
  server.on('request', await buildApp({ config, store, logger }));
  return {
    port,
    finish: async () => {
      closeServer(server);
      const cardsIssued = (await store.report()).cardsIssued;
      await store.close();
      rmSync(dir, { recursive: true, force: true });
      return { cardsIssued };
    },
  };
}

/** The EHR's FHIR server of the fhir-fallback kind: medplum, seeded, behind the cache of its answers. */
async function hostFhir(spec: Extract<ServerSpec, { kind: 'fhir' }>): Promise<Hosted> {
  const fhir = await startFhirServer({ bearerToken: spec.bearerToken, recordRequests: false });
  await fhir.seed(spec.resources);
  const front = await startFhirFront(fhir);
  return {
    port: Number(new URL(front.baseUrl).port),
    baseUrl: front.baseUrl,
    finish: async () => {
      await front.close();
      await fhir.close();
      return { fhirReads: front.reads, fhirMisses: front.misses };
    },
  };
}

/** The child: hosts one server, answers CPU and profile questions, and stops on request. */
async function serve(): Promise<void> {
  const spec = await new Promise<ServerSpec>((resolve) => {
    process.once('message', (m: ToChild) => {
      if (m.type === 'start') resolve(m.spec);
    });
  });
  const send = (m: FromChild) => process.send?.(m);
  const hosted = spec.kind === 'ceiling' ? await hostCeiling(spec) : spec.kind === 'service' ? await hostService(spec) : await hostFhir(spec);

  let session: Session | undefined;
  process.on('message', (m: ToChild) => {
    if (m.type === 'cpu') {
      const u = process.cpuUsage();
      send({ type: 'cpu', micros: u.user + u.system });
    } else if (m.type === 'profile-start') {
      session = new Session();
      session.connect();
      session.post('Profiler.enable', () => session?.post('Profiler.start', () => send({ type: 'profile' })));
    } else if (m.type === 'profile-stop') {
      session?.post('Profiler.stop', (err, result) => {
        session?.disconnect();
        send(err === null ? { type: 'profile', profile: result.profile } : { type: 'failed', message: errorText(err) });
      });
    } else if (m.type === 'stop') {
      void hosted
        .finish()
        .then((s): FromChild => ({ type: 'stopped', ...s }))
        .catch((e: unknown): FromChild => ({ type: 'failed', message: errorText(e) }))
        .then((reply) => process.send?.(reply, () => process.exit(0)));
    }
  });
  send({ type: 'listening', port: hosted.port, ...(hosted.baseUrl !== undefined ? { baseUrl: hosted.baseUrl } : {}) });
}

interface RunningServer {
  /** The URL to call: the service route (ceiling, service) or the FHIR base URL. */
  readonly url: string;
  /** The child's CPU time so far (user + system), in microseconds. */
  cpuMicros(): Promise<number>;
  profileStart(): Promise<void>;
  profileStop(): Promise<CpuProfile>;
  /** Stops the child; resolves with what it reports (cards recorded, FHIR reads). */
  stop(): Promise<Stopped>;
}

function ask(child: ChildProcess, message: ToChild): Promise<FromChild> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`server child exited (code ${String(code)})`));
    child.once('exit', onExit);
    child.once('message', (m: FromChild) => {
      child.off('exit', onExit);
      if (m.type === 'failed') reject(new Error(`server child: ${m.message}`));
      else resolve(m);
    });
    child.send(message);
  });
}

/** Starts `spec` in a child process; ceilings and services are called on the route of `serviceId`. */
async function startServer(spec: ServerSpec, serviceId: string = BENCH_SERVICE_ID): Promise<RunningServer> {
  const child = fork(__filename, ['serve'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv: [] });
  const m = await ask(child, { type: 'start', spec });
  if (m.type !== 'listening') throw new Error('server child did not start');
  return {
    url: m.baseUrl ?? `http://127.0.0.1:${m.port}${routeOf(serviceId)}`,
    async cpuMicros() {
      const r = await ask(child, { type: 'cpu' });
      if (r.type !== 'cpu') throw new Error('server child: no CPU reading');
      return r.micros;
    },
    async profileStart() {
      await ask(child, { type: 'profile-start' });
    },
    async profileStop() {
      const r = await ask(child, { type: 'profile-stop' });
      if (r.type !== 'profile' || r.profile === undefined) throw new Error('server child: no profile');
      return r.profile;
    },
    async stop() {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      const reply = await ask(child, { type: 'stop' });
      await exited;
      return reply.type === 'stopped' ? reply : {};
    },
  };
}

// ---- tokens ------------------------------------------------------------------------------------------

type Alg = 'RS384' | 'ES384';

interface Issuer {
  readonly alg: Alg;
  readonly iss: string;
  readonly kid: string;
  readonly privateKey: KeyLike;
  readonly publicJwk: JWK;
}

async function makeIssuer(alg: Alg): Promise<Issuer> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  const kid = `bench-${alg.toLowerCase()}-1`;
  return { alg, iss: `https://ehr-bench-${alg.toLowerCase()}.example.org`, kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/** Signs CDS Hooks JWTs for one service URL (`aud`), each with its own jti; keeps count and time. */
class TokenMint {
  signed = 0;
  ms = 0;
  constructor(
    readonly issuer: Issuer,
    private readonly aud: string,
  ) {}

  async sign(n: number): Promise<string[]> {
    const t0 = process.hrtime.bigint();
    const tokens: string[] = [];
    for (let i = 0; i < n; i++) {
      tokens.push(
        await new SignJWT({ jti: randomUUID() })
          .setProtectedHeader({ alg: this.issuer.alg, typ: 'JWT', kid: this.issuer.kid })
          .setIssuer(this.issuer.iss)
          .setSubject('bench-ehr-client')
          .setAudience(this.aud)
          .setIssuedAt()
          .setExpirationTime('5m')
          .sign(this.issuer.privateKey),
      );
    }
    this.ms += Number(process.hrtime.bigint() - t0) / 1e6;
    this.signed += n;
    return tokens;
  }
}

// ---- load --------------------------------------------------------------------------------------------

interface Load {
  readonly url: string;
  readonly body: string;
  readonly connections: number;
  readonly durationS: number;
  /** One token per request; the run stops early if they run out. */
  readonly tokens?: readonly string[];
}

interface Measured {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly ok: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly durationS: number;
}

function fire(load: Load): Promise<Measured> {
  const tokens = load.tokens;
  let next = 0;
  const options: autocannon.Options = {
    url: load.url,
    method: 'POST',
    connections: load.connections,
    duration: load.durationS,
    body: load.body,
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    ...(tokens !== undefined
      ? {
          // Every connection builds its next request ahead: keep two per connection in reserve.
          maxOverallRequests: Math.max(load.connections, tokens.length - 2 * load.connections),
          requests: [
            {
              setupRequest: (req: autocannon.Request) => ({
                ...req,
                headers: { ...req.headers, authorization: `Bearer ${tokens[Math.min(next++, tokens.length - 1)] ?? ''}` },
              }),
            },
          ],
        }
      : {}),
  };
  return new Promise((resolve, reject) => {
    autocannon(options, (err, r) => {
      if (err !== null && err !== undefined) {
        reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      resolve({
        rps: r.requests.mean,
        p50: r.latency.p50,
        p99: r.latency.p99,
        ok: r['2xx'],
        non2xx: r.non2xx,
        errors: r.errors,
        timeouts: r.timeouts,
        durationS: r.duration,
      });
    });
  });
}

interface Probed {
  readonly status: number;
  readonly text: string;
  readonly cards: number;
}

/** One call, unchecked: the status, the body and the number of cards in it. */
async function probe(url: string, body: string, token?: string): Promise<Probed> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}) },
    body,
  });
  const text = await res.text();
  return { status: res.status, text, cards: cardCount(text) };
}

function cardCount(text: string): number {
  try {
    const parsed = JSON.parse(text) as { cards?: unknown };
    return Array.isArray(parsed.cards) ? parsed.cards.length : 0;
  } catch {
    return 0;
  }
}

interface CardRange {
  readonly min: number;
  readonly max: number;
}

/** Throws unless 200 with `range` cards: a benchmark of 400s or of empty answers measures nothing. */
function expectCards(what: string, r: Probed, range: CardRange = { min: 1, max: Number.POSITIVE_INFINITY }): void {
  if (r.status !== 200 || r.cards < range.min || r.cards > range.max) {
    const want = range.max === range.min ? String(range.min) : range.max === Number.POSITIVE_INFINITY ? `at least ${range.min}` : `${range.min}-${range.max}`;
    throw new Error(`${what}: expected 200 with ${want} card(s), got ${r.status} with ${r.cards}: ${r.text.slice(0, 500)}`);
  }
}

const summariesOf = (response: string) => (JSON.parse(response) as { cards: { summary: string }[] }).cards.map((c) => c.summary);

interface Usage {
  /** Server CPU as a fraction of one core. */
  readonly serverCores: number;
  /** Server CPU time per answered request, ms. */
  readonly serverMsPerRequest: number;
  /** CPU time per answered request of the server the server under test reads (the FHIR server), ms. */
  readonly sideMsPerRequest?: number;
  /** CPU used by everything but the server(s) and this process (autocannon), in cores. */
  readonly otherCores: number;
}

const cpuMicrosOf = async (server: RunningServer | undefined) => (server === undefined ? 0 : server.cpuMicros());

/**
 * Runs `load` and measures what the server, the server it reads (`side`, if any), this process and the
 * rest of the machine used meanwhile.
 */
async function measure(server: RunningServer, load: Load, side?: RunningServer): Promise<Measured & Usage> {
  const s0 = await server.cpuMicros();
  const f0 = await cpuMicrosOf(side);
  const m0 = machineCpuMs();
  const p0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const m = await fire(load);
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const p = process.cpuUsage(p0);
  const m1 = machineCpuMs();
  const serverMs = ((await server.cpuMicros()) - s0) / 1000;
  const sideMs = ((await cpuMicrosOf(side)) - f0) / 1000;
  const clientMs = (p.user + p.system) / 1000;
  const answered = Math.max(1, m.ok + m.non2xx);
  return {
    ...m,
    serverCores: serverMs / wallMs,
    serverMsPerRequest: serverMs / answered,
    ...(side !== undefined ? { sideMsPerRequest: sideMs / answered } : {}),
    otherCores: Math.max(0, (m1.busy - m0.busy - serverMs - sideMs - clientMs) / wallMs),
  };
}

// ---- in-process: one request's work by stage, and the prefetch scaling ------------------------------------

/** The service's hook handling in this process, over a temporary SQLite file, logging off. */
interface InProcessService {
  readonly config: Config;
  readonly deps: HookDeps;
  service(id: string): ServiceDefinition;
  close(): Promise<void>;
}

async function inProcessService(): Promise<InProcessService> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'npc-cds-bench-inproc-'));
  const config = loadConfig({ LOG_LEVEL: 'silent', DATABASE_PATH: path.join(dir, 'npc-cds.sqlite') }, dir);
  const store = await openSqliteStore(config.databasePath);
  const services = loadServices(config.codes);
  return {
    config,
    deps: { config, templates: CardTemplates.load(), store, logger: createLogger('silent'), patientHashSalt: await store.patientHashSalt(), now: () => new Date() },
    service(id) {
      const found = services.find((s) => s.id === id);
      if (found === undefined) throw new Error(`no service ${id}`);
      return found;
    },
    async close() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Median and mean of per-call times. */
function stat(xs: readonly number[]): { median: number; mean: number } {
  const sorted = [...xs].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)] ?? Number.NaN, mean: xs.reduce((a, b) => a + b, 0) / xs.length };
}

/** The value below which `q` (0-1) of the values lie (nearest rank). */
function quantile(xs: readonly number[], q: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}

interface Stage {
  readonly stage: string;
  /** µs per request. */
  readonly median: number;
  readonly mean: number;
  readonly inCeiling?: boolean;
}

/**
 * Microseconds per request of each stage of the service's work on the benchmark request, each timed in
 * a loop in this process (after the HTTP runs, so nothing else of ours is running): what the HTTP
 * numbers are made of.
 */
async function stageTimes(body: string): Promise<Stage[]> {
  const inProc = await inProcessService();
  try {
    const { config, deps } = inProc;
    const service = inProc.service(BENCH_SERVICE_ID);
    const parsed: unknown = JSON.parse(body);
    const schema = hookRequestSchema('patient-view');
    const request = schema.parse(parsed);
    const loaded = await loadPatientRecord({ patientId: request.context.patientId, prefetch: request.prefetch }, { allowedFhirServers: [], codes: config.codes });
    const { cards } = await serveHook(service, parsed, deps);
    const now = new Date().toISOString();

    const RUNS = 1500;
    /** µs per call, after as many warm-up calls. */
    const time = async (fn: () => unknown) => {
      const us: number[] = [];
      for (let i = 0; i < 2 * RUNS; i++) {
        const t0 = process.hrtime.bigint();
        await fn();
        if (i >= RUNS) us.push(Number(process.hrtime.bigint() - t0) / 1e3);
      }
      return stat(us);
    };
    const inside = { load: [] as number[], rules: [] as number[], record: [] as number[] };
    const parse = await time(() => JSON.parse(body));
    const validate = await time(() => schema.safeParse(parsed));
    const hook = await time(async () => {
      const t = (await serveHook(service, parsed, deps)).log.timingsMs;
      inside.load.push(1000 * t.load);
      inside.rules.push(1000 * t.rules);
      inside.record.push(1000 * t.record);
    });
    const [load, rules, record] = [inside.load, inside.rules, inside.record].map((xs) => stat(xs.slice(-RUNS)));
    const extract = await time(() => assessPatient(extractInputs(loaded.record, now, { codes: config.codes, thresholds: config.thresholds }).inputs, config.thresholds, config.normalization));
    const cardCheck = await time(() => cards.forEach((c) => cardSchema.safeParse(c)));
    const stringify = await time(() => JSON.stringify({ cards }));
    const none = { median: Number.NaN, mean: Number.NaN };
    const rest = { median: (rules?.median ?? Number.NaN) - extract.median - cardCheck.median, mean: (rules?.mean ?? Number.NaN) - extract.mean - cardCheck.mean };
    return [
      { stage: 'JSON.parse of the request body (express.json)', ...parse, inCeiling: true },
      { stage: 'serveHook, all of it', ...hook },
      { stage: '· request validation (zod, hookRequestSchema)', ...validate },
      { stage: '· load: prefetch → patient record', ...(load ?? none) },
      { stage: '· rules: extraction, assessment, cards, card validation', ...(rules ?? none) },
      { stage: '·· extraction + assessment (src/fhir, src/core)', ...extract },
      { stage: '·· card validation (zod, cardSchema)', ...cardCheck },
      { stage: '·· card building (handlebars, markdown): the rest of rules', ...rest },
      { stage: '· record: SQLite insert of the issued cards', ...(record ?? none) },
      { stage: 'JSON.stringify of the response (res.json)', ...stringify },
    ];
  } finally {
    await inProc.close();
  }
}

// ---- the runs ------------------------------------------------------------------------------------------

interface Row extends Measured, Usage {
  readonly config: string;
  readonly connections: number;
  readonly note?: string;
}

interface Target {
  readonly config: string;
  readonly server: RunningServer;
  readonly mint?: TokenMint;
  /** The server this one reads while it answers (the FHIR server): its CPU is measured too. */
  readonly side?: RunningServer;
}

const log = (s: string) => process.stderr.write(`${s}\n`);
const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const pct = (ratio: number) => `${fmt(ratio * 100)} %`;
const verdict = (met: boolean) => (met ? 'met' : '**not met**');

/** A warm-up run only; returns the rate it reached (to size the token pool of the next run) and what went wrong. */
async function warm(t: Target, body: string, connections: number, seconds: number, expectedRps: number): Promise<{ rate: number; note?: string }> {
  const tokens = t.mint !== undefined ? await t.mint.sign(Math.ceil(Math.max(expectedRps, 1000) * seconds * 1.5) + 4 * connections) : undefined;
  const w = await fire({ url: t.server.url, body, connections, durationS: seconds, ...(tokens !== undefined ? { tokens } : {}) });
  const rate = w.ok / Math.max(w.durationS, 0.5);
  return w.non2xx + w.errors > 0 ? { rate, note: `warm-up: ${w.non2xx} non-2xx, ${w.errors} errors` } : { rate };
}

/** Warm-up, then the measured run, of one configuration at one connection count. */
async function runOne(t: Target, body: string, connections: number, expectedRps: number): Promise<Row> {
  const notes: string[] = [];
  const w = await warm(t, body, connections, WARMUP_S, expectedRps);
  if (w.note !== undefined) notes.push(w.note);
  // The warm-up doubles as the probe that sizes the token pool of the measured run.
  const tokens = t.mint !== undefined ? await t.mint.sign(Math.ceil(w.rate * DURATION_S * 1.4) + 4 * connections + 100) : undefined;
  const m = await measure(t.server, { url: t.server.url, body, connections, durationS: DURATION_S, ...(tokens !== undefined ? { tokens } : {}) }, t.side);
  if (tokens !== undefined && m.durationS < DURATION_S - 0.5) notes.push(`token pool (${tokens.length}) used up after ${m.durationS} s`);
  const side = m.sideMsPerRequest !== undefined ? `; FHIR server ${fmt(m.sideMsPerRequest, 3)} ms CPU/request` : '';
  log(
    `  ${t.config} @ ${connections}: ${fmt(m.rps)} req/s, p50 ${m.p50} ms, p99 ${m.p99} ms, non-2xx ${m.non2xx}, errors ${m.errors}; server ${fmt(100 * m.serverCores, 0)} % CPU, ${fmt(m.serverMsPerRequest, 3)} ms CPU/request${side}; others ${fmt(m.otherCores, 2)} cores`,
  );
  return { config: t.config, connections, ...m, ...(notes.length > 0 ? { note: notes.join('; ') } : {}) };
}

/** Throws unless the ceiling answers `response` byte for byte. */
async function expectVerbatim(what: string, ceiling: RunningServer, body: string, response: string, token?: string): Promise<void> {
  if ((await probe(ceiling.url, body, token)).text !== response) throw new Error(`${what} does not answer the captured response`);
}

function table(rows: readonly Row[]): string[] {
  return [
    '| configuration | connections | req/s (mean) | p50 ms | p99 ms | non-2xx | errors (timeouts) | server CPU | server CPU ms / request | other processes, cores | note |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ...rows.map((r) => {
      const bad = r.non2xx > 0 || r.errors > 0;
      const flag = (v: string) => (bad ? `**${v}**` : v);
      const side = r.sideMsPerRequest !== undefined ? `FHIR server ${fmt(r.sideMsPerRequest, 3)} ms CPU / request` : '';
      const note = [side, r.note ?? ''].filter((x) => x !== '').join('; ');
      return `| ${r.config} | ${r.connections} | ${fmt(r.rps)} | ${r.p50} | ${r.p99} | ${flag(String(r.non2xx))} | ${flag(`${r.errors} (${r.timeouts})`)} | ${fmt(100 * r.serverCores, 0)} % | ${fmt(r.serverMsPerRequest, 3)} | ${fmt(r.otherCores, 2)} | ${note} |`;
    }),
  ];
}

/** Lines that say which runs failed or shared the machine: their numbers do not measure the normal path. */
function runQuality(rows: readonly Row[]): string[] {
  const failures = rows.filter((r) => r.non2xx > 0 || r.errors > 0);
  const disturbed = rows.filter((r) => r.otherCores > 0.25);
  return [
    failures.length > 0
      ? `**${failures.length} run(s) had non-2xx responses or errors (${failures.map((r) => `${r.config} @ ${r.connections}`).join('; ')}); their numbers do not measure the service's normal path.**`
      : 'Every measured run: 0 non-2xx, 0 errors.',
    '',
    disturbed.length > 0
      ? `**${disturbed.length} of ${rows.length} runs shared the machine with other processes using more than 0.25 cores** (${disturbed.map((r) => `${r.config} @ ${r.connections}`).join('; ')}): their req/s understate the server; compare server CPU per request instead.`
      : 'No run shared the machine with other processes using more than 0.25 cores.',
  ];
}

const CONFIGS = {
  ceiling: 'ceiling: bare express 5 + express.json(), static cards',
  service: 'service, no JWT, logging off',
  serviceInfo: 'service, no JWT, logging info → /dev/null',
  rs384: 'service, JWT RS384, logging off',
  ceilingEs384: 'ES384 ceiling: the ceiling + jwtVerify of the ES384 JWT',
  es384: 'service, JWT ES384, logging off',
} as const;

/** A service that requires JWTs of `issuer` (its JWK Set in a file under `keyDir`), with a mint for its URL. */
async function jwtService(issuer: Issuer, keyDir: string): Promise<{ server: RunningServer; mint: TokenMint }> {
  const jwksFile = path.join(keyDir, `${issuer.alg}.jwks.json`);
  writeFileSync(jwksFile, JSON.stringify({ keys: [issuer.publicJwk] }));
  const server = await startServer({ kind: 'service', logging: 'silent', trustedIssuers: JSON.stringify([{ iss: issuer.iss, jwksFile }]) });
  return { server, mint: new TokenMint(issuer, server.url) };
}

/** Throws unless a signed request is answered and an unsigned one gets 401. */
async function expectJwtEnforced(what: string, server: RunningServer, mint: TokenMint, body: string, check: (r: Probed) => void | Promise<void>): Promise<void> {
  const [good] = await mint.sign(1);
  const signed = await probe(server.url, body, good);
  await check(signed);
  const unsigned = await probe(server.url, body);
  if (unsigned.status !== 401) throw new Error(`${what}: a request without a token got ${unsigned.status}, not 401: JWT is not enforced`);
}

interface MainResult {
  readonly body: string;
  readonly rows: Row[];
  readonly facts: string[];
}

/** Part 1: the main request, every configuration at 1, 10 and 50 connections. */
async function mainRequestRuns(): Promise<MainResult> {
  const request = benchRequest(new Date(), randomUUID());
  const body = JSON.stringify(request.body);
  const facts: string[] = [];
  const keyDir = mkdtempSync(path.join(os.tmpdir(), 'npc-cds-bench-keys-'));
  const targets: Target[] = [];
  log('npc-cds HTTP benchmark, part 1, the main request: starting the servers');
  try {
    const service = await startServer({ kind: 'service', logging: 'silent' });
    targets.push({ config: CONFIGS.service, server: service });
    const first = await probe(service.url, body);
    expectCards('the service', first);
    const response = first.text;
    const summaries = summariesOf(response);
    facts.push(
      `- Request: patient-view for \`${routeOf(BENCH_SERVICE_ID)}\`, ${(Buffer.byteLength(body) / 1024).toFixed(1)} KiB of JSON: prefetch with Patient, the NPC Condition (ICD-10-CM C11.9, active, confirmed), ${request.observationCount} Observations (staging, EBV DNA, tumor volume, ICTOS and its features, tumor blood flow over time, diameters, older filler), the RT course (in progress, day 31) and two cisplatin administrations (bench/prefetch.ts). The same body for every request.`,
      `- Response: 200 with ${summaries.length} card(s), ${(Buffer.byteLength(response) / 1024).toFixed(1)} KiB: ${summaries.map((s) => `"${s}"`).join('; ')}. (During RT the ICTOS treatment-selection card does not apply, so this is one card with five TBF findings.)`,
    );

    const ceiling = await startServer({ kind: 'ceiling', body: response });
    await expectVerbatim('the ceiling', ceiling, body, response);
    targets.unshift({ config: CONFIGS.ceiling, server: ceiling });

    const logged = await startServer({ kind: 'service', logging: 'info' });
    expectCards(CONFIGS.serviceInfo, await probe(logged.url, body));
    targets.push({ config: CONFIGS.serviceInfo, server: logged });

    const rs = await jwtService(await makeIssuer('RS384'), keyDir);
    await expectJwtEnforced(CONFIGS.rs384, rs.server, rs.mint, body, (r) => expectCards(`${CONFIGS.rs384}: a signed request`, r));
    targets.push({ config: CONFIGS.rs384, ...rs });

    // The ES384 ceiling and the ES384 service trust the same issuer, and run back to back.
    const es = await makeIssuer('ES384');
    const esCeiling = await startServer({ kind: 'ceiling', body: response, verify: { iss: es.iss, jwk: es.publicJwk } });
    const esCeilingMint = new TokenMint(es, esCeiling.url);
    await expectJwtEnforced(CONFIGS.ceilingEs384, esCeiling, esCeilingMint, body, async (r) => {
      if (r.text !== response) throw new Error(`${CONFIGS.ceilingEs384}: a signed request got ${r.status}, not the captured response`);
    });
    targets.push({ config: CONFIGS.ceilingEs384, server: esCeiling, mint: esCeilingMint });
    const esService = await jwtService(es, keyDir);
    await expectJwtEnforced(CONFIGS.es384, esService.server, esService.mint, body, (r) => expectCards(`${CONFIGS.es384}: a signed request`, r));
    targets.push({ config: CONFIGS.es384, ...esService });

    log(`warming up every server (${INITIAL_WARMUP_S} s at 10 connections)`);
    let expected = 1000;
    for (const t of targets) {
      const w = await warm(t, body, 10, INITIAL_WARMUP_S, expected);
      if (t.config === CONFIGS.service) expected = w.rate;
    }

    const rows: Row[] = [];
    const expectedAt = new Map<number, number>();
    for (const connections of CONNECTIONS) {
      log(`${connections} connection(s)`);
      for (const t of targets) {
        const row = await runOne(t, body, connections, expectedAt.get(connections) ?? expected);
        if (t.config === CONFIGS.service) expectedAt.set(connections, row.rps);
        rows.push(row);
      }
    }

    const mints = new Map<Alg, { signed: number; ms: number }>();
    for (const t of targets) {
      if (t.mint === undefined) continue;
      const m = mints.get(t.mint.issuer.alg) ?? { signed: 0, ms: 0 };
      mints.set(t.mint.issuer.alg, { signed: m.signed + t.mint.signed, ms: m.ms + t.mint.ms });
    }
    for (const [alg, m] of mints) facts.push(`- ${alg}: ${m.signed} tokens signed, all before the runs that used them (${fmt(m.ms / Math.max(1, m.signed), 3)} ms each).`);
    const served = rows.filter((r) => r.config === CONFIGS.service).reduce((a, r) => a + r.ok, 0);
    let recorded: number | undefined;
    for (const t of targets) {
      const s = await t.server.stop();
      if (t.config === CONFIGS.service) recorded = s.cardsIssued;
    }
    targets.length = 0;
    facts.push(`- Card recording is real: the SQLite file of the no-JWT, logging-off service holds ${String(recorded)} issued cards at the end (${summaries.length} per response; ${served} responses in its measured runs, the rest in warm-ups).`);
    if (served > 0 && (recorded ?? 0) < served * summaries.length) throw new Error(`the store recorded ${String(recorded)} cards for ${served} responses`);
    return { body, rows, facts };
  } finally {
    for (const t of targets) await t.server.stop().catch(() => undefined);
    rmSync(keyDir, { recursive: true, force: true });
  }
}

interface KindResult {
  readonly kind: RequestKind;
  readonly summaries: readonly string[];
  readonly responseBytes: number;
  readonly ceiling: Row;
  readonly service: Row;
  /** The service alone at 1 connection, for its p99. */
  readonly single: Row;
}

interface KindsResult {
  readonly results: KindResult[];
  readonly facts: string[];
}

/** One kind: its service and its ceiling in child processes, probed, then measured back to back. */
async function runKind(kind: RequestKind, fhir: RunningServer | undefined): Promise<KindResult> {
  const side = kind.readsFhir ? fhir : undefined;
  if (kind.readsFhir && side === undefined) throw new Error(`${kind.id}: no FHIR server`);
  const service = await startServer({ kind: 'service', logging: 'silent', ...(side !== undefined ? { allowedFhirServers: side.url } : {}) }, kind.serviceId);
  let ceiling: RunningServer | undefined;
  let stopped = false;
  try {
    const first = await probe(service.url, kind.body);
    expectCards(`${kind.id}: the service`, first, kind.cards);
    ceiling = await startServer({ kind: 'ceiling', body: first.text }, kind.serviceId);
    await expectVerbatim(`${kind.id}: the ceiling`, ceiling, kind.body, first.text);
    const top: Target = { config: `${kind.id}: ceiling`, server: ceiling };
    const svc: Target = { config: `${kind.id}: service`, server: service, ...(side !== undefined ? { side } : {}) };
    for (const t of [top, svc]) await warm(t, kind.body, KIND_CONNECTIONS, INITIAL_WARMUP_S, 0);
    const ceilingRow = await runOne(top, kind.body, KIND_CONNECTIONS, 0);
    const serviceRow = await runOne(svc, kind.body, KIND_CONNECTIONS, 0);
    const single = await runOne(svc, kind.body, 1, 0);
    const cards = cardCount(first.text);
    stopped = true;
    const recorded = (await service.stop()).cardsIssued ?? 0;
    const served = serviceRow.ok + single.ok;
    if (recorded < served * cards) throw new Error(`${kind.id}: the store recorded ${recorded} cards for ${served} responses of ${cards} card(s)`);
    return { kind, summaries: summariesOf(first.text), responseBytes: Buffer.byteLength(first.text), ceiling: ceilingRow, service: serviceRow, single };
  } finally {
    if (!stopped) await service.stop().catch(() => undefined);
    await ceiling?.stop().catch(() => undefined);
  }
}

/** Part 2: every request kind against its own ceiling at 10 connections, and the service at 1 connection. */
async function kindRuns(): Promise<KindsResult> {
  const now = new Date();
  const bearerToken = `bench-ehr-token-${randomBytes(12).toString('hex')}`;
  log('part 2, the request kinds: starting the FHIR server of the fhir-fallback kind');
  const fhir = await startServer({ kind: 'fhir', resources: fhirFallbackResources(now), bearerToken });
  const results: KindResult[] = [];
  const facts: string[] = [];
  try {
    for (const kind of requestKinds(now, randomUUID(), { baseUrl: fhir.url, accessToken: bearerToken })) {
      log(`kind ${kind.id}`);
      results.push(await runKind(kind, fhir));
    }
  } finally {
    const s = await fhir.stop();
    facts.push(`- The FHIR server of fhir-fallback answered ${s.fhirReads ?? 0} reads, ${s.fhirMisses ?? 0} of them from medplum (each URL once), the rest from the cache in front of it (bench/fhir-front.ts).`);
  }
  return { results, facts };
}

// ---- prefetch scaling -----------------------------------------------------------------------------------

const SCALING_SIZES = [500, 5_000, 50_000] as const;

interface ScalingRow {
  readonly observations: number;
  readonly kib: number;
  readonly via: 'HTTP' | 'in-process (serveHook)';
  readonly requests: number;
  /** ms */
  readonly median: number;
  readonly p95: number;
}

interface ScalingResult {
  readonly rows: ScalingRow[];
  readonly bodyLimitBytes: number;
  readonly cards: number;
  readonly facts: string[];
}

/**
 * Calls `once` one after the other: two warm-up calls, then for about `seconds`, at least `min` and at most
 * `max` calls. Returns the ms of each measured call.
 */
async function timeSequential(once: () => Promise<void>, seconds: number, min = 5, max = 400): Promise<number[]> {
  for (let i = 0; i < 2; i++) await once();
  const ms: number[] = [];
  const until = Date.now() + seconds * 1000;
  while (ms.length < max && (ms.length < min || Date.now() < until)) {
    const t0 = process.hrtime.bigint();
    await once();
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return ms;
}

/** The main record padded with filler to `total` Observations, as a patient-view body. */
function scaledBody(now: Date, total: number, base: number): string {
  const record = duringRtRecord(now, (kit) => fillerObservations(kit, total - base));
  if (record.observations.length !== total) throw new Error(`scaled record: ${record.observations.length} Observations, not ${total}`);
  return JSON.stringify(patientViewBody(record, randomUUID()));
}

/**
 * Part 3: the main record padded to 500, 5,000 and 50,000 Observations, one request at a time: over HTTP to
 * a service child for the sizes its body limit lets through, and in-process through serveHook (with the
 * JSON.parse that express.json does) for every size.
 */
async function scalingRuns(): Promise<ScalingResult> {
  const now = new Date();
  const base = duringRtRecord(now).observations.length;
  const seconds = Math.max(1, DURATION_S / 2);
  const inProc = await inProcessService();
  const service = await startServer({ kind: 'service', logging: 'silent' });
  const rows: ScalingRow[] = [];
  const facts: string[] = [];
  const bodyLimitBytes = inProc.config.bodyLimitBytes;
  const svc = inProc.service(BENCH_SERVICE_ID);
  let cards = 0;
  try {
    for (const n of SCALING_SIZES) {
      const body = scaledBody(now, n, base);
      const bytes = Buffer.byteLength(body);
      const kib = bytes / 1024;
      log(`prefetch scaling: ${n} Observations, ${fmt(kib / 1024, 2)} MiB`);
      const outcome = await serveHook(svc, JSON.parse(body), inProc.deps);
      if (outcome.cards.length < 1) throw new Error(`prefetch scaling, ${n} Observations: no card in-process`);
      cards = outcome.cards.length;
      if (bytes <= bodyLimitBytes) {
        expectCards(`prefetch scaling, ${n} Observations`, await probe(service.url, body), { min: cards, max: cards });
        const ms = await timeSequential(async () => {
          const r = await fetch(service.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
          await r.arrayBuffer();
          if (r.status !== 200) throw new Error(`prefetch scaling, ${n} Observations: ${r.status}`);
        }, seconds);
        rows.push({ observations: n, kib, via: 'HTTP', requests: ms.length, median: stat(ms).median, p95: quantile(ms, 0.95) });
      } else {
        const r = await probe(service.url, body);
        facts.push(`- ${n.toLocaleString('en-US')} Observations are ${fmt(kib / 1024, 1)} MiB of JSON, more than the service's body limit (BODY_LIMIT, default ${fmt(bodyLimitBytes / 1024 / 1024, 0)} MiB): over HTTP the service answers ${r.status}${r.status === 413 ? ' (payload too large)' : ''}, so this size is measured in-process only.`);
      }
      const ms = await timeSequential(async () => {
        await serveHook(svc, JSON.parse(body), inProc.deps);
      }, seconds);
      rows.push({ observations: n, kib, via: 'in-process (serveHook)', requests: ms.length, median: stat(ms).median, p95: quantile(ms, 0.95) });
    }
  } finally {
    await service.stop().catch(() => undefined);
    await inProc.close();
  }
  return { rows, bodyLimitBytes, cards, facts };
}

// ---- the report ----------------------------------------------------------------------------------------

/** The p99 ratio of two runs; autocannon's whole milliseconds make a p99 of 0 mean "under 1 ms", counted as 1. */
const p99Ratio = (service: Row, ceiling: Row) => service.p99 / Math.max(1, ceiling.p99);

interface Check {
  readonly what: string;
  readonly value: string;
  readonly met: boolean;
}

const checkLine = (c: Check) => `- ${c.what}: ${c.value}: ${verdict(c.met)}.`;

function rowAt(rows: readonly Row[], config: string, connections: number): Row | undefined {
  return rows.find((r) => r.config === config && r.connections === connections);
}

/** The targets of issue 15 on the main request, as far as its rows go. */
function mainChecks(rows: readonly Row[]): Check[] {
  const checks: Check[] = [];
  const c10 = rowAt(rows, CONFIGS.ceiling, KIND_CONNECTIONS);
  const s10 = rowAt(rows, CONFIGS.service, KIND_CONNECTIONS);
  const s1 = rowAt(rows, CONFIGS.service, 1);
  const rs = rowAt(rows, CONFIGS.rs384, KIND_CONNECTIONS);
  const esTop = rowAt(rows, CONFIGS.ceilingEs384, KIND_CONNECTIONS);
  const es = rowAt(rows, CONFIGS.es384, KIND_CONNECTIONS);
  if (c10 !== undefined && s10 !== undefined) {
    checks.push({ what: `service req/s ≥ ${pct(TARGETS.rps)} of the ceiling's at 10 connections`, value: `${fmt(s10.rps)} / ${fmt(c10.rps)} = ${pct(s10.rps / c10.rps)}`, met: s10.rps / c10.rps >= TARGETS.rps });
    checks.push({ what: `service p99 ≤ ${TARGETS.p99Ratio} × the ceiling's p99 at 10 connections`, value: `${s10.p99} ms / ${c10.p99} ms = ${fmt(p99Ratio(s10, c10), 2)} ×`, met: p99Ratio(s10, c10) <= TARGETS.p99Ratio });
  }
  if (s1 !== undefined) checks.push({ what: `service p99 < ${TARGETS.p99At1Ms} ms at 1 connection`, value: `${s1.p99} ms`, met: s1.p99 < TARGETS.p99At1Ms });
  if (c10 !== undefined && rs !== undefined) checks.push({ what: `RS384 service req/s ≥ ${pct(TARGETS.rs384)} of the plain ceiling's at 10 connections`, value: `${fmt(rs.rps)} / ${fmt(c10.rps)} = ${pct(rs.rps / c10.rps)}`, met: rs.rps / c10.rps >= TARGETS.rs384 });
  if (esTop !== undefined && es !== undefined) checks.push({ what: `ES384 service req/s ≥ ${pct(TARGETS.es384)} of the ES384 ceiling's at 10 connections`, value: `${fmt(es.rps)} / ${fmt(esTop.rps)} = ${pct(es.rps / esTop.rps)}`, met: es.rps / esTop.rps >= TARGETS.es384 });
  return checks;
}

function reportMain(m: MainResult): string[] {
  const ratios = CONNECTIONS.map((c) => ({ c, top: rowAt(m.rows, CONFIGS.ceiling, c), svc: rowAt(m.rows, CONFIGS.service, c) }));
  const jwt = CONNECTIONS.map((c) => ({ c, top: rowAt(m.rows, CONFIGS.ceiling, c), rs: rowAt(m.rows, CONFIGS.rs384, c), esTop: rowAt(m.rows, CONFIGS.ceilingEs384, c), es: rowAt(m.rows, CONFIGS.es384, c) }));
  const r = (a: Row | undefined, b: Row | undefined) => (a !== undefined && b !== undefined ? a.rps / b.rps : Number.NaN);
  const missed = ratios.filter((l) => !(r(l.svc, l.top) >= TARGETS.rps));
  return [
    '## 1. The main request: patient-view during RT',
    '',
    ...m.facts,
    `- The service is \`buildApp\` with the default configuration (\`loadConfig\` on a constructed environment: PORT, HOST, PUBLIC_BASE_URL, LOG_LEVEL, DATABASE_PATH and, for JWT runs, TRUSTED_ISSUERS), a temporary SQLite file (WAL), the real clock, no FHIR server calls (the prefetch is complete).`,
    '- **Logging is off** (`LOG_LEVEL=silent`) in every service row except the one marked info, which writes its JSON line per request to the process\'s stdout, pointed at /dev/null (cheaper than a real log pipe).',
    '- JWT rows: `TRUSTED_ISSUERS` names one issuer whose JWK Set (the public key, with kid) is a local file (`jwksFile`; the configuration has no inline form for a JWKS), and `PUBLIC_BASE_URL` is the base URL the benchmark calls, so `aud` is that base plus the service path. Every request carries its own token (unique jti) from a pool signed before the run, never during it; before the runs a signed request was checked to get 200 and an unsigned one 401.',
    '- The ceiling is a bare express 5 app with `express.json({ limit: "5mb" })` on `POST /cds-services/:id` that sends the service\'s captured response verbatim: it reads and parses the same request body and does nothing else. The ES384 ceiling does the same after `jwtVerify` (jose) of the request\'s bearer token against the issuer\'s P-384 public key (signature, iss, aud, exp): one ES384 signature verification per request, and none of the service\'s other JWT work (JWKS lookup by kid, the jti replay cache, the iat and lifetime checks). It trusts the same issuer as the ES384 service, and its token pool is signed the same way; a request without a token gets 401 from it too.',
    '',
    ...table(m.rows),
    '',
    `### Service (no JWT, logging off) against the ceiling; target ≥ ${pct(TARGETS.rps)} of the ceiling's req/s, p99 ≤ ${TARGETS.p99Ratio} × the ceiling's`,
    '',
    '| connections | ceiling req/s | service req/s | ratio of req/s | target | ceiling p99 ms | service p99 ms | p99 ratio | target | ratio of server CPU per request (ceiling / service) |',
    '|---:|---:|---:|---:|---|---:|---:|---:|---|---:|',
    ...ratios.map((l) => {
      const ratio = r(l.svc, l.top);
      const p99 = l.svc !== undefined && l.top !== undefined ? p99Ratio(l.svc, l.top) : Number.NaN;
      const cpu = l.top !== undefined && l.svc !== undefined ? l.top.serverMsPerRequest / l.svc.serverMsPerRequest : Number.NaN;
      return `| ${l.c} | ${fmt(l.top?.rps ?? Number.NaN)} | ${fmt(l.svc?.rps ?? Number.NaN)} | ${pct(ratio)} | ${verdict(ratio >= TARGETS.rps)} | ${l.top?.p99 ?? 'n/a'} | ${l.svc?.p99 ?? 'n/a'} | ${fmt(p99, 2)} × | ${verdict(p99 <= TARGETS.p99Ratio)} | ${pct(cpu)} |`;
    }),
    '',
    ...ratios.map((l) => {
      const top = l.top?.serverMsPerRequest ?? Number.NaN;
      const svc = l.svc?.serverMsPerRequest ?? Number.NaN;
      return `- ${l.c} connection(s): at ${pct(TARGETS.rps)} of the ceiling's rate the service could spend ${fmt(top / TARGETS.rps, 3)} ms of server CPU per request, ${fmt(top / TARGETS.rps - top, 3)} ms more than the ceiling's ${fmt(top, 3)} ms; it spends ${fmt(svc, 3)} ms.`;
    }),
    '',
    missed.length === 0 ? 'The req/s target is met at every connection count.' : `The req/s target is **not met** at ${missed.map((l) => String(l.c)).join(', ')} connection(s).`,
    '',
    `### With JWTs: RS384 against the plain ceiling (target ≥ ${pct(TARGETS.rs384)}), ES384 against the ES384 ceiling (target ≥ ${pct(TARGETS.es384)})`,
    '',
    '| connections | ceiling req/s | RS384 service req/s | RS384 / ceiling | target | ES384 ceiling req/s | ES384 service req/s | ES384 / ES384 ceiling | target | ES384 ceiling / ceiling |',
    '|---:|---:|---:|---:|---|---:|---:|---:|---|---:|',
    ...jwt.map((l) => {
      const rs = r(l.rs, l.top);
      const es = r(l.es, l.esTop);
      return `| ${l.c} | ${fmt(l.top?.rps ?? Number.NaN)} | ${fmt(l.rs?.rps ?? Number.NaN)} | ${pct(rs)} | ${verdict(rs >= TARGETS.rs384)} | ${fmt(l.esTop?.rps ?? Number.NaN)} | ${fmt(l.es?.rps ?? Number.NaN)} | ${pct(es)} | ${verdict(es >= TARGETS.es384)} | ${pct(r(l.esTop, l.top))} |`;
    }),
    '',
    ...runQuality(m.rows),
  ];
}

function kindChecks(k: KindResult): { rps: number; p99: number; rpsMet: boolean; p99Met: boolean; singleMet: boolean } {
  const rps = k.service.rps / k.ceiling.rps;
  const p99 = p99Ratio(k.service, k.ceiling);
  return { rps, p99, rpsMet: rps >= TARGETS.rps, p99Met: p99 <= TARGETS.p99Ratio, singleMet: k.single.p99 < TARGETS.p99At1Ms };
}

function reportKinds(k: KindsResult): string[] {
  const rows = k.results.flatMap((r) => [r.ceiling, r.service, r.single]);
  return [
    `## 2. The request kinds, each against its own ceiling, at ${KIND_CONNECTIONS} connections`,
    '',
    'What EHRs send (bench/requests.ts); each kind runs on a fresh service child (its own SQLite file) and a ceiling that answers that kind\'s captured response verbatim, measured back to back after a warm-up; then the service alone at 1 connection for its p99.',
    '',
    ...k.results.map((r) => `- **${r.kind.id}** (\`${routeOf(r.kind.serviceId)}\`, ${fmt(Buffer.byteLength(r.kind.body) / 1024)} KiB request, ${r.summaries.length} card(s), ${fmt(r.responseBytes / 1024)} KiB response): ${r.kind.explanation} Cards: ${r.summaries.map((s) => `"${s}"`).join('; ')}.`),
    '- The fhir-fallback ceiling answers the captured response from memory: **it does not call the FHIR server**, so that kind\'s ratio says what the FHIR reads cost the service on top of the rest. The FHIR server runs in a child process of its own, its CPU is not the service\'s (shown apart in the note column); it is the medplum in-memory server behind a cache of its own answers, so that medplum\'s search (~100-250 ms of CPU for the Observation search) does not set the pace: the service still makes its five HTTP reads with the bearer token per request.',
    ...k.facts,
    `- p99 ratio: service p99 / ceiling p99, in autocannon's whole (truncated) milliseconds; a ceiling p99 of 0 ms counts as 1 ms.`,
    '',
    `| kind | cards | ceiling req/s | service req/s | ratio (≥ ${pct(TARGETS.rps)}) | ceiling p50 / p99 ms | service p50 / p99 ms | p99 ratio (≤ ${TARGETS.p99Ratio} ×) | ceiling CPU ms / request | service CPU ms / request | service p99 at 1 connection (< ${TARGETS.p99At1Ms} ms) |`,
    '|---|---:|---:|---:|---|---:|---:|---|---:|---:|---|',
    ...k.results.map((r) => {
      const c = kindChecks(r);
      return `| ${r.kind.id} | ${r.summaries.length} | ${fmt(r.ceiling.rps)} | ${fmt(r.service.rps)} | ${pct(c.rps)}: ${verdict(c.rpsMet)} | ${r.ceiling.p50} / ${r.ceiling.p99} | ${r.service.p50} / ${r.service.p99} | ${fmt(c.p99, 2)} ×: ${verdict(c.p99Met)} | ${fmt(r.ceiling.serverMsPerRequest, 3)} | ${fmt(r.service.serverMsPerRequest, 3)} | ${r.single.p99} ms: ${verdict(c.singleMet)} |`;
    }),
    '',
    'Every run of the kinds:',
    '',
    ...table(rows),
    '',
    ...runQuality(rows),
  ];
}

interface ScalingVerdict {
  /** Per-Observation cost at the largest size over that at the smallest, in-process. */
  readonly perObservationRatio: number;
  /** Marginal ms per 1,000 Observations from the middle to the largest size over that from the smallest to the middle. */
  readonly marginalRatio: number;
  readonly http5000?: ScalingRow;
}

function scalingVerdict(s: ScalingResult): ScalingVerdict {
  const inProc = s.rows.filter((r) => r.via !== 'HTTP');
  const [small, middle, large] = SCALING_SIZES.map((n) => inProc.find((r) => r.observations === n));
  const per = (r: ScalingRow | undefined) => (r === undefined ? Number.NaN : r.median / r.observations);
  const slope = (a: ScalingRow | undefined, b: ScalingRow | undefined) => (a === undefined || b === undefined ? Number.NaN : (b.median - a.median) / (b.observations - a.observations));
  const http5000 = s.rows.find((r) => r.via === 'HTTP' && r.observations === 5_000);
  return { perObservationRatio: per(large) / per(small), marginalRatio: slope(middle, large) / slope(small, middle), ...(http5000 !== undefined ? { http5000 } : {}) };
}

function reportScaling(s: ScalingResult): string[] {
  const v = scalingVerdict(s);
  const linear = v.marginalRatio <= 1.5;
  return [
    '## 3. Prefetch scaling: 500, 5,000 and 50,000 Observations',
    '',
    `The main request's record padded with filler Observations (bench/prefetch.ts \`fillerObservations\`): nine in ten are vitals and labs with codes the service does not read (heart rate, blood pressure, weight, temperature, blood count, creatinine, ALT; an EHR that ignores the prefetch template's code filter sends them), one in ten an older EBV DNA or TBF result that selection must weigh and skip; all dated years before the record's own, so the answer stays the same (${s.cards} card). One request at a time, two warm-up requests, then for about ${fmt(Math.max(1, DURATION_S / 2), 0)} s per size (at least 5 requests). HTTP: \`fetch\` from this process to a service child (no JWT, logging off), body read included. In-process: \`JSON.parse\` of the body and \`serveHook\` (validation, load, rules, cards, SQLite record) in this process, without HTTP.`,
    ...s.facts,
    '',
    '| Observations | request MiB | via | requests | median ms | p95 ms | median ms per 1,000 Observations |',
    '|---:|---:|---|---:|---:|---:|---:|',
    ...s.rows.map((r) => `| ${r.observations.toLocaleString('en-US')} | ${fmt(r.kib / 1024, 2)} | ${r.via} | ${r.requests} | ${fmt(r.median, 2)} | ${fmt(r.p95, 2)} | ${fmt((1000 * r.median) / r.observations, 3)} |`),
    '',
    `- Per-Observation cost, in-process, 50,000 against 500: ${fmt(v.perObservationRatio, 2)} × (the fixed cost of a request, cards and all, weighs on the 500 figure, so a linear cost gives less than 1).`,
    `- Marginal cost, in-process: from 5,000 to 50,000 Observations ${fmt(v.marginalRatio, 2)} × that from 500 to 5,000 per added Observation: ${linear ? 'growth is linear (within 1.5 ×)' : '**growth is faster than linear**'}.`,
    v.http5000 !== undefined
      ? `- 5,000 Observations over HTTP: median ${fmt(v.http5000.median, 1)} ms, p95 ${fmt(v.http5000.p95, 1)} ms; target median < ${TARGETS.scaling5000Ms} ms: ${verdict(v.http5000.median < TARGETS.scaling5000Ms)}${v.http5000.p95 < TARGETS.scaling5000Ms ? ' (p95 too)' : ' (p95 not)'}.`
      : '- 5,000 Observations over HTTP: not measured.',
  ];
}

function reportStages(stages: readonly Stage[]): string[] {
  return [
    '## 4. One request\'s work by stage (in-process, µs per request)',
    '',
    'Each stage timed in a loop in one process on the main request, after the HTTP runs; nested stages are marked with dots.',
    'The HTTP layer (connection, header parsing, body read, express routing, response write) and garbage collection come on top.',
    '',
    '| stage | median µs | mean µs | also in the ceiling |',
    '|---|---:|---:|---|',
    ...stages.map((s) => `| ${s.stage} | ${fmt(s.median, 0)} | ${fmt(s.mean, 0)} | ${s.inCeiling === true ? 'yes' : ''} |`),
  ];
}

/** The targets of issue 15, all in one place at the top of the report. */
function reportTargets(m: MainResult, k: KindsResult, s: ScalingResult): string[] {
  const kinds = k.results.map((r) => ({ id: r.kind.id, ...kindChecks(r) }));
  const list = (pick: (c: (typeof kinds)[number]) => boolean) => {
    const missed = kinds.filter((c) => !pick(c)).map((c) => c.id);
    return missed.length === 0 ? `met by all ${kinds.length} kinds` : `**not met** by ${missed.join(', ')} (met by ${kinds.length - missed.length} of ${kinds.length})`;
  };
  const v = scalingVerdict(s);
  return [
    '## Targets of issue 15 ("Speed")',
    '',
    'Measured, never asserted; "met" means met in this run.',
    '',
    'Main request (part 1):',
    '',
    ...mainChecks(m.rows).map(checkLine),
    '',
    'Request kinds (part 2):',
    '',
    `- service req/s ≥ ${pct(TARGETS.rps)} of its ceiling's at ${KIND_CONNECTIONS} connections: ${list((c) => c.rpsMet)}.`,
    `- service p99 ≤ ${TARGETS.p99Ratio} × its ceiling's at ${KIND_CONNECTIONS} connections: ${list((c) => c.p99Met)}.`,
    `- service p99 < ${TARGETS.p99At1Ms} ms at 1 connection: ${list((c) => c.singleMet)}.`,
    '',
    'Prefetch scaling (part 3):',
    '',
    v.http5000 !== undefined ? checkLine({ what: `5,000 Observations over HTTP in less than ${TARGETS.scaling5000Ms} ms (median)`, value: `${fmt(v.http5000.median, 1)} ms`, met: v.http5000.median < TARGETS.scaling5000Ms }) : '- 5,000 Observations over HTTP: not measured.',
    checkLine({ what: 'linear growth (marginal cost per Observation, 5,000 → 50,000 against 500 → 5,000, within 1.5 ×)', value: `${fmt(v.marginalRatio, 2)} ×`, met: v.marginalRatio <= 1.5 }),
  ];
}

function reportHeader(): string[] {
  const cpus = os.cpus();
  return [
    '# HTTP benchmark',
    '',
    `${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus[0]?.model.trim() ?? 'unknown CPU'} × ${cpus.length} cores (os.cpus()), ${os.platform()} ${os.release()}.`,
    `autocannon, ${DURATION_S} s per measured run after a ${WARMUP_S} s warm-up at the same connection count (and one ${INITIAL_WARMUP_S} s warm-up per server before any run), one request in flight per connection.`,
    '',
    '**Client and server share the machine.** Each server runs in its own child process (its own event loop, at most one core',
    'for JavaScript); autocannon runs in the parent process. With two cores that leaves about one core for autocannon and',
    'nothing for anything else: whatever else runs on the machine takes CPU from one of them. The "other processes" column',
    'is the CPU the rest of the machine used during the run (all cores, minus the server, the FHIR server it reads if any, and',
    'autocannon); "server CPU ms / request" is the server child\'s own CPU time per answered request, which disturbance affects',
    'much less than req/s. autocannon reports latency in whole milliseconds, truncated (p50 0 means under 1 ms).',
    '`node dist/bench/http.js --profile` samples the server CPU of the ceiling and the service and attributes it per request to',
    'packages and modules; `--kinds`, `--scaling` and `--stages` run and print one part only; `BENCH_DURATION_S` sets the',
    'length of a measured run.',
  ];
}

async function main(): Promise<void> {
  const started = Date.now();
  const mainPart = await mainRequestRuns();
  const kinds = await kindRuns();
  log('part 3, prefetch scaling');
  const scaling = await scalingRuns();
  log('part 4, timing the stages of one request in-process');
  const stages = await stageTimes(mainPart.body);
  const report = [
    ...reportHeader(),
    '',
    ...reportTargets(mainPart, kinds, scaling),
    '',
    ...reportMain(mainPart),
    '',
    ...reportKinds(kinds),
    '',
    ...reportScaling(scaling),
    '',
    ...reportStages(stages),
    '',
    `Total benchmark time ${fmt((Date.now() - started) / 1000, 0)} s.`,
    '',
  ].join('\n');
  process.stdout.write(report);
  writeResultsReport(report);
  const rows = [...mainPart.rows, ...kinds.results.flatMap((r) => [r.ceiling, r.service, r.single])];
  if (rows.some((r) => r.non2xx > 0 || r.errors > 0)) process.exitCode = 1;
}

// ---- profile mode ------------------------------------------------------------------------------------

type CpuProfile = Profiler.Profile;
type ProfileNode = Profiler.ProfileNode;

/** Who a stack frame belongs to; a sample goes to the innermost frame of its stack that has an owner. */
const OWNERS: readonly [string, RegExp][] = [
  ['res.json: JSON.stringify and the socket write', /\/express\/lib\/response\.js$/],
  ['zod (request and card validation)', /\/node_modules\/zod\//],
  ['handlebars (card text)', /\/node_modules\/handlebars\//],
  ['UCUM conversion (@lhncbc/ucum-lhc)', /\/node_modules\/@lhncbc\//],
  ['SQLite (better-sqlite3 and src/store)', /\/node_modules\/better-sqlite3\/|\/src\/store\//],
  ['pino', /\/node_modules\/(pino|sonic-boom)\//],
  ['body read and JSON.parse (body-parser, raw-body)', /\/node_modules\/(body-parser|raw-body|iconv-lite)\//],
  ['extraction and loading (src/fhir)', /\/src\/fhir\//],
  ['rules (src/core)', /\/src\/core\//],
  ['card building (src/cds: cards, markdown, templates, basis)', /\/src\/cds\/(cards|markdown|templates|basis|vocabulary)\.js$/],
  ['hook handling (src/cds/hooks, src/app)', /\/src\/cds\/hooks\.js$|\/src\/app\.js$/],
  ['express routing and middleware', /\/node_modules\/(express|router|cors|type-is|mime-types|content-type|finalhandler|on-finished|parseurl|send)\//],
];

function attribute(p: CpuProfile): Map<string, number> {
  const parent = new Map<number, number>();
  const byId = new Map<number, ProfileNode>();
  for (const n of p.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const ownerOf = new Map<number, string>();
  const resolve = (id: number): string => {
    const known = ownerOf.get(id);
    if (known !== undefined) return known;
    const frame = byId.get(id)?.callFrame;
    const name = frame?.functionName ?? '';
    let owner: string;
    if (name === '(garbage collector)' || name === '(idle)' || name === '(program)') owner = name;
    else {
      const found = OWNERS.find(([, re]) => re.test(frame?.url ?? ''))?.[0];
      const up = parent.get(id);
      owner = found ?? (up === undefined ? 'node internals (http, net, streams)' : resolve(up));
    }
    ownerOf.set(id, owner);
    return owner;
  };
  const totals = new Map<string, number>();
  (p.samples ?? []).forEach((id, i) => {
    const owner = resolve(id);
    if (owner === '(root)') return;
    totals.set(owner, (totals.get(owner) ?? 0) + (p.timeDeltas?.[i] ?? 0) / 1000);
  });
  return totals;
}

/** The functions with the most self time, as table rows: µs per request over `requests`. */
function topFunctions(p: CpuProfile, requests: number, n = 40): string[] {
  const self = new Map<number, number>();
  (p.samples ?? []).forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas?.[i] ?? 0)));
  const byFunction = new Map<string, { name: string; where: string; us: number }>();
  for (const node of p.nodes) {
    const us = self.get(node.id) ?? 0;
    const f = node.callFrame;
    if (us === 0 || f.functionName === '(idle)' || f.functionName === '(root)') continue;
    const file = f.url.replace(/^.*\/node_modules\//, '').replace(/^.*\/dist\//, '').replace(/^file:\/\//, '');
    const where = file === '' ? '' : `${file}:${f.lineNumber + 1}`;
    const key = `${f.functionName}@${where}`;
    const entry = byFunction.get(key) ?? { name: f.functionName === '' ? '(anonymous)' : f.functionName, where, us: 0 };
    entry.us += us;
    byFunction.set(key, entry);
  }
  return [...byFunction.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, n)
    .map((e) => `| \`${e.name}\` | ${e.where} | ${fmt(e.us / requests, 1)} |`);
}

/**
 * Starts the service (no JWT, logging off) and the ceiling answering its captured response; then, for the
 * ceiling and the service in turn, warms it up at 10 connections and calls `run`. Stops both at the end.
 */
async function eachWarmServer(run: (name: 'ceiling' | 'service', server: RunningServer, body: string) => Promise<void>): Promise<void> {
  const body = JSON.stringify(benchRequest(new Date(), randomUUID()).body);
  const service = await startServer({ kind: 'service', logging: 'silent' });
  const first = await probe(service.url, body);
  expectCards('the service', first);
  const ceiling = await startServer({ kind: 'ceiling', body: first.text });
  try {
    for (const [name, server] of [['ceiling', ceiling], ['service', service]] as const) {
      await fire({ url: server.url, body, connections: 10, durationS: INITIAL_WARMUP_S });
      await run(name, server, body);
    }
  } finally {
    await ceiling.stop();
    await service.stop();
  }
}

/**
 * Where the time goes: the ceiling and the service (no JWT, logging off) each under 10 connections for
 * BENCH_DURATION_S after a warm-up, sampled by the V8 profiler in the server child during the measured run
 * only; each sample goes to the innermost frame owned by a package or a src module (node internals go
 * to their caller), and the owners' time is divided by the requests answered.
 */
async function profile(): Promise<void> {
  const perRequest = new Map<string, Map<string, number>>();
  const hottest = new Map<string, string[]>();
  const summary: string[] = [];
  await eachWarmServer(async (name, server, body) => {
    await server.profileStart();
    const m = await fire({ url: server.url, body, connections: 10, durationS: DURATION_S });
    const cpu = await server.profileStop();
    const owners = attribute(cpu);
    const n = Math.max(1, m.ok + m.non2xx);
    perRequest.set(name, new Map([...owners].map(([k, v]) => [k, v / n])));
    const file = path.join(os.tmpdir(), `npc-cds-bench-${name}.cpuprofile`);
    writeFileSync(file, JSON.stringify(cpu));
    hottest.set(name, topFunctions(cpu, n));
    summary.push(`${name}: profile written to ${file} (open in Chrome DevTools or speedscope)`);
    summary.push(`${name}: ${fmt(m.rps)} req/s at 10 connections while profiled, ${n} requests`);
  });
  const svc = perRequest.get('service') ?? new Map<string, number>();
  const top = perRequest.get('ceiling') ?? new Map<string, number>();
  const owners = [...new Set([...svc.keys(), ...top.keys()])].filter((o) => o !== '(idle)').sort((a, b) => (svc.get(b) ?? 0) - (svc.get(a) ?? 0));
  const busy = (m: Map<string, number>) => owners.reduce((a, o) => a + (m.get(o) ?? 0), 0);
  process.stdout.write(
    [
      ...summary,
      '',
      '| where (self time, innermost owner) | service ms / request | ceiling ms / request |',
      '|---|---:|---:|',
      ...owners.map((o) => `| ${o} | ${fmt(svc.get(o) ?? 0, 3)} | ${fmt(top.get(o) ?? 0, 3)} |`),
      `| **busy, total** | **${fmt(busy(svc), 3)}** | **${fmt(busy(top), 3)}** |`,
      '',
      'The service\'s hottest functions (self time, µs per request):',
      '',
      '| function | where | µs / request |',
      '|---|---|---:|',
      ...(hottest.get('service') ?? []),
      '',
    ].join('\n'),
  );
}

/** `--stages`: only the in-process breakdown, printed. */
async function stagesOnly(): Promise<void> {
  const stages = await stageTimes(JSON.stringify(benchRequest(new Date(), randomUUID()).body));
  process.stdout.write(`${stages.map((s) => `${s.stage}: median ${fmt(s.median, 0)} µs, mean ${fmt(s.mean, 0)} µs`).join('\n')}\n`);
}

/** `--quick`: the ceiling and the service (no JWT, logging off) at 10 connections, for iterating on a change. */
async function quick(): Promise<void> {
  await eachWarmServer(async (name, server, body) => {
    const m = await measure(server, { url: server.url, body, connections: 10, durationS: 5 });
    process.stdout.write(`${name}: ${fmt(m.rps)} req/s, p50 ${m.p50} ms, p99 ${m.p99} ms, ${fmt(m.serverMsPerRequest, 3)} ms CPU / request, non-2xx ${m.non2xx}\n`);
  });
}

/** `--kinds`: only part 2, printed. */
async function kindsOnly(): Promise<void> {
  process.stdout.write(`${reportKinds(await kindRuns()).join('\n')}\n`);
}

/** `--scaling`: only part 3, printed. */
async function scalingOnly(): Promise<void> {
  process.stdout.write(`${reportScaling(await scalingRuns()).join('\n')}\n`);
}

const MODES: Readonly<Record<string, () => Promise<void>>> = {
  serve,
  '--quick': quick,
  '--profile': profile,
  '--stages': stagesOnly,
  '--kinds': kindsOnly,
  '--scaling': scalingOnly,
};

const mode = process.argv[2];
const run = mode === undefined ? main : MODES[mode];
if (run === undefined) {
  process.stderr.write(`bench/http: unknown mode ${mode ?? ''}; use one of ${Object.keys(MODES).filter((m) => m !== 'serve').join(', ')}, or none for the whole benchmark\n`);
  process.exit(2);
}
run().catch((e: unknown) => {
  process.stderr.write(`bench/http: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
