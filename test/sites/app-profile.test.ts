/**
 * The SMART app with a site set (issue 17): launched against a FHIR server mapped to a site, it assesses
 * with that set and its page shows the same local-calibration sentences as the card; elsewhere the default.
 */
import { appProfile, type SmartAppConfig } from '../../src/app/app-config';
import { pageModel } from '../../src/app/view-model';
import { calibrateCohortCsv } from '../../src/calibration/calibrate';
import { assessPatient, DEFAULT_THRESHOLDS } from '../../src/core';
import { DEFAULT_CODE_LISTS } from '../../src/fhir/codes';
import { extractInputs } from '../../src/fhir/extract';
import { withSelectionOverrides } from '../../src/fhir/selection';
import { DEFAULT_PROFILE_ID, siteProfile } from '../../src/site-profiles';
import { appPage } from '../support/app-page';
import { loadBundle, recordFromBundle, scenarios } from '../support/scenarios';
import { siteCohortCsv } from './cohort';

const page = appPage;

const thresholds = { ...DEFAULT_THRESHOLDS, selection: withSelectionOverrides(undefined) };
const set = JSON.parse(JSON.stringify(calibrateCohortCsv(siteCohortCsv(), { id: 'site-a-2026', now: new Date('2026-11-01T00:00:00Z'), resamples: 50 })));
const site = { ...siteProfile(set, { id: DEFAULT_PROFILE_ID, thresholds }), fhirServers: ['https://fhir.site-a.example/r4'] };
const config = { thresholds, codes: DEFAULT_CODE_LISTS, sites: [site] } as unknown as SmartAppConfig;
const s = scenarios.find((x) => x.file === 'complete-pre-treatment-high-ictos.bundle.json');
if (s === undefined) throw new Error('scenario missing');

function render(serverUrl: string) {
  const profile = appProfile(config, serverUrl);
  const record = recordFromBundle(loadBundle(s!.file), s!.patientId);
  const extraction = extractInputs(record, s!.now, { codes: DEFAULT_CODE_LISTS, thresholds: profile.thresholds });
  const assessment = assessPatient(extraction.inputs, profile.thresholds, profile.normalization);
  const model = pageModel({ record, extraction, assessment, thresholds: profile.thresholds, ...(profile.calibration !== undefined ? { calibration: profile.calibration } : {}), codes: DEFAULT_CODE_LISTS, needPatientBanner: false });
  return { profile, model, html: page(model) };
}

test('launched against the mapped FHIR server (with or without a trailing slash), the app uses the site set', () => {
  expect(appProfile(config, 'https://fhir.site-a.example/r4/').id).toBe('site-a-2026');
  expect(appProfile(config, 'https://fhir.other.example/r4').id).toBe(DEFAULT_PROFILE_ID);
});

test('the page with a site set shows its cutoff, its figures in place of Liu\u2019s, the local-calibration statement and limitation', () => {
  const { model, html } = render('https://fhir.site-a.example/r4');
  const rule = set.rules.find((r: { rule: string }) => r.rule === 'pre-tbf-response');
  const row = model.tbf.rules.find((r) => r.rule === 'pre-tbf-response');
  expect(row?.cutoff).toBe(`> ${rule.cutoff}`);
  expect(row?.outcome).toMatch(/^unfavorable/);
  expect(row?.evidence).toContain(`AUC ${rule.auc.toFixed(3)}`);
  expect(row?.evidence).toContain('Rule: Liu 2022 Table 5');
  expect(row?.evidence).not.toContain('AUC 0.845 (95% CI 0.739');
  expect(html).toContain('Local calibration: the cutoffs are this site\u2019s threshold set site-a-2026');
  expect(html).toContain('chosen on the same cohort');
});

test('the page for a FHIR server without a mapping shows Liu 2022\u2019s cutoffs and figures and no local calibration', () => {
  const { model, html } = render('https://fhir.other.example/r4');
  const row = model.tbf.rules.find((r) => r.rule === 'pre-tbf-response');
  expect(row?.cutoff).toBe('> 137.07');
  expect(row?.outcome).toMatch(/^favorable/);
  expect(row?.evidence).toContain('AUC 0.845 (95% CI 0.739');
  expect(html).not.toContain('Local calibration');
});
