/**
 * Site threshold profiles (issue 17): one deployment serving several hospitals, each with the threshold
 * set and feature normalization calibrated on its own cohort (`npm run calibrate`). A profile is what
 * one hook call is assessed with; the caller's verified JWT (`iss`, and `tenant` where the EHR sends it)
 * chooses it, the SMART app chooses it by the FHIR server it was launched against, and a caller with no
 * mapping gets the default profile (the papers' sets, or THRESHOLDS_FILE / ICTOS_NORMALIZATION_FILE).
 * Validated here at start-up: a wrong file stops the service with a message naming it.
 */
import * as z from 'zod';
import { TBF_RULE_IDS, type IctosNormalization, type TbfRuleId, type ThresholdSets } from './core';
import type { DataSelectionSettings } from './fhir/selection';

/** The id of the profile callers without a mapping get. */
export const DEFAULT_PROFILE_ID = 'default';

/** A site's own figures for one TBF rule, from its calibration: what the card shows instead of Liu's. */
export interface SiteRuleEvidence {
  readonly rule: TbfRuleId;
  readonly cutoff: number;
  readonly auc: number;
  readonly aucCi: readonly [number, number];
  readonly sensitivity: number;
  readonly specificity: number;
  readonly truePositives: number;
  readonly positives: number;
  readonly trueNegatives: number;
  readonly negatives: number;
  readonly cutoffBootstrapCi?: readonly [number, number] | undefined;
}

/** Where a site set came from: enough for a card and an audit to name it. */
export interface SiteCalibration {
  readonly id: string;
  readonly version: string;
  /** ISO date-time the set was made. */
  readonly created: string;
  /** SHA-256 of the cohort file the set was made from. */
  readonly inputSha256: string;
  readonly patients: number;
  readonly rules: Readonly<Record<TbfRuleId, SiteRuleEvidence>>;
  /** Scanner / protocol columns found in the cohort, with their distinct values. */
  readonly scannerFields: Readonly<Record<string, readonly string[]>>;
}

/** What one assessment runs with. */
export interface ThresholdProfile {
  /** DEFAULT_PROFILE_ID, or the site set's id: recorded with every issued card. */
  readonly id: string;
  readonly thresholds: ThresholdSets & { readonly selection: DataSelectionSettings };
  readonly normalization?: IctosNormalization | undefined;
  /** How the card names the normalization, e.g. "site set site-a v1 (120 patients)". */
  readonly normalizationName?: string | undefined;
  /** Present for a site set; absent for the default profile. */
  readonly calibration?: SiteCalibration | undefined;
}

/** One configured caller: a JWT issuer (and tenant), and the FHIR servers the SMART app meets it on. */
export interface CallerMapping {
  readonly iss: string;
  /** When given, only tokens with this `tenant` claim match; an entry without it matches any tenant. */
  readonly tenant?: string | undefined;
  /** FHIR base URLs of this caller: the SMART app launched against one of them uses the profile. */
  readonly fhirServers: readonly string[];
  readonly profile: string;
}

/** The site sets of a deployment and who uses which; the default profile is the configuration's own (src/config.ts `defaultProfile`). */
export interface SiteProfiles {
  readonly profiles: ReadonlyMap<string, ThresholdProfile>;
  readonly callers: readonly CallerMapping[];
}

const finite = z.number().refine(Number.isFinite, { message: 'must be a finite number' });
const proportion = z.number().min(0).max(1);
const count = z.number().int().min(0);
const interval = z.tuple([finite, finite]).refine(([lo, hi]) => lo <= hi, { message: 'low must not exceed high' });

export const featureNormSchema = z.strictObject({ mean: finite, sd: finite.refine((sd) => sd > 0, { message: 'SD must be above 0' }) });
export const normalizationSchema = z.strictObject({ skewness: featureNormSchema, glcmVariance: featureNormSchema, glrlmLrhgle: featureNormSchema });

