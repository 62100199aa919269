/**
 * Soak (not a test, not a throughput benchmark): the real service under a fixed, sustained request rate
 * for several minutes on loopback, recording errors, latency percentiles and memory over time.
 *
 * - The service is `node dist/src/server.js` in a child process, configured only through its environment
 *   (DEMO=off, NODE_ENV=production, PORT=0, a SQLite file in a temporary directory, LOG_LEVEL=warn,
 *   WORKERS=1, ALLOWED_FHIR_SERVERS = the FHIR server below, ADMIN_TOKEN for the final store report). A
 *   preload (`--require`, written to the temporary directory) answers heap, GC and event-loop questions
 *   over IPC; it adds an event-loop-delay histogram and a GC observer to the service, nothing else.
 * - The FHIR server is the in-process medplum server (src/demo/fhir-server.ts) in this process, seeded
 *   with fixture patients (test/fixtures), requiring a bearer token, behind a cache of its own answers
 *   (see startFhirFront): the service's fallback path (no prefetch) reads it.
 * - The load is open-loop: request i is due at t0 + i / rate whatever happened to the earlier ones, and
 *   its latency is measured from that due time, so time spent waiting for a free connection or behind a
 *   stalled server counts (no coordinated omission). node:http with a keep-alive agent of `--connections`
 *   sockets. A fixed mix repeats every 20 requests: patient-view with prefetch (seven patients, one of
 *   them the 40 KiB request of bench/prefetch.ts, one not an NPC patient), patient-view without prefetch
 *   (the service reads the FHIR server), order-select and order-sign with draft orders, feedback
 *   (accepted and overridden) on card uuids the service returned, and bad requests that must get their
 *   4xx. Every answer is checked against a reference run made before the soak.
 * - Every `--sample` seconds: requests by outcome, latency percentiles, the server's RSS (/proc VmRSS),
 *   heap (after GC, used, total), GC, event-loop delay and CPU, this process's event-loop delay and send
 *   lag, the machine's load and the CPU used by other processes.
 * - At the end: totals, percentiles overall and per kind, memory first vs last window, slopes over the
 *   second half of the run and a verdict (stable / growing; none under ~4.5 minutes), and a "Soak" section
 *   in bench/RESULTS.md between `<!-- soak:start -->` and `<!-- soak:end -->` (the rest of the file is
 *   kept). Runs shorter than 3 minutes are labelled a trial. Exits non-zero on any unexpected error.
 *
 * `npm run soak` (builds first), or `node dist/bench/soak.js --rate 100 --minutes 5 --connections 16
 * --sample 10 --timeout 10 [--log-level warn] [--workers 1] [--no-write] [--json file]`.
 *
 * `--saturation` (`npm run soak -- --saturation`) is the same run at a rate above one process's capacity
 * (800 req/s and 256 connections unless given) to see load shedding (docs/deployment.md, "Load
 * shedding"): a 503 `overloaded` with Retry-After is counted as shed, not as an error, and the report
 * gives the shed share, how fast the 503s came, and the latency of the requests that were served, beside
 * the memory verdict; it writes the "saturation" section of bench/RESULTS.md. `--no-shedding` runs the
 * service with shedding off (MAX_IN_FLIGHT 100000, MAX_EVENT_LOOP_DELAY_MS 0, MAX_EVENT_LOOP_UTILIZATION 0), to compare.
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createHistogram, monitorEventLoopDelay, performance, type RecordableHistogram } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { Bundle, Coding, FhirResource } from 'fhir/r4';
import { startFhirServer, type FhirTestServer } from '../src/demo/fhir-server';
import { startFhirFront, type FhirFront } from './fhir-front';
import { benchRequest } from './prefetch';
import { machineCpuMs, RESULTS_FILE as RESULTS, writeResultsSection } from './results';

const ROOT = path.resolve(__dirname, '../..');
const SERVER_JS = path.join(ROOT, 'dist/src/server.js');
const FIXTURES = path.join(ROOT, 'test/fixtures');
/** Shorter runs are written as a trial, not as the soak result. */
const MIN_SOAK_MINUTES = 3;
/** Memory growth above this (MiB per minute, in the second half of the run) is "growing". */
const GROWTH_LIMIT_MIB_PER_MIN = 1;
const MIB = 1024 * 1024;

const SERVICES = {
  'patient-view': 'npc-treatment-guidance',
  'order-select': 'npc-induction-order-check-select',
  'order-sign': 'npc-induction-order-check-sign',
} as const;
type Hook = keyof typeof SERVICES;

// ---- settings ----------------------------------------------------------------------------------------

interface Settings {
  readonly rate: number;
  readonly minutes: number;
  readonly connections: number;
  readonly sampleS: number;
  readonly timeoutS: number;
  readonly logLevel: string;
  readonly workers: number;
  readonly write: boolean;
  readonly json?: string | undefined;
  /** Above capacity: a 503 overloaded is shed, not an error; writes the "saturation" section. */
  readonly saturation: boolean;
  /** false: the service runs with load shedding off (to compare). */
  readonly shedding: boolean;
}

