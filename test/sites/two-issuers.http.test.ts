/**
 * Issue 17, end to end: calibrate a site set from a synthetic cohort, configure the service as an operator
 * would (TRUSTED_ISSUERS, SITE_SETS_FILE naming the set file `npm run calibrate` wrote, mapped to one
 * issuer), and call the same patient-view with tokens of two issuers: each card names its own set and its
 * figures, the issued-card record keeps the set, and the report splits by it.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import nock from 'nock';
import request from 'supertest';
import { main as calibrateCli } from '../../src/calibration/cli';
import { ConfigError, loadConfig, type Config } from '../../src/config';
import { DEFAULT_PROFILE_ID } from '../../src/site-profiles';
import { NO_EVENT_LOOP_SHEDDING, patientViewRequest, REPO_ROOT, scenarioClock, SERVICE_IDS, testApp, type TestApp } from '../support/app';
import { makeIssuer, signToken, type TestIssuer } from '../support/jwt';
import { siteCohortCsv } from './cohort';

const BASE = 'https://cds.example.org';
const SCENARIO = 'complete-pre-treatment-high-ictos';
const HOOK = `/cds-services/${SERVICE_IDS['patient-view']}`;
const PRE_TBF = 150.2;

interface Finding {
  rule: string;
  outcome: string;
  cutoff?: number;
  thresholdSet?: string;
}
interface Card {
  uuid: string;
  detail: string;
  extension: { 'org.npc-cds.findings': Finding[] };
}

let siteA: TestIssuer;
let other: TestIssuer;
let dir: string;
let set: {
  id: string;
  rules: { rule: string; cutoff: number; auc: number; sensitivity: number; specificity: number; truePositives: number; positives: number; trueNegatives: number; negatives: number }[];
  cohort: { patients: number };
};
let config: Config;
let t: TestApp;

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    DEMO: 'off',
    ...NO_EVENT_LOOP_SHEDDING,
    PUBLIC_BASE_URL: BASE,
    TRUSTED_ISSUERS: JSON.stringify([
      { iss: siteA.iss, jwks: siteA.jwks },
      { iss: other.iss, jwks: other.jwks },
    ]),
    SITE_SETS_FILE: path.join(dir, 'sites.json'),
    ...extra,
  };
}

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
  [siteA, other] = await Promise.all([makeIssuer('RS384', 'https://ehr.site-a.example'), makeIssuer('ES384', 'https://ehr.elsewhere.example')]);
  dir = mkdtempSync(path.join(tmpdir(), 'npc-sites-'));
  writeFileSync(path.join(dir, 'cohort.csv'), siteCohortCsv());
  const log: string[] = [];
  expect(calibrateCli(['--cohort', path.join(dir, 'cohort.csv'), '--out', path.join(dir, 'site-a.json'), '--id', 'site-a-2026', '--resamples', '200'], (s) => log.push(s))).toBe(0);
  set = JSON.parse(readFileSync(path.join(dir, 'site-a.json'), 'utf8'));
  writeFileSync(path.join(dir, 'sites.json'), JSON.stringify({ sets: ['site-a.json'], callers: [{ iss: siteA.iss, set: 'site-a-2026' }] }));
  config = loadConfig(env(), REPO_ROOT);
  t = await testApp({ now: scenarioClock(SCENARIO), config: { ...config, databasePath: ':memory:', logLevel: 'silent' } });
});
afterAll(async () => {
  await t.close();
  nock.enableNetConnect();
  // nock patches node:http for the whole worker; later files in it must get the real one back.
  nock.restore();
});

async function callAs(issuer: TestIssuer): Promise<Card[]> {
  const token = await signToken(issuer, `${BASE}${HOOK}`);
  const res = await request(t.app).post(HOOK).set('Authorization', `Bearer ${token}`).send(patientViewRequest(SCENARIO));
  expect(res.status).toBe(200);
  return res.body.cards as Card[];
}

const responseCard = (cards: Card[]): Card => {
  const card = cards.find((c) => c.extension['org.npc-cds.findings'].some((f) => f.rule === 'pre-tbf-response'));
  if (card === undefined) throw new Error('no response-prediction card');
  return card;
};
/** The detail's text without its Markdown escapes. */
const plain = (card: Card): string => card.detail.replace(/\\(.)/g, '$1');
const finding = (card: Card, rule: string): Finding => card.extension['org.npc-cds.findings'].find((f) => f.rule === rule) as Finding;

test('the calibrated site cutoff lies above this patient\u2019s Pre-TBF, so the two sets must disagree', () => {
  const cutoff = set.rules.find((r) => r.rule === 'pre-tbf-response')?.cutoff as number;
  expect(cutoff).toBeGreaterThan(PRE_TBF);
  expect(PRE_TBF).toBeGreaterThan(137.07);
});