export const tbfSetSchema = z.strictObject({
  id: z.string().min(1),
  version: z.string().min(1),
  cutoffs: z.strictObject({
    'pre-tbf-response': finite,
    'pre-tbf-residual': finite,
    'delta-tbf-response': finite,
    'delta-tbf-residual': finite,
    'post-tbf-response': finite,
  }),
  postTbfTimepoint: z.strictObject({ doseGy: z.number().positive(), dosePerFractionGy: z.number().positive(), fractionsPerWeek: z.number().int().min(1).max(7) }),
});

const siteRuleSchema = z.looseObject({
  rule: z.enum(TBF_RULE_IDS),
  cutoff: finite,
  auc: proportion,
  aucCi: interval,
  sensitivity: proportion,
  specificity: proportion,
  truePositives: count,
  positives: count.min(1),
  trueNegatives: count,
  negatives: count.min(1),
  cutoffBootstrapCi: interval.optional(),
});

/** The file `npm run calibrate` writes (src/calibration/calibrate.ts `SiteThresholdSet`); figures not used here are allowed and ignored. */
const siteSetSchema = z
  .looseObject({
    kind: z.literal('npc-cds.site-threshold-set'),
    id: z.string().min(1),
    version: z.string().min(1),
    created: z.iso.datetime({ offset: true }),
    input: z.looseObject({ sha256: z.string().regex(/^[0-9a-f]{64}$/) }),
    cohort: z.looseObject({ patients: count.min(1) }),
    scannerFields: z.record(z.string(), z.array(z.string())).optional(),
    tbf: tbfSetSchema,
    rules: z.array(siteRuleSchema),
    normalization: z
      .strictObject({
        skewness: featureNormSchema.extend({ n: count }),
        glcmVariance: featureNormSchema.extend({ n: count }),
        glrlmLrhgle: featureNormSchema.extend({ n: count }),
      })
      .optional(),
  })
  .superRefine((s, ctx) => {
    if (s.id === DEFAULT_PROFILE_ID) ctx.addIssue({ code: 'custom', path: ['id'], message: `"${DEFAULT_PROFILE_ID}" is the name of the default profile` });
    if (s.tbf.id !== s.id) ctx.addIssue({ code: 'custom', path: ['tbf', 'id'], message: `must equal the set's id "${s.id}"` });
    for (const rule of TBF_RULE_IDS) {
      const found = s.rules.filter((r) => r.rule === rule);
      if (found.length !== 1) ctx.addIssue({ code: 'custom', path: ['rules'], message: `${rule}: ${found.length} entries, expected 1` });
      else if (found[0]?.cutoff !== s.tbf.cutoffs[rule]) ctx.addIssue({ code: 'custom', path: ['rules'], message: `${rule}: cutoff ${found[0]?.cutoff} differs from tbf.cutoffs (${s.tbf.cutoffs[rule]})` });
    }
    for (const r of s.rules) {
      if (r.truePositives > r.positives || r.trueNegatives > r.negatives) ctx.addIssue({ code: 'custom', path: ['rules'], message: `${r.rule}: counts exceed their class sizes` });
    }
  });
export type SiteSetFile = z.infer<typeof siteSetSchema>;

/** The SITE_SETS_FILE: the site sets to load and which caller uses which. */
export const siteSetsFileSchema = z.strictObject({
  /** Paths of set files written by `npm run calibrate`, relative to the SITE_SETS_FILE. */
  sets: z.array(z.string().min(1)).min(1),
  callers: z.array(
    z.strictObject({
      iss: z.string().min(1),
      tenant: z.string().min(1).optional(),
      fhirServers: z.array(z.url({ protocol: /^https?$/ })).optional(),
      set: z.string().min(1),
    }),
  ),
});

/** A parse or consistency failure of the site sets; config.ts turns it into a ConfigError. */
export class SiteProfileError extends Error {}

function prettify(error: z.ZodError): string {
  return z.prettifyError(error).replace(/\n/g, '; ');
}

