/**
 * Site threshold profiles (issue 17): what a SITE_SETS_FILE may say, and which caller gets which set.
 */
import { calibrateCohortCsv, type SiteThresholdSet } from '../../src/calibration/calibrate';
import { DEFAULT_THRESHOLDS } from '../../src/core';
import { withSelectionOverrides } from '../../src/fhir/selection';
import { DEFAULT_PROFILE_ID, parseSiteSet, profileForCaller, profileForFhirServer, siteProfiles, SiteProfileError, type ThresholdProfile } from '../../src/site-profiles';
import { siteCohortCsv } from './cohort';

const base: ThresholdProfile = { id: DEFAULT_PROFILE_ID, thresholds: { ...DEFAULT_THRESHOLDS, selection: withSelectionOverrides(undefined) } };
const calibrated = (id: string): SiteThresholdSet => calibrateCohortCsv(siteCohortCsv(), { id, now: new Date('2026-11-01T00:00:00Z'), resamples: 50 });
const json = (x: unknown): Record<string, unknown> => JSON.parse(JSON.stringify(x)) as Record<string, unknown>;
const SETS: Record<string, unknown> = { 'a.json': json(calibrated('site-a')), 'b.json': json(calibrated('site-b')) };
const read = (p: string): unknown => {
  if (!(p in SETS)) throw new Error(`no file ${p}`);
  return SETS[p];
};
const ISSUERS = ['https://ehr-a.example', 'https://ehr-shared.example'];

