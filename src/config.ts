/**
 * Configuration from the environment (and the files it names), validated with zod at start-up: a wrong
 * setting stops the service with a message naming it, instead of surfacing on the first request.
 * Every setting, its default and an example are in docs/configuration.md.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import * as z from 'zod';
import { DEFAULT_THRESHOLDS, type IctosNormalization, type ThresholdSets } from './core';
import { withCodeListOverrides, type CodeListOverrides, type CodeLists } from './fhir/codes';
import { allowedFhirServer, DEFAULT_MAX_REQUEST_BYTES, DEFAULT_MAX_RESPONSE_BYTES } from './fhir/loader';
import { withSelectionOverrides, type DataSelectionSettings } from './fhir/selection';
import type { JWK } from 'jose';
import { DEFAULT_APP_DIR } from './paths';
import { DEFAULT_PROFILE_ID, NO_SITE_SETS, normalizationSchema, SiteProfileError, siteProfiles, tbfSetSchema, type SiteProfiles, type ThresholdProfile } from './site-profiles';

/** An issuer whose signed CDS Hooks requests the service accepts (verified in src/cds/jwt.ts). */
export interface TrustedIssuer {
  /** The exact `iss` claim value. */
  readonly iss: string;
  /** JWKS URL of the issuer (https; http allowed only for 127.0.0.1/localhost). */
  readonly jwksUrl?: string | undefined;
  /** A JWKS given inline (e.g. loaded from a local file by the config loader). Public keys only. */
  readonly jwks?: { readonly keys: readonly JWK[] } | undefined;
  /**
   * `jku` header values whose key sets may be fetched for this issuer, compared as exact strings. A
   * token with a listed `jku` is verified with the keys served there; a token with any other `jku` is
   * verified with the pinned `jwks` or `jwksUrl` (the `jku` is then ignored, never fetched), and is
   * rejected as `jku-not-allowed` only when the issuer has neither. Same URL rules as `jwksUrl`.
   */
  readonly allowedJku?: readonly string[] | undefined;
}