test('the mapped issuer\u2019s card names the site set, its cutoff, AUC, sensitivity, specificity and cohort size, says local calibration and still cites Liu', async () => {
  const card = responseCard(await callAs(siteA));
  const rule = set.rules.find((r) => r.rule === 'pre-tbf-response');
  expect(finding(card, 'pre-tbf-response')).toMatchObject({ thresholdSet: 'site-a-2026', cutoff: rule?.cutoff, outcome: 'unfavorable' });
  const text = plain(card);
  expect(text).toContain('Local calibration: the cutoffs are this site\u2019s threshold set site-a-2026 (version 1');
  expect(text).toContain(`vs cutoff > ${rule?.cutoff} \u2192 **unfavorable`);
  expect(text).toContain(`AUC ${rule?.auc.toFixed(3)}`);
  expect(text).toContain(`sensitivity ${rule?.sensitivity.toFixed(3)} (${rule?.truePositives}/${rule?.positives}), specificity ${rule?.specificity.toFixed(3)} (${rule?.trueNegatives}/${rule?.negatives})`);
  expect(text).toContain(`${set.cohort.patients} patients at this site`);
  expect(text).toMatch(/doi\.org\/10\.1186\/s13244-022-01248-x/);
  expect(text).toContain('chosen on the same cohort');
  expect(text).not.toContain('AUC 0.845 (95% CI 0.739');
});

test('the other issuer\u2019s card, with no mapping, uses Liu 2022\u2019s published set and figures', async () => {
  const card = responseCard(await callAs(other));
  expect(finding(card, 'pre-tbf-response')).toMatchObject({ thresholdSet: 'liu-2022', cutoff: 137.07, outcome: 'favorable' });
  expect(card.detail).toContain('AUC 0.845 (95% CI 0.739');
  expect(card.detail).not.toContain('Local calibration');
});

test('the site set replaces only the TBF cutoffs: the ICTOS finding keeps Dong 2019\u2019s set for both callers', async () => {
  for (const issuer of [siteA, other]) {
    const ictos = (await callAs(issuer)).flatMap((c) => c.extension['org.npc-cds.findings']).find((f) => f.rule === 'ictos');
    expect(ictos?.thresholdSet).toBe('dong-2019');
  }
});

test('each issued card is recorded with the profile it was assessed with, and the report splits by it', async () => {
  const a = await callAs(siteA);
  const b = await callAs(other);
  const report = await t.store.report({ now: '2026-12-01T00:00:00Z' });
  const bySet = Object.fromEntries(report.bySet.map((s) => [s.thresholdSet, s.cardsIssued]));
  expect(bySet['site-a-2026']).toBeGreaterThanOrEqual(a.length);
  expect(bySet[DEFAULT_PROFILE_ID]).toBeGreaterThanOrEqual(b.length);
  expect(Object.values(bySet).reduce((x, y) => x + y, 0)).toBe(report.cardsIssued);
});

test('/health lists the loaded site sets and how many callers use each, without naming the callers', async () => {
  const res = await request(t.app).get('/health');
  expect(res.body.thresholdSets).toEqual([{ id: 'site-a-2026', version: '1', callers: 1 }]);
  expect(JSON.stringify(res.body)).not.toContain('site-a.example');
});

test('a mapping to an issuer that is not trusted stops start-up with a message naming SITE_SETS_FILE', () => {
  writeFileSync(path.join(dir, 'bad.json'), JSON.stringify({ sets: ['site-a.json'], callers: [{ iss: 'https://stranger.example', set: 'site-a-2026' }] }));
  expect(() => loadConfig(env({ SITE_SETS_FILE: path.join(dir, 'bad.json') }), REPO_ROOT)).toThrow(ConfigError);
  expect(() => loadConfig(env({ SITE_SETS_FILE: path.join(dir, 'bad.json') }), REPO_ROOT)).toThrow(/^SITE_SETS_FILE: callers\[0\].*not a trusted issuer/);
});

test('a set path that cannot be read stops start-up naming the file', () => {
  writeFileSync(path.join(dir, 'missing.json'), JSON.stringify({ sets: ['nowhere.json'], callers: [] }));
  expect(() => loadConfig(env({ SITE_SETS_FILE: path.join(dir, 'missing.json') }), REPO_ROOT)).toThrow(/SITE_SETS_FILE set nowhere\.json: cannot read JSON/);
});

test('the SMART app configuration carries the site profile with the FHIR servers mapped to it', async () => {
  writeFileSync(path.join(dir, 'with-fhir.json'), JSON.stringify({ sets: ['site-a.json'], callers: [{ iss: siteA.iss, set: 'site-a-2026', fhirServers: ['https://fhir.site-a.example/r4/'] }] }));
  const c = loadConfig(env({ SITE_SETS_FILE: path.join(dir, 'with-fhir.json') }), REPO_ROOT);
  const app = await testApp({ config: { ...c, databasePath: ':memory:', logLevel: 'silent' } });
  try {
    const res = await request(app.app).get('/app/config.json');
    expect(res.status).toBe(200);
    expect(res.body.sites).toEqual([expect.objectContaining({ id: 'site-a-2026', fhirServers: ['https://fhir.site-a.example/r4'], calibration: expect.objectContaining({ patients: 56 }) })]);
  } finally {
    await app.close();
  }
});
