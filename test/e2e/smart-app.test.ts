/// <reference lib="dom" />
/**
 * The SMART app end to end, in real headless Chromium: the bundled app served by the service under
 * /app/, launched through the SMART launch stand-in (test/support/smart-launcher.ts) with PKCE, reading
 * and writing the in-process FHIR server through the stand-in's bearer-checked proxy. The browser clock
 * is pinned to each scenario's `now`, so the page decides what the service decides.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { Bundle, Observation } from 'fhir/r4';
import { buildApp } from '../../src/express-app';
import { bundleSmartApp } from '../../src/bundle';
import { PROJECT_CODE_SYSTEM } from '../../src/fhir/codes';
import { createLogger } from '../../src/logger';
import { openSqliteStore } from '../../src/store/sqlite';
import type { Store } from '../../src/store/store';
import { patientViewRequest, scenario, testConfig } from '../support/app';
import { inFreshPage, launchChromium, screenshot } from '../support/browser';
import { startFhirServer, type FhirTestServer } from '../support/fhir-server';
import { loadBundle, resourcesOf } from '../support/scenarios';
import { startSmartLauncher, type LaunchContext, type SmartLauncher } from '../support/smart-launcher';

jest.setTimeout(90_000);

const CLIENT_ID = 'npc-cds-e2e';
const PRACTITIONER = 'Practitioner/dr-lee';
const FILES = [
  'complete-pre-treatment-high-ictos',
  'low-ictos-three-risk-factors',
  'low-ictos-low-risk',
  'tbf-liu-fig4-patient',
  'tbf-no-treatment-records',
  'tbf-unit-text-only',
  'out-of-scope-distant-metastasis',
  'stage-not-recorded',
] as const;

let appDir: string;
let fhir: FhirTestServer;
let launcher: SmartLauncher;
let server: Server;
let store: Store;
let appOrigin: string;
let browser: Browser;

beforeAll(async () => {
  appDir = await mkdtemp(path.join(tmpdir(), 'npc-cds-app-'));
  await bundleSmartApp(appDir);
  fhir = await startFhirServer();
  for (const file of FILES) await fhir.seed(resourcesOf(loadBundle(`${file}.bundle.json`)));

  server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  appOrigin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  launcher = await startSmartLauncher({
    fhirBaseUrl: fhir.baseUrl,
    clients: [{ clientId: CLIENT_ID, redirectUris: [`${appOrigin}/app/index.html`] }],
    standalonePatient: scenario('complete-pre-treatment-high-ictos').patientId,
    fhirUser: PRACTITIONER,
  });
  const base = testConfig();
  const config = testConfig({
    publicBaseUrl: appOrigin,
    smartAppUrl: `${appOrigin}/app/launch.html`,
    smartApp: { ...base.smartApp, clientId: CLIENT_ID, redirectUrl: `${appOrigin}/app/index.html`, standaloneIss: launcher.issuer, allowedIss: [launcher.issuer], dir: appDir },
  });
  store = await openSqliteStore(':memory:');
  const now = new Date(scenario('complete-pre-treatment-high-ictos').now);
  server.on('request', await buildApp({ config, store, logger: createLogger('silent'), now: () => now }));
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await store?.close();
  await launcher?.close();
  await fhir?.close();
  if (appDir !== undefined) await rm(appDir, { recursive: true, force: true });
});

const LAUNCH_URL = () => `${appOrigin}/app/launch.html`;

/** An EHR launch of the app for a fixture patient, the browser clock at the scenario's `now`; resolves when the page shows the picture. */
async function ehrLaunch(page: Page, file: string, context: Partial<LaunchContext> = {}): Promise<void> {
  const s = scenario(file);
  await page.clock.setFixedTime(new Date(s.now));
  const launch = launcher.registerLaunch({ patient: s.patientId, encounter: `enc-${s.patientId}`, ...context });
  await page.goto(launcher.ehrLaunchUrl(LAUNCH_URL(), launch));
  await page.waitForURL(/\/app\/index\.html/);
  await page.locator('#app[aria-busy="false"]').waitFor();
}

/** Waits until the element shows `expected` (Playwright's own assertions are not part of playwright-core). */
async function see(page: Page, selector: string, expected: string, timeout = 10_000): Promise<void> {
  await page.locator(selector).filter({ hasText: expected }).first().waitFor({ timeout });
}