export interface Config {
  readonly port: number;
  readonly host: string;
  /** The public base URL of the service (scheme, host, port, path prefix), as EHRs call it: the JWT `aud` base. */
  readonly publicBaseUrl: string;
  readonly trustedIssuers: readonly TrustedIssuer[];
  readonly jwtClockToleranceSeconds: number;
  readonly jwtMaxLifetimeSeconds: number;
  readonly jtiCacheSize: number;
  readonly corsOrigins: readonly string[] | '*';
  readonly bodyLimitBytes: number;
  readonly allowedFhirServers: readonly string[];
  readonly fhirDeadlineMs: number;
  readonly fhirMaxPages: number;
  /** Decoded bytes read from one FHIR answer at most (FHIR_MAX_RESPONSE_BYTES). */
  readonly fhirMaxResponseBytes: number;
  /** Decoded bytes read from the FHIR server for one hook request at most, all keys and pages (FHIR_MAX_REQUEST_BYTES). */
  readonly fhirMaxRequestBytes: number;
  readonly smartAppUrl?: string | undefined;
  /** The SMART app served under /app/: its registration in the EHR and where its files are. */
  readonly smartApp: {
    readonly clientId: string;
    /** Scopes requested besides `launch` (EHR launch) or `launch/patient` (standalone launch). */
    readonly scope: string;
    /** The registered redirect URI: the app's main page. */
    readonly redirectUrl: string;
    /** FHIR server for a standalone launch (no EHR context); without it only the EHR launch is offered. */
    readonly standaloneIss?: string | undefined;
    /** FHIR servers (`iss`) the app may be launched against: SMART_ALLOWED_ISS (else ALLOWED_FHIR_SERVERS), plus SMART_STANDALONE_ISS always. */
    readonly allowedIss: readonly string[];
    /** Deadline for the app's own FHIR reads, ms. */
    readonly fhirDeadlineMs: number;
    /** The bundled app (npm run build writes dist/app). */
    readonly dir: string;
  };
  readonly databasePath: string;
  /** PostgreSQL connection URL: when set, the shared PostgreSQL store replaces the SQLite file (several instances). */
  readonly databaseUrl?: string | undefined;
  /** Worker processes (cluster mode); 1 runs the service in the main process. */
  readonly workers: number;
  /**
   * The embedded demo (synthetic patients, in-memory FHIR server, SMART launch stand-in, demo EHR page at
   * `/`): on with no production configuration, never with one (see {@link demoDecision}).
   */
  readonly demo: boolean;
  readonly patientHashSalt?: string | undefined;
  readonly adminToken?: string | undefined;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Server lifecycle limits (issue 19, items 4 and 9): see docs/deployment.md, "Timeouts, connections and shutdown". */
  readonly lifecycle: LifecycleSettings;
  /** Load shedding (issue 19, item 3): see docs/deployment.md, "Load shedding". */
  readonly loadShed: LoadShedSettings;
  /** The rules' threshold sets and (v2) the data-selection settings (plausible ranges, recency, Post-TBF window). */
  readonly thresholds: ThresholdSets & { readonly selection: DataSelectionSettings };
  readonly normalization?: IctosNormalization | undefined;
  /**
   * (issue 17) The site sets of SITE_SETS_FILE and the callers mapped to them (src/site-profiles.ts); a caller
   * without a mapping gets the default profile, `thresholds` and `normalization` above ({@link defaultProfile}).
   */
  readonly sites: SiteProfiles;
  readonly codes: CodeLists;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const list = (s: string | undefined) =>
  (s ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x.length > 0);

/**
 * What the SMART app asks for by default (SMART App Launch 2 scope syntax): read the patient's data the
 * rules use, create Observations for structured capture, the user's identity for the performer, and a
 * refresh token for as long as the user's EHR session lasts (`online_access`), so that the app outlives
 * its access token.
 */
export const DEFAULT_SMART_SCOPES =
  'openid fhirUser online_access patient/Patient.rs patient/Condition.rs patient/Observation.rs patient/Observation.c patient/Procedure.rs patient/MedicationAdministration.rs';

function nonEmpty(name: string, value: string): string {
  if (value.trim() === '') throw new ConfigError(`${name}: must not be empty`);
  return value.trim();
}

const httpUrl = z.url({ protocol: /^https?$/ });

const jwksSchema = z.object({ keys: z.array(z.looseObject({ kty: z.string() })).min(1) });

/**
 * One trusted issuer. Its pinned key set is at most one of `jwksFile`, `jwks` (inline) or `jwksUrl`;
 * `allowedJku` lists the `jku` headers whose key sets may be fetched. A token's `jku` not on that list
 * is verified with the pinned key set (never fetched), so an issuer needs a pinned key set, or
 * `allowedJku`, or both (see `TrustedIssuer` in src/cds/jwt.ts and docs/configuration.md).
 */
const issuerSchema = z
  .strictObject({
    iss: z.string().min(1),
    jwksUrl: httpUrl.optional(),
    jwksFile: z.string().min(1).optional(),
    jwks: jwksSchema.optional(),
    allowedJku: z.array(httpUrl).optional(),
  })
  .refine((i) => [i.jwksUrl, i.jwksFile, i.jwks].filter((k) => k !== undefined).length <= 1, { message: 'give at most one of jwksFile, jwks or jwksUrl per issuer' })
  .refine((i) => i.jwksUrl !== undefined || i.jwksFile !== undefined || i.jwks !== undefined || (i.allowedJku ?? []).length > 0, {
    message: 'each issuer needs its keys: jwksFile, jwks or jwksUrl (a pinned key set), or allowedJku',
  });

const ictosSetSchema = z.strictObject({
  id: z.string().min(1),
  version: z.string().min(1),
  coefficients: z.strictObject({ skewness: z.number(), glcmVariance: z.number(), glrlmLrhgle: z.number() }),
  cutoff: z.number(),
  riskFactors: z.strictObject({ tumorVolumeMl: z.number().positive(), ebvDnaCopiesPerMl: z.number().positive(), highRiskMoreThan: z.number().int().min(0).max(3) }),
});
const rangeSchema = z.strictObject({ min: z.number(), max: z.number() }).refine((r) => r.min <= r.max, { message: 'min must not exceed max' });
const days = z.number().int().min(0).max(36_500);
/** (v2) clinical-spec.md section 4: plausible ranges, recency windows and the Post-TBF window; each part optional. */
const selectionSchema = z.strictObject({
  plausible: z.strictObject({ tbf: rangeSchema, score: rangeSchema, 'tumor-volume': rangeSchema, 'ebv-dna': rangeSchema }).partial().optional(),
  recencyDays: z.strictObject({ mri: days, ebvDna: days, staging: days, preTbf: days }).partial().optional(),
  postWindowCloseDay: days.optional(),
  postWindowDoseGy: rangeSchema.optional(),
  rtBeforeDiagnosisDays: days.optional(),
});
const thresholdsSchema = z.strictObject({ tbf: tbfSetSchema.optional(), ictos: ictosSetSchema.optional(), selection: selectionSchema.optional() });

const BYTES = /^(\d+)\s*(b|kb|mb)?$/i;
function bytes(name: string, s: string | undefined, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (s === undefined || s === '') return fallback;
  const m = BYTES.exec(s.trim());
  if (m === null) throw new ConfigError(`${name}: "${s}" is not a size (e.g. 5mb, 512kb)`);
  const unit = (m[2] ?? 'b').toLowerCase();
  const n = Number(m[1]) * (unit === 'mb' ? 1024 * 1024 : unit === 'kb' ? 1024 : 1);
  if (n < min || n > max) throw new ConfigError(`${name}: "${s}" must be from ${min} to ${max} bytes`);
  return n;
}

/**
 * The byte caps on what the service reads from a FHIR server: per answer, and per request (every key and
 * page together). The per-request cap cannot be below the per-answer cap (docs/deployment.md, sizing).
 */
function fhirByteCaps(env: NodeJS.ProcessEnv): { fhirMaxResponseBytes: number; fhirMaxRequestBytes: number } {
  const fhirMaxResponseBytes = bytes('FHIR_MAX_RESPONSE_BYTES', env['FHIR_MAX_RESPONSE_BYTES'], DEFAULT_MAX_RESPONSE_BYTES, 64 * 1024, 1024 * 1024 * 1024);
  const fhirMaxRequestBytes = bytes('FHIR_MAX_REQUEST_BYTES', env['FHIR_MAX_REQUEST_BYTES'], Math.max(DEFAULT_MAX_REQUEST_BYTES, fhirMaxResponseBytes), 64 * 1024, 4 * 1024 * 1024 * 1024);
  if (fhirMaxRequestBytes < fhirMaxResponseBytes) {
    throw new ConfigError(`FHIR_MAX_REQUEST_BYTES: ${fhirMaxRequestBytes} bytes is below FHIR_MAX_RESPONSE_BYTES (${fhirMaxResponseBytes} bytes); the sum per request must hold at least one answer`);
  }
  return { fhirMaxResponseBytes, fhirMaxRequestBytes };
}

function int(name: string, s: string | undefined, fallback: number, min: number, max: number): number {
  if (s === undefined || s === '') return fallback;
  const n = Number(s);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name}: "${s}" must be an integer from ${min} to ${max}`);
  return n;
}

function readJson(name: string, file: string, baseDir: string): unknown {
  try {
    return JSON.parse(readFileSync(path.resolve(baseDir, file), 'utf8'));
  } catch (e) {
    throw new ConfigError(`${name}: cannot read JSON from ${file} (${e instanceof Error ? e.message : String(e)})`);
  }
}

function parse<T>(name: string, schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new ConfigError(`${name}: ${z.prettifyError(r.error).replace(/\n/g, '; ')}`);
  return r.data;
}

function trustedIssuers(env: NodeJS.ProcessEnv, baseDir: string): TrustedIssuer[] {
  const raw = env['TRUSTED_ISSUERS_FILE'] !== undefined ? readJson('TRUSTED_ISSUERS_FILE', env['TRUSTED_ISSUERS_FILE'], baseDir) : env['TRUSTED_ISSUERS'] !== undefined ? safeJson('TRUSTED_ISSUERS', env['TRUSTED_ISSUERS']) : [];
  const issuers = parse('TRUSTED_ISSUERS', z.array(issuerSchema), raw);
  return issuers.map((i) => ({
    iss: i.iss,
    ...(i.jwksUrl !== undefined ? { jwksUrl: i.jwksUrl } : {}),
    ...(i.jwksFile !== undefined ? { jwks: parse(`jwksFile of ${i.iss}`, jwksSchema, readJson(`jwksFile of ${i.iss}`, i.jwksFile, baseDir)) } : {}),
    ...(i.jwks !== undefined ? { jwks: i.jwks } : {}),
    ...(i.allowedJku !== undefined ? { allowedJku: i.allowedJku } : {}),
  }));
}

function safeJson(name: string, s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    throw new ConfigError(`${name}: not valid JSON`);
  }
}

/** The profile of callers without a site set: the configuration's thresholds and normalization. */
export function defaultProfile(config: Pick<Config, 'thresholds' | 'normalization'>): ThresholdProfile {
  return {
    id: DEFAULT_PROFILE_ID,
    thresholds: config.thresholds,
    ...(config.normalization !== undefined ? { normalization: config.normalization, normalizationName: 'the configured site normalization (ICTOS_NORMALIZATION_FILE)' } : {}),
  };
}

/**
 * SITE_SETS_FILE (issue 17): the site sets and the callers mapped to them; set paths inside it are relative
 * to the file. Without it, every caller gets the default profile.
 */
function sitesFrom(env: NodeJS.ProcessEnv, baseDir: string, base: ThresholdProfile, issuers: readonly TrustedIssuer[]): SiteProfiles {
  const file = env['SITE_SETS_FILE'];
  if (file === undefined || file === '') return NO_SITE_SETS;
  const dir = path.dirname(path.resolve(baseDir, file));
  try {
    return siteProfiles(
      readJson('SITE_SETS_FILE', file, baseDir),
      (p) => readJson(`SITE_SETS_FILE set ${p}`, p, dir),
      base,
      issuers.map((i) => i.iss),
    );
  } catch (e) {
    if (e instanceof SiteProfileError) throw new ConfigError(`SITE_SETS_FILE: ${e.message}`);
    throw e;
  }
}

/** Settings that make a configuration a production one: with any of them the demo does not run. */
export const PRODUCTION_SETTINGS = ['TRUSTED_ISSUERS', 'TRUSTED_ISSUERS_FILE', 'ALLOWED_FHIR_SERVERS', 'DATABASE_URL', 'SMART_APP_URL', 'PUBLIC_BASE_URL'] as const;

/**
 * Whether the embedded demo runs. DEMO=on or off decides; by default (DEMO unset or `auto`) it runs
 * unless NODE_ENV is `production` or any of {@link PRODUCTION_SETTINGS} is set. DEMO=on with one of them
 * is refused: the demo would mix synthetic patients into a real integration.
 */
export function demoDecision(env: NodeJS.ProcessEnv): boolean {
  const mode = parse('DEMO', z.enum(['auto', 'on', 'off']), (env['DEMO'] ?? 'auto').trim().toLowerCase() || 'auto');
  const production = PRODUCTION_SETTINGS.filter((name) => env[name] !== undefined && env[name] !== '');
  if (mode === 'on' && production.length > 0) throw new ConfigError(`DEMO=on cannot be combined with production settings (${production.join(', ')})`);
  if (mode !== 'auto') return mode === 'on';
  return production.length === 0 && env['NODE_ENV'] !== 'production';
}

function workers(env: NodeJS.ProcessEnv, cores: number): number {
  const raw = env['WORKERS']?.trim();
  if (raw === undefined || raw === '') return 1;
  if (raw.toLowerCase() === 'auto') return Math.max(1, cores);
  return int('WORKERS', raw, 1, 1, 256);
}

/**
 * One CORS_ORIGINS entry as browsers send the Origin header (`scheme://host[:port]`, lower case, no default
 * port): `https://EHR.example:443/` becomes `https://ehr.example`. An entry with a path, query or fragment
 * names no origin and stops start-up; it would never match.
 */