function settingsFrom(argv: string[]): Settings {
  const { values } = parseArgs({
    args: argv,
    options: {
      rate: { type: 'string' },
      minutes: { type: 'string', default: '5' },
      connections: { type: 'string' },
      sample: { type: 'string', default: '10' },
      timeout: { type: 'string', default: '10' },
      'log-level': { type: 'string', default: 'warn' },
      workers: { type: 'string', default: '1' },
      'no-write': { type: 'boolean', default: false },
      json: { type: 'string' },
      saturation: { type: 'boolean', default: false },
      'no-shedding': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help === true) {
    process.stdout.write(
      'node dist/bench/soak.js [--rate 100] [--minutes 5] [--connections 16] [--sample 10] [--timeout 10] [--log-level warn] [--workers 1] [--no-write] [--json file] [--saturation [--no-shedding]] (with --saturation, --rate 800 and --connections 256 unless given)\n',
    );
    process.exit(0);
  }
  const num = (name: string, s: string | undefined, min: number, max: number): number => {
    const n = Number(s);
    if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${name}: "${String(s)}" must be a number from ${min} to ${max}`);
    return n;
  };
  const saturation = values.saturation === true;
  if (values['no-shedding'] === true && !saturation) throw new Error('--no-shedding goes with --saturation');
  return {
    rate: num('rate', values.rate ?? (saturation ? '800' : '100'), 1, 10_000),
    minutes: num('minutes', values.minutes, 0.05, 24 * 60),
    connections: Math.round(num('connections', values.connections ?? (saturation ? '256' : '16'), 1, 1024)),
    sampleS: num('sample', values.sample, 1, 600),
    timeoutS: num('timeout', values.timeout, 0.1, 120),
    logLevel: values['log-level'] ?? 'warn',
    workers: Math.round(num('workers', values.workers, 1, 64)),
    write: values['no-write'] !== true,
    json: values.json,
    saturation,
    shedding: values['no-shedding'] !== true,
  };
}

// ---- the server's preload: heap and event-loop delay over IPC -------------------------------------------

/** Loaded into the service with --require. Plain JS; it only answers `soak-probe` messages. */
const PROBE_SOURCE = `'use strict';
// Only in the process the soak started: a cluster worker's channel is its primary's.
if (typeof process.send === 'function' && require('node:cluster').isPrimary) {
  const { monitorEventLoopDelay, PerformanceObserver, constants } = require('node:perf_hooks');
  const v8 = require('node:v8');
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  // The heap in use just after each major (mark-sweep-compact) collection: about the live data, where a
  // leak shows; the least of them since the last question.
  let afterMajor = Infinity;
  let gcMajor = 0, gcMinor = 0, gcMs = 0, gcMaxMs = 0;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = e.detail !== undefined && e.detail !== null ? e.detail.kind : e.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
        gcMajor++;
        afterMajor = Math.min(afterMajor, v8.getHeapStatistics().used_heap_size);
      } else gcMinor++;
      gcMs += e.duration;
      if (e.duration > gcMaxMs) gcMaxMs = e.duration;
    }
  }).observe({ entryTypes: ['gc'] });
  process.on('message', (m) => {
    if (m === null || typeof m !== 'object' || m.type !== 'soak-probe') return;
    const mem = process.memoryUsage();
    process.send({
      type: 'soak-probe', id: m.id, pid: process.pid,
      rss: mem.rss, heapUsed: mem.heapUsed, heapAfterMajorGc: afterMajor === Infinity ? null : afterMajor, heapTotal: mem.heapTotal, external: mem.external, arrayBuffers: mem.arrayBuffers,
      loopP99: loop.percentile(99) / 1e6, loopMax: loop.max / 1e6, gcMajor, gcMinor, gcMs, gcMaxMs,
    });
    loop.reset();
    afterMajor = Infinity;
    gcMajor = 0; gcMinor = 0; gcMs = 0; gcMaxMs = 0;
  });
  if (process.channel) process.channel.unref();
}
`;

interface ProbeReply {
  readonly type: 'soak-probe';
  readonly id: number;
  readonly pid: number;
  readonly rss: number;
  readonly heapUsed: number;
  /** The least heap in use just after a major GC since the previous question; null without one. */
  readonly heapAfterMajorGc: number | null;
  readonly heapTotal: number;
  readonly external: number;
  readonly arrayBuffers: number;
  readonly loopP99: number;
  readonly loopMax: number;
  /** Garbage collections since the previous question, and their pauses, ms. */
  readonly gcMajor: number;
  readonly gcMinor: number;
  readonly gcMs: number;
  readonly gcMaxMs: number;
}

// ---- the process tree's memory and CPU from /proc ---------------------------------------------------------

let clockTicks = 100;
try {
  clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {
  clockTicks = 100;
}

/** `/proc/<pid>/stat` fields after the command name: [state, ppid, ...]; utime is [11], stime [12]. */
function statFields(pid: number): string[] | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** The process and its descendants (cluster workers, if any). */
function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return [root];
  }
  for (const e of entries) {
    const pid = Number(e);
    const ppid = Number(statFields(pid)?.[1]);
    if (Number.isFinite(ppid)) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  const out: number[] = [];
  const todo = [root];
  while (todo.length > 0) {
    const pid = todo.pop() as number;
    out.push(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return out;
}

interface TreeUsage {
  /** Sum of VmRSS, bytes; undefined without /proc. */
  readonly rss: number | undefined;
  /** User + system CPU time, ms. */
  readonly cpuMs: number | undefined;
  readonly processes: number;
}

function treeUsage(root: number): TreeUsage {
  const pids = processTree(root);
  let rss: number | undefined;
  let cpuMs: number | undefined;
  for (const pid of pids) {
    try {
      const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m !== null) rss = (rss ?? 0) + Number(m[1]) * 1024;
    } catch {
      // gone meanwhile
    }
    const f = statFields(pid);
    if (f !== undefined) cpuMs = (cpuMs ?? 0) + ((Number(f[11]) + Number(f[12])) * 1000) / clockTicks;
  }
  return { rss, cpuMs, processes: pids.length };
}

// ---- the service under test ------------------------------------------------------------------------------

interface Service {
  readonly child: ChildProcess;
  readonly port: number;
  readonly origin: string;
  /** Log lines on stdout by pino level name, and other stdout lines. */
  readonly logLevels: Map<string, number>;
  readonly otherStdout: string[];
  readonly errorLogSamples: string[];
  /** The last few log lines (any level), for when the service stops unexpectedly. */
  readonly lastLogLines: string[];
  stderr(): string;
  probe(timeoutMs?: number): Promise<ProbeReply | undefined>;
  exited(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
}

const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

async function startService(env: NodeJS.ProcessEnv, probeFile: string): Promise<Service> {
  if (!existsSync(SERVER_JS)) throw new Error(`${SERVER_JS} not found: build first (npx tsc -p tsconfig.build.json)`);
  const child = fork(SERVER_JS, [], { cwd: ROOT, env, execArgv: ['--require', probeFile], stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  const logLevels = new Map<string, number>();
  const otherStdout: string[] = [];
  const errorLogSamples: string[] = [];
  const lastLogLines: string[] = [];
  let stderr = '';
  let partial = '';
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let announcedPort: number | undefined;
  child.on('exit', (code, signal) => {
    exit = { code, signal };
  });
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (line.startsWith('{')) {
        try {
          const level = (JSON.parse(line) as { level?: unknown }).level;
          const name = typeof level === 'number' ? (LEVELS[level] ?? String(level)) : String(level);
          logLevels.set(name, (logLevels.get(name) ?? 0) + 1);
          if (typeof level === 'number' && level >= 50 && errorLogSamples.length < 5) errorLogSamples.push(line.slice(0, 600));
          lastLogLines.push(line.slice(0, 600));
          if (lastLogLines.length > 5) lastLogLines.shift();
          continue;
        } catch {
          // not a log line
        }
      }
      if (line.trim() === '') continue;
      if (otherStdout.length < 20) otherStdout.push(line);
      const m = /https?:\/\/[^\s/]+:(\d+)\/cds-services/.exec(line);
      if (m !== null && announcedPort === undefined) announcedPort = Number(m[1]);
    }
  });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    if (stderr.length < 64 * 1024) stderr += chunk;
  });

  const pending = new Map<number, (r: ProbeReply) => void>();
  let probeId = 0;
  child.on('message', (m: unknown) => {
    const r = m as Partial<ProbeReply> | null;
    if (r !== null && typeof r === 'object' && r.type === 'soak-probe' && typeof r.id === 'number') {
      pending.get(r.id)?.(r as ProbeReply);
      pending.delete(r.id);
    }
  });

  // The port: from the line the service prints when it listens (PORT=0), then /health must say ok.
  const deadline = Date.now() + 60_000;
  while (announcedPort === undefined) {
    if (exit !== undefined) throw new Error(`the service exited during start (${JSON.stringify(exit)}): ${stderr.trim().slice(0, 2000)}`);
    if (Date.now() > deadline) throw new Error(`the service did not print its URL within 60 s; stdout: ${otherStdout.join(' | ')}; stderr: ${stderr.slice(0, 2000)}`);
    await sleep(50);
  }
  const port = announcedPort;
  const origin = `http://127.0.0.1:${port}`;
  for (;;) {
    if (exit !== undefined) throw new Error(`the service exited during start (${JSON.stringify(exit)}): ${stderr.trim().slice(0, 2000)}`);
    const health = await fetch(`${origin}/health`).then(
      async (r) => ({ status: r.status, body: await r.text() }),
      () => undefined,
    );
    if (health?.status === 200) break;
    if (Date.now() > deadline) throw new Error(`/health did not answer 200 within 60 s (last: ${JSON.stringify(health)})`);
    await sleep(100);
  }

  return {
    child,
    port,
    origin,
    logLevels,
    otherStdout,
    errorLogSamples,
    lastLogLines,
    stderr: () => stderr,
    probe(timeoutMs = 2000) {
      if (exit !== undefined || !child.connected) return Promise.resolve(undefined);
      const id = ++probeId;
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          resolve(undefined);
        }, timeoutMs);
        pending.set(id, (r) => {
          clearTimeout(timer);
          resolve(r);
        });
        child.send({ type: 'soak-probe', id });
      });
    },
    exited: () => exit,
    async stop() {
      const t0 = Date.now();
      if (exit === undefined) {
        const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await done;
        clearTimeout(killer);
      }
      return { code: exit?.code ?? null, signal: exit?.signal ?? null, ms: Date.now() - t0 };
    },
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

// ---- the requests ----------------------------------------------------------------------------------------

type Kind =
  | 'patient-view, prefetch'
  | 'patient-view, FHIR server'
  | 'order-select'
  | 'order-sign'
  | 'feedback, accepted'
  | 'feedback, overridden'
  | 'bad: malformed JSON'
  | 'bad: unknown service'
  | 'bad: invalid request'
  | 'bad: not JSON (text/plain)';

const KINDS: readonly Kind[] = [
  'patient-view, prefetch',
  'patient-view, FHIR server',
  'order-select',
  'order-sign',
  'feedback, accepted',
  'feedback, overridden',
  'bad: malformed JSON',
  'bad: unknown service',
  'bad: invalid request',
  'bad: not JSON (text/plain)',
];

/** One request the mix can send; the body carries HOOK_INSTANCE, replaced by a fresh uuid per request. */
interface Variant {
  readonly kind: Kind;
  readonly label: string;
  readonly path: string;
  readonly contentType: string;
  readonly body: string;
  readonly service?: string;
  /**
   * 200 and these cards (from the reference run before the soak): their topics and indicators, in order
   * (a "data unavailable" card instead of the rules' cards is a different answer); or this 4xx.
   */
  expectCards?: string | undefined;
  readonly expectStatus: number;
}

const HOOK_INSTANCE = 'ffffffff-5oak-4000-8000-hook1nstance';
const FHIR_TOKEN = `soak-ehr-token-${randomBytes(8).toString('hex')}`;

interface ScenarioEntry {
  readonly file: string;
  readonly patientId: string;
  readonly draftOrders?: readonly string[];
}
const scenarios = JSON.parse(readFileSync(path.join(FIXTURES, 'scenarios.json'), 'utf8')) as ScenarioEntry[];

function scenarioOf(name: string): ScenarioEntry {
  const s = scenarios.find((x) => x.file === `${name}.bundle.json`);
  if (s === undefined) throw new Error(`no fixture ${name} in test/fixtures/scenarios.json`);
  return s;
}

function resourcesOf(name: string): FhirResource[] {
  const bundle = JSON.parse(readFileSync(path.join(FIXTURES, `${name}.bundle.json`), 'utf8')) as Bundle<FhirResource>;
  return (bundle.entry ?? []).flatMap((e) => (e.resource !== undefined ? [e.resource] : []));
}

