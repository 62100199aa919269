/// <reference lib="dom" />
/**
 * No page of the SMART app or of the demo EHR reports a problem in the browser: no content security
 * policy violation (a `securitypolicyviolation` listener added before any script of the page runs, in
 * every frame), no console error (a refused request such as a missing favicon included) and no uncaught
 * exception. The service runs in process with the embedded demo, as `npm start` with no configuration
 * runs it, and serves the app and the demo page bundled for this test.
 *
 * The error states covered are those the app reaches without a failing request: a FHIR server that is
 * not allowed, the main page opened without a launch, and an authorization the server refused. A state
 * that follows a failed request (a 503 read, a 401 whose refresh is refused) has Chromium's own
 * "Failed to load resource" console line, which the page cannot prevent.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { buildApp } from '../../src/express-app';
import { bundleDemoEhr, bundleSmartApp } from '../../src/bundle';
import { startDemo, type Demo } from '../../src/demo';
import { createLogger } from '../../src/logger';
import { openSqliteStore } from '../../src/store/sqlite';
import type { Store } from '../../src/store/store';
import { testConfig } from '../support/app';
import { inFreshPage, launchChromium } from '../support/browser';

jest.setTimeout(90_000);

let appDir: string;
let demoDir: string;
let demo: Demo;
let store: Store;
let server: Server;
let baseUrl: string;
let browser: Browser;

beforeAll(async () => {
  [appDir, demoDir] = await Promise.all([mkdtemp(path.join(tmpdir(), 'npc-cds-app-')), mkdtemp(path.join(tmpdir(), 'npc-cds-demo-'))]);
  await Promise.all([bundleSmartApp(appDir), bundleDemoEhr(demoDir)]);
  server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const base = testConfig({ demo: true });
  demo = await startDemo({ ...base, smartApp: { ...base.smartApp, dir: appDir } }, { baseUrl, dir: demoDir });
  store = await openSqliteStore(':memory:');
  server.on('request', await buildApp({ config: demo.config, store, logger: createLogger('silent'), routes: [demo.routes(store)] }));
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await demo?.close();
  await store?.close();
  await Promise.all([appDir, demoDir].filter((d) => d !== undefined).map((d) => rm(d, { recursive: true, force: true })));
});

/** A problem the browser reported: where, and what. */
interface Problem {
  readonly kind: 'csp-violation' | 'console-error' | 'page-error';
  readonly url: string;
  readonly text: string;
}

/**
 * Starts recording the problems of every page and frame of the context: CSP violations through a
 * listener installed before the page's own scripts, console errors and uncaught exceptions.
 */
async function recordProblems(context: BrowserContext, page: Page): Promise<Problem[]> {
  const problems: Problem[] = [];
  await context.exposeBinding('__npcCdsCspViolation', (_source, url: string, text: string) => {
    problems.push({ kind: 'csp-violation', url, text });
  });
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      const report = (window as unknown as { __npcCdsCspViolation: (url: string, text: string) => void }).__npcCdsCspViolation;
      report(location.href, `${event.effectiveDirective} blocked ${event.blockedURI} (${event.sourceFile}:${event.lineNumber})`);
    });
  });
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push({ kind: 'console-error', url: message.location().url, text: message.text() });
  });
  page.on('pageerror', (error) => problems.push({ kind: 'page-error', url: page.url(), text: error.message }));
  return problems;
}

/** Lets late reports (violations are dispatched as tasks, bindings answer asynchronously) arrive before the check. */
async function settled(page: Page): Promise<void> {
  for (const frame of page.frames()) await frame.evaluate(() => new Promise((resolve) => setTimeout(resolve, 100))).catch(() => undefined);
  await new Promise((resolve) => setTimeout(resolve, 200));
}

