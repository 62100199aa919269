/// <reference lib="dom" />
/**
 * What a newcomer and an operator meet, end to end: `npm start` with no configuration builds the project
 * and runs the service with the embedded demo; a real headless Chromium opens the URL it prints, sees the
 * demo EHR, opens charts (hooks with and without prefetch), sends feedback and launches the SMART app
 * from a card. Then the built server with a production setting (no demo at all), and in cluster mode
 * (WORKERS=2: two workers, one replaced when it dies, all stopped on SIGTERM).
 *
 * The processes get a clean environment, so that settings of the machine running the tests do not leak in,
 * but for the timing settings a loaded test machine would trip (none of them is a production setting that
 * turns the demo off): the event-loop bounds of load shedding are off (a busy machine is not the service's
 * load; test/hardening/load-shed.http.test.ts tests them), and the FHIR deadlines are generous.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { DEMO_PATIENTS } from '../../src/demo/patients';
import { NO_EVENT_LOOP_SHEDDING, REPO_ROOT, TEST_FHIR_DEADLINE_MS, TEST_SMART_FHIR_DEADLINE_MS } from '../support/app';
import { inFreshPage, launchChromium, screenshot } from '../support/browser';

jest.setTimeout(240_000);

interface Started {
  readonly child: ChildProcess;
  readonly url: string;
  output(): string;
}

const TIMING = { ...NO_EVENT_LOOP_SHEDDING, FHIR_DEADLINE_MS: String(TEST_FHIR_DEADLINE_MS), SMART_FHIR_DEADLINE_MS: String(TEST_SMART_FHIR_DEADLINE_MS) };
const baseEnv = (extra: Record<string, string>): NodeJS.ProcessEnv => ({ PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', LOG_LEVEL: 'warn', ...TIMING, ...extra });

/** Spawns `command`, resolving with the first URL printed on the line that matches `line` (rejects if the process ends first). */
function start(command: string, args: readonly string[], env: NodeJS.ProcessEnv, line: RegExp, timeoutMs: number): Promise<Started> {
  // Its own process group, so that stopping `npm start` stops the server npm started too.
  const child = spawn(command, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${String(line)}" within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = line.exec(output);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve({ child, url: match[1], output: () => output });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${String(code)} before printing its URL:\n${output}`));
    });
  });
}

/** Sends SIGTERM to the process group and resolves with the exit code, or the signal's name (SIGKILL after 15 s). */
function stop(child: ChildProcess): Promise<number | string | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  const group = -(child.pid ?? 0);
  return new Promise((resolve) => {
    const kill = setTimeout(() => process.kill(group, 'SIGKILL'), 15_000);
    child.once('exit', (code, signal) => {
      clearTimeout(kill);
      resolve(code ?? signal);
    });
    process.kill(group, 'SIGTERM');
  });
}

/** The pids whose parent is `pid` (from /proc). */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .flatMap((d) => {
      try {
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        return ppid === pid ? [Number(d)] : [];
      } catch {
        return [];
      }
    });
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The JSON body of the latest hook call the page shows (its "Response received" panel). */
async function latestResponse(page: Page): Promise<{ cards: { summary: string; extension?: Record<string, { rule: string; outcome: string }[]> }[] }> {
  return JSON.parse(await page.locator('.call').first().locator('details.json pre').nth(1).textContent() ?? '{}') as never;
}

const recommendationOf = (body: Awaited<ReturnType<typeof latestResponse>>) =>
  body.cards.flatMap((c) => c.extension?.['org.npc-cds.findings'] ?? []).find((f) => f.rule === 'recommendation')?.outcome;

/** Clicks the patient and waits for the chart's first patient-view call to be shown. */
async function openChart(page: Page, patientId: string): Promise<void> {
  const name = DEMO_PATIENTS.find((p) => p.id === patientId)?.name ?? patientId;
  await page.click(`button[data-patient="${patientId}"]`);
  await until(`the chart of ${patientId}`, async () =>
    (await page.locator('h2').first().innerText()).startsWith(name) && (await page.locator('.call[data-hook="patient-view"] .status[data-cards]').count()) > 0 ? true : undefined,
  );
}