/** The prefetch of a fixture, as test/support/app.ts builds it: the Patient and one searchset per key. */
function prefetchOf(name: string): Record<string, FhirResource> {
  const s = scenarioOf(name);
  const rs = resourcesOf(name);
  const searchset = (type: FhirResource['resourceType']): Bundle => ({
    resourceType: 'Bundle',
    type: 'searchset',
    entry: rs.filter((r) => r.resourceType === type).map((resource) => ({ resource })),
  });
  return {
    patient: rs.find((r) => r.resourceType === 'Patient' && r.id === s.patientId) ?? { resourceType: 'Patient', id: s.patientId },
    conditions: searchset('Condition'),
    observations: searchset('Observation'),
    procedures: searchset('Procedure'),
    medicationAdministrations: searchset('MedicationAdministration'),
  };
}

function draftOrdersOf(name: string): { drafts: Bundle; selections: string[] } {
  const s = scenarioOf(name);
  const byRef = new Map(resourcesOf(name).map((r) => [`${r.resourceType}/${r.id ?? ''}`, r]));
  const ids = s.draftOrders ?? [];
  const entry = ids.map((id) => {
    const resource = byRef.get(id);
    if (resource === undefined) throw new Error(`draft order ${id} is not in ${name}`);
    return { resource };
  });
  return { drafts: { resourceType: 'Bundle', entry } as unknown as Bundle, selections: [...ids] };
}

const USER = 'Practitioner/soak-clinician';
const JSON_TYPE = 'application/json';

function hookVariant(kind: Kind, hook: Hook, label: string, body: Record<string, unknown>): Variant {
  return { kind, label, path: `/cds-services/${SERVICES[hook]}`, contentType: JSON_TYPE, body: JSON.stringify({ hook, hookInstance: HOOK_INSTANCE, ...body }), service: SERVICES[hook], expectStatus: 200 };
}

/** Patient-view with prefetch: fixtures with cards, one that is not an NPC patient, and the 40 KiB bench request. */
const PV_PREFETCH = ['complete-pre-treatment-high-ictos', 'low-ictos-low-risk', 'tbf-liu-fig4-patient', 'induction-chemotherapy-before-rt', 'order-induction-low-ictos', 'no-npc-condition'];
/** Patient-view without prefetch: these patients are in the FHIR server. */
const PV_FHIR = ['complete-pre-treatment-high-ictos', 'low-ictos-three-risk-factors', 'tbf-liu-fig3-patient', 'treatment-started-radiotherapy', 'no-npc-condition'];
/** Order hooks with the fixture's draft orders (the last one has no induction agent: no card). */
const ORDERS = ['order-induction-low-ictos', 'order-induction-high-ictos', 'order-explicit-induction-marker', 'order-platinum-alone'];

interface Variants {
  readonly pvPrefetch: Variant[];
  readonly pvFhir: Variant[];
  readonly orderSelect: Variant[];
  readonly orderSign: Variant[];
  readonly bad: Variant[];
  /** For the FHIR-path check: the same patients through prefetch. */
  readonly pvFhirTwins: Variant[];
}

function buildVariants(fhirBaseUrl: string): Variants {
  const pv = (name: string) => hookVariant('patient-view, prefetch', 'patient-view', name, { context: { userId: USER, patientId: scenarioOf(name).patientId }, prefetch: prefetchOf(name) });
  const big = benchRequest(new Date(), HOOK_INSTANCE).body;
  const pvPrefetch = [...PV_PREFETCH.map(pv), hookVariant('patient-view, prefetch', 'patient-view', 'bench/prefetch.ts (40 KiB)', big)];
  const pvFhir = PV_FHIR.map((name) =>
    hookVariant('patient-view, FHIR server', 'patient-view', name, {
      fhirServer: fhirBaseUrl,
      fhirAuthorization: { access_token: FHIR_TOKEN, token_type: 'Bearer', expires_in: 3600, scope: 'patient/*.read', subject: 'npc-cds' },
      context: { userId: USER, patientId: scenarioOf(name).patientId },
    }),
  );
  const order = (hook: 'order-select' | 'order-sign') => (name: string) => {
    const { drafts, selections } = draftOrdersOf(name);
    return hookVariant(hook, hook, name, {
      context: { userId: USER, patientId: scenarioOf(name).patientId, draftOrders: drafts, ...(hook === 'order-select' ? { selections } : {}) },
      prefetch: prefetchOf(name),
    });
  };
  const pvPath = `/cds-services/${SERVICES['patient-view']}`;
  const small = JSON.stringify({ hook: 'patient-view', hookInstance: HOOK_INSTANCE, context: { userId: USER, patientId: scenarioOf('no-npc-condition').patientId }, prefetch: prefetchOf('no-npc-condition') });
  const bad: Variant[] = [
    { kind: 'bad: malformed JSON', label: 'truncated body', path: pvPath, contentType: JSON_TYPE, body: small.slice(0, Math.floor(small.length / 2)), expectStatus: 400 },
    { kind: 'bad: unknown service', label: '/cds-services/no-such-service', path: '/cds-services/no-such-service', contentType: JSON_TYPE, body: small, expectStatus: 404 },
    {
      kind: 'bad: invalid request',
      label: 'context without patientId',
      path: pvPath,
      contentType: JSON_TYPE,
      body: JSON.stringify({ hook: 'patient-view', hookInstance: HOOK_INSTANCE, context: { userId: USER } }),
      expectStatus: 400,
    },
    { kind: 'bad: not JSON (text/plain)', label: 'Content-Type text/plain', path: pvPath, contentType: 'text/plain', body: small, expectStatus: 415 },
  ];
  return { pvPrefetch, pvFhir, orderSelect: ORDERS.map(order('order-select')), orderSign: ORDERS.map(order('order-sign')), bad, pvFhirTwins: PV_FHIR.map(pv) };
}

/** The mix, one cycle of 20 requests, interleaved. `feedback` alternates accepted / overridden; `bad` rotates. */
type Slot = 'pv' | 'fhir' | 'select' | 'sign' | 'feedback' | 'bad';
const CYCLE: readonly Slot[] = ['pv', 'fhir', 'pv', 'sign', 'pv', 'feedback', 'pv', 'select', 'pv', 'fhir', 'pv', 'feedback', 'pv', 'sign', 'pv', 'select', 'fhir', 'feedback', 'pv', 'bad'];

// ---- cards returned, for feedback ------------------------------------------------------------------------

interface ReturnedCard {
  readonly service: string;
  readonly uuid: string;
  readonly suggestion?: string;
  readonly reasons: readonly Coding[];
}

/** Recent cards awaiting feedback: those with a suggestion alternate between the two pools. */
class CardPool {
  readonly accept: ReturnedCard[] = [];
  readonly override: ReturnedCard[] = [];
  private flip = false;
  private static readonly CAP = 2000;

  add(service: string, cards: readonly unknown[]): void {
    for (const c of cards) {
      const card = c as { uuid?: unknown; suggestions?: { uuid?: unknown }[]; overrideReasons?: Coding[] };
      if (typeof card.uuid !== 'string') continue;
      const suggestion = card.suggestions?.find((s) => typeof s.uuid === 'string')?.uuid as string | undefined;
      const entry: ReturnedCard = { service, uuid: card.uuid, reasons: card.overrideReasons ?? [], ...(suggestion !== undefined ? { suggestion } : {}) };
      if (suggestion !== undefined) this.flip = !this.flip;
      const pool = suggestion !== undefined && this.flip ? this.accept : this.override;
      pool.push(entry);
      if (pool.length > CardPool.CAP) pool.shift();
    }
  }
}

let feedbackSeq = 0;
function feedbackVariant(pool: CardPool, outcome: 'accepted' | 'overridden'): Variant | undefined {
  const card = (outcome === 'accepted' ? pool.accept : pool.override).shift();
  if (card === undefined) return undefined;
  const reason = card.reasons.length > 0 ? card.reasons[feedbackSeq++ % card.reasons.length] : undefined;
  const item =
    outcome === 'accepted'
      ? { card: card.uuid, outcome, acceptedSuggestions: [{ id: card.suggestion }], outcomeTimestamp: new Date().toISOString() }
      : { card: card.uuid, outcome, overrideReason: { ...(reason !== undefined ? { reason } : {}), userComment: 'soak: overridden' }, outcomeTimestamp: new Date().toISOString() };
  return {
    kind: outcome === 'accepted' ? 'feedback, accepted' : 'feedback, overridden',
    label: card.service,
    path: `/cds-services/${card.service}/feedback`,
    contentType: JSON_TYPE,
    body: JSON.stringify({ feedback: [item] }),
    expectStatus: 200,
  };
}

// ---- sending, and judging the answer ---------------------------------------------------------------------

interface Answer {
  readonly status?: number;
  readonly text?: string;
  readonly retryAfter?: string;
  readonly error?: 'timeout' | 'connection';
  readonly detail?: string;
}

