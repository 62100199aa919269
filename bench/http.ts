/**
 * Benchmark (not a test): the CDS Hooks service over HTTP, driven by autocannon. One patient-view request
 * with a realistic prefetch (bench/prefetch.ts) against
 *   - the ceiling: a bare express 5 app with express.json() on the same route, answering the real
 *     service's response, captured once, verbatim;
 *   - the service (buildApp, default configuration, SQLite file store, logging off), without JWT;
 *   - the same with logging at info (to /dev/null), to show what a log line per request costs;
 *   - the same with CDS Hooks JWTs, RS384 and ES384, one fresh pre-signed token per request.
 * Each server under test runs in its own child process, so that autocannon's work does not share the
 * server's event loop. All of them are started first; then, for each connection count, every
 * configuration runs back to back, so that the ratios compare runs made close together in time. Each
 * run records the server's CPU time and what the rest of the machine was doing, so that a run disturbed
 * by other processes can be recognised. Ends with a breakdown of one request's work by stage, measured
 * in-process. Prints everything and writes it to bench/RESULTS.md. Run with `npm run bench`.
 *
 * `node dist/bench/http.js --profile` instead samples the CPU of the service and of the ceiling under
 * load and attributes the time per request to the packages and modules that spend it.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { Session, type Profiler } from 'node:inspector';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import express from 'express';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type KeyLike } from 'jose';
import { buildApp } from '../src/express-app';
import { cardSchema } from '../src/cds/card-schema';
import { serveHook, type HookDeps } from '../src/cds/hooks';
import { hookRequestSchema } from '../src/cds/request-schema';
import { loadServices } from '../src/cds/services';
import { CardTemplates } from '../src/cds/templates';
import { loadConfig } from '../src/config';
import { assessPatient } from '../src/core';
import { extractInputs } from '../src/fhir/extract';
import { loadPatientRecord } from '../src/fhir/loader';
import { createLogger } from '../src/logger';
import { openSqliteStore } from '../src/store/sqlite';
import { BENCH_SERVICE_ID, benchRequest } from './prefetch';
import { machineCpuMs, writeResultsReport } from './results';

const DURATION_S = 8;
/** Per server, once, before any measurement (JIT, caches). */
const INITIAL_WARMUP_S = 2;
/** Before every measured run, at its connection count. */
const WARMUP_S = 1;
const CONNECTIONS = [1, 10, 50] as const;
const TARGET_RATIO = 0.8;
const ROUTE = `/cds-services/${BENCH_SERVICE_ID}`;
const JSON_TYPES = ['application/json', 'application/fhir+json', 'application/*+json'];

// ---- the servers under test (child processes) -------------------------------------------------------

type ServerSpec =
  | { readonly kind: 'ceiling'; readonly body: string }
  | { readonly kind: 'service'; readonly logging: 'silent' | 'info'; readonly trustedIssuers?: string };

type ToChild =
  | { readonly type: 'start'; readonly spec: ServerSpec }
  | { readonly type: 'cpu' }
  | { readonly type: 'profile-start' }
  | { readonly type: 'profile-stop' }
  | { readonly type: 'stop' };