/** Runs `visit` in a fresh page and expects no problem reported on the way. */
async function expectNoProblems(name: string, visit: (page: Page) => Promise<void>): Promise<void> {
  await inFreshPage(browser, name, async (page, context) => {
    const problems = await recordProblems(context, page);
    await visit(page);
    await settled(page);
    expect(problems).toEqual([]);
  });
}

const appLoaded = (page: Page) => page.locator('#app[aria-busy="false"]').waitFor({ timeout: 30_000 });

describe('no CSP violation, console error or page error', () => {
  test('on the demo EHR page: the patient list, a chart with and without prefetch, and the SMART app launched from a card inside the page', async () => {
    await expectNoProblems('clean-demo-ehr', async (page) => {
      await page.goto(`${baseUrl}/`);
      await page.locator('#patient-list button').first().waitFor();
      await page.click('button[data-patient="hi-patient"]');
      await page.locator('.call[data-hook="patient-view"] .status[data-cards]').first().waitFor();
      await page.click('text=Open chart without prefetch');
      await page.locator('.call[data-prefetch="false"] .status[data-cards]').waitFor();
      await page.locator('.call').first().locator('.card').first().locator('button[data-link="smart"]').click();
      const app = page.frameLocator('iframe[name="smart-app"]');
      await app.locator('#app[aria-busy="false"]').waitFor({ timeout: 30_000 });
      await app.locator('#recommendation').waitFor();
    });
  });

  test('the favicon every page gets is an image Chromium decodes', async () => {
    await expectNoProblems('clean-favicon', async (page) => {
      await page.goto(`${baseUrl}/app/index.html`);
      const size = await page.evaluate(async () => {
        const image = new Image();
        image.src = '/favicon.ico';
        await image.decode();
        return [image.naturalWidth, image.naturalHeight];
      });
      expect(size).toEqual([16, 16]);
    });
  });

  test('on the app launched by the EHR: the launch page, then the main page with the picture and the capture forms in use', async () => {
    await expectNoProblems('clean-app-ehr-launch', async (page) => {
      const launch = demo.launcher.registerLaunch({ patient: 'hi-patient' });
      await page.goto(demo.launcher.ehrLaunchUrl(`${baseUrl}/app/launch.html`, launch));
      await page.waitForURL(/\/app\/index\.html/);
      await appLoaded(page);
      await page.locator('#recommendation').waitFor();
      await page.getByLabel('Skewness (z-score)').fill('-0.5');
      await page.getByLabel('Primary tumor volume (mL)').fill('12,5');
      await page.getByRole('button', { name: 'Save tumor volume' }).click();
      await page.locator('#capture-volume-ml-error').filter({ hasText: 'decimal point' }).waitFor();
    });
  });

  test('on the app launched standalone against the configured FHIR server', async () => {
    await expectNoProblems('clean-app-standalone', async (page) => {
      await page.goto(`${baseUrl}/app/launch.html`);
      await page.waitForURL(/\/app\/index\.html/);
      await appLoaded(page);
      await page.locator('#recommendation').waitFor();
    });
  });

  test.each<[string, (page: Page) => Promise<void>, string]>([
    ['a FHIR server that is not allowed', (page) => page.goto(`${baseUrl}/app/launch.html?iss=${encodeURIComponent('https://fhir.other.example/r4')}&launch=abc`).then(() => undefined), 'This FHIR server is not allowed'],
    ['the main page opened without a launch', (page) => page.goto(`${baseUrl}/app/index.html`).then(() => undefined), 'could not be completed'],
    [
      'an authorization the server refused (an unknown launch)',
      (page) => page.goto(demo.launcher.ehrLaunchUrl(`${baseUrl}/app/launch.html`, 'not-a-launch-id')).then(() => undefined),
      'could not be completed',
    ],
  ])('on the app error state for %s', async (name, open, shown) => {
    await expectNoProblems(`clean-app-error-${name}`, async (page) => {
      await open(page);
      await page.locator('.state-error').filter({ hasText: shown }).waitFor();
    });
  });
});