function send(agent: Agent, port: number, v: Variant, dueAt: number, timeoutMs: number): Promise<Answer> {
  const body = v.body.replace(HOOK_INSTANCE, randomUUID());
  return new Promise((resolve) => {
    let settled = false;
    const done = (a: Answer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(a);
    };
    const req = httpRequest(
      { agent, host: '127.0.0.1', port, method: 'POST', path: v.path, headers: { 'content-type': v.contentType, accept: JSON_TYPE, 'content-length': Buffer.byteLength(body) } },
      (res) => {
        res.setEncoding('utf8');
        let text = '';
        res.on('data', (c: string) => {
          text += c;
        });
        const retryAfter = res.headers['retry-after'];
        res.on('end', () => done({ ...(res.statusCode !== undefined ? { status: res.statusCode } : {}), text, ...(retryAfter !== undefined ? { retryAfter } : {}) }));
        res.on('error', (e) => done({ error: 'connection', detail: e.message }));
      },
    );
    const timer = setTimeout(
      () => {
        done({ error: 'timeout', detail: `no complete answer ${timeoutMs} ms after the due time` });
        req.destroy();
      },
      timeoutMs - (performance.now() - dueAt),
    );
    req.on('error', (e) => done({ error: 'connection', detail: e.message }));
    req.end(body);
  });
}

interface Verdict {
  /** ok | expected4xx | shed (503 overloaded with Retry-After, in a saturation run) | error */
  readonly class: 'ok' | 'expected4xx' | 'shed' | 'error';
  /** What the outcome is called in the tables: "200", "expected 404", "timeout", "500", "wrong body". */
  readonly outcome: string;
  readonly cards?: readonly unknown[];
  readonly detail?: string;
}

/** What a hook answer must repeat: each card's topic (or summary) and indicator, in order. */
function signature(cards: readonly unknown[]): string {
  return cards
    .map((c) => {
      const card = c as { summary?: unknown; indicator?: unknown; source?: { topic?: { code?: unknown } } };
      return `${String(card.source?.topic?.code ?? card.summary)} (${String(card.indicator)})`;
    })
    .join(', ');
}

/** A load-shedding answer: 503, `{"error":{"code":"overloaded"}}` and a Retry-After in seconds. */
function isShed(a: Answer): boolean {
  if (a.status !== 503 || a.retryAfter === undefined || !/^[1-9][0-9]*$/.test(a.retryAfter)) return false;
  try {
    return (JSON.parse(a.text ?? '') as { error?: { code?: unknown } }).error?.code === 'overloaded';
  } catch {
    return false;
  }
}

function judge(v: Variant, a: Answer, saturation = false): Verdict {
  if (a.error !== undefined) return { class: 'error', outcome: a.error, ...(a.detail !== undefined ? { detail: a.detail } : {}) };
  if (saturation && isShed(a)) return { class: 'shed', outcome: '503 overloaded' };
  const status = a.status ?? 0;
  if (v.expectStatus !== 200) {
    return status === v.expectStatus ? { class: 'expected4xx', outcome: `expected ${status}` } : { class: 'error', outcome: `${status} (not ${v.expectStatus})`, detail: (a.text ?? '').slice(0, 300) };
  }
  if (status !== 200) return { class: 'error', outcome: String(status), detail: (a.text ?? '').slice(0, 300) };
  let parsed: unknown;
  try {
    parsed = JSON.parse(a.text ?? '');
  } catch {
    return { class: 'error', outcome: 'wrong body', detail: `not JSON: ${(a.text ?? '').slice(0, 200)}` };
  }
  if (v.service === undefined) {
    // Feedback: stored, for a card this service issued.
    const r = parsed as { stored?: unknown; unknownCards?: unknown };
    return r.stored === 1 && r.unknownCards === 0 ? { class: 'ok', outcome: '200' } : { class: 'error', outcome: 'wrong body', detail: `feedback answer ${(a.text ?? '').slice(0, 200)}` };
  }
  const cards = (parsed as { cards?: unknown }).cards;
  if (!Array.isArray(cards)) return { class: 'error', outcome: 'wrong body', detail: `no cards array: ${(a.text ?? '').slice(0, 200)}` };
  const got = signature(cards);
  if (v.expectCards !== undefined && got !== v.expectCards) {
    return { class: 'error', outcome: 'wrong body', detail: `${v.label}: cards [${got}], the reference run gave [${v.expectCards}]` };
  }
  return { class: 'ok', outcome: '200', cards };
}

// ---- statistics ------------------------------------------------------------------------------------------

const newHistogram = (): RecordableHistogram => createHistogram({ lowest: 1, highest: 600_000_000, figures: 3 });
/** Latency in µs (the histogram records integers). */
const record = (h: RecordableHistogram, ms: number) => h.record(Math.max(1, Math.round(ms * 1000)));
const pct = (h: RecordableHistogram, p: number) => (h.count === 0 ? Number.NaN : h.percentile(p) / 1000);
const hmax = (h: RecordableHistogram) => (h.count === 0 ? Number.NaN : h.max / 1000);

interface KindStats {
  sent: number;
  ok: number;
  expected4xx: number;
  shed: number;
  errors: number;
  readonly hist: RecordableHistogram;
  /** Answers other than shed ones (saturation runs). */
  readonly served: RecordableHistogram;
}

interface ServerSample {
  readonly rssMiB?: number | undefined;
  readonly heapUsedMiB?: number | undefined;
  readonly heapAfterGcMiB?: number | undefined;
  readonly heapTotalMiB?: number | undefined;
  readonly gc?: { readonly major: number; readonly minor: number; readonly ms: number; readonly maxMs: number } | undefined;
  readonly externalMiB?: number | undefined;
  readonly cpuCores?: number | undefined;
  readonly loopP99?: number | undefined;
  readonly loopMax?: number | undefined;
  readonly processes: number;
}

class Window {
  end = 0;
  sent = 0;
  ok = 0;
  expected4xx = 0;
  shed = 0;
  errors = 0;
  readonly outcomes = new Map<string, number>();
  readonly hist = newHistogram();
  /** Latency of the answers that were not shed, and of the shed ones. */
  readonly served = newHistogram();
  readonly shedHist = newHistogram();
  maxSendLagMs = 0;
  fhirReads = 0;
  fhirMisses = 0;
  server: ServerSample = { processes: 0 };
  soakLoopP99 = Number.NaN;
  soakCpuCores = Number.NaN;
  otherCores = Number.NaN;
  load1 = Number.NaN;
  constructor(
    readonly index: number,
    /** ms since t0 */
    readonly start: number,
  ) {}
}

interface ErrorSample {
  readonly atS: number;
  readonly kind: Kind;
  readonly label: string;
  readonly outcome: string;
  readonly detail: string;
}

const fmt = (n: number | undefined, digits = 1) => (n === undefined || !Number.isFinite(n) ? '–' : n.toFixed(digits));

/** Least-squares slope of y over x. */
/** Theil-Sen slope of y over x: the median of the slopes between every pair of points (robust to a few odd windows). */
function slope(points: readonly (readonly [number, number])[]): number {
  const slopes: number[] = [];
  for (let i = 0; i < points.length; i++) {
    for (let k = i + 1; k < points.length; k++) {
      const [xi, yi] = points[i] as readonly [number, number];
      const [xk, yk] = points[k] as readonly [number, number];
      if (xk !== xi && Number.isFinite(yi) && Number.isFinite(yk)) slopes.push((yk - yi) / (xk - xi));
    }
  }
  if (slopes.length === 0) return Number.NaN;
  slopes.sort((a, b) => a - b);
  const m = slopes.length >> 1;
  return slopes.length % 2 === 1 ? (slopes[m] as number) : ((slopes[m - 1] as number) + (slopes[m] as number)) / 2;
}

/** RSS outside V8's heap (native memory, code, buffers, allocator arenas): RSS minus the heap V8 holds. */
const nonHeap = (w: Window) => (w.server.rssMiB !== undefined && w.server.heapTotalMiB !== undefined ? w.server.rssMiB - w.server.heapTotalMiB : undefined);

// ---- the run ---------------------------------------------------------------------------------------------

const log = (s: string) => process.stderr.write(`soak: ${s}\n`);

