/**
 * The long fuzz run (not a test): many more cases of the four families of bench/fuzz-arbitraries.ts than
 * the test suite runs, against the service on a real loopback HTTP server, judged by bench/fuzz-harness.ts.
 *
 * The service runs in a child process (`buildApp`, default configuration apart from a SQLite file in a
 * temporary directory, LOG_LEVEL=error, the clock pinned to the fixtures' date, and the stand-in FHIR
 * server of this process as the only allowed FHIR server). A child rather than in-process because:
 *   - a crash (uncaught exception, stack overflow, out of memory) ends the server and not the fuzzer: it
 *     is seen, counted, the server restarted, and fast-check can still shrink the case;
 *   - the server's RSS is its own, not mixed with the megabytes of strings the generator makes;
 *   - a request that blocks the server's event loop cannot also stall the client's timeout, so a hang
 *     is measured as one.
 *
 * For every case: the oracle of fuzz-harness.ts (an answer within `--timeout-ms`, never a 5xx, JSON of the
 * error contract or cards passing the card schema with nothing from the request unescaped in their
 * Markdown, no stack trace or file path), no error-level log line in the server (a 5xx, a card dropped
 * by the card schema, a failed store write), nothing on its stdout or stderr (it logs through its logger
 * only), and, when the answer is an error, the store unchanged (row counts read through a second, read-only SQLite connection: the
 * store's report gets slower as cards accumulate and would dominate a long run). After each family, the
 * known-good calls of the seeds still get the cards they got at the start.
 *
 * Counts cases per family and per status, latencies, the slowest cases, and samples the server's RSS.
 * Prints a summary and replaces the "Fuzzing" section of bench/RESULTS.md between `<!-- fuzz:start -->`
 * and `<!-- fuzz:end -->` (the rest of the file is kept). Exits non-zero on any violation, printing the
 * seed, the shrunk counterexample, and a file with its full body.
 *
 * Then, unless `--no-sweep`, a deterministic sweep: every string of every seed with each of a few nasty
 * texts inserted (stringSweep), which reaches strings random mutations rarely hit (a unit code, an order id).
 *
 * `npm run fuzz -- --cases 100000 --seed 42 --timeout-ms 10000 [--no-sweep] [--no-write]`
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { buildApp } from '../src/express-app';
import type { Card } from '../src/cds/card-schema';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { openSqliteStore } from '../src/store/sqlite';
import { feedbackSeeds, fixtureSeeds, fuzzFamilies, SERVICE_OF_HOOK, stringSweep, SWEEP_TEXTS, type CaseFamily, type Family, type FuzzRequest, type HookSeed, type Seeds } from './fuzz-arbitraries';
import { send, startFhirStub, violations, type FuzzOutcome } from './fuzz-harness';
import { RESULTS_FILE as RESULTS, writeResultsSection } from './results';

const ROOT = path.resolve(__dirname, '../..');
/** The fixtures' evaluation date: the server's clock, as in the test suite. */
const NOW = '2026-06-01T00:00:00.000Z';
/** Shares of the cases per family (as in the test suite). */
const SHARES: Readonly<Record<Family, number>> = { 'random-json': 0.23, 'mutated-hook': 0.4, 'mutated-feedback': 0.17, 'raw-body': 0.2 };
const FAMILIES = Object.keys(SHARES) as Family[];
/** A row of the results: a random family, or the sweep. */
type Row = CaseFamily;
const RSS_EVERY = 500;

// ---- the server (child process) ---------------------------------------------------------------------

type ToChild = { readonly type: 'start'; readonly fhirServer: string; readonly dir: string } | { readonly type: 'probe'; readonly gc?: boolean } | { readonly type: 'stop' };
interface Probe {
  readonly rss: number;
  readonly heapUsed: number;
  /** Rows of the store's tables (issued cards, findings, feedback), as one string. */
  readonly store: string;
  /** Error-level log lines so far, the first 20 of them, and the last. */
  readonly errorLines: number;
  readonly errorSamples: readonly string[];
  readonly lastError: string;
}
type FromChild = { readonly type: 'listening'; readonly port: number } | ({ readonly type: 'probe' } & Probe) | { readonly type: 'stopped' };