/** Parses one set file's JSON; throws SiteProfileError naming what is wrong. */
export function parseSiteSet(json: unknown, where: string): SiteSetFile {
  const r = siteSetSchema.safeParse(json);
  if (!r.success) throw new SiteProfileError(`${where}: not a site threshold set (${prettify(r.error)})`);
  return r.data;
}

/**
 * The profile of a site set: its TBF cutoffs and normalization; the ICTOS coefficients and risk factors and
 * the data-selection settings are the default profile's (a calibration does not estimate them). A set
 * without normalization has none: raw features are not z-scored with another cohort's parameters.
 */
export function siteProfile(set: SiteSetFile, base: ThresholdProfile): ThresholdProfile {
  const rules: Partial<Record<TbfRuleId, SiteRuleEvidence>> = Object.fromEntries(
    set.rules.map((r) => [
      r.rule,
      {
        rule: r.rule,
        cutoff: r.cutoff,
        auc: r.auc,
        aucCi: r.aucCi,
        sensitivity: r.sensitivity,
        specificity: r.specificity,
        truePositives: r.truePositives,
        positives: r.positives,
        trueNegatives: r.trueNegatives,
        negatives: r.negatives,
        ...(r.cutoffBootstrapCi !== undefined ? { cutoffBootstrapCi: r.cutoffBootstrapCi } : {}),
      },
    ]),
  );
  const n = set.normalization;
  return {
    id: set.id,
    thresholds: { tbf: set.tbf, ictos: base.thresholds.ictos, selection: base.thresholds.selection },
    ...(n !== undefined
      ? {
          normalization: {
            skewness: { mean: n.skewness.mean, sd: n.skewness.sd },
            glcmVariance: { mean: n.glcmVariance.mean, sd: n.glcmVariance.sd },
            glrlmLrhgle: { mean: n.glrlmLrhgle.mean, sd: n.glrlmLrhgle.sd },
          },
          normalizationName: `site set ${set.id} v${set.version}, from ${Math.min(n.skewness.n, n.glcmVariance.n, n.glrlmLrhgle.n)} patients`,
        }
      : {}),
    calibration: {
      id: set.id,
      version: set.version,
      created: set.created,
      inputSha256: set.input.sha256,
      patients: set.cohort.patients,
      // The schema's refinement guarantees one entry per rule.
      rules: rules as Record<TbfRuleId, SiteRuleEvidence>,
      scannerFields: set.scannerFields ?? {},
    },
  };
}

/**
 * The profiles of a SITE_SETS_FILE: each set once (ids unique), each caller naming a loaded set, no two
 * callers with the same issuer and tenant, and every issuer a trusted one (a mapping for an issuer whose
 * tokens are never accepted would never apply). `readSet` reads a path named in the file.
 */
export function siteProfiles(file: unknown, readSet: (path: string) => unknown, base: ThresholdProfile, trustedIssuers: readonly string[]): SiteProfiles {
  const r = siteSetsFileSchema.safeParse(file);
  if (!r.success) throw new SiteProfileError(prettify(r.error));
  const profiles = new Map<string, ThresholdProfile>();
  for (const p of r.data.sets) {
    const set = parseSiteSet(readSet(p), p);
    if (profiles.has(set.id)) throw new SiteProfileError(`${p}: a set with id "${set.id}" is already loaded; give each set its own id`);
    profiles.set(set.id, siteProfile(set, base));
  }
  const seen = new Set<string>();
  const callers: CallerMapping[] = r.data.callers.map((c, i) => {
    const where = `callers[${i}] (${c.iss}${c.tenant !== undefined ? `, tenant ${c.tenant}` : ''})`;
    if (!profiles.has(c.set)) throw new SiteProfileError(`${where}: no loaded set has id "${c.set}" (loaded: ${[...profiles.keys()].join(', ')})`);
    if (!trustedIssuers.includes(c.iss)) throw new SiteProfileError(`${where}: ${c.iss} is not a trusted issuer (TRUSTED_ISSUERS), so its tokens are never accepted and the mapping would never apply`);
    const key = JSON.stringify([c.iss, c.tenant ?? null]);
    if (seen.has(key)) throw new SiteProfileError(`${where}: this issuer and tenant are mapped twice`);
    seen.add(key);
    return { iss: c.iss, tenant: c.tenant, fhirServers: (c.fhirServers ?? []).map(withoutTrailingSlash), profile: c.set };
  });
  const byServer = new Map<string, string>();
  for (const c of callers) {
    for (const s of c.fhirServers) {
      const other = byServer.get(s);
      if (other !== undefined && other !== c.profile) throw new SiteProfileError(`fhirServers: ${s} is mapped to both "${other}" and "${c.profile}"`);
      byServer.set(s, c.profile);
    }
  }
  return { profiles, callers };
}

