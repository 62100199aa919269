/**
 * The configuration the server hands the SMART app at `/app/config.json`: its SMART registration and the
 * same thresholds, code lists and normalization the CDS service uses, so that both reach the same
 * conclusions. Built by the server from its Config, checked by the app before it is used.
 */
import * as z from 'zod';
import type { IctosNormalization, ThresholdSets } from '../core';
import type { CodeLists } from '../fhir/codes';
import { DEFAULT_PROFILE_ID, type ThresholdProfile } from '../site-profiles';

/** (issue 17) A site profile as the app receives it, with the FHIR servers whose launches use it. */
export interface AppSiteProfile extends ThresholdProfile {
  readonly fhirServers: readonly string[];
}

export interface SmartAppConfig {
  readonly clientId: string;
  /** Scopes besides `launch` / `launch/patient`. */
  readonly scope: string;
  readonly redirectUri: string;
  readonly standaloneIss?: string | undefined;
  /** The FHIR servers the app may be launched against and read from. */
  readonly allowedIss: readonly string[];
  readonly fhirDeadlineMs: number;
  readonly thresholds: ThresholdSets;
  readonly codes: CodeLists;
  readonly normalization?: IctosNormalization | undefined;
  /** The site profiles mapped to FHIR servers (SITE_SETS_FILE `callers[].fhirServers`); a launch elsewhere uses the default. */
  readonly sites?: readonly AppSiteProfile[] | undefined;
}

/**
 * The thresholds, normalization and calibration for a launch against `serverUrl`: the site profile whose
 * FHIR servers include it (trailing slashes ignored), else the configuration's default.
 */
export function appProfile(config: SmartAppConfig, serverUrl: string): Pick<ThresholdProfile, 'thresholds' | 'normalization' | 'calibration'> & { readonly id: string } {
  const url = serverUrl.replace(/\/+$/, '');
  const site = (config.sites ?? []).find((s) => s.fhirServers.includes(url));
  if (site !== undefined) return site;
  return { id: DEFAULT_PROFILE_ID, thresholds: config.thresholds as ThresholdProfile['thresholds'], normalization: config.normalization };
}

const shape = z.looseObject({
  clientId: z.string().min(1),
  scope: z.string().min(1),
  redirectUri: z.url(),
  standaloneIss: z.url().optional(),
  allowedIss: z.array(z.url()),
  fhirDeadlineMs: z.number().int().positive(),
  // Validated by the server at start-up (src/config.ts); the app checks only that they are there.
  thresholds: z.looseObject({ tbf: z.looseObject({ id: z.string() }), ictos: z.looseObject({ id: z.string() }) }),
  codes: z.looseObject({ projectSystem: z.string() }),
  normalization: z.looseObject({}).optional(),
  sites: z.array(z.looseObject({ id: z.string().min(1), fhirServers: z.array(z.string()), thresholds: z.looseObject({ tbf: z.looseObject({ id: z.string() }) }) })).optional(),
});

/** The app's configuration from the server's JSON, or an error message for the page. */
export function parseSmartAppConfig(json: unknown): { ok: true; config: SmartAppConfig } | { ok: false; message: string } {
  const r = shape.safeParse(json);
  if (!r.success) return { ok: false, message: `The app's configuration is invalid: ${z.prettifyError(r.error).replace(/\n/g, '; ')}` };
  return { ok: true, config: r.data as unknown as SmartAppConfig };
}