async function main(): Promise<void> {
  const settings = settingsFrom(process.argv.slice(2));
  const durationMs = settings.minutes * 60_000;
  const sampleMs = settings.sampleS * 1000;
  const timeoutMs = settings.timeoutS * 1000;
  const total = Math.round((settings.rate * durationMs) / 1000);
  const intervalMs = 1000 / settings.rate;
  const trial = settings.minutes < MIN_SOAK_MINUTES;
  const startedAt = new Date();
  const loadAtStart = os.loadavg();

  const dir = mkdtempSync(path.join(os.tmpdir(), 'npc-cds-soak-'));
  const probeFile = path.join(dir, 'soak-probe.cjs');
  writeFileSync(probeFile, PROBE_SOURCE);
  let fhir: FhirTestServer | undefined;
  let front: FhirFront | undefined;
  let service: Service | undefined;
  const agent = new Agent({ keepAlive: true, maxSockets: settings.connections, maxFreeSockets: settings.connections, scheduling: 'fifo' });
  try {
    // The FHIR server, seeded with every fixture patient the mix uses (draft orders stay out: context only).
    fhir = await startFhirServer({ bearerToken: FHIR_TOKEN, recordRequests: false });
    const seededNames = [...new Set([...PV_PREFETCH, ...PV_FHIR, ...ORDERS])];
    const seeded = seededNames.flatMap((n) => resourcesOf(n).filter((r) => r.resourceType !== 'MedicationRequest'));
    await fhir.seed(seeded);
    front = await startFhirFront(fhir);
    const fhirFront = front;
    log(`FHIR server ${fhir.baseUrl} (${seededNames.length} patients, ${seeded.length} resources), cached at ${front.baseUrl}`);

    const adminToken = randomBytes(24).toString('hex');
    const env: NodeJS.ProcessEnv = {
      PATH: process.env['PATH'] ?? '',
      NODE_ENV: 'production',
      DEMO: 'off',
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: settings.logLevel,
      DATABASE_PATH: path.join(dir, 'npc-cds.sqlite'),
      ALLOWED_FHIR_SERVERS: front.baseUrl,
      ADMIN_TOKEN: adminToken,
      WORKERS: String(settings.workers),
      ...(settings.shedding ? {} : { MAX_IN_FLIGHT: '100000', MAX_EVENT_LOOP_DELAY_MS: '0', MAX_EVENT_LOOP_UTILIZATION: '0' }),
    };
    service = await startService(env, probeFile);
    const svc = service;
    log(`service pid ${String(svc.child.pid)} on ${svc.origin}`);

    // Reference run: every variant once, in turn; the soak then expects the same status and cards.
    const variants = buildVariants(front.baseUrl);
    const pool = new CardPool();
    let cardsReturned = 0;
    const once = async (v: Variant): Promise<Verdict> => {
      const t = performance.now();
      const verdict = judge(v, await send(agent, svc.port, v, t, timeoutMs));
      if (verdict.class === 'error') throw new Error(`reference run: ${v.kind} ${v.label}: ${verdict.outcome} ${verdict.detail ?? ''}`);
      if (verdict.cards !== undefined && v.service !== undefined) {
        cardsReturned += verdict.cards.length;
        pool.add(v.service, verdict.cards);
      }
      return verdict;
    };
    const sig = (verdict: Verdict) => signature(verdict.cards ?? []);
    for (const v of [...variants.pvPrefetch, ...variants.pvFhirTwins, ...variants.orderSelect, ...variants.orderSign]) {
      v.expectCards = sig(await once(v));
    }
    const fhirBefore = front.reads;
    for (const [i, v] of variants.pvFhir.entries()) {
      const twin = variants.pvFhirTwins[i];
      const got = sig(await once(v));
      if (got !== twin?.expectCards) throw new Error(`reference run: ${v.label} gives [${got}] from the FHIR server but [${String(twin?.expectCards)}] with prefetch`);
      v.expectCards = got;
    }
    const fhirReadsPerRequest = (front.reads - fhirBefore) / variants.pvFhir.length;
    if (fhirReadsPerRequest < 1) throw new Error('reference run: the requests without prefetch did not read the FHIR server');
    for (const v of variants.bad) await once(v);
    for (const outcome of ['accepted', 'overridden'] as const) {
      const v = feedbackVariant(pool, outcome);
      if (v === undefined) throw new Error(`reference run: no card to send ${outcome} feedback on`);
      await once(v);
    }
    const reference = [...variants.pvPrefetch, ...variants.pvFhir, ...variants.orderSelect, ...variants.orderSign].map(
      (v) => `| ${v.kind} | ${v.label} | ${fmt(Buffer.byteLength(v.body) / 1024)} | ${v.expectCards === '' ? 'no card' : String(v.expectCards)} |`,
    );
    log(`reference run done: ${reference.length} hook variants, ${variants.bad.length} bad requests, 2 feedback; the FHIR path reads ${fmt(fhirReadsPerRequest)} resources per request`);
    const referenceMisses = front.misses;
    front.reads = 0;
    front.misses = 0;

    // ---- the timed run ----
    const kinds = new Map<Kind, KindStats>(KINDS.map((k) => [k, { sent: 0, ok: 0, expected4xx: 0, shed: 0, errors: 0, hist: newHistogram(), served: newHistogram() }]));
    const overall = newHistogram();
    const servedOverall = newHistogram();
    const shedOverall = newHistogram();
    const errorSamples: ErrorSample[] = [];
    let substitutions = 0;
    const counters = { pv: 0, fhir: 0, select: 0, sign: 0, feedback: 0, bad: 0 };
    const pick = (list: readonly Variant[], n: number): Variant => list[n % list.length] as Variant;
    const plan = (i: number): Variant => {
      const slot = CYCLE[i % CYCLE.length] as Slot;
      switch (slot) {
        case 'pv':
          return pick(variants.pvPrefetch, counters.pv++);
        case 'fhir':
          return pick(variants.pvFhir, counters.fhir++);
        case 'select':
          return pick(variants.orderSelect, counters.select++);
        case 'sign':
          return pick(variants.orderSign, counters.sign++);
        case 'bad':
          return pick(variants.bad, counters.bad++);
        case 'feedback': {
          const v = feedbackVariant(pool, counters.feedback++ % 2 === 0 ? 'accepted' : 'overridden');
          if (v !== undefined) return v;
          substitutions++;
          return pick(variants.pvPrefetch, counters.pv++);
        }
      }
    };

    const windows: Window[] = [];
    const soakLoop = monitorEventLoopDelay({ resolution: 10 });
    soakLoop.enable();
    const t0 = performance.now();
    let current = new Window(1, 0);
    let inFlight = 0;
    let dispatched = 0;
    let drained: (() => void) | undefined;
    /** Set when the service exits during the run: no more requests are sent. */
    let aborted = false;
    let earlyExit: string | undefined;

    const dispatch = (i: number) => {
      const dueAt = t0 + i * intervalMs;
      const v = plan(i);
      const lag = performance.now() - dueAt;
      if (lag > current.maxSendLagMs) current.maxSendLagMs = lag;
      current.sent++;
      const ks = kinds.get(v.kind) as KindStats;
      ks.sent++;
      inFlight++;
      void send(agent, svc.port, v, dueAt, timeoutMs).then((a) => {
        const ms = performance.now() - dueAt;
        const verdict = judge(v, a, settings.saturation);
        const w = current;
        record(w.hist, ms);
        record(overall, ms);
        record(ks.hist, ms);
        if (verdict.class === 'shed') {
          record(w.shedHist, ms);
          record(shedOverall, ms);
        } else {
          record(w.served, ms);
          record(servedOverall, ms);
          record(ks.served, ms);
        }
        w.outcomes.set(verdict.outcome, (w.outcomes.get(verdict.outcome) ?? 0) + 1);
        if (verdict.class === 'ok') {
          w.ok++;
          ks.ok++;
          if (verdict.cards !== undefined && v.service !== undefined) {
            cardsReturned += verdict.cards.length;
            pool.add(v.service, verdict.cards);
          }
        } else if (verdict.class === 'expected4xx') {
          w.expected4xx++;
          ks.expected4xx++;
        } else if (verdict.class === 'shed') {
          w.shed++;
          ks.shed++;
        } else {
          w.errors++;
          ks.errors++;
          if (errorSamples.length < 20) errorSamples.push({ atS: (performance.now() - t0) / 1000, kind: v.kind, label: v.label, outcome: verdict.outcome, detail: verdict.detail ?? '' });
        }
        inFlight--;
        if (inFlight === 0 && (dispatched >= total || aborted)) drained?.();
      });
    };

    // The scheduler: sends every request that is due, then sleeps until the next one is.
    const scheduled = new Promise<void>((resolve) => {
      const tick = () => {
        const now = performance.now();
        while (!aborted && dispatched < total && t0 + dispatched * intervalMs <= now) dispatch(dispatched++);
        if (!aborted && dispatched < total) setTimeout(tick, t0 + dispatched * intervalMs - performance.now());
        else resolve();
      };
      tick();
    });

    let lastTree = treeUsage(svc.child.pid as number);
    let lastMachine = machineCpuMs();
    let lastSoakCpu = process.cpuUsage();
    let lastAt = performance.now();
    log(`soak: ${settings.rate} req/s for ${settings.minutes} min (${total} requests), ${settings.connections} connections, a sample every ${settings.sampleS} s`);
    for (let k = 1; ; k++) {
      const boundary = Math.min(k * sampleMs, durationMs);
      await sleep(t0 + boundary - performance.now());
      const exit = svc.exited();
      if (exit !== undefined && !aborted) {
        // The run ends here, and fails; the report says when and how the service went.
        aborted = true;
        earlyExit = `the service exited ${fmt((performance.now() - t0) / 1000, 0)} s into the run (code ${String(exit.code)}, signal ${String(exit.signal)}); last log lines: ${svc.lastLogLines.join(' | ') || 'none'}`;
        log(earlyExit);
      }
      const last = aborted || boundary >= durationMs;
      if (last) {
        await scheduled;
        if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve));
      }
      const w = current;
      current = new Window(k + 1, boundary);
      w.end = performance.now() - t0;
      w.fhirReads = fhirFront.reads;
      w.fhirMisses = fhirFront.misses;
      fhirFront.reads = 0;
      fhirFront.misses = 0;
      // Samples of the server, this process and the machine for the window just closed.
      const now = performance.now();
      const wallMs = now - lastAt;
      const tree = treeUsage(svc.child.pid as number);
      const machine = machineCpuMs();
      const soakCpu = process.cpuUsage(lastSoakCpu);
      const probe = await svc.probe();
      const serverCpuMs = tree.cpuMs !== undefined && lastTree.cpuMs !== undefined ? tree.cpuMs - lastTree.cpuMs : Number.NaN;
      const soakCpuMs = (soakCpu.user + soakCpu.system) / 1000;
      w.server = {
        rssMiB: (tree.rss ?? probe?.rss ?? Number.NaN) / MIB,
        heapUsedMiB: settings.workers === 1 && probe !== undefined ? probe.heapUsed / MIB : undefined,
        heapAfterGcMiB: settings.workers === 1 && probe !== undefined && probe.heapAfterMajorGc !== null ? probe.heapAfterMajorGc / MIB : undefined,
        gc: settings.workers === 1 && probe !== undefined ? { major: probe.gcMajor, minor: probe.gcMinor, ms: probe.gcMs, maxMs: probe.gcMaxMs } : undefined,
        heapTotalMiB: settings.workers === 1 && probe !== undefined ? probe.heapTotal / MIB : undefined,
        externalMiB: settings.workers === 1 && probe !== undefined ? (probe.external + probe.arrayBuffers) / MIB : undefined,
        cpuCores: serverCpuMs / wallMs,
        loopP99: settings.workers === 1 ? probe?.loopP99 : undefined,
        loopMax: settings.workers === 1 ? probe?.loopMax : undefined,
        processes: tree.processes,
      };
      w.soakCpuCores = soakCpuMs / wallMs;
      w.otherCores = Math.max(0, (machine.busy - lastMachine.busy - (Number.isFinite(serverCpuMs) ? serverCpuMs : 0) - soakCpuMs) / wallMs);
      w.soakLoopP99 = soakLoop.percentile(99) / 1e6;
      soakLoop.reset();
      w.load1 = os.loadavg()[0] ?? Number.NaN;
      lastTree = tree;
      lastMachine = machine;
      lastSoakCpu = process.cpuUsage();
      lastAt = now;
      windows.push(w);
      log(
        `[${fmt(w.end / 1000, 0).padStart(4)} s] sent ${w.sent} ok ${w.ok} 4xx(expected) ${w.expected4xx}${settings.saturation ? ` shed ${w.shed} (served p99 ${fmt(pct(w.served, 99))} ms, shed p99 ${fmt(pct(w.shedHist, 99))} ms)` : ''} errors ${w.errors} | p50 ${fmt(pct(w.hist, 50))} p99 ${fmt(pct(w.hist, 99))} max ${fmt(hmax(w.hist))} ms | RSS ${fmt(w.server.rssMiB)} MiB heap after GC ${fmt(w.server.heapAfterGcMiB)} MiB | server CPU ${fmt((w.server.cpuCores ?? Number.NaN) * 100, 0)} % loop p99 ${fmt(w.server.loopP99)} ms | load ${fmt(w.load1, 2)} other ${fmt(w.otherCores, 2)} cores`,
      );
      if (last) break;
    }
    soakLoop.disable();
    const runS = (performance.now() - t0) / 1000;

    // The service's own count of what it shed (GET /health, load).
    const health = await fetch(`${svc.origin}/health`).then(
      async (r) => ((await r.json()) as { load?: { shed?: { inFlight?: number; eventLoopDelay?: number; eventLoopUtilization?: number } } }).load,
      () => undefined,
    );
    // The store's view: cards recorded and feedback stored.
    const storeReport = await fetch(`${svc.origin}/admin/report`, { headers: { authorization: `Bearer ${adminToken}` } }).then(
      async (r) => (r.status === 200 ? ((await r.json()) as { cardsIssued?: number; feedbackForUnknownCards?: number; totals?: { accepted?: number; overridden?: number; cardsWithFeedback?: number } }) : undefined),
      () => undefined,
    );
    const stopped = await svc.stop();
    service = undefined;

    // ---- the report ----
    const sum = (f: (w: Window) => number) => windows.reduce((a, w) => a + f(w), 0);
    const sent = sum((w) => w.sent);
    const ok = sum((w) => w.ok);
    const expected4xx = sum((w) => w.expected4xx);
    const errors = sum((w) => w.errors);
    const shed = sum((w) => w.shed);
    const outcomes = new Map<string, number>();
    for (const w of windows) for (const [o, n] of w.outcomes) outcomes.set(o, (outcomes.get(o) ?? 0) + n);
    const errorOutcomes = [...outcomes].filter(([o]) => o !== '200' && o !== '503 overloaded' && !o.startsWith('expected '));
    const errorLogLines = (svc.logLevels.get('error') ?? 0) + (svc.logLevels.get('fatal') ?? 0);
    const unexpected = errors + errorLogLines + (stopped.code === 0 ? 0 : 1) + (earlyExit !== undefined ? 1 : 0);

    const first = windows[0];
    const lastW = windows[windows.length - 1];
    // Memory settles slowly (V8 sizes its heap over minutes; native memory ramps for ~3 minutes at 100
    // req/s here): judge the second half of the run only, by robust slopes of the two series a leak
    // raises, the heap after GC (JavaScript) and RSS outside the heap (native); RSS itself saw-tooths with
    // V8's heap size and is reported, not judged.
    const warmupMs = Math.max(60_000, durationMs / 2);
    const fitted = windows.filter((w) => w.end >= warmupMs);
    const fitSpanMin = fitted.length > 0 ? ((fitted[fitted.length - 1] as Window).end - (fitted[0] as Window).end) / 60_000 : 0;
    const rssSlope = slope(fitted.map((w) => [w.end / 60_000, w.server.rssMiB ?? Number.NaN]));
    const heapPoints = fitted.filter((w) => w.server.heapAfterGcMiB !== undefined);
    const heapSlope = slope(heapPoints.map((w) => [w.end / 60_000, w.server.heapAfterGcMiB as number]));
    const nativePoints = fitted.filter((w) => nonHeap(w) !== undefined);
    // With several workers the heap is not measured: RSS (all processes) stands in for the native series.
    const nativeSlope = settings.workers === 1 ? slope(nativePoints.map((w) => [w.end / 60_000, nonHeap(w) as number])) : rssSlope;
    const judgeable = fitted.length >= 6 && fitSpanMin >= 2 && (settings.workers > 1 || heapPoints.length >= 4);
    const growing = heapSlope > GROWTH_LIMIT_MIB_PER_MIN || nativeSlope > GROWTH_LIMIT_MIB_PER_MIN;
    const memoryVerdict = !judgeable
      ? `no verdict: too short (${fitted.length} window(s) over ${fmt(fitSpanMin, 2)} min in the second half, ${heapPoints.length} with a major GC; at least 6 windows over 2 min, 4 with a major GC, are needed: a run of 4.5 minutes or more)`
      : growing
        ? `**growing**: still rising by over ${GROWTH_LIMIT_MIB_PER_MIN} MiB/min in the second half of the run (a leak, or a warm-up slower than the run: a longer run tells them apart)`
        : `**stable**: heap after GC and RSS outside the heap rising by under ${GROWTH_LIMIT_MIB_PER_MIN} MiB/min in the second half of the run`;
    const bytesPerRequest = (heapSlope * MIB) / (settings.rate * 60);
    const disturbed = windows.filter((w) => w.otherCores > 0.25);
    const cpuWindows = windows.filter((w) => Number.isFinite(w.server.cpuCores ?? Number.NaN));
    const serverCpuMean = cpuWindows.reduce((a, w) => a + (w.server.cpuCores ?? 0) * (w.end - w.start), 0) / cpuWindows.reduce((a, w) => a + (w.end - w.start), 0);
    const maxLag = Math.max(...windows.map((w) => w.maxSendLagMs));
    const cpus = os.cpus();
    const ps = [50, 90, 99, 99.9] as const;

    const windowRows = windows.map(
      (w) =>
        `| ${w.index} | ${fmt(w.start / 1000, 0)}–${fmt(w.end / 1000, 0)} | ${w.sent} | ${w.ok} | ${w.expected4xx} | ${w.errors > 0 ? `**${w.errors}**` : '0'} | ${fmt(pct(w.hist, 50))} | ${fmt(pct(w.hist, 90))} | ${fmt(pct(w.hist, 99))} | ${fmt(hmax(w.hist))} |${settings.saturation ? ` ${w.shed} | ${fmt(pct(w.served, 50))} / ${fmt(pct(w.served, 99))} / ${fmt(hmax(w.served))} | ${fmt(pct(w.shedHist, 50))} / ${fmt(pct(w.shedHist, 99))} / ${fmt(hmax(w.shedHist))} |` : ''} ${fmt(w.server.rssMiB)} (${fmt(nonHeap(w))}) | ${fmt(w.server.heapAfterGcMiB)} / ${fmt(w.server.heapUsedMiB)} / ${fmt(w.server.heapTotalMiB)} | ${w.server.gc !== undefined ? `${w.server.gc.major} / ${w.server.gc.minor} / ${fmt(w.server.gc.ms, 0)} / ${fmt(w.server.gc.maxMs)}` : '–'} | ${fmt((w.server.cpuCores ?? Number.NaN) * 100, 0)} % | ${fmt(w.server.loopP99)} / ${fmt(w.server.loopMax)} | ${fmt(w.soakLoopP99)} / ${fmt(w.maxSendLagMs)} | ${w.fhirReads}${w.fhirMisses > 0 ? ` (${w.fhirMisses} uncached)` : ''} | ${fmt(w.load1, 2)} | ${fmt(w.otherCores, 2)} |`,
    );
    const kindRows = KINDS.map((k) => {
      const s = kinds.get(k) as KindStats;
      const h = settings.saturation ? s.served : s.hist;
      return `| ${k} | ${s.sent} | ${s.ok} | ${s.expected4xx} |${settings.saturation ? ` ${s.shed} |` : ''} ${s.errors > 0 ? `**${s.errors}**` : '0'} | ${fmt(pct(h, 50))} | ${fmt(pct(h, 90))} | ${fmt(pct(h, 99))} | ${fmt(hmax(h))} |`;
    });
    const settingsLine = `\`--rate ${settings.rate} --minutes ${settings.minutes} --connections ${settings.connections} --sample ${settings.sampleS} --timeout ${settings.timeoutS} --log-level ${settings.logLevel} --workers ${settings.workers}${settings.saturation ? ' --saturation' : ''}${settings.shedding ? '' : ' --no-shedding'}\``;
    const title = settings.saturation ? (settings.shedding ? 'Saturation' : 'Saturation, load shedding off') : 'Soak';
    const served = sent - shed;
    // Served latency early and late in the run: under saturation it must not grow with the run.
    const servedP99s = windows.filter((w) => w.served.count > 0).map((w) => pct(w.served, 99));
    const saturationLines = settings.saturation
      ? [
          `- **Shed** (503 \`overloaded\` with Retry-After): **${shed} of ${sent} requests (${fmt((100 * shed) / Math.max(1, sent))} %)**; the service counted ${health?.shed !== undefined ? `${String(health.shed.inFlight)} for requests in flight, ${String(health.shed.eventLoopDelay)} for event-loop delay and ${String(health.shed.eventLoopUtilization)} for event-loop utilization` : 'nothing (no /health answer)'}. Latency of the 503s (ms, from the due time): p50 ${fmt(pct(shedOverall, 50))}, p90 ${fmt(pct(shedOverall, 90))}, p99 ${fmt(pct(shedOverall, 99))}, max ${fmt(hmax(shedOverall))}.`,
          `- **Served** (every answer but the 503s: ok, expected 4xx and errors): ${served} requests, ${fmt(served / runS)} per second over the run. Latency (ms, from the due time): ${ps.map((p) => `p${p} ${fmt(pct(servedOverall, p))}`).join(', ')}, max ${fmt(hmax(servedOverall))}. Per-window p99 ${fmt(Math.min(...servedP99s))}–${fmt(Math.max(...servedP99s))} ms; first window ${fmt(servedP99s[0])}, last ${fmt(servedP99s[servedP99s.length - 1])}.`,
        ]
      : [];
    const section = [
      trial ? `## ${title}: TRIAL RUN (${fmt(runS, 0)} s), not a ${settings.saturation ? 'saturation' : 'soak'} result` : `## ${title}`,
      '',
      ...(settings.saturation
        ? [
            settings.shedding
              ? `One process (WORKERS=${settings.workers}) driven at ${settings.rate} req/s, above what it can serve of this mix (the "served per second" below is what it managed), to see load shedding (docs/deployment.md, "Load shedding"; the service's defaults, MAX_IN_FLIGHT 64, MAX_EVENT_LOOP_DELAY_MS 200 and MAX_EVENT_LOOP_UTILIZATION 0.98). The run is the soak below with --saturation: a 503 \`overloaded\` with a Retry-After is counted as shed, not as an error; every other answer is checked as in the soak. The latency of the requests the service served is reported apart from that of the 503s. A shed request is not retried.`
              : 'The saturation run with load shedding off (MAX_IN_FLIGHT 100000, MAX_EVENT_LOOP_DELAY_MS 0, MAX_EVENT_LOOP_UTILIZATION 0), to compare: what the service did before issue 19, item 3.',
            '',
          ]
        : []),
      ...(trial
        ? [
            `> **Trial only.** A ${fmt(runS, 0)} s run (\`--minutes ${settings.minutes}\`, under the ${MIN_SOAK_MINUTES} minutes this script calls a soak), made to check that the script works; too short for a memory verdict. \`npm run soak\` (5 minutes by default) on a quiet machine replaces this section.`,
            '',
          ]
        : []),
      `${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC, Node ${process.version}, ${cpus[0]?.model.trim() ?? 'unknown CPU'} × ${cpus.length} cores (os.cpus()), ${os.platform()} ${os.release()}, ${fmt(os.totalmem() / 1024 ** 3)} GiB. Load average at the start ${loadAtStart.map((l) => fmt(l, 2)).join(' / ')} (1 / 5 / 15 min).`,
      `Settings: ${settingsLine}: ${total} requests due over ${fmt(durationMs / 1000, 0)} s, run ${fmt(runS, 1)} s including the drain. Written by \`bench/soak.ts\` (\`npm run soak\`).`,
      '',
      '- **Service**: `node dist/src/server.js` in a child process; environment DEMO=off, NODE_ENV=production, HOST=127.0.0.1, PORT=0 (the port it prints), a SQLite file in a temporary directory (DATABASE_PATH), LOG_LEVEL as above (stdout piped here, lines counted by level), ALLOWED_FHIR_SERVERS = the FHIR server below, WORKERS as above, ADMIN_TOKEN (for the store report at the end), no TRUSTED_ISSUERS (open mode, no JWT). A preload (`--require`, written by the soak to its temporary directory) answers questions about heap, garbage collection and event-loop delay over IPC (its only cost in the service: an event-loop-delay histogram and a GC observer); the service is otherwise unchanged. With WORKERS > 1, RSS and CPU are summed over the primary and its workers, and heap, GC and event loop are not measured (–).',
      `- **FHIR server** for the requests without prefetch: the in-process medplum FHIR R4 server (src/demo/fhir-server.ts) in the soak process, bearer token required, seeded with ${seededNames.length} fixture patients (${seeded.length} resources from test/fixtures); the service makes ${fmt(fhirReadsPerRequest)} FHIR requests per such patient-view. In front of it, in the same process, a cache of its answers: the first GET of each URL and token (${referenceMisses}, in the reference run) went to medplum, repeats get medplum's bytes back. medplum's in-memory search costs ~100-250 ms of CPU for the Observation query, more than the soak process can spend at this rate; the data do not change, so the service's side (HTTP reads with the token, parsing, deadlines) is as without the cache.`,
      '- **Load, open-loop**: request i is due at t0 + i / rate regardless of earlier answers; latency runs from the due time to the last byte of the answer, so waiting for one of the connections (node:http keep-alive agent, FIFO queue) or behind a stalled server counts: no coordinated omission. A request without a complete answer ' +
        `${settings.timeoutS} s after its due time is a timeout. Each request has a fresh hookInstance. "send lag" is how late this process sent a request after its due time (its own event loop); it is included in the latencies.`,
      '- **Mix**, every 20 requests: 9 patient-view with prefetch (rotating over ' +
        `${variants.pvPrefetch.map((v) => v.label).join(', ')}), 3 patient-view without prefetch, read from the FHIR server (${PV_FHIR.join(', ')}), 2 order-select and 2 order-sign with the fixture's draft orders (${ORDERS.join(', ')}), 3 feedback on card uuids the service returned during the run (alternately accepted, with the card's suggestion, and overridden, with one of its override reasons if it has any; each card at most once), 1 bad request (rotating: malformed JSON → 400, unknown service → 404, context without patientId → 400, Content-Type text/plain → 415).`,
      '- **Checked answers**: before the run, every hook request was sent once (the reference run; the patients without prefetch give the same cards as with it); during the run, a hook answer is ok only if it is 200 with the reference cards (same topics and indicators, in order: a "data unavailable" card in place of the cards of the rules is an error), a feedback answer only if 200 with the item stored for a known card, a bad request only if it gets its 4xx. **Errors** are everything else: any 5xx, timeout, connection error, unexpected status or body. Expected 4xx are counted apart. Error-level lines in the service\'s log and an unclean exit also fail the run.',
      `- **Memory**: server RSS is VmRSS of the service process (and any children) from /proc at the end of each window; "outside heap" is RSS minus V8's heap total (native memory, code, buffers, allocator arenas). The heap is measured inside the service: "used" and "total" are \`process.memoryUsage()\` at the end of the window (saw-toothing with garbage collection); "after GC" is the heap in use just after the window's major (mark-sweep-compact) collections (the least of them; – when the window had none): about the live data. GC counts and pauses come from a \`gc\` PerformanceObserver. Memory settles slowly (V8 sizes its heap over minutes and RSS saw-tooths with it; native memory ramped for about 3 minutes in trials), so only the second half of the run is judged (windows ending after ${fmt(warmupMs / 1000, 0)} s): Theil-Sen slopes (the median of the slopes between every pair of windows) of heap after GC, where a JavaScript leak shows, and of RSS outside the heap, where a native one does. Verdict "growing" if either exceeds ${GROWTH_LIMIT_MIB_PER_MIN} MiB/min; RSS itself is reported, not judged.`,
      '- **Machine**: "other cores" is the CPU used by every other process during the window (all cores, minus the service and this process); over 0.25 marks a window disturbed by something else. Service, soak and FHIR server share the machine.',
      '',
      '### Result',
      '',
      `- **Requests**: ${sent} sent, ${ok + expected4xx + errors} answered or failed; ${ok} ok, ${expected4xx} expected 4xx, **${errors} errors**${errorOutcomes.length > 0 ? ` (${errorOutcomes.map(([o, n]) => `${o}: ${n}`).join(', ')})` : ''}. ${sent} of ${total} due requests sent${aborted ? ' (the run was cut short)' : ''}; ${fmt((ok + expected4xx) / runS)} answers per second (ok or expected 4xx) over the run.${substitutions > 0 ? ` ${substitutions} feedback slot(s) had no card waiting and sent a patient-view instead.` : ''}`,
      ...saturationLines,
      `- **Latency, all requests** (ms, from the due time): ${ps.map((p) => `p${p} ${fmt(pct(overall, p))}`).join(', ')}, max ${fmt(hmax(overall))}. Largest send lag ${fmt(maxLag)} ms.`,
      `- **Memory**: RSS ${fmt(first?.server.rssMiB)} MiB in the first window, ${fmt(lastW?.server.rssMiB)} MiB in the last (${fmt(Math.min(...windows.map((w) => w.server.rssMiB ?? Number.NaN).filter(Number.isFinite)))}–${fmt(Math.max(...windows.map((w) => w.server.rssMiB ?? Number.NaN).filter(Number.isFinite)))} MiB over the run); outside the heap ${fmt(first !== undefined ? nonHeap(first) : undefined)} → ${fmt(lastW !== undefined ? nonHeap(lastW) : undefined)} MiB; heap after GC ${fmt(windows.find((w) => w.server.heapAfterGcMiB !== undefined)?.server.heapAfterGcMiB)} → ${fmt([...windows].reverse().find((w) => w.server.heapAfterGcMiB !== undefined)?.server.heapAfterGcMiB)} MiB (first and last window with a major GC). Second half (${fitted.length} windows, ${fmt(fitSpanMin, 2)} min): heap after GC ${fmt(heapSlope, 2)} MiB/min (${fmt(bytesPerRequest, 0)} bytes per request at ${settings.rate} req/s), outside the heap ${fmt(nativeSlope, 2)} MiB/min, RSS ${fmt(rssSlope, 2)} MiB/min. Verdict: ${memoryVerdict}.`,
      `- **Service**: CPU ${fmt(serverCpuMean * 100, 0)} % of a core on average; event-loop delay p99 up to ${fmt(Math.max(...windows.map((w) => w.server.loopP99 ?? Number.NaN).filter(Number.isFinite)))} ms, max ${fmt(Math.max(...windows.map((w) => w.server.loopMax ?? Number.NaN).filter(Number.isFinite)))} ms. Log lines: ${[...svc.logLevels].map(([l, n]) => `${l} ${n}`).join(', ') || 'none'} (LOG_LEVEL=${settings.logLevel}). ${earlyExit !== undefined ? `**${earlyExit}.**` : `Stopped by SIGTERM: exit code ${String(stopped.code)}${stopped.signal !== null ? `, signal ${stopped.signal}` : ''}, in ${stopped.ms} ms.`}`,
      `- **Store** (GET /admin/report at the end): ${storeReport !== undefined ? `${String(storeReport.cardsIssued)} cards recorded (${cardsReturned} returned in 200 answers, reference run included); feedback: ${String(storeReport.totals?.cardsWithFeedback)} cards with feedback (${String(storeReport.totals?.accepted)} accepted, ${String(storeReport.totals?.overridden)} overridden), ${String(storeReport.feedbackForUnknownCards)} for unknown cards` : 'not available'}.`,
      `- **Machine**: load average ${fmt(Math.min(...windows.map((w) => w.load1)), 2)}–${fmt(Math.max(...windows.map((w) => w.load1)), 2)} during the run; ${disturbed.length > 0 ? `**${disturbed.length} of ${windows.length} windows had other processes using over 0.25 cores** (windows ${disturbed.map((w) => w.index).join(', ')}): latencies there are not the service's alone.` : 'no window had other processes using over 0.25 cores.'}`,
      '',
      unexpected === 0
        ? '**No unexpected errors.**'
        : `**${errors} unexpected error(s) in answers, ${errorLogLines} error-level log line(s), service exit ${String(stopped.code)}${earlyExit !== undefined ? ' during the run' : ''}: the run fails.**`,
      '',
      '#### Per kind (whole run; latency ms from the due time)',
      '',
      ...(settings.saturation
        ? ['| kind | sent | ok | expected 4xx | shed | errors | served p50 | p90 | p99 | max |', '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|']
        : ['| kind | sent | ok | expected 4xx | errors | p50 | p90 | p99 | max |', '|---|---:|---:|---:|---:|---:|---:|---:|---:|']),
      ...kindRows,
      '',
      '#### Reference answers (each hook request must get these cards: topic (indicator), in order)',
      '',
      '| kind | patient (test/fixtures) | request KiB | cards |',
      '|---|---|---:|---|',
      ...reference,
      '',
      `#### Per window (${settings.sampleS} s; latency ms from the due time, by completion time; the last window includes the drain)`,
      '',
      `| # | s | sent | ok | exp. 4xx | errors | p50 | p90 | p99 | max |${settings.saturation ? ' shed | served p50 / p99 / max | shed p50 / p99 / max |' : ''} server RSS (outside heap) MiB | heap after GC / used / total MiB | GC major / minor / pause total / max ms | server CPU | server loop delay p99 / max ms | soak loop p99 / send lag max ms | FHIR reads | load 1 min | other cores |`,
      `|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|${settings.saturation ? '---:|---:|---:|' : ''}---:|---:|---:|---:|---:|---:|---:|---:|---:|`,
      ...windowRows,
      ...(errorSamples.length > 0
        ? ['', '#### First errors', '', ...errorSamples.map((e) => `- ${fmt(e.atS)} s, ${e.kind} (${e.label}): ${e.outcome}${e.detail !== '' ? `: ${e.detail.replace(/\|/g, '\\|').replace(/\n/g, ' ')}` : ''}`)]
        : []),
      ...(svc.errorLogSamples.length > 0 ? ['', '#### Error-level log lines (first 5)', '', ...svc.errorLogSamples.map((l) => `- \`${l.replace(/`/g, "'")}\``)] : []),
      '',
    ].join('\n');

    process.stdout.write(`\n${section}\n`);
    if (settings.write) {
      const name = settings.saturation ? (settings.shedding ? 'saturation' : 'noshedding') : 'soak';
      writeResultsSection(name, section);
      log(`wrote the ${trial ? 'TRIAL ' : ''}${title} section of ${path.relative(ROOT, RESULTS)}`);
    }
    if (settings.json !== undefined) {
      writeFileSync(
        settings.json,
        JSON.stringify(
          {
            startedAt: startedAt.toISOString(),
            settings,
            trial,
            totals: { sent, ok, expected4xx, shed, errors, outcomes: Object.fromEntries(outcomes) },
            latencyMs: Object.fromEntries([...ps.map((p) => [`p${p}`, pct(overall, p)]), ['max', hmax(overall)]]),
            memory: { secondHalfFromS: warmupMs / 1000, rssSlopeMiBPerMin: rssSlope, outsideHeapSlopeMiBPerMin: nativeSlope, heapAfterGcSlopeMiBPerMin: heapSlope, verdict: memoryVerdict },
            earlyExit,
            windows: windows.map((w) => ({ ...w, hist: undefined, served: undefined, shedHist: undefined, outcomes: Object.fromEntries(w.outcomes), p50: pct(w.hist, 50), p90: pct(w.hist, 90), p99: pct(w.hist, 99), max: hmax(w.hist) })),
            errorSamples,
          },
          null,
          2,
        ),
      );
    }
    if (unexpected > 0) process.exitCode = 1;
  } finally {
    agent.destroy();
    await service?.stop().catch(() => undefined);
    await front?.close().catch(() => undefined);
    await fhir?.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench/soak: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});