const fixed3 = (x: number): string => x.toFixed(3);

/**
 * A site rule's figures on its own cohort, the sentence the card and the app both show in place of Liu's
 * AUC, sensitivity and specificity (plain text; the card escapes it).
 */
export function siteRuleFigures(r: SiteRuleEvidence, site: SiteCalibration): string {
  return (
    `Local calibration (set ${site.id} v${site.version}, ${site.patients} patients at this site): AUC ${fixed3(r.auc)} (95% CI ${fixed3(r.aucCi[0])}\u2013${fixed3(r.aucCi[1])}), ` +
    `sensitivity ${fixed3(r.sensitivity)} (${r.truePositives}/${r.positives}), specificity ${fixed3(r.specificity)} (${r.trueNegatives}/${r.negatives}).`
  );
}

/** Whose cutoffs these are: said first wherever a site set's TBF rules are shown. */
export function siteCalibrationStatement(site: SiteCalibration): string {
  return (
    `Local calibration: the cutoffs are this site\u2019s threshold set ${site.id} (version ${site.version}, made ${site.created.slice(0, 10)} from ${site.patients} patients), ` +
    'not Liu 2022\u2019s published cutoffs; the rules, outcomes and favorable side are Liu 2022\u2019s.'
  );
}

/** The limitation a local calibration adds (docs/calibration.md, "Limitations"). */
export const SITE_CALIBRATION_LIMITATION =
  'The local cutoffs were chosen on the same cohort whose sensitivity and specificity are shown (Youden\u2019s J, in-sample): those figures are optimistic until validated on other patients, and hold only for the scanner and protocol of that cohort.';

/** No site sets: a deployment without SITE_SETS_FILE, where every caller gets the default profile. */
export const NO_SITE_SETS: SiteProfiles = { profiles: new Map(), callers: [] };

const withoutTrailingSlash = (u: string): string => u.replace(/\/+$/, '');

/**
 * The site profile of a verified caller: the entry with its issuer and tenant, else its issuer's entry
 * without a tenant; undefined (the default profile) otherwise and when there is no caller (no JWT configured).
 */
export function profileForCaller(sites: SiteProfiles, caller: { readonly iss: string; readonly tenant?: string | undefined } | undefined): ThresholdProfile | undefined {
  if (caller === undefined || sites.callers.length === 0) return undefined;
  const exact = caller.tenant !== undefined ? sites.callers.find((c) => c.iss === caller.iss && c.tenant === caller.tenant) : undefined;
  const mapping = exact ?? sites.callers.find((c) => c.iss === caller.iss && c.tenant === undefined);
  return mapping !== undefined ? sites.profiles.get(mapping.profile) : undefined;
}

/** The site profile for the SMART app launched against `serverUrl` (a caller's fhirServers); undefined: the default. */
export function profileForFhirServer(sites: SiteProfiles, serverUrl: string): ThresholdProfile | undefined {
  const url = withoutTrailingSlash(serverUrl);
  const mapping = sites.callers.find((c) => c.fhirServers.includes(url));
  return mapping !== undefined ? sites.profiles.get(mapping.profile) : undefined;
}