const classOf = async (page: Page, selector: string) => (await page.locator(selector).getAttribute('class')) ?? '';

const text = async (page: Page, selector: string) => (await page.locator(selector).innerText()).replace(/\s+/g, ' ');

async function observationsOf(patientId: string, code: string): Promise<Observation[]> {
  const url = `${fhir.baseUrl}/Observation?patient=${patientId}&code=${encodeURIComponent(`${PROJECT_CODE_SYSTEM}|${code}`)}`;
  const bundle = (await (await fetch(url)).json()) as Bundle<Observation>;
  return (bundle.entry ?? []).flatMap((e) => (e.resource !== undefined ? [e.resource] : []));
}

const proxyWrites = () => launcher.requests.filter((r) => r.path.startsWith('/fhir') && r.method !== 'GET' && r.method !== 'OPTIONS');

describe('launch', () => {
  test('the smart link of a card the service returned launches the app through the stand-in with PKCE, with the patient, the encounter and the card\u2019s appContext', async () => {
    await inFreshPage(browser, 'ehr-launch', async (page) => {
      const response = await fetch(`${appOrigin}/cds-services/npc-treatment-guidance`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(patientViewRequest('complete-pre-treatment-high-ictos')),
      });
      const { cards } = (await response.json()) as { cards: { summary: string; links?: { url: string; type: string; appContext?: string }[] }[] };
      const link = cards.find((c) => c.summary.startsWith('High ICTOS'))?.links?.find((l) => l.type === 'smart');
      expect(link?.url).toBe(LAUNCH_URL());
      const before = launcher.grants.length;
      const s = scenario('complete-pre-treatment-high-ictos');
      await page.clock.setFixedTime(new Date(s.now));
      const launch = launcher.registerLaunch({ patient: s.patientId, encounter: `enc-${s.patientId}`, ...(link?.appContext !== undefined ? { appContext: link.appContext } : {}) });
      await page.goto(launcher.ehrLaunchUrl(link?.url ?? '', launch));
      await page.waitForURL(/\/app\/index\.html/);
      await page.locator('#app[aria-busy="false"]').waitFor();
      const grant = launcher.grants[before];
      expect(grant).toMatchObject({ clientId: CLIENT_ID, patient: 'hi-patient', encounter: 'enc-hi-patient' });
      expect(grant?.scope.split(' ')).toEqual(expect.arrayContaining(['launch', 'patient/Observation.rs', 'patient/Observation.c']));
      expect(await text(page, '.origin')).toContain('Opened from the treatment selection (ICTOS) card');
      expect(await classOf(page, '#treatment')).toMatch(/focused/);
    });
  });

  test('a standalone launch against the configured FHIR server gets the patient the authorization server picked', async () => {
    await inFreshPage(browser, 'standalone-launch', async (page) => {
      await page.clock.setFixedTime(new Date(scenario('complete-pre-treatment-high-ictos').now));
      const before = launcher.grants.length;
      await page.goto(LAUNCH_URL());
      await page.waitForURL(/\/app\/index\.html/);
      await page.locator('#app[aria-busy="false"]').waitFor();
      expect(launcher.grants[before]?.scope.split(' ')).toContain('launch/patient');
      expect(await text(page, '#recommendation')).toContain('Induction chemotherapy followed by concurrent chemoradiotherapy');
    });
  });

  test('a launch against a FHIR server that is not allowed stops before anything is sent to it', async () => {
    await inFreshPage(browser, 'foreign-iss', async (page) => {
      const contacted: string[] = [];
      page.on('request', (r) => {
        if (r.url().startsWith('https://fhir.attacker.example')) contacted.push(r.url());
      });
      await page.goto(`${LAUNCH_URL()}?iss=${encodeURIComponent('https://fhir.attacker.example/r4')}&launch=abc`);
      await see(page, '.state-error', 'This FHIR server is not allowed');
      expect(contacted).toEqual([]);
    });
  });

  test('the main page opened without a launch says so instead of showing data', async () => {
    await inFreshPage(browser, 'no-launch', async (page) => {
      await page.goto(`${appOrigin}/app/index.html`);
      await page.locator('.state-error').waitFor();
      expect(await text(page, '#app')).toContain('could not be completed');
      expect(await page.locator('#recommendation').count()).toBe(0);
    });
  });
});