type FromChild =
  | { readonly type: 'listening'; readonly port: number }
  | { readonly type: 'cpu'; readonly micros: number }
  | { readonly type: 'profile'; readonly profile?: CpuProfile }
  | { readonly type: 'stopped'; readonly cardsIssued?: number }
  | { readonly type: 'failed'; readonly message: string };

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** The child: listens on an ephemeral loopback port first, so that PUBLIC_BASE_URL can name the port. */
async function serve(): Promise<void> {
  const spec = await new Promise<ServerSpec>((resolve) => {
    process.once('message', (m: ToChild) => {
      if (m.type === 'start') resolve(m.spec);
    });
  });
  const send = (m: FromChild) => process.send?.(m);
  const server = createServer();
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  let finish: () => Promise<FromChild> = async () => ({ type: 'stopped' });

  if (spec.kind === 'ceiling') {
    const app = express();
    app.disable('x-powered-by');
    app.set('etag', false);
    app.post('/cds-services/:id', express.json({ limit: '5mb', type: JSON_TYPES }), (_req, res) => {
      res.type('application/json').send(spec.body);
    });
    server.on('request', app);
  } else {
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
    };
    const config = loadConfig(env, dir);
    // Logs go to the process's stdout, as in production; the parent points it at /dev/null.
    const logger = createLogger(config.logLevel);
    const store = await openSqliteStore(config.databasePath);
    server.on('request', await buildApp({ config, store, logger }));
    finish = async () => {
      const cardsIssued = (await store.report()).cardsIssued;
      await store.close();
      rmSync(dir, { recursive: true, force: true });
      return { type: 'stopped', cardsIssued };
    };
  }

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
      server.close();
      server.closeAllConnections();
      void finish()
        .catch((e: unknown): FromChild => ({ type: 'failed', message: errorText(e) }))
        .then((reply) => process.send?.(reply, () => process.exit(0)));
    }
  });
  send({ type: 'listening', port });
}

interface RunningServer {
  readonly url: string;
  /** The child's CPU time so far (user + system), in microseconds. */
  cpuMicros(): Promise<number>;
  profileStart(): Promise<void>;
  profileStop(): Promise<CpuProfile>;
  /** Stops the child; resolves with the number of cards its store recorded (service only). */
  stop(): Promise<number | undefined>;
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

async function startServer(spec: ServerSpec): Promise<RunningServer> {
  const child = fork(__filename, ['serve'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv: [] });
  const m = await ask(child, { type: 'start', spec });
  if (m.type !== 'listening') throw new Error('server child did not start');
  return {
    url: `http://127.0.0.1:${m.port}${ROUTE}`,
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
      return reply.type === 'stopped' ? reply.cardsIssued : undefined;
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

/** One call, checked: 200 and at least one card (a benchmark of 400s measures nothing). */
async function probe(url: string, body: string, token?: string): Promise<{ status: number; text: string; cards: number }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}) },
    body,
  });
  const text = await res.text();
  let cards = 0;
  try {
    const parsed = JSON.parse(text) as { cards?: unknown };
    cards = Array.isArray(parsed.cards) ? parsed.cards.length : 0;
  } catch {
    cards = 0;
  }
  return { status: res.status, text, cards };
}

function expectCards(what: string, r: { status: number; text: string; cards: number }): void {
  if (r.status !== 200 || r.cards < 1) {
    throw new Error(`${what}: expected 200 with at least one card, got ${r.status} with ${r.cards} cards: ${r.text.slice(0, 500)}`);
  }
}

interface Usage {
  /** Server CPU as a fraction of one core. */
  readonly serverCores: number;
  /** Server CPU time per answered request, ms. */
  readonly serverMsPerRequest: number;
  /** CPU used by everything but the server and this process (autocannon), in cores. */
  readonly otherCores: number;
}

/** Runs `load` and measures what the server, this process and the rest of the machine used meanwhile. */
async function measure(server: RunningServer, load: Load): Promise<Measured & Usage> {
  const s0 = await server.cpuMicros();
  const m0 = machineCpuMs();
  const p0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const m = await fire(load);
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const p = process.cpuUsage(p0);
  const m1 = machineCpuMs();
  const serverMs = ((await server.cpuMicros()) - s0) / 1000;
  const clientMs = (p.user + p.system) / 1000;
  return {
    ...m,
    serverCores: serverMs / wallMs,
    serverMsPerRequest: serverMs / Math.max(1, m.ok + m.non2xx),
    otherCores: Math.max(0, (m1.busy - m0.busy - serverMs - clientMs) / wallMs),
  };
}