function corsOrigin(value: string): string {
  const url = new URL(parse('CORS_ORIGINS', httpUrl, value));
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new ConfigError(`CORS_ORIGINS: ${value} is not an origin; give scheme://host[:port] only, as the browser sends it (no path)`);
  }
  return url.origin;
}

/**
 * A FHIR base URL for an allow list (ALLOWED_FHIR_SERVERS, SMART_ALLOWED_ISS, SMART_STANDALONE_ISS). An
 * entry the matcher (`allowedFhirServer`, which the service and the app both use) would never let through,
 * not even for itself, is refused at start-up instead of refusing every request later: http to a host other
 * than 127.0.0.1 or localhost, a user or password, a query or a fragment.
 */
function fhirBase(name: string, value: string): string {
  const url = parse(name, httpUrl, value);
  if (allowedFhirServer(url, [url]) === undefined) {
    throw new ConfigError(`${name}: ${url} can never match a FHIR server; use https (http only for 127.0.0.1 or localhost), without user, password, query or fragment`);
  }
  return url;
}

/**
 * The FHIR servers the SMART app may be launched against: SMART_ALLOWED_ISS when set, else
 * ALLOWED_FHIR_SERVERS; and SMART_STANDALONE_ISS always (the app's own standalone launch must not be
 * refused because a list was given). Duplicates are dropped, the order kept.
 */
