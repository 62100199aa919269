/// <reference lib="dom" />
/**
 * The SMART app behind a proxy that rewrites URLs as smart-launcher-v2's does (it collapses `//`
 * anywhere in the URL, test/support/collapsing-proxy.ts), in real headless Chromium: launched through
 * the SMART launch stand-in whose FHIR upstream is that proxy in front of the in-process FHIR server,
 * the app shows the same picture as when launched through a stand-in that reaches the FHIR server
 * directly. Before every search value was percent-encoded, `code=http://loinc.org|…` reached the server
 * as `http:/loinc.org|…` and the app said "stage not recorded".
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { buildApp } from '../../src/express-app';
import { bundleSmartApp } from '../../src/bundle';
import { createLogger } from '../../src/logger';
import { openSqliteStore } from '../../src/store/sqlite';
import type { Store } from '../../src/store/store';
import { scenario, testConfig } from '../support/app';
import { inFreshPage, launchChromium, screenshot } from '../support/browser';
import { startCollapsingProxy, type CollapsingProxy } from '../support/collapsing-proxy';
import { startFhirServer, type FhirTestServer } from '../support/fhir-server';
import { loadBundle, resourcesOf } from '../support/scenarios';
import { startSmartLauncher, type SmartLauncher } from '../support/smart-launcher';

jest.setTimeout(90_000);

const CLIENT_ID = 'npc-cds-e2e-proxy';
const SECTIONS = ['#population', '#inputs', '#treatment', '#response', '#recommendation'] as const;
const CASES = [
  ['complete-pre-treatment-high-ictos', 'Induction chemotherapy followed by concurrent chemoradiotherapy (ICT + CCRT)'],
  ['low-ictos-three-risk-factors', 'Consider a clinical trial of intensified or novel therapy'],
  ['low-ictos-low-risk', 'Concurrent chemoradiotherapy alone (CCRT)'],
  ['tbf-liu-fig4-patient', 'treatment has started'],
] as const;

let appDir: string;
let fhir: FhirTestServer;
let proxy: CollapsingProxy;
let direct: SmartLauncher;
let proxied: SmartLauncher;
let server: Server;
let store: Store;
let appOrigin: string;
let browser: Browser;

beforeAll(async () => {
  appDir = await mkdtemp(path.join(tmpdir(), 'npc-cds-app-proxy-'));
  await bundleSmartApp(appDir);
  fhir = await startFhirServer();
  for (const [file] of CASES) await fhir.seed(resourcesOf(loadBundle(`${file}.bundle.json`)));
  proxy = await startCollapsingProxy(fhir.baseUrl);

  server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  appOrigin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clients = [{ clientId: CLIENT_ID, redirectUris: [`${appOrigin}/app/index.html`] }];
  direct = await startSmartLauncher({ fhirBaseUrl: fhir.baseUrl, clients });
  proxied = await startSmartLauncher({ fhirBaseUrl: proxy.baseUrl, clients });
  const base = testConfig();
  const config = testConfig({
    publicBaseUrl: appOrigin,
    smartApp: { ...base.smartApp, clientId: CLIENT_ID, redirectUrl: `${appOrigin}/app/index.html`, allowedIss: [direct.issuer, proxied.issuer], dir: appDir },
  });
  store = await openSqliteStore(':memory:');
  server.on('request', await buildApp({ config, store, logger: createLogger('silent') }));
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await store?.close();
  await proxied?.close();
  await direct?.close();
  await proxy?.close();
  await fhir?.close();
  if (appDir !== undefined) await rm(appDir, { recursive: true, force: true });
});

/** An EHR launch through `launcher` for a fixture patient, the browser clock at the scenario's `now`; resolves when the page shows the picture. */
async function ehrLaunch(page: Page, launcher: SmartLauncher, file: string): Promise<void> {
  const s = scenario(file);
  await page.clock.setFixedTime(new Date(s.now));
  const launch = launcher.registerLaunch({ patient: s.patientId, encounter: `enc-${s.patientId}` });
  await page.goto(launcher.ehrLaunchUrl(`${appOrigin}/app/launch.html`, launch));
  await page.waitForURL(/\/app\/index\.html/);
  await page.locator('#app[aria-busy="false"]').waitFor();
}

/** The text of each section of the picture, whitespace collapsed. */
async function picture(page: Page): Promise<Record<string, string>> {
  const shown: Record<string, string> = {};
  for (const selector of SECTIONS) shown[selector] = (await page.locator(selector).innerText()).replace(/\s+/g, ' ');
  return shown;
}

describe('the SMART app through a proxy that collapses // in URLs', () => {
  test.each(CASES)('%s: the app shows the same picture through the proxy as without it', async (file, recommendation) => {
    const seen: Record<'direct' | 'proxied', Record<string, string>> = { direct: {}, proxied: {} };
    await inFreshPage(browser, `direct-${file}`, async (page) => {
      await ehrLaunch(page, direct, file);
      seen.direct = await picture(page);
    });
    const before = proxy.forwarded.length;
    await inFreshPage(browser, `proxied-${file}`, async (page) => {
      await ehrLaunch(page, proxied, file);
      seen.proxied = await picture(page);
      await screenshot(page, `smart-app-proxy-${file}`);
    });
    const searches = proxy.forwarded.slice(before).filter((u) => u.includes('/Observation?'));
    expect(searches.length).toBeGreaterThan(0);
    expect(searches.every((u) => u.includes('code=http%3A%2F%2F'))).toBe(true);
    expect(seen.proxied['#recommendation']).toContain(recommendation);
    expect(seen.proxied['#population']).not.toContain('Stage not recorded');
    expect(seen.proxied).toEqual(seen.direct);
  });
});