async function serve(): Promise<void> {
  const start = await new Promise<Extract<ToChild, { type: 'start' }>>((resolve) => {
    process.once('message', (m: ToChild) => {
      if (m.type === 'start') resolve(m);
    });
  });
  const reply = (m: FromChild) => process.send?.(m);
  const databasePath = path.join(start.dir, 'npc-cds.sqlite');
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'error', DATABASE_PATH: databasePath, ALLOWED_FHIR_SERVERS: start.fhirServer }, start.dir);
  let errorLines = 0;
  const errorSamples: string[] = [];
  let lastError = '';
  const logger = createLogger(config.logLevel, {
    write: (line: string) => {
      errorLines += 1;
      lastError = line.trim().slice(0, 4000);
      if (errorSamples.length < 20) errorSamples.push(lastError);
    },
  });
  const store = await openSqliteStore(databasePath);
  const now = new Date(NOW);
  const app = await buildApp({ config, store, logger, now: () => now });
  const reader = new Database(databasePath, { readonly: true, fileMustExist: true });
  const counts = reader.prepare('SELECT (SELECT count(*) FROM issued_cards) AS cards, (SELECT count(*) FROM card_findings) AS findings, (SELECT count(*) FROM feedback) AS feedback');
  const server = app.listen(0, '127.0.0.1', () => {
    const address = server.address();
    reply({ type: 'listening', port: typeof address === 'object' && address !== null ? address.port : 0 });
  });
  process.on('message', (m: ToChild) => {
    if (m.type === 'probe') {
      if (m.gc === true) (globalThis as { gc?: () => void }).gc?.();
      const mem = process.memoryUsage();
      reply({ type: 'probe', rss: mem.rss, heapUsed: mem.heapUsed, store: JSON.stringify(counts.get()), errorLines, errorSamples, lastError });
    } else if (m.type === 'stop') {
      server.closeAllConnections();
      server.close();
      reader.close();
      void store.close().then(() => process.send?.({ type: 'stopped' } satisfies FromChild, () => process.exit(0)));
    }
  });
}

/** The server child, restarted when it dies (a crash is counted and the run goes on). */
class ServerChild {
  private child: ChildProcess | undefined;
  private port = 0;
  crashes: string[] = [];
  /** Lines the server wrote to stdout or stderr (it logs through its logger only, so none are expected). */
  outputLines = 0;
  lastOutput = '';

  constructor(
    private readonly fhirServer: string,
    private readonly dir: string,
  ) {}

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = fork(__filename, ['serve'], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], execArgv: ['--expose-gc'] });
    this.child = child;
    const output = (chunk: Buffer) => {
      const lines = chunk.toString('utf8').split('\n').filter((l) => l !== '');
      this.outputLines += lines.length;
      this.lastOutput = lines[lines.length - 1]?.slice(0, 2000) ?? this.lastOutput;
      process.stderr.write(`[server] ${chunk.toString('utf8').slice(0, 2000)}`);
    };
    child.stdout?.on('data', output);
    child.stderr?.on('data', output);
    child.once('exit', (code, signal) => {
      if (this.child === child) {
        this.crashes.push(`exit code ${String(code)}, signal ${String(signal)}`);
        this.child = undefined;
      }
    });
    const m = await this.ask({ type: 'start', fhirServer: this.fhirServer, dir: this.dir });
    if (m.type !== 'listening') throw new Error('the server child did not start');
    this.port = m.port;
  }

  /** Starts a new server if the last one died; true when it had to. */
  async ensure(): Promise<boolean> {
    if (this.child !== undefined) return false;
    await this.start();
    return true;
  }

  /** The server's memory, store and error log; with `gc`, after a full garbage collection. */
  async probe(gc = false): Promise<Probe> {
    const m = await this.ask({ type: 'probe', gc });
    if (m.type !== 'probe') throw new Error('the server child did not answer the probe');
    return m;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    this.child = undefined;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.send({ type: 'stop' } satisfies ToChild);
    await exited;
  }

  private ask(message: ToChild): Promise<FromChild> {
    const child = this.child;
    if (child === undefined) return Promise.reject(new Error('the server child is not running'));
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`the server child exited (code ${String(code)})`));
      child.once('exit', onExit);
      child.once('message', (m: FromChild) => {
        child.off('exit', onExit);
        resolve(m);
      });
      child.send(message);
    });
  }
}