function smartAllowedIss(env: NodeJS.ProcessEnv, allowedFhirServers: readonly string[], standaloneIss: string | undefined): string[] {
  const given = env['SMART_ALLOWED_ISS'] !== undefined ? list(env['SMART_ALLOWED_ISS']).map((u) => fhirBase('SMART_ALLOWED_ISS', u)) : allowedFhirServers;
  return [...new Set([...given, ...(standaloneIss !== undefined ? [standaloneIss] : [])])];
}

const postgresUrl = z.url({ protocol: /^postgres(ql)?$/ });

/** Deadlines and caps of the HTTP server and of shutdown (issue 19, items 4 and 9). */
export interface LifecycleSettings {
  /** REQUEST_TIMEOUT_MS: a whole request (headers and body) must arrive within this, else 408. */
  readonly requestTimeoutMs: number;
  /** HEADERS_TIMEOUT_MS: the request headers must arrive within this; at most the request timeout. */
  readonly headersTimeoutMs: number;
  /** BODY_TIMEOUT_MS: the JSON body parser waits at most this long for the body, else 408. */
  readonly bodyTimeoutMs: number;
  /** MAX_CONNECTIONS: open sockets per process; beyond it Node drops new sockets. */
  readonly maxConnections: number;
  /** SHUTDOWN_TIMEOUT_MS: after SIGTERM / SIGINT the process is gone within this, whatever happens. */
  readonly shutdownTimeoutMs: number;
}