describe('what the app shows, per fixture patient', () => {
  test('a complete pre-treatment record with high ICTOS shows the banner, every input with its source and the ICT + CCRT recommendation', async () => {
    await inFreshPage(browser, 'high-ictos', async (page) => {
      await ehrLaunch(page, 'complete-pre-treatment-high-ictos');
      expect(await text(page, '.banner')).toMatch(/born \d{4}-\d{2}-\d{2}/);
      expect(await text(page, '#population')).toContain('In the studied population');
      expect(await text(page, '#population')).toContain('Stage III (recorded)');
      expect(await text(page, '#recommendation')).toContain('Induction chemotherapy followed by concurrent chemoradiotherapy (ICT + CCRT)');
      expect(await text(page, '#recommendation')).toContain('HR 0.17 (95% CI 0.06\u20130.51)');
      expect(await text(page, '.ictos-result')).toContain('ICTOS 0.33 from the recorded ICTOS Observation: high ICTOS');
      const preTbf = page.locator('table.inputs tr', { hasText: 'Pre-TBF' });
      expect((await preTbf.innerText()).replace(/\s+/g, ' ')).toMatch(/150\.2 mL\/\(100\.g\)\/min 2026-05-18T10:00:00Z final Observation\/hi-tbf assumed pre-treatment: no treatment recorded/);
      expect(await text(page, '#treatment .citation')).toContain('doi:10.1186/s12916-019-1422-6');
      await screenshot(page, 'smart-app-high-ictos');
    });
  });

  test('the Liu 2022 Fig. 4 patient gets a TBF chart with the treatment start, the 40 Gy point and the cutoffs, and every rule favorable', async () => {
    await inFreshPage(browser, 'liu-fig4', async (page) => {
      await ehrLaunch(page, 'tbf-liu-fig4-patient', { appContext: JSON.stringify({ card: 'response-prediction', service: 'npc-treatment-guidance', rules: ['pre-tbf-response'] }) });
      const chart = page.locator('#response svg').first();
      await chart.waitFor({ state: 'visible' });
      const svgText = (await chart.innerHTML()).replace(/\s+/g, ' ');
      expect(svgText).toContain('137.07');
      expect(svgText).toContain('140.87');
      expect(svgText).toMatch(/40 Gy/);
      expect(svgText).toMatch(/[Tt]reatment start/);
      for (const rule of ['pre-tbf-response', 'pre-tbf-residual', 'delta-tbf-response', 'delta-tbf-residual']) {
        expect(await classOf(page, `tr[data-rule="${rule}"]`)).toBe('outcome-favorable');
        expect(await text(page, `tr[data-rule="${rule}"] td:nth-of-type(3)`)).toMatch(/^favorable: /);
      }
      expect(await text(page, 'tr[data-rule="delta-tbf-response"]')).toContain('62.94');
      expect(await text(page, '#response')).toContain('nearer the PR group mean');
      expect(await text(page, '#recommendation')).toContain('treatment has started');
      expect(await classOf(page, '#response')).toMatch(/focused/);
      await screenshot(page, 'smart-app-liu-fig4');
    });
  });

  test('low ICTOS with three risk factors shows each factor present, absent or unknown and the clinical-trial option', async () => {
    await inFreshPage(browser, 'low-ictos-three', async (page) => {
      await ehrLaunch(page, 'low-ictos-three-risk-factors');
      expect(await text(page, '#recommendation')).toContain('Consider a clinical trial of intensified or novel therapy');
      expect(await text(page, '#recommendation')).toContain('Not yet validated in larger populations');
      const states = await page.locator('table.risk tbody tr td:first-of-type').allInnerTexts();
      expect(states.filter((s) => s === 'present').length).toBeGreaterThanOrEqual(3);
      expect(await text(page, '.ictos-result')).toMatch(/from the recorded ICTOS Observation: low ICTOS/);
    });
  });

  test('a patient with distant metastasis is shown as outside the studied population, with no rule results and no recommendation', async () => {
    await inFreshPage(browser, 'out-of-scope', async (page) => {
      await ehrLaunch(page, 'out-of-scope-distant-metastasis');
      expect(await text(page, '#population')).toContain('Outside the studied population');
      expect(await text(page, '#population')).toContain('Distant metastasis is recorded');
      expect(await text(page, '#recommendation')).toContain('No recommendation is made');
      expect(await page.locator('table.rules').count()).toBe(0);
      expect(await page.locator('table.risk').count()).toBe(0);
      expect(await text(page, '.ictos-result')).toBe('ICTOS is not applied (see the population above).');
    });
  });

  test('a patient without recorded stage is assessed with the stage caveat', async () => {
    await inFreshPage(browser, 'stage-not-recorded', async (page) => {
      await ehrLaunch(page, 'stage-not-recorded');
      expect(await text(page, '#population')).toContain('Stage not recorded');
    });
  });

  test('the banner is left to the EHR when it says it shows its own', async () => {
    await inFreshPage(browser, 'no-banner', async (page) => {
      await ehrLaunch(page, 'low-ictos-low-risk', { needPatientBanner: false });
      expect(await page.locator('.banner').count()).toBe(0);
      expect(await text(page, '#recommendation')).toContain('Concurrent chemoradiotherapy alone (CCRT)');
    });
  });
});