// ---- the run ----------------------------------------------------------------------------------------

/** One kind of violation in a family: how many cases, the first, and that case shrunk. */
interface Finding {
  readonly kind: string;
  count: number;
  /** The run index of its first case (fast-check replays it with the seed and this path). */
  readonly index: number;
  readonly message: string;
  shrunk?: { readonly message: string; readonly counterexample: string; readonly file: string; readonly path: string };
}

interface FamilyTally {
  cases: number;
  statuses: Map<string, number>;
  latencies: number[];
  slowest: { ms: number; label: string; status: string }[];
  findings: Map<string, Finding>;
  seconds: number;
}

/** Kinds of violation shrunk per family (each shrink replays cases). */
const MAX_SHRUNK_KINDS = 5;

/** The kind of a violation: its text without numbers and details; a logged error by its message and first issue. */
function kindOf(problem: string): string {
  const logged = /^the server logged an error: (.*)$/s.exec(problem);
  if (logged !== null) {
    try {
      const line = JSON.parse(logged[1] ?? '') as { msg?: unknown; issues?: { message?: unknown }[] };
      return `the server logged an error: ${String(line.msg)}${line.issues?.[0] !== undefined ? ` (${String(line.issues[0].message)})` : ''}`;
    } catch {
      return 'the server logged an error';
    }
  }
  const written = /^the server wrote to stdout or stderr: (.*)$/s.exec(problem);
  if (written !== null) return `the server wrote to stdout or stderr: ${(written[1] ?? '').replace(/ string .*?\.request/, ' string <…>.request').replace(/\d+/g, '#').slice(0, 160)}`;
  return problem.replace(/:.*$/s, '').replace(/\d+/g, '#').slice(0, 120);
}