function lifecycleSettings(env: NodeJS.ProcessEnv): LifecycleSettings {
  const requestTimeoutMs = int('REQUEST_TIMEOUT_MS', env['REQUEST_TIMEOUT_MS'], 30_000, 500, 600_000);
  const headersTimeoutMs = int('HEADERS_TIMEOUT_MS', env['HEADERS_TIMEOUT_MS'], Math.min(15_000, requestTimeoutMs), 500, 600_000);
  if (headersTimeoutMs > requestTimeoutMs) throw new ConfigError('HEADERS_TIMEOUT_MS: must not exceed REQUEST_TIMEOUT_MS');
  return {
    requestTimeoutMs,
    headersTimeoutMs,
    bodyTimeoutMs: int('BODY_TIMEOUT_MS', env['BODY_TIMEOUT_MS'], Math.min(10_000, requestTimeoutMs), 100, 600_000),
    maxConnections: int('MAX_CONNECTIONS', env['MAX_CONNECTIONS'], 1000, 1, 1_000_000),
    shutdownTimeoutMs: int('SHUTDOWN_TIMEOUT_MS', env['SHUTDOWN_TIMEOUT_MS'], 10_000, 500, 600_000),
  };
}

/** When the service answers 503 instead of queueing (issue 19, item 3): see docs/deployment.md, "Load shedding". */
export interface LoadShedSettings {
  /** MAX_IN_FLIGHT: CDS Hooks and feedback requests being served at once, per process; beyond it 503. */
  readonly maxInFlight: number;
  /** MAX_EVENT_LOOP_DELAY_MS: when the event loop runs this late, new CDS Hooks and feedback requests get 503; 0 turns it off. */
  readonly maxEventLoopDelayMs: number;
  /**
   * MAX_EVENT_LOOP_UTILIZATION: when the share of time the event loop is busy (smoothed over about 0.5 s)
   * passes this fraction, new CDS Hooks and feedback requests get 503; 0 turns it off.
   */
  readonly maxEventLoopUtilization: number;
  /** SHED_RETRY_AFTER_SECONDS: the Retry-After of a 503 for load. */
  readonly retryAfterSeconds: number;
}