describe('when the FHIR server fails', () => {
  test('a failed read says the data could not be read and shows no recommendation', async () => {
    await inFreshPage(browser, 'fhir-read-error', async (page) => {
      launcher.failReads('Observation', 503);
      try {
        const s = scenario('complete-pre-treatment-high-ictos');
        await page.clock.setFixedTime(new Date(s.now));
        await page.goto(launcher.ehrLaunchUrl(LAUNCH_URL(), launcher.registerLaunch({ patient: s.patientId })));
        await see(page, '.state-error', 'could not be read');
        expect(await text(page, '.state-error')).toContain('Observations (staging, plasma EBV DNA, ASL tumor blood flow, ICTOS and its radiomic features, tumor volume): the FHIR server failed (HTTP 503).');
        expect(await page.locator('#recommendation').count()).toBe(0);
        expect(await page.locator('#capture').isHidden()).toBe(true);
      } finally {
        launcher.failReads('Observation', undefined);
      }
    });
  });
});

describe('structured capture', () => {
  test('a TBF computed from the ASL signals is written as a coded Observation and becomes the Pre-TBF on the refreshed page', async () => {
    await inFreshPage(browser, 'capture-tbf', async (page) => {
      const s = scenario('tbf-unit-text-only');
      await ehrLaunch(page, 'tbf-unit-text-only');
      await page.getByLabel('Date of the ASL MRI').fill('2026-05-20');
      await page.getByLabel('SIcontrol (control images)').fill('1000');
      await page.getByLabel('SIlabel (label images)').fill('985');
      await page.getByLabel('SIPD (proton-density image)').fill('12000');
      await see(page, '#capture-tbf .preview', 'Computed TBF');
      const preview = await text(page, '#capture-tbf .preview');
      const computed = /Computed TBF ([\d.]+)/.exec(preview)?.[1];
      expect(computed).toBeDefined();
      await page.getByRole('button', { name: 'Save tumor blood flow' }).click();
      await see(page, '#capture-tbf .form-status', 'The view above is refreshed from the FHIR server', 15_000);

      const saved = (await observationsOf(s.patientId, 'tumor-blood-flow')).filter((o) => o.effectiveDateTime === '2026-05-20');
      expect(saved).toHaveLength(1);
      const o = saved[0] as Observation;
      expect(o.status).toBe('final');
      expect(o.code.coding?.[0]).toMatchObject({ system: PROJECT_CODE_SYSTEM, code: 'tumor-blood-flow' });
      expect(o.valueQuantity).toMatchObject({ value: Number(computed), system: 'http://unitsofmeasure.org', code: 'mL/(100.g)/min' });
      expect(o.subject?.reference).toBe(`Patient/${s.patientId}`);
      expect(o.encounter?.reference).toBe(`Encounter/enc-${s.patientId}`);
      expect(o.performer?.[0]?.reference).toBe(PRACTITIONER);
      expect(o.note?.[0]?.text).toMatch(/SIcontrol = 1000.*SIlabel = 985.*SIPD = 12000/);

      const preRow = page.locator('table.inputs tr', { hasText: 'Pre-TBF' });
      expect((await preRow.innerText()).replace(/\s+/g, ' ')).toContain(`${computed} mL/(100.g)/min 2026-05-20 final Observation/${o.id}`);
      await screenshot(page, 'smart-app-after-tbf-capture');
    });
  });

  test('three z-scored features are written with the computed ICTOS in one transaction, and the recommendation appears', async () => {
    await inFreshPage(browser, 'capture-radiomics', async (page) => {
      const s = scenario('tbf-no-treatment-records');
      await ehrLaunch(page, 'tbf-no-treatment-records');
      expect(await text(page, '#recommendation')).toContain('No recommendation: data missing');
      await page.getByLabel('Date of the pre-treatment contrast-enhanced T1-weighted MRI').fill('2026-05-18');
      await page.getByLabel('Skewness (z-score)').fill('-0.5');
      await page.getByLabel('GLCM variance (z-score)').fill('-0.25');
      await page.getByLabel('GLRLM long run high gray-level emphasis (z-score)').fill('0.4');
      // −0.668 × −0.5 − 0.442 × −0.25 + 0.41 × 0.4 = 0.6085 (Dong 2019)
      await see(page, '#capture-radiomics .preview', 'ICTOS 0.6085 (high)');
      await page.getByRole('button', { name: 'Save features and ICTOS' }).click();
      await see(page, '#capture-radiomics .form-status', 'The view above is refreshed', 15_000);

      const [ictos] = await observationsOf(s.patientId, 'ictos');
      expect(ictos?.valueQuantity).toMatchObject({ value: 0.6085, code: '1', system: 'http://unitsofmeasure.org' });
      expect(ictos?.derivedFrom).toHaveLength(3);
      const features = await Promise.all(['skewness-z', 'glcm-variance-z', 'glrlm-lrhgle-z'].map((c) => observationsOf(s.patientId, c)));
      expect(features.map((f) => f[0]?.valueQuantity?.value)).toEqual([-0.5, -0.25, 0.4]);
      const ids = features.map((f) => `Observation/${f[0]?.id}`);
      expect(ictos?.derivedFrom?.map((r) => r.reference)).toEqual(ids);
      expect(await text(page, '#recommendation')).toContain('Induction chemotherapy followed by concurrent chemoradiotherapy');
    });
  });

  test('invalid input is explained next to each field and nothing is sent', async () => {
    await inFreshPage(browser, 'capture-invalid', async (page) => {
      await ehrLaunch(page, 'low-ictos-low-risk');
      const writes = proxyWrites().length;
      await page.getByLabel('Date of the MRI', { exact: true }).fill('2026-05-10');
      await page.getByLabel('Primary tumor volume (mL)').fill('12,5');
      await page.getByRole('button', { name: 'Save tumor volume' }).click();
      await see(page, '#capture-volume-ml-error', 'decimal point');
      expect(await page.getByLabel('Primary tumor volume (mL)').getAttribute('aria-invalid')).toBe('true');
      await page.getByRole('button', { name: 'Save tumor blood flow' }).click();
      await page.waitForFunction(() => (document.getElementById('capture-tbf-date-error')?.textContent ?? '') !== '');
      expect(proxyWrites().length).toBe(writes);
    });
  });

  test('a failed write says so and keeps what was typed; the retry saves it', async () => {
    await inFreshPage(browser, 'capture-failed-write', async (page) => {
      const s = scenario('low-ictos-low-risk');
      await ehrLaunch(page, 'low-ictos-low-risk');
      const volume = page.getByLabel('Primary tumor volume (mL)');
      await page.getByLabel('Date of the MRI', { exact: true }).fill('2026-05-11');
      await volume.fill('41.5');
      launcher.failWrites(500);
      try {
        await page.getByRole('button', { name: 'Save tumor volume' }).click();
        await see(page, '#capture-volume .form-status', 'Not saved: the FHIR server answered HTTP 500');
        expect(await volume.inputValue()).toBe('41.5');
        expect(await page.getByLabel('Date of the MRI', { exact: true }).inputValue()).toBe('2026-05-11');
      } finally {
        launcher.failWrites(undefined);
      }
      expect((await observationsOf(s.patientId, 'primary-tumor-volume')).filter((o) => o.effectiveDateTime === '2026-05-11')).toHaveLength(0);
      await page.getByRole('button', { name: 'Save tumor volume' }).click();
      await see(page, '#capture-volume .form-status', 'Saved primary tumor volume 41.5 mL');
      const saved = (await observationsOf(s.patientId, 'primary-tumor-volume')).filter((o) => o.effectiveDateTime === '2026-05-11');
      expect(saved[0]?.valueQuantity).toMatchObject({ value: 41.5, code: 'mL', system: 'http://unitsofmeasure.org' });
    });
  });
});