const fmt = (n: number, digits = 1) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const mib = (bytes: number) => `${fmt(bytes / 1024 / 1024)} MiB`;
/** Text for one line of Markdown: no backticks, no line breaks. */
const md = (s: string, max: number) => s.replace(/`/g, "'").replace(/\s*\n\s*/g, '; ').slice(0, max);
const percentile = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;
const statusOf = (o: FuzzOutcome) => (o.kind === 'answer' ? String(o.status) : o.kind);

/** Cards without their uuids (fresh on every call), to compare a known-good call's answers over the run. */
function stableCards(cards: readonly Card[]): string {
  const strip = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(strip) : typeof v === 'object' && v !== null ? Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'uuid').map(([k, x]) => [k, strip(x)])) : v;
  return JSON.stringify(strip(cards));
}

async function postJson(baseUrl: string, p: string, body: unknown, timeoutMs: number): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${baseUrl}${p}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      cases: { type: 'string', default: '100000' },
      seed: { type: 'string' },
      'timeout-ms': { type: 'string', default: '10000' },
      'no-write': { type: 'boolean', default: false },
      'no-sweep': { type: 'boolean', default: false },
    },
  });
  const sweep = values['no-sweep'] !== true;
  const cases = Number(values.cases);
  const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
  const timeoutMs = Number(values['timeout-ms']);
  if (!Number.isInteger(cases) || cases < FAMILIES.length || !Number.isInteger(seed) || !(timeoutMs > 0)) {
    throw new Error('usage: node dist/bench/fuzz.js [--cases N (>= 4)] [--seed S (integer)] [--timeout-ms T] [--no-write]');
  }
  const started = Date.now();
  const log = (s: string) => process.stderr.write(`[fuzz ${fmt((Date.now() - started) / 1000, 0)} s] ${s}\n`);

  const fhir = await startFhirStub();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'npc-cds-fuzz-'));
  const server = new ServerChild(fhir.url, dir);
  await server.start();
  const bodyLimitBytes = loadConfig({}, dir).bodyLimitBytes;
  const tallies = new Map<Row, FamilyTally>();
  /** The server's RSS (as the run left it) and its heap after a full GC (what it still holds). */
  const memory: { atCase: number; rss: number; heapAfterGc: number }[] = [];
  const sampleMemory = async (atCase: number, rss: number) => memory.push({ atCase, rss, heapAfterGc: (await server.probe(true)).heapUsed });
  let done = 0;
  let keptServing = true;
  let errorSamples: readonly string[] = [];

  try {
    // The known-good calls: the first seed of each hook, and what they got at the start.
    const hookSeeds = fixtureSeeds(ROOT, fhir.url);
    const knownGood = (['patient-view', 'order-sign', 'order-select'] as const).map((hook) => hookSeeds.find((s) => s.hook === hook) as HookSeed);
    const call = (s: HookSeed) => postJson(server.baseUrl, `/cds-services/${SERVICE_OF_HOOK[s.hook]}`, s.body, timeoutMs);
    const baseline = await Promise.all(knownGood.map(call));
    for (const [i, b] of baseline.entries()) {
      if (b.status !== 200 || !Array.isArray(b.body['cards']) || b.body['cards'].length === 0) throw new Error(`known-good ${knownGood[i]?.hook} call got ${b.status} and no cards`);
    }
    const expected = baseline.map((b) => stableCards(b.body['cards'] as Card[]));
    const issued = baseline.map((b, i) => ({ service: SERVICE_OF_HOOK[knownGood[i]?.hook ?? 'patient-view'], cards: b.body['cards'] as Card[] }));
    const seeds: Seeds = { hooks: hookSeeds, feedback: feedbackSeeds(issued) };
    const families = fuzzFamilies(seeds, bodyLimitBytes);
    const sweepSize = sweep ? [...stringSweep(seeds)].length : 0;
    const total = cases + sweepSize;
    let state = (await server.probe()).store;
    let errorLines = 0;
    let outputLines = server.outputLines;
    await sampleMemory(0, (await server.probe()).rss);

    /** Sends one case and checks everything about it; the violations, empty when it passed. */
    const runCase = async (req: FuzzRequest): Promise<{ outcome: FuzzOutcome; problems: string[]; rss?: number }> => {
      if (await server.ensure()) {
        state = (await server.probe()).store;
        errorLines = 0;
      }
      const outcome = await send(server.baseUrl, req, timeoutMs);
      const problems = violations(req, outcome, ROOT);
      let probe: Probe | undefined;
      try {
        probe = await server.probe();
      } catch {
        problems.push(`the server died: ${server.crashes[server.crashes.length - 1] ?? 'unknown'}`);
      }
      if (server.outputLines > outputLines) problems.push(`the server wrote to stdout or stderr: ${server.lastOutput}`);
      outputLines = server.outputLines;
      if (probe === undefined) return { outcome, problems };
      if (outcome.kind === 'answer' && outcome.status !== 200 && probe.store !== state) problems.push(`the store changed on a ${outcome.status}: ${state} -> ${probe.store}`);
      if (probe.errorLines > errorLines) problems.push(`the server logged an error: ${probe.lastError}`);
      state = probe.store;
      errorLines = probe.errorLines;
      errorSamples = probe.errorSamples;
      return { outcome, problems, rss: probe.rss };
    };

    /** Counts a case in its row; returns the kinds of violation seen for the first time. */
    const record = async (row: Row, tally: FamilyTally, req: FuzzRequest, result: Awaited<ReturnType<typeof runCase>>): Promise<Finding[]> => {
      const { outcome, problems } = result;
      const status = statusOf(outcome);
      const index = tally.cases;
      tally.cases += 1;
      done += 1;
      tally.statuses.set(status, (tally.statuses.get(status) ?? 0) + 1);
      tally.latencies.push(outcome.ms);
      if (tally.slowest.length < 5 || outcome.ms > (tally.slowest[tally.slowest.length - 1]?.ms ?? 0)) {
        tally.slowest = [...tally.slowest, { ms: outcome.ms, label: req.label, status }].sort((a, b) => b.ms - a.ms).slice(0, 5);
      }
      const fresh: Finding[] = [];
      for (const p of problems) {
        const kind = kindOf(p);
        const f = tally.findings.get(kind);
        if (f !== undefined) f.count += 1;
        else {
          const finding: Finding = { kind, count: 1, index, message: p };
          tally.findings.set(kind, finding);
          fresh.push(finding);
          log(`${row}: case ${index}: ${p.slice(0, 300)}`);
        }
      }
      if (result.rss !== undefined && done % RSS_EVERY === 0) await sampleMemory(done, result.rss);
      if (done % Math.max(1, Math.round(total / 20)) === 0) log(`${done} / ${total} cases`);
      return fresh;
    };

    const keepsServing = async (row: Row) => {
      await server.ensure();
      const again = await Promise.all(knownGood.map(call));
      if (!again.every((r, i) => r.status === 200 && stableCards(r.body['cards'] as Card[]) === expected[i])) {
        keptServing = false;
        log(`${row}: the known-good calls no longer get their cards`);
      }
      state = (await server.probe()).store;
    };

    const saveCase = (row: Row, index: number, req: FuzzRequest) => {
      const file = path.join(os.tmpdir(), `npc-cds-fuzz-counterexample-${row}-${seed}-${index}.json`);
      writeFileSync(file, JSON.stringify({ path: req.path, headers: req.headers, label: req.label, bodyBase64: Buffer.from(req.body).toString('base64') }, null, 2));
      return file;
    };

    for (const family of FAMILIES) {
      const numRuns = Math.max(1, Math.round(cases * (SHARES[family] ?? 0)));
      const tally: FamilyTally = { cases: 0, statuses: new Map(), latencies: [], slowest: [], seconds: 0, findings: new Map() };
      tallies.set(family, tally);
      const familyStart = Date.now();
      log(`${family}: ${numRuns} cases`);
      /** While shrinking one kind of violation: the kind (the cases then count nowhere). */
      let shrinking: string | undefined;
      const property = fc.asyncProperty(families[family], async (req: FuzzRequest) => {
        const result = await runCase(req);
        if (shrinking === undefined) await record(family, tally, req, result);
        else if (result.problems.some((p) => kindOf(p) === shrinking)) throw new Error(result.problems.join('\n'));
      });
      await fc.check(property, { seed, numRuns });
      // Each kind of violation: its first case again, shrunk by fast-check (replayed by seed and path).
      for (const finding of [...tally.findings.values()].slice(0, MAX_SHRUNK_KINDS)) {
        shrinking = finding.kind;
        const details = await fc.check(property, { seed, path: String(finding.index), numRuns: 1 });
        const example = details.counterexample?.[0];
        if (details.failed && example !== undefined) {
          const message = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
          finding.shrunk = { message, counterexample: example[fc.toStringMethod](), file: saveCase(family, finding.index, example), path: details.counterexamplePath ?? String(finding.index) };
        }
        log(`${family}: ${finding.kind}: ${finding.count} case(s), first ${finding.index}${finding.shrunk !== undefined ? `, shrunk to ${finding.shrunk.counterexample.slice(0, 300)}` : ', did not fail again when replayed'}`);
      }
      tally.seconds = (Date.now() - familyStart) / 1000;
      await keepsServing(family);
    }

    if (sweep) {
      const tally: FamilyTally = { cases: 0, statuses: new Map(), latencies: [], slowest: [], seconds: 0, findings: new Map() };
      tallies.set('string-sweep', tally);
      const sweepStart = Date.now();
      log(`string-sweep: ${sweepSize} cases`);
      for (const req of stringSweep(seeds)) {
        const index = tally.cases;
        for (const finding of await record('string-sweep', tally, req, await runCase(req))) {
          finding.shrunk = { message: finding.message, counterexample: req[fc.toStringMethod](), file: saveCase('string-sweep', index, req), path: String(index) };
        }
      }
      tally.seconds = (Date.now() - sweepStart) / 1000;
      await keepsServing('string-sweep');
    }
    if (memory[memory.length - 1]?.atCase !== done) await sampleMemory(done, (await server.probe()).rss);
  } finally {
    await server.stop().catch(() => undefined);
    await fhir.close();
    rmSync(dir, { recursive: true, force: true });
  }

  const seconds = (Date.now() - started) / 1000;
  const findings = [...tallies].flatMap(([family, t]) => [...t.findings.values()].map((f) => ({ family, ...f })));
  const ok = findings.length === 0 && server.crashes.length === 0 && keptServing;
  const statusColumns = [...new Set([...tallies.values()].flatMap((t) => [...t.statuses.keys()]))].sort();
  const firstMem = memory[0];
  const lastMem = memory[memory.length - 1];
  const peak = memory.reduce((m, r) => (r.rss > m.rss ? r : m), firstMem ?? { atCase: 0, rss: 0, heapAfterGc: 0 });
  const every = Math.max(1, Math.ceil(memory.length / 10));
  const trajectory = memory.filter((_, i) => i % every === 0 || i === memory.length - 1);
  const date = new Date().toISOString().slice(0, 10);
  const distinctErrors = [...new Map(errorSamples.map((l) => [kindOf(`the server logged an error: ${l}`), l.trim()])).values()];
  const row = (family: Row, t: FamilyTally) => {
    const sorted = [...t.latencies].sort((a, b) => a - b);
    return `| ${family} | ${t.cases} | ${statusColumns.map((s) => t.statuses.get(s) ?? 0).join(' | ')} | ${fmt(sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length))} | ${fmt(percentile(sorted, 99))} | ${fmt(sorted[sorted.length - 1] ?? 0, 0)} | ${fmt(t.seconds, 0)} | ${t.findings.size === 0 ? 'none' : `**${[...t.findings.values()].reduce((n, f) => n + f.count, 0)}**`} |`;
  };
  const section = [
    '## Fuzzing',
    '',
    `${date}, Node ${process.version}, ${os.cpus()[0]?.model.trim() ?? 'unknown CPU'} × ${os.cpus().length} cores. \`npm run fuzz -- --cases ${cases} --seed ${seed}${sweep ? '' : ' --no-sweep'}\` (bench/fuzz.ts): ${done} cases (${cases} random${sweep ? `, ${done - cases} of the sweep` : ''}) in ${fmt(seconds, 0)} s, per-request timeout ${timeoutMs} ms.`,
    '',
    '- The service: `buildApp` in a child process, default configuration (body limit ' +
      `${mib(bodyLimitBytes)}, no JWT), SQLite file, LOG_LEVEL=error, clock pinned to ${NOW}, one allowed FHIR server: a stand-in on loopback ` +
      'that answers a Patient read with that Patient and every search with an empty searchset. Requests one at a time over fetch.',
    '- Families (bench/fuzz-arbitraries.ts): **random-json** any JSON value or random hook-/feedback-shaped bodies, to any service and endpoint; ' +
      '**mutated-hook** valid hook calls from the fixtures with 1-4 mutations (delete, wrong type, ~1 MiB strings, nesting up to 400,000 levels, ' +
      'arrays up to 1,000,000 elements, objects up to 400,000 members, duplicate keys, 1e309 / -0 / 2^53+1, `__proto__` / `constructor` keys, unicode incl. lone surrogates, NUL, RTL); ' +
      '**mutated-feedback** the same on valid feedback about issued cards; **raw-body** truncated JSON, invalid UTF-8, wrong Content-Type or ' +
      'charset, Content-Encoding (valid, garbage, decompression bombs), empty and over-limit bodies. ' +
      `**string-sweep** (deterministic, \`--no-sweep\` to skip): every string of every seed with each of ${SWEEP_TEXTS.map((t) => JSON.stringify(t).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)).map((t) => `\`${t}\``).join(', ')} inserted in its middle.`,
    '- Every case: an answer within the timeout, never a 5xx, the statuses of the contract only (hook 200/400/412/413/415, feedback 200/400/413/415), ' +
      'a JSON body (error contract, or cards passing the card schema with no Markdown link, autolink or HTML from the request unescaped in their detail), ' +
      'no stack frame or file path, an error body under 16 KiB, no error-level log line and nothing written to stdout or stderr outside the logger, ' +
      'and the store unchanged by any request answered with an error. After each family, the known-good calls still get the same cards.',
    '',
    `| family | cases | ${statusColumns.join(' | ')} | mean ms | p99 ms | max ms | s | violations |`,
    `|---|---:|${statusColumns.map(() => '---:').join('|')}|---:|---:|---:|---:|---|`,
    ...[...tallies].map(([f, t]) => row(f, t)),
    '',
    `Server memory, sampled every ${RSS_EVERY} cases: RSS ${mib(firstMem?.rss ?? 0)} after the warm-up calls, peak ${mib(peak.rss)} (at case ${peak.atCase}), ` +
      `${mib(lastMem?.rss ?? 0)} at the end; heap after a full GC ${mib(firstMem?.heapAfterGc ?? 0)} at the start, ${mib(lastMem?.heapAfterGc ?? 0)} at the end ` +
      `(the RSS follows the megabyte bodies the server parsed and V8 keeps; the heap after GC is what the server still holds).`,
    '',
    '| after case | RSS | heap after full GC |',
    '|---:|---:|---:|',
    ...trajectory.map((m) => `| ${m.atCase} | ${mib(m.rss)} | ${mib(m.heapAfterGc)} |`),
    '',
    `Calls to the stand-in FHIR server: ${fhir.requests()}. Server crashes: ${server.crashes.length === 0 ? 'none' : server.crashes.join('; ')}. ` +
      `Known-good calls after each family: ${keptServing ? 'same cards' : '**different or failed**'}.`,
    '',
    '### Slowest cases',
    '',
    ...[...tallies].flatMap(([f, t]) => t.slowest.slice(0, 3).map((s) => `- ${f}, ${fmt(s.ms, 0)} ms, ${s.status}: ${s.label.replace(/\|/g, '\\|').slice(0, 200)}`)),
    '',
    ...(findings.length === 0
      ? [ok ? '**No violation.**' : '**No violation by a case, but see the crashes or known-good calls above.**']
      : [
          '**Violations**, each kind once, with its first case (shrunk by fast-check for the random families; the full case, body in base64, is in the file named):',
          '',
          ...findings.map(
            (f) =>
              `- ${f.family}: ${md(f.kind, 300)}: ${f.count} case(s), the first at run ${f.index}.` +
              (f.shrunk !== undefined
                ? `\n  - ${f.family === 'string-sweep' ? 'the case' : 'shrunk'} (${f.shrunk.file}): \`${md(f.shrunk.counterexample, 1200)}\``
                : ' It did not fail again when replayed.'),
          ),
        ]),
    ...(distinctErrors.length > 0 ? ['', 'Error-level log lines of the server, one per kind:', '', ...distinctErrors.map((l) => `- \`${md(l, 600)}\``)] : []),
    '',
  ].join('\n');

  process.stdout.write(`\n${section}\n`);
  if (values['no-write'] !== true) {
    writeResultsSection('fuzz', section);
    log(`wrote the Fuzzing section of ${path.relative(ROOT, RESULTS)}`);
  }
  if (!ok) {
    process.stderr.write(`\nfuzz: violations found; replay with --seed ${seed} --cases ${cases}\n`);
    for (const f of findings) process.stderr.write(`${f.family}: ${f.kind} (${f.count})\n  ${f.message.slice(0, 2000)}\n  shrunk: ${f.shrunk?.counterexample ?? '-'}\n  full case: ${f.shrunk?.file ?? '-'}\n`);
    process.exitCode = 1;
  }
}

const run = process.argv[2] === 'serve' ? serve : main;
run().catch((e: unknown) => {
  process.stderr.write(`bench/fuzz: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