function fraction(name: string, s: string | undefined, fallback: number): number {
  if (s === undefined || s === '') return fallback;
  const n = Number(s);
  if (s.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new ConfigError(`${name}: "${s}" must be a number from 0 to 1`);
  return n;
}

function loadShedSettings(env: NodeJS.ProcessEnv): LoadShedSettings {
  return {
    maxInFlight: int('MAX_IN_FLIGHT', env['MAX_IN_FLIGHT'], 64, 1, 100_000),
    maxEventLoopDelayMs: int('MAX_EVENT_LOOP_DELAY_MS', env['MAX_EVENT_LOOP_DELAY_MS'], 200, 0, 60_000),
    maxEventLoopUtilization: fraction('MAX_EVENT_LOOP_UTILIZATION', env['MAX_EVENT_LOOP_UTILIZATION'], 0.98),
    retryAfterSeconds: int('SHED_RETRY_AFTER_SECONDS', env['SHED_RETRY_AFTER_SECONDS'], 1, 1, 3600),
  };
}

/**
 * Reads the configuration from environment variables. Relative file paths are resolved against
 * `baseDir` (the working directory by default).
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, baseDir: string = process.cwd()): Config {
  const port = int('PORT', env['PORT'], 3000, 0, 65535);
  const host = env['HOST'] ?? '127.0.0.1';
  const publicBaseUrl = parse('PUBLIC_BASE_URL', httpUrl, env['PUBLIC_BASE_URL'] ?? `http://localhost:${port}`).replace(/\/+$/, '');
  const cors = env['CORS_ORIGINS']?.trim() === '*' ? '*' : list(env['CORS_ORIGINS']).map((o) => corsOrigin(o));
  const smartAppUrl = env['SMART_APP_URL'] !== undefined && env['SMART_APP_URL'] !== '' ? parse('SMART_APP_URL', httpUrl, env['SMART_APP_URL']) : undefined;
  const thresholdOverrides = env['THRESHOLDS_FILE'] !== undefined ? parse('THRESHOLDS_FILE', thresholdsSchema, readJson('THRESHOLDS_FILE', env['THRESHOLDS_FILE'], baseDir)) : {};
  const normalization = env['ICTOS_NORMALIZATION_FILE'] !== undefined ? parse('ICTOS_NORMALIZATION_FILE', normalizationSchema, readJson('ICTOS_NORMALIZATION_FILE', env['ICTOS_NORMALIZATION_FILE'], baseDir)) : undefined;
  const codeOverrides = env['CODE_LISTS_FILE'] !== undefined ? (parse('CODE_LISTS_FILE', z.record(z.string(), z.unknown()), readJson('CODE_LISTS_FILE', env['CODE_LISTS_FILE'], baseDir)) as CodeListOverrides) : {};
  const allowedFhirServers = list(env['ALLOWED_FHIR_SERVERS']).map((u) => fhirBase('ALLOWED_FHIR_SERVERS', u));
  const standaloneIss = env['SMART_STANDALONE_ISS'] !== undefined && env['SMART_STANDALONE_ISS'] !== '' ? fhirBase('SMART_STANDALONE_ISS', env['SMART_STANDALONE_ISS']) : undefined;
  const logLevel = parse('LOG_LEVEL', z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), env['LOG_LEVEL'] ?? 'info');
  const salt = env['PATIENT_HASH_SALT'];
  if (salt !== undefined && salt.length < 16) throw new ConfigError('PATIENT_HASH_SALT: use at least 16 characters');
  const databaseUrl = env['DATABASE_URL'] !== undefined && env['DATABASE_URL'] !== '' ? parse('DATABASE_URL', postgresUrl, env['DATABASE_URL']) : undefined;
  const demo = demoDecision(env);
  const workerCount = workers(env, availableParallelism());
  if (demo && workerCount > 1) throw new ConfigError('WORKERS: the demo runs in one process; set WORKERS=1 or DEMO=off');
  const adminToken = env['ADMIN_TOKEN'];
  if (adminToken !== undefined && adminToken.length < 16) throw new ConfigError('ADMIN_TOKEN: use at least 16 characters');
  const thresholds = {
    tbf: thresholdOverrides.tbf ?? DEFAULT_THRESHOLDS.tbf,
    ictos: thresholdOverrides.ictos ?? DEFAULT_THRESHOLDS.ictos,
    selection: withSelectionOverrides(thresholdOverrides.selection),
  };
  const issuers = trustedIssuers(env, baseDir);
  const base = defaultProfile({ thresholds, normalization });
  return {
    port,
    host,
    publicBaseUrl,
    trustedIssuers: issuers,
    jwtClockToleranceSeconds: int('JWT_CLOCK_TOLERANCE_SECONDS', env['JWT_CLOCK_TOLERANCE_SECONDS'], 60, 0, 600),
    jwtMaxLifetimeSeconds: int('JWT_MAX_LIFETIME_SECONDS', env['JWT_MAX_LIFETIME_SECONDS'], 300, 1, 3600),
    jtiCacheSize: int('JTI_CACHE_SIZE', env['JTI_CACHE_SIZE'], 100_000, 1, 10_000_000),
    corsOrigins: cors,
    bodyLimitBytes: bytes('BODY_LIMIT', env['BODY_LIMIT'], 5 * 1024 * 1024),
    allowedFhirServers,
    fhirDeadlineMs: int('FHIR_DEADLINE_MS', env['FHIR_DEADLINE_MS'], 3000, 100, 60_000),
    fhirMaxPages: int('FHIR_MAX_PAGES', env['FHIR_MAX_PAGES'], 10, 1, 1000),
    ...fhirByteCaps(env),
    smartAppUrl,
    smartApp: {
      allowedIss: smartAllowedIss(env, allowedFhirServers, standaloneIss),
      clientId: nonEmpty('SMART_CLIENT_ID', env['SMART_CLIENT_ID'] ?? 'npc-cds'),
      scope: nonEmpty('SMART_SCOPES', env['SMART_SCOPES'] ?? DEFAULT_SMART_SCOPES).split(/\s+/).filter((x) => x !== 'launch' && x !== 'launch/patient').join(' '),
      redirectUrl: parse('SMART_REDIRECT_URL', httpUrl, env['SMART_REDIRECT_URL'] ?? `${publicBaseUrl}/app/index.html`),
      standaloneIss,
      fhirDeadlineMs: int('SMART_FHIR_DEADLINE_MS', env['SMART_FHIR_DEADLINE_MS'], 15_000, 1000, 120_000),
      dir: path.resolve(baseDir, env['SMART_APP_DIR'] ?? DEFAULT_APP_DIR),
    },
    databasePath: env['DATABASE_PATH'] ?? path.join('data', 'npc-cds.sqlite'),
    databaseUrl,
    workers: workerCount,
    demo,
    patientHashSalt: salt,
    adminToken,
    logLevel,
    lifecycle: lifecycleSettings(env),
    loadShed: loadShedSettings(env),
    thresholds,
    normalization,
    sites: sitesFrom(env, baseDir, base, issuers),
    codes: withCodeListOverrides(codeOverrides),
  };
}