describe('a site set file', () => {
  test('as npm run calibrate writes it, is accepted and becomes a profile with its cutoffs, normalization and figures', () => {
    const sites = siteProfiles({ sets: ['a.json'], callers: [] }, read, base, ISSUERS);
    const a = sites.profiles.get('site-a');
    const set = calibrated('site-a');
    expect(a?.thresholds.tbf).toEqual(set.tbf);
    expect(a?.thresholds.ictos).toBe(DEFAULT_THRESHOLDS.ictos);
    expect(a?.normalization?.skewness).toEqual({ mean: set.normalization?.skewness.mean, sd: set.normalization?.skewness.sd });
    expect(a?.normalizationName).toBe('site set site-a v1, from 56 patients');
    const rule = set.rules.find((r) => r.rule === 'pre-tbf-response');
    expect(a?.calibration?.rules['pre-tbf-response']).toMatchObject({ cutoff: rule?.cutoff, auc: rule?.auc, truePositives: rule?.truePositives, positives: 32, negatives: 24 });
    expect(a?.calibration).toMatchObject({ id: 'site-a', version: '1', patients: 56, inputSha256: set.input.sha256, scannerFields: { scanner: ['Site MR 3T'] } });
  });

  const broken: readonly [string, (s: Record<string, unknown>) => void, RegExp][] = [
    ['a cutoff in tbf that differs from its rule entry', (s) => void ((s['tbf'] as { cutoffs: Record<string, number> }).cutoffs['pre-tbf-response'] = 1), /pre-tbf-response: cutoff .* differs from tbf\.cutoffs/],
    ['a rule missing', (s) => void (s['rules'] = (s['rules'] as { rule: string }[]).filter((r) => r.rule !== 'post-tbf-response')), /post-tbf-response: 0 entries, expected 1/],
    ['a tbf id other than the set id', (s) => void ((s['tbf'] as { id: string }).id = 'other'), /must equal the set's id/],
    ['the id "default"', (s) => void ((s['id'] = 'default'), ((s['tbf'] as { id: string }).id = 'default')), /name of the default profile/],
    ['more true positives than positives', (s) => void ((s['rules'] as { truePositives: number }[])[0]!.truePositives = 1000), /counts exceed their class sizes/],
    ['an AUC above 1', (s) => void ((s['rules'] as { auc: number }[])[0]!.auc = 1.2), /auc/],
    ['an SD of 0', (s) => void ((s['normalization'] as { skewness: { sd: number } }).skewness.sd = 0), /SD must be above 0/],
    ['another kind of file', (s) => void (s['kind'] = 'something-else'), /kind/],
  ];
  test.each(broken)('with %s is refused with the reason', (_name, change, message) => {
    const s = json(calibrated('site-a'));
    change(s);
    expect(() => parseSiteSet(s, 'a.json')).toThrow(SiteProfileError);
    expect(() => parseSiteSet(s, 'a.json')).toThrow(message);
  });
});

describe('the SITE_SETS_FILE mapping', () => {
  const refused: readonly [string, unknown, RegExp][] = [
    ['a caller naming a set that is not loaded', { sets: ['a.json'], callers: [{ iss: ISSUERS[0], set: 'site-z' }] }, /no loaded set has id "site-z"/],
    ['a caller whose issuer is not trusted', { sets: ['a.json'], callers: [{ iss: 'https://stranger.example', set: 'site-a' }] }, /not a trusted issuer/],
    ['the same issuer and tenant twice', { sets: ['a.json'], callers: [{ iss: ISSUERS[0], set: 'site-a' }, { iss: ISSUERS[0], set: 'site-a' }] }, /mapped twice/],
    ['the same set file twice', { sets: ['a.json', 'a.json'], callers: [] }, /already loaded/],
    ['one FHIR server mapped to two sets', { sets: ['a.json', 'b.json'], callers: [{ iss: ISSUERS[0], set: 'site-a', fhirServers: ['https://fhir.example/r4'] }, { iss: ISSUERS[1], set: 'site-b', fhirServers: ['https://fhir.example/r4/'] }] }, /mapped to both/],
    ['no sets', { sets: [], callers: [] }, /sets/],
    ['an unknown field', { sets: ['a.json'], callers: [], extra: 1 }, /extra/],
  ];
  test.each(refused)('with %s is refused at start-up', (_name, file, message) => {
    expect(() => siteProfiles(file, read, base, ISSUERS)).toThrow(message);
  });
});

describe('the profile of a caller', () => {
  const sites = siteProfiles(
    {
      sets: ['a.json', 'b.json'],
      callers: [
        { iss: ISSUERS[0], set: 'site-a', fhirServers: ['https://fhir-a.example/r4/'] },
        { iss: ISSUERS[1], tenant: 'hospital-b', set: 'site-b', fhirServers: ['https://fhir-b.example/r4'] },
        { iss: ISSUERS[1], set: 'site-a' },
      ],
    },
    read,
    base,
    ISSUERS,
  );
  const cases: readonly [string, { iss: string; tenant?: string } | undefined, string][] = [
    ['an issuer mapped without a tenant, any tenant', { iss: ISSUERS[0] as string, tenant: 'whatever' }, 'site-a'],
    ['an issuer and tenant mapped together', { iss: ISSUERS[1] as string, tenant: 'hospital-b' }, 'site-b'],
    ['the same issuer with another tenant: its entry without a tenant', { iss: ISSUERS[1] as string, tenant: 'hospital-c' }, 'site-a'],
    ['the same issuer without a tenant claim', { iss: ISSUERS[1] as string }, 'site-a'],
    ['an issuer with no mapping: the default', { iss: 'https://ehr-other.example' }, DEFAULT_PROFILE_ID],
    ['no verified caller (no JWT configured): the default', undefined, DEFAULT_PROFILE_ID],
  ];
  test.each(cases)('%s', (_name, caller, expected) => {
    expect(profileForCaller(sites, caller)?.id ?? DEFAULT_PROFILE_ID).toBe(expected);
  });

  test.each([
    ['https://fhir-a.example/r4', 'site-a'],
    ['https://fhir-a.example/r4/', 'site-a'],
    ['https://fhir-b.example/r4', 'site-b'],
    ['https://fhir-c.example/r4', DEFAULT_PROFILE_ID],
  ])('the SMART app launched against %s uses %s', (server, expected) => {
    expect(profileForFhirServer(sites, server)?.id ?? DEFAULT_PROFILE_ID).toBe(expected);
  });
});