// ---- one request's work, by stage, in-process ----------------------------------------------------------

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
  const dir = mkdtempSync(path.join(os.tmpdir(), 'npc-cds-bench-stages-'));
  const config = loadConfig({ LOG_LEVEL: 'silent', DATABASE_PATH: path.join(dir, 'npc-cds.sqlite') }, dir);
  const store = await openSqliteStore(config.databasePath);
  try {
    const service = loadServices(config.codes).find((s) => s.id === BENCH_SERVICE_ID);
    if (service === undefined) throw new Error(`no service ${BENCH_SERVICE_ID}`);
    const deps: HookDeps = { config, templates: CardTemplates.load(), store, logger: createLogger('silent'), patientHashSalt: await store.patientHashSalt(), now: () => new Date() };
    const parsed: unknown = JSON.parse(body);
    const schema = hookRequestSchema('patient-view');
    const request = schema.parse(parsed);
    const loaded = await loadPatientRecord({ patientId: request.context.patientId, prefetch: request.prefetch }, { allowedFhirServers: [], codes: config.codes });
    const { cards } = await serveHook(service, parsed, deps);
    const now = new Date().toISOString();

    const RUNS = 1500;
    /** Median and mean of per-call times, µs, after as many warm-up calls. */
    const stat = (us: number[]) => {
      const sorted = [...us].sort((a, b) => a - b);
      return { median: sorted[Math.floor(sorted.length / 2)] ?? Number.NaN, mean: us.reduce((a, b) => a + b, 0) / us.length };
    };
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
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- the benchmark -----------------------------------------------------------------------------------

interface Row extends Measured, Usage {
  readonly config: string;
  readonly connections: number;
  readonly note?: string;
}

interface Target {
  readonly config: string;
  readonly server: RunningServer;
  readonly mint?: TokenMint;
}

const CONFIGS = {
  ceiling: 'ceiling: bare express 5 + express.json(), static cards',
  service: 'service, no JWT, logging off',
  serviceInfo: 'service, no JWT, logging info → /dev/null',
  rs384: 'service, JWT RS384, logging off',
  es384: 'service, JWT ES384, logging off',
} as const;

const log = (s: string) => process.stderr.write(`${s}\n`);
const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

/** Warm-up, then the measured run, of one configuration at one connection count. */
async function runOne(t: Target, body: string, connections: number, warmupS: number, expectedRps: number): Promise<Row> {
  const notes: string[] = [];
  let tokens: string[] | undefined;
  let rate = expectedRps;
  if (t.mint !== undefined) tokens = await t.mint.sign(Math.ceil(expectedRps * warmupS * 1.5) + 4 * connections);
  const warm = await fire({ url: t.server.url, body, connections, durationS: warmupS, ...(tokens !== undefined ? { tokens } : {}) });
  if (warm.non2xx + warm.errors > 0) notes.push(`warm-up: ${warm.non2xx} non-2xx, ${warm.errors} errors`);
  if (t.mint !== undefined) {
    // The warm-up doubles as the probe that sizes the token pool of the measured run.
    rate = warm.ok / Math.max(warm.durationS, 0.5);
    tokens = await t.mint.sign(Math.ceil(rate * DURATION_S * 1.4) + 4 * connections + 100);
  }
  const m = await measure(t.server, { url: t.server.url, body, connections, durationS: DURATION_S, ...(tokens !== undefined ? { tokens } : {}) });
  if (tokens !== undefined && m.durationS < DURATION_S - 0.5) notes.push(`token pool (${tokens.length}) used up after ${m.durationS} s`);
  log(
    `  ${t.config} @ ${connections}: ${fmt(m.rps)} req/s, p50 ${m.p50} ms, p99 ${m.p99} ms, non-2xx ${m.non2xx}, errors ${m.errors}; server ${fmt(100 * m.serverCores, 0)} % CPU, ${fmt(m.serverMsPerRequest, 3)} ms CPU/request; others ${fmt(m.otherCores, 2)} cores`,
  );
  return { config: t.config, connections, ...m, ...(notes.length > 0 ? { note: notes.join('; ') } : {}) };
}

function table(rows: readonly Row[]): string[] {
  return [
    '| configuration | connections | req/s (mean) | p50 ms | p99 ms | non-2xx | errors (timeouts) | server CPU | server CPU ms / request | other processes, cores | note |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ...rows.map((r) => {
      const bad = r.non2xx > 0 || r.errors > 0;
      const flag = (v: string) => (bad ? `**${v}**` : v);
      return `| ${r.config} | ${r.connections} | ${fmt(r.rps)} | ${r.p50} | ${r.p99} | ${flag(String(r.non2xx))} | ${flag(`${r.errors} (${r.timeouts})`)} | ${fmt(100 * r.serverCores, 0)} % | ${fmt(r.serverMsPerRequest, 3)} | ${fmt(r.otherCores, 2)} | ${r.note ?? ''} |`;
    }),
  ];
}