describe('npm start with no configuration', () => {
  let demo: Started;
  let browser: Browser;

  beforeAll(async () => {
    demo = await start('npm', ['start'], baseEnv({ PORT: '0' }), /Open the demo EHR:\s+(\S+)/, 180_000);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    if (demo !== undefined) {
      // npm itself ends by the signal; the server it started must be gone too.
      expect([0, 'SIGTERM']).toContain(await stop(demo.child));
      await expect(fetch(`${demo.url}health`)).rejects.toThrow();
    }
  });

  test('prints the URL of the demo EHR, says it is demo data, and /health reports the demo', async () => {
    expect(demo.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(demo.output()).toContain('synthetic patients');
    const health = (await (await fetch(`${demo.url}health`)).json()) as { demo: boolean; security: { mode: string } };
    expect(health).toMatchObject({ demo: true, security: { mode: 'open' } });
  });

  test('the page at the printed URL is labelled as a demo and lists the synthetic patients', async () => {
    await inFreshPage(browser, 'demo-home', async (page) => {
      await page.goto(demo.url);
      expect(await page.locator('.demo-banner').innerText()).toMatch(/DEMO.*synthetic patients.*not for clinical use/s);
      await page.locator('#patient-list button').first().waitFor();
      expect(await page.locator('#patient-list button').count()).toBe(DEMO_PATIENTS.length);
    });
  });

  test('opening a chart calls patient-view with prefetch and renders the cards, their Markdown basis and the smart link', async () => {
    await inFreshPage(browser, 'demo-chart', async (page) => {
      await page.goto(demo.url);
      await openChart(page, 'hi-patient');
      const call = page.locator('.call').first();
      expect(await call.locator('.status').innerText()).toMatch(/data sent as prefetch · HTTP 200 in \d+ ms · 2 cards/);
      expect(await call.locator('.card h4').first().innerText()).toMatch(/^High ICTOS \(0\.33\): ICT \+ CCRT is an option/);
      const detail = call.locator('.card .detail').first();
      // The basis is lists, which fit a 600 px card; the wide tables are in the app.
      expect(await detail.locator('ul li').count()).toBeGreaterThan(5);
      expect(await detail.locator('table').count()).toBe(0);
      expect(await detail.innerHTML()).not.toContain('**');
      expect(await call.locator('button[data-link="smart"]').count()).toBe(2);
      expect(recommendationOf(await latestResponse(page))).toBe('ict-ccrt');
      await call.locator('details.basis').first().evaluate((d) => ((d as HTMLDetailsElement).open = true));
      await screenshot(page, 'demo-ehr-chart');
    });
  });

  test('without prefetch the service reads the FHIR server itself and returns the same cards', async () => {
    await inFreshPage(browser, 'demo-fallback', async (page) => {
      await page.goto(demo.url);
      await openChart(page, 'f4-patient');
      const withPrefetch = (await latestResponse(page)).cards.map((c) => c.summary);
      await page.click('text=Open chart without prefetch');
      await page.locator('.call[data-prefetch="false"] .status[data-cards]').waitFor();
      expect(await page.locator('.call').first().locator('.status').innerText()).toMatch(/no prefetch: the service read the FHIR server itself · HTTP 200/);
      expect((await latestResponse(page)).cards.map((c) => c.summary)).toEqual(withPrefetch);
      expect(withPrefetch.length).toBeGreaterThan(0);
    });
  });

  test('every demo patient gets what the list promises: each recommendation tier, TBF only, or no card out of scope', async () => {
    await inFreshPage(browser, 'demo-all-patients', async (page) => {
      await page.goto(demo.url);
      const seen: Record<string, string> = {};
      for (const p of DEMO_PATIENTS) {
        await openChart(page, p.id);
        const body = await latestResponse(page);
        seen[p.id] = body.cards.length === 0 ? 'out of scope' : (recommendationOf(body) ?? 'treatment started');
      }
      expect(seen).toEqual(Object.fromEntries(DEMO_PATIENTS.map((p) => [p.id, p.expect])));
      expect(new Set(Object.values(seen))).toEqual(new Set(['ict-ccrt', 'ccrt-alone', 'clinical-trial', 'undetermined', 'insufficient-data', 'treatment started', 'out of scope', 'not-applicable']));
    });
  });

  test('accepting a suggestion and dismissing a card with a comment send feedback that the service records', async () => {
    await inFreshPage(browser, 'demo-feedback', async (page) => {
      await page.goto(demo.url);
      await openChart(page, 'llr-patient');
      await page.click('text=Select TPF induction (order-select)');
      const orderCall = page.locator('.call[data-hook="order-select"]').first();
      await orderCall.locator('.status[data-cards]').waitFor();
      const accept = orderCall.locator('.card button[data-suggestion]').first();
      await accept.click();
      await orderCall.locator('.card .feedback.sent').first().waitFor();
      expect(await orderCall.locator('.card .feedback').first().innerText()).toMatch(/Feedback sent \(accepted\): 1 stored, 0 duplicate\. A real EHR would now: delete/);

      const viewCall = page.locator('.call[data-hook="patient-view"]').first();
      const card = viewCall.locator('.card').first();
      await card.locator('input[type="text"]').fill('discussed at tumour board');
      await card.locator('button[data-dismiss]').click();
      await card.locator('.feedback.sent').waitFor();
      expect(await card.locator('.feedback').innerText()).toContain('Feedback sent (overridden): 1 stored');
      await until('the report', async () => ((await page.locator('#report-totals').innerText()).includes('1 accepted, 1 overridden') ? true : undefined));
    });
  });

  test('the smart link of a card launches the SMART app inside the demo EHR, for that patient, opened at that card', async () => {
    await inFreshPage(browser, 'demo-app-launch', async (page) => {
      await page.goto(demo.url);
      await openChart(page, 'hi-patient');
      await page.locator('.call').first().locator('.card').first().locator('button[data-link="smart"]').click();
      const app = page.frameLocator('iframe[name="smart-app"]');
      await app.locator('#app[aria-busy="false"]').waitFor({ timeout: 30_000 });
      expect(await app.locator('.banner').innerText()).toContain('Alder Demo (synthetic)');
      expect(await app.locator('#recommendation').innerText()).toContain('Induction chemotherapy followed by concurrent chemoradiotherapy (ICT + CCRT)');
      expect(await app.locator('.origin').innerText()).toContain('Opened from the treatment selection (ICTOS) card');
      await page.locator('#app-panel').scrollIntoViewIfNeeded();
      await screenshot(page, 'demo-ehr-app-launch');
    });
  });
});

describe('the built server with production settings or in cluster mode', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'npc-cds-start-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  test('with a production setting none of the demo runs: no demo page, no demo API, /health says so', async () => {
    const server = await start(
      'node',
      ['dist/src/server.js'],
      baseEnv({ PORT: '0', ALLOWED_FHIR_SERVERS: 'https://fhir.example.org/r4', DATABASE_PATH: path.join(dataDir, 'prod.sqlite') }),
      /CDS Hooks service: (\S+)\/cds-services/,
      30_000,
    );
    try {
      expect(server.output()).not.toMatch(/DEMO/);
      expect((await fetch(`${server.url}/`)).status).toBe(404);
      expect((await fetch(`${server.url}/demo/api/patients`)).status).toBe(404);
      expect((await fetch(`${server.url}/demo/ehr.js`)).status).toBe(404);
      expect(((await (await fetch(`${server.url}/health`)).json()) as { demo: boolean }).demo).toBe(false);
    } finally {
      expect(await stop(server.child)).toBe(0);
    }
  });

  test('DEMO=on with a production setting refuses to start and says why', async () => {
    await expect(start('node', ['dist/src/server.js'], baseEnv({ PORT: '0', DEMO: 'on', TRUSTED_ISSUERS: '[]' }), /(never)/, 30_000)).rejects.toThrow(
      /exited with 1[\s\S]*DEMO=on cannot be combined with production settings \(TRUSTED_ISSUERS\)/,
    );
  });

  test('WORKERS=2 runs two workers on one port (PORT=0: one free port for all), replaces a worker that dies, and stops them all on SIGTERM', async () => {
    const server = await start('node', ['dist/src/server.js'], baseEnv({ PORT: '0', DEMO: 'off', WORKERS: '2', DATABASE_PATH: path.join(dataDir, 'cluster.sqlite') }), /CDS Hooks service: (\S+)\/cds-services \(2 workers/, 30_000);
    const primary = server.child.pid ?? 0;
    try {
      const workers = await until('two listening workers', async () => {
        const pids = childrenOf(primary);
        const ok = (await fetch(`${server.url}/health`)).ok;
        return pids.length === 2 && ok ? pids : undefined;
      });
      const statuses = await Promise.all(Array.from({ length: 20 }, () => fetch(`${server.url}/cds-services`).then((r) => r.status)));
      expect(statuses.every((s) => s === 200)).toBe(true);
      // No worker died on its own while starting (two workers once raced to create the same SQLite file).
      expect(server.output()).not.toMatch(/worker exited|could not start/);
      process.kill(workers[0] ?? 0, 'SIGKILL');
      const replaced = await until('a replacement worker', () => {
        const pids = childrenOf(primary);
        return pids.length === 2 && !pids.includes(workers[0] ?? 0) ? pids : undefined;
      });
      expect(replaced).toContain(workers[1]);
      await until('the service answering after the restart', async () => ((await fetch(`${server.url}/health`).catch(() => undefined))?.ok === true ? true : undefined), 60_000);
    } finally {
      expect(await stop(server.child)).toBe(0);
    }
    expect(childrenOf(primary)).toEqual([]);
  });
});
