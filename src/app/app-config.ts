/**
 * The configuration the server hands the SMART app at `/app/config.json`: its SMART registration and the
 * same thresholds, code lists and normalization the CDS service uses, so that both reach the same
 * conclusions. Built by the server from its Config, checked by the app before it is used
 * (`parseSmartAppConfig`, in a module of its own so that the launch page does not bundle the site profiles).
 */
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

