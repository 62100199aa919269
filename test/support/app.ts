/**
 * The CDS Hooks app for HTTP tests, built without listening (conventions.md, habit 7): a test
 * configuration, an in-memory SQLite store, a logger whose JSON lines can be read back, and request
 * bodies built from the scenario fixtures (the prefetch path).
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Express } from 'express';
import type { Bundle, FhirResource } from 'fhir/r4';
import { buildApp } from '../../src/express-app';
import type { CardTemplates } from '../../src/cds/templates';
import { loadConfig, type Config } from '../../src/config';
import type { PrefetchKey } from '../../src/fhir/prefetch';
import { createLogger } from '../../src/logger';
import { openSqliteStore } from '../../src/store/sqlite';
import type { Store } from '../../src/store/store';
import { loadBundle, resourcesOf, scenarios, type Scenario } from './scenarios';

export const REPO_ROOT = path.resolve(__dirname, '../..');

export const SERVICE_IDS = {
  'patient-view': 'npc-treatment-guidance',
  'order-select': 'npc-induction-order-check-select',
  'order-sign': 'npc-induction-order-check-sign',
} as const;
export type HookName = keyof typeof SERVICE_IDS;

/**
 * The environment that turns off the event-loop bounds of load shedding (delay and utilization): a test's one
 * process also runs the test's own work (megabyte fuzz bodies, busy loops, the in-process FHIR server) on a
 * loaded CI machine, which would be taken for the service's load; test/hardening/load-shed.http.test.ts
 * turns them on. The bound on requests in flight stays.
 */
export const NO_EVENT_LOOP_SHEDDING = { MAX_EVENT_LOOP_DELAY_MS: '0', MAX_EVENT_LOOP_UTILIZATION: '0' } as const;

/**
 * The FHIR deadlines of a test configuration, instead of the production ones (FHIR_DEADLINE_MS 3 s,
 * SMART_FHIR_DEADLINE_MS 15 s): generous, so that a loaded machine (the in-process FHIR server scans every
 * stored resource per search, other test files run beside) never turns a fetch into a timeout. The tests of
 * the deadline itself set their own.
 */
export const TEST_FHIR_DEADLINE_MS = 30_000;
export const TEST_SMART_FHIR_DEADLINE_MS = 60_000;

/**
 * The default configuration (empty environment but NO_EVENT_LOOP_SHEDDING), in memory and silent, with the
 * test deadlines, then `overrides`.
 */
export function testConfig(overrides: Partial<Config> = {}): Config {
  const defaults = loadConfig({ DEMO: 'off', ...NO_EVENT_LOOP_SHEDDING }, REPO_ROOT);
  return {
    ...defaults,
    databasePath: ':memory:',
    logLevel: 'silent',
    fhirDeadlineMs: TEST_FHIR_DEADLINE_MS,
    smartApp: { ...defaults.smartApp, fhirDeadlineMs: TEST_SMART_FHIR_DEADLINE_MS },
    ...overrides,
  };
}

export interface TestAppOptions {
  readonly config?: Partial<Config>;
  /** The clock of the hook services (scenarios are evaluated at their manifest `now`). */
  readonly now?: () => Date;
  /** Capture the log lines (at info level unless the config says otherwise), for `logs()`. */
  readonly logs?: boolean;
  /** Card templates to use instead of the real ones (stubs that throw or render bad cards). */
  readonly templates?: CardTemplates;
}

export interface TestApp {
  readonly app: Express;
  readonly store: Store;
  readonly config: Config;
  /** The JSON log lines written so far (empty unless built with `logs: true`). */
  logs(): string[];
  close(): Promise<void>;
}

/** Builds the app over a fresh in-memory store. */
export async function testApp(options: TestAppOptions = {}): Promise<TestApp> {
  const lines: string[] = [];
  const config = testConfig({ ...(options.logs === true ? { logLevel: 'info' as const } : {}), ...options.config });
  const logger = options.logs === true ? createLogger(config.logLevel, { write: (s: string) => void lines.push(s) }) : createLogger('silent');
  const store = await openSqliteStore(':memory:');
  const app = await buildApp({
    config,
    store,
    logger,
    ...(options.now !== undefined ? { now: options.now } : {}),
    ...(options.templates !== undefined ? { templates: options.templates } : {}),
  });
  return { app, store, config, logs: () => [...lines], close: () => store.close() };
}