describe('when the access token expires', () => {
  const since = (from: number) => launcher.requests.slice(from);
  const refreshes = (from: number) => launcher.grants.slice(from).filter((g) => g.refreshed === true).length;

  test('the app asks for online_access and gets a refresh token', async () => {
    await inFreshPage(browser, 'online-access', async (page) => {
      const before = launcher.grants.length;
      await ehrLaunch(page, 'complete-pre-treatment-high-ictos');
      expect(launcher.grants[before]?.scope.split(' ')).toContain('online_access');
      const stored = await page.evaluate(() => Object.values(sessionStorage).some((v) => v.includes('"refresh_token"')));
      expect(stored).toBe(true);
    });
  });

  test('a reload after the token expired is answered 401 once, refreshed with the refresh token, and shows the picture again', async () => {
    await inFreshPage(browser, 'expired-reload', async (page) => {
      await ehrLaunch(page, 'complete-pre-treatment-high-ictos');
      launcher.expireAccessTokens();
      const [requests, grants] = [launcher.requests.length, launcher.grants.length];
      await page.reload();
      await page.locator('#app[aria-busy="false"]').waitFor();
      expect(await text(page, '#recommendation')).toContain('Induction chemotherapy followed by concurrent chemoradiotherapy');
      expect(refreshes(grants)).toBe(1);
      expect(since(requests).some((r) => r.path.startsWith('/fhir/') && r.status === 401)).toBe(true);
      expect(since(requests).filter((r) => r.method === 'POST' && r.path === '/token').map((r) => r.status)).toEqual([200]);
    });
  });

  test('when the browser knows the token has expired, it is refreshed before the reads, and no read is refused', async () => {
    await inFreshPage(browser, 'expired-proactive', async (page) => {
      const s = scenario('complete-pre-treatment-high-ictos');
      await ehrLaunch(page, 'complete-pre-treatment-high-ictos');
      launcher.expireAccessTokens();
      await page.clock.setFixedTime(new Date(Date.parse(s.now) + 3601_000));
      const [requests, grants] = [launcher.requests.length, launcher.grants.length];
      await page.reload();
      await page.locator('#app[aria-busy="false"]').waitFor();
      expect(await text(page, '#recommendation')).toContain('Induction chemotherapy followed by concurrent chemoradiotherapy');
      expect(refreshes(grants)).toBe(1);
      expect(since(requests).filter((r) => r.status === 401)).toEqual([]);
    });
  });

  test('a save after the token expired is refreshed and written once, and the view is refreshed from the server', async () => {
    await inFreshPage(browser, 'expired-save', async (page) => {
      const s = scenario('low-ictos-three-risk-factors');
      await ehrLaunch(page, 'low-ictos-three-risk-factors');
      await page.getByLabel('Date of the MRI', { exact: true }).fill('2026-05-12');
      await page.getByLabel('Primary tumor volume (mL)').fill('23.5');
      launcher.expireAccessTokens();
      const grants = launcher.grants.length;
      await page.getByRole('button', { name: 'Save tumor volume' }).click();
      await see(page, '#capture-volume .form-status', 'The view above is refreshed from the FHIR server', 15_000);
      expect(refreshes(grants)).toBe(1);
      const saved = (await observationsOf(s.patientId, 'primary-tumor-volume')).filter((o) => o.effectiveDateTime === '2026-05-12');
      expect(saved.map((o) => o.valueQuantity?.value)).toEqual([23.5]);
    });
  });

  test('a transaction after the token expired (the three features with their ICTOS) is refreshed and written once', async () => {
    await inFreshPage(browser, 'expired-transaction', async (page) => {
      const s = scenario('stage-not-recorded');
      await ehrLaunch(page, 'stage-not-recorded');
      const before = (await observationsOf(s.patientId, 'ictos')).length;
      await page.getByLabel('Date of the pre-treatment contrast-enhanced T1-weighted MRI').fill('2026-05-14');
      await page.getByLabel('Skewness (z-score)').fill('0.1');
      await page.getByLabel('GLCM variance (z-score)').fill('0.2');
      await page.getByLabel('GLRLM long run high gray-level emphasis (z-score)').fill('0.3');
      launcher.expireAccessTokens();
      const grants = launcher.grants.length;
      await page.getByRole('button', { name: 'Save features and ICTOS' }).click();
      await see(page, '#capture-radiomics .form-status', 'The view above is refreshed', 15_000);
      expect(refreshes(grants)).toBe(1);
      expect((await observationsOf(s.patientId, 'ictos')).length).toBe(before + 1);
    });
  });

  test('when the refresh is refused, a reload says the session has ended and shows no data', async () => {
    await inFreshPage(browser, 'refresh-refused-reload', async (page) => {
      await ehrLaunch(page, 'complete-pre-treatment-high-ictos');
      launcher.expireAccessTokens();
      launcher.refuseRefresh(true);
      try {
        await page.reload();
        await see(page, '.state-error', 'Your session has ended');
        expect(await text(page, '.state-error')).toContain('Your session has ended. Relaunch the app from the EHR.');
        expect(await text(page, '.state-error')).not.toMatch(/try again/i);
        expect(await page.locator('#recommendation').count()).toBe(0);
        await screenshot(page, 'smart-app-session-ended');
      } finally {
        launcher.refuseRefresh(false);
      }
    });
  });

  test('when the refresh is refused, a save says the session has ended, keeps what was typed and writes nothing', async () => {
    await inFreshPage(browser, 'refresh-refused-save', async (page) => {
      const s = scenario('low-ictos-three-risk-factors');
      await ehrLaunch(page, 'low-ictos-three-risk-factors');
      await page.getByLabel('Date of the MRI', { exact: true }).fill('2026-05-13');
      const volume = page.getByLabel('Primary tumor volume (mL)');
      await volume.fill('31.5');
      launcher.expireAccessTokens();
      launcher.refuseRefresh(true);
      try {
        await page.getByRole('button', { name: 'Save tumor volume' }).click();
        await see(page, '#capture-volume .form-status', 'Your session has ended. Relaunch the app from the EHR.');
        expect(await text(page, '#capture-volume .form-status')).not.toMatch(/try again/i);
        expect(await volume.inputValue()).toBe('31.5');
        expect(await page.getByLabel('Date of the MRI', { exact: true }).inputValue()).toBe('2026-05-13');
        expect(await volume.isVisible()).toBe(true);
      } finally {
        launcher.refuseRefresh(false);
      }
      expect((await observationsOf(s.patientId, 'primary-tumor-volume')).filter((o) => o.effectiveDateTime === '2026-05-13')).toHaveLength(0);
    });
  });
});