async function main(): Promise<void> {
  const started = Date.now();
  const request = benchRequest(new Date(), randomUUID());
  const body = JSON.stringify(request.body);
  const facts: string[] = [];
  const keyDir = mkdtempSync(path.join(os.tmpdir(), 'npc-cds-bench-keys-'));
  const targets: Target[] = [];

  log('npc-cds HTTP benchmark: starting the servers');
  try {
    const service = await startServer({ kind: 'service', logging: 'silent' });
    targets.push({ config: CONFIGS.service, server: service });
    const first = await probe(service.url, body);
    expectCards('the service', first);
    const response = first.text;
    const summaries = (JSON.parse(response) as { cards: { summary: string }[] }).cards.map((c) => c.summary);
    facts.push(
      `- Request: patient-view for \`${ROUTE}\`, ${(Buffer.byteLength(body) / 1024).toFixed(1)} KiB of JSON: prefetch with Patient, the NPC Condition (ICD-10-CM C11.9, active, confirmed), ${request.observationCount} Observations (staging, EBV DNA, tumor volume, ICTOS and its features, tumor blood flow over time, diameters, older filler), the RT course (in progress, day 31) and two cisplatin administrations (bench/prefetch.ts). The same body for every request.`,
      `- Response: 200 with ${summaries.length} card(s), ${(Buffer.byteLength(response) / 1024).toFixed(1)} KiB: ${summaries.map((s) => `"${s}"`).join('; ')}. (During RT the ICTOS treatment-selection card does not apply, so this is one card with five TBF findings.)`,
    );

    const ceiling = await startServer({ kind: 'ceiling', body: response });
    if ((await probe(ceiling.url, body)).text !== response) throw new Error('the ceiling does not answer the captured response');
    targets.unshift({ config: CONFIGS.ceiling, server: ceiling });

    const logged = await startServer({ kind: 'service', logging: 'info' });
    expectCards(CONFIGS.serviceInfo, await probe(logged.url, body));
    targets.push({ config: CONFIGS.serviceInfo, server: logged });

    for (const [alg, config] of [['RS384', CONFIGS.rs384], ['ES384', CONFIGS.es384]] as const) {
      const issuer = await makeIssuer(alg);
      const jwksFile = path.join(keyDir, `${alg}.jwks.json`);
      writeFileSync(jwksFile, JSON.stringify({ keys: [issuer.publicJwk] }));
      const server = await startServer({ kind: 'service', logging: 'silent', trustedIssuers: JSON.stringify([{ iss: issuer.iss, jwksFile }]) });
      const mint = new TokenMint(issuer, server.url);
      const [good] = await mint.sign(1);
      expectCards(`${config}: a signed request`, await probe(server.url, body, good));
      const unsigned = await probe(server.url, body);
      if (unsigned.status !== 401) throw new Error(`${config}: a request without a token got ${unsigned.status}, not 401: JWT is not enforced`);
      targets.push({ config, server, mint });
    }

    log(`warming up every server (${INITIAL_WARMUP_S} s at 10 connections)`);
    const expected = new Map<number, number>();
    for (const t of targets) {
      const r = await runOne(t, body, 10, INITIAL_WARMUP_S, expected.get(10) ?? 1000);
      if (t.config === CONFIGS.service) expected.set(10, r.rps);
    }

    const rows: Row[] = [];
    for (const connections of CONNECTIONS) {
      log(`${connections} connection(s)`);
      for (const t of targets) {
        const row = await runOne(t, body, connections, WARMUP_S, expected.get(connections) ?? expected.get(10) ?? 1000);
        if (t.config === CONFIGS.service) expected.set(connections, row.rps);
        rows.push(row);
      }
    }

    for (const t of targets) {
      if (t.mint !== undefined) facts.push(`- ${t.mint.issuer.alg}: ${t.mint.signed} tokens signed, all before the runs that used them (${fmt(t.mint.ms / Math.max(1, t.mint.signed), 3)} ms each).`);
    }
    const served = rows.filter((r) => r.config === CONFIGS.service).reduce((a, r) => a + r.ok, 0);
    let recorded: number | undefined;
    for (const t of targets) {
      const n = await t.server.stop();
      if (t.config === CONFIGS.service) recorded = n;
    }
    targets.length = 0;
    facts.push(`- Card recording is real: the SQLite file of the no-JWT, logging-off service holds ${String(recorded)} issued cards at the end (${summaries.length} per response; ${served} responses in its measured runs, the rest in warm-ups).`);
    if (served > 0 && (recorded ?? 0) < served * summaries.length) throw new Error(`the store recorded ${String(recorded)} cards for ${served} responses`);

    log('timing the stages of one request in-process');
    const stages = await stageTimes(body);
    const ceilingRows = new Map(rows.filter((r) => r.config === CONFIGS.ceiling).map((r) => [r.connections, r]));
    const serviceRows = new Map(rows.filter((r) => r.config === CONFIGS.service).map((r) => [r.connections, r]));
    const ratios = CONNECTIONS.map((c) => {
      const top = ceilingRows.get(c);
      const svc = serviceRows.get(c);
      return {
        c,
        top: top?.rps ?? Number.NaN,
        svc: svc?.rps ?? Number.NaN,
        ratio: top !== undefined && svc !== undefined ? svc.rps / top.rps : Number.NaN,
        cpuRatio: top !== undefined && svc !== undefined ? top.serverMsPerRequest / svc.serverMsPerRequest : Number.NaN,
      };
    });
    const failures = rows.filter((r) => r.non2xx > 0 || r.errors > 0);
    const disturbed = rows.filter((r) => r.otherCores > 0.25);
    const cpus = os.cpus();
    const report = [
      '# HTTP benchmark',
      '',
      `${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus[0]?.model.trim() ?? 'unknown CPU'} × ${cpus.length} cores (os.cpus()), ${os.platform()} ${os.release()}.`,
      `autocannon, ${DURATION_S} s per measured run after a ${WARMUP_S} s warm-up at the same connection count (and one ${INITIAL_WARMUP_S} s warm-up per server before any run), one request in flight per connection.`,
      '',
      '**Client and server share the machine.** Each server runs in its own child process (its own event loop, at most one core',
      'for JavaScript); autocannon runs in the parent process. With two cores that leaves about one core for autocannon and',
      'nothing for anything else: whatever else runs on the machine takes CPU from one of them. The "other processes" column',
      'is the CPU the rest of the machine used during the run (all cores, minus the server and autocannon); "server CPU ms /',
      'request" is the server child\'s own CPU time per answered request, which disturbance affects much less than req/s.',
      '',
      ...facts,
      `- The service is \`buildApp\` with the default configuration (\`loadConfig\` on a constructed environment: PORT, HOST, PUBLIC_BASE_URL, LOG_LEVEL, DATABASE_PATH and, for JWT runs, TRUSTED_ISSUERS), a temporary SQLite file (WAL), the real clock, no FHIR server calls (the prefetch is complete).`,
      '- **Logging is off** (`LOG_LEVEL=silent`) in every service row except the one marked info, which writes its JSON line per request to the process\'s stdout, pointed at /dev/null (cheaper than a real log pipe).',
      '- JWT rows: `TRUSTED_ISSUERS` names one issuer whose JWK Set (the public key, with kid) is a local file (`jwksFile`; the configuration has no inline form for a JWKS), and `PUBLIC_BASE_URL` is the base URL the benchmark calls, so `aud` is that base plus the service path. Every request carries its own token (unique jti) from a pool signed before the run, never during it; before the runs a signed request was checked to get 200 and an unsigned one 401.',
      '- autocannon reports latency in whole milliseconds (p50 0 means under 1 ms). `node dist/bench/http.js --profile` samples the server CPU of the ceiling and the service and attributes it per request to packages and modules; `--stages` prints only the stage breakdown below.',
      '- The ceiling is a bare express 5 app with `express.json({ limit: "5mb" })` on `POST /cds-services/:id` that sends the service\'s captured response verbatim: it reads and parses the same request body and does nothing else.',
      '',
      ...table(rows),
      '',
      `## Service (no JWT, logging off) against the ceiling; target ≥ ${TARGET_RATIO * 100} % of the ceiling's req/s`,
      '',
      '| connections | ceiling req/s | service req/s | ratio of req/s | target | ratio of server CPU per request (ceiling / service) |',
      '|---:|---:|---:|---:|---|---:|',
      ...ratios.map((l) => `| ${l.c} | ${fmt(l.top)} | ${fmt(l.svc)} | ${fmt(l.ratio * 100)} % | ${l.ratio >= TARGET_RATIO ? 'met' : '**not met**'} | ${fmt(l.cpuRatio * 100)} % |`),
      '',
      ...ratios.map((l) => {
        const top = ceilingRows.get(l.c)?.serverMsPerRequest ?? Number.NaN;
        const svc = serviceRows.get(l.c)?.serverMsPerRequest ?? Number.NaN;
        return `- ${l.c} connection(s): at ${TARGET_RATIO * 100} % of the ceiling's rate the service could spend ${fmt(top / TARGET_RATIO, 3)} ms of server CPU per request, ${fmt(top / TARGET_RATIO - top, 3)} ms more than the ceiling's ${fmt(top, 3)} ms; it spends ${fmt(svc, 3)} ms.`;
      }),
      '',
      ratios.every((l) => l.ratio >= TARGET_RATIO)
        ? 'Target met at every connection count.'
        : `Target **not met** at ${ratios.filter((l) => !(l.ratio >= TARGET_RATIO)).map((l) => String(l.c)).join(', ')} connection(s).`,
      failures.length > 0
        ? `\n**${failures.length} run(s) had non-2xx responses or errors; their numbers do not measure the service's normal path.**`
        : '\nEvery measured run: 0 non-2xx, 0 errors.',
      disturbed.length > 0
        ? `\n**${disturbed.length} of ${rows.length} runs shared the machine with other processes using more than 0.25 cores** (${disturbed.map((r) => `${r.config} @ ${r.connections}`).join('; ')}): their req/s understate the server; compare server CPU per request instead.`
        : '\nNo run shared the machine with other processes using more than 0.25 cores.',
      '',
      '## One request\'s work by stage (in-process, µs per request)',
      '',
      'Each stage timed in a loop in one process on the same request, after the HTTP runs; nested stages are marked with dots.',
      'The HTTP layer (connection, header parsing, body read, express routing, response write) and garbage collection come on top.',
      '',
      '| stage | median µs | mean µs | also in the ceiling |',
      '|---|---:|---:|---|',
      ...stages.map((s) => `| ${s.stage} | ${fmt(s.median, 0)} | ${fmt(s.mean, 0)} | ${s.inCeiling === true ? 'yes' : ''} |`),
      '',
      `Total benchmark time ${fmt((Date.now() - started) / 1000, 0)} s.`,
      '',
    ].join('\n');
    process.stdout.write(report);
    writeResultsReport(report);
    if (failures.length > 0) process.exitCode = 1;
  } finally {
    for (const t of targets) await t.server.stop().catch(() => undefined);
    rmSync(keyDir, { recursive: true, force: true });
  }
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
 * DURATION_S after a warm-up, sampled by the V8 profiler in the server child during the measured run
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

const mode = process.argv[2];
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

const run = mode === 'serve' ? serve : mode === '--quick' ? quick : mode === '--profile' ? profile : mode === '--stages' ? stagesOnly : main;
run().catch((e: unknown) => {
  process.stderr.write(`bench/http: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