/** The manifest entry of a fixture, by file name with or without `.bundle.json`. */
export function scenario(file: string): Scenario {
  const name = file.endsWith('.bundle.json') ? file : `${file}.bundle.json`;
  const found = scenarios.find((s) => s.file === name);
  if (found === undefined) throw new Error(`no scenario ${name} in scenarios.json`);
  return found;
}

/** The scenario's evaluation time, as a clock for `testApp`. */
export const scenarioClock = (file: string) => {
  const now = new Date(scenario(file).now);
  return () => now;
};

/** The prefetch of a fixture: the Patient and one searchset Bundle per other key (as `recordFromBundle` splits them). */
export function prefetchFor(file: string): Record<PrefetchKey, FhirResource> {
  const s = scenario(file);
  const resources = resourcesOf(loadBundle(s.file));
  const searchset = (type: FhirResource['resourceType']): Bundle => ({
    resourceType: 'Bundle',
    type: 'searchset',
    entry: resources.filter((r) => r.resourceType === type).map((resource) => ({ resource })),
  });
  return {
    patient: resources.find((r) => r.resourceType === 'Patient' && r.id === s.patientId) ?? { resourceType: 'Patient', id: s.patientId },
    conditions: searchset('Condition'),
    observations: searchset('Observation'),
    procedures: searchset('Procedure'),
    medicationAdministrations: searchset('MedicationAdministration'),
  };
}

/** The scenario's `draftOrders` as an order hook sends them: a Bundle without `type`, resources from the fixture. */
export function draftOrdersFor(file: string): Bundle {
  const s = scenario(file);
  const ids = (s as Scenario & { draftOrders?: string[] }).draftOrders ?? [];
  const byRef = new Map(resourcesOf(loadBundle(s.file)).map((r) => [`${r.resourceType}/${r.id ?? ''}`, r]));
  const entry = ids.map((id) => {
    const resource = byRef.get(id);
    if (resource === undefined) throw new Error(`draft order ${id} is not in ${s.file}`);
    return { resource };
  });
  return { resourceType: 'Bundle', entry } as unknown as Bundle;
}

export interface TestHookRequest {
  hook: HookName;
  hookInstance: string;
  context: { userId: string; patientId: string } & Record<string, unknown>;
  prefetch?: Record<string, unknown>;
  [member: string]: unknown;
}

export interface HookRequestOptions {
  /** Merged into `context` (draftOrders, selections, or wrong values). */
  readonly context?: Record<string, unknown>;
  /** Merged over the fixture's prefetch; `false` sends no prefetch at all. */
  readonly prefetch?: Record<string, unknown> | false;
  /** Top-level members (fhirServer, fhirAuthorization, ...). */
  readonly extra?: Record<string, unknown>;
}

/** A valid request body for `hook` from a fixture, with the data as prefetch and a fresh hookInstance. */
export function hookRequest(hook: HookName, file: string, options: HookRequestOptions = {}): TestHookRequest {
  const s = scenario(file);
  return {
    hook,
    hookInstance: randomUUID(),
    context: { userId: 'Practitioner/test', patientId: s.patientId, ...options.context },
    ...(options.prefetch === false ? {} : { prefetch: { ...prefetchFor(file), ...options.prefetch } }),
    ...options.extra,
  };
}

/** A valid patient-view request body from a fixture bundle, via prefetch. */
export function patientViewRequest(file: string, options: HookRequestOptions = {}): TestHookRequest {
  return hookRequest('patient-view', file, options);
}

/** A valid order-sign / order-select request from a fixture's `draftOrders` (order-select: all of them selected unless `context.selections` says otherwise). */
export function orderRequest(hook: 'order-sign' | 'order-select', file: string, options: HookRequestOptions = {}): TestHookRequest {
  const draftOrders = draftOrdersFor(file);
  const selections = (draftOrders.entry ?? []).map((e) => `${e.resource?.resourceType ?? ''}/${e.resource?.id ?? ''}`);
  return hookRequest(hook, file, {
    ...options,
    context: { draftOrders, ...(hook === 'order-select' ? { selections } : {}), ...options.context },
  });
}