describe('accessibility basics', () => {
  test('every input has a label, headings do not skip levels, and every chart has a title', async () => {
    await inFreshPage(browser, 'a11y', async (page) => {
      await ehrLaunch(page, 'tbf-liu-fig4-patient');
      const report = await page.evaluate(() => {
        const unlabelled = Array.from(document.querySelectorAll('input, select, textarea')).filter((el) => (el as HTMLInputElement).labels?.length === 0 && !el.getAttribute('aria-label')).map((el) => el.id);
        const levels = Array.from(document.querySelectorAll('h1, h2, h3, h4, h5, h6')).map((h) => Number(h.tagName.slice(1)));
        const skips = levels.filter((level, i) => i > 0 && level > (levels[i - 1] as number) + 1);
        const svgs = Array.from(document.querySelectorAll('svg'));
        const untitled = svgs.filter((svg) => svg.getAttribute('role') !== 'img' || svg.querySelector('title')?.textContent?.trim() === '' || svg.querySelector('title') === null).length;
        const buttons = Array.from(document.querySelectorAll('button')).filter((b) => (b.textContent ?? '').trim() === '').length;
        return { unlabelled, first: levels[0], skips, svgs: svgs.length, untitled, buttons, lang: document.documentElement.lang };
      });
      expect(report).toEqual({ unlabelled: [], first: 1, skips: [], svgs: expect.any(Number), untitled: 0, buttons: 0, lang: 'en' });
      expect(report.svgs).toBeGreaterThanOrEqual(2);
    });
  });
});
