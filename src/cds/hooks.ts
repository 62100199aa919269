/**
 * Serving one hook call: validate, obtain the patient's data (prefetch, else the EHR's FHIR server),
 * extract, apply the rules, build the cards, check every card against our schema, record what was
 * issued. When the FHIR server fails, one "data unavailable" card instead of the rules' cards
 * (docs/decisions/0007-fhir-faults.md). Framework-free apart from the types, so that it can be measured
 * and tested on its own.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { assessPatient, concernedInductionOrders } from '../core';
import { FhirServerFaultError } from '../fhir/errors';
import { extractInputs } from '../fhir/extract';
import { loadPatientRecord, type DataSource, type LoadResult } from '../fhir/loader';
import { draftInduction, reviewDraftOrders, type DraftOrderReview } from '../fhir/orders';
import type { PrefetchKey } from '../fhir/prefetch';
import { defaultProfile, type Config } from '../config';
import { profileForCaller, type ThresholdProfile } from '../site-profiles';
import { hashPatientId, type Store } from '../store/store';
import { cardSchema, FINDINGS_EXTENSION, type Card } from './card-schema';
import { dataUnavailableCard, orderCheckCards, patientViewCards, type BuiltCard, type CardContext } from './cards';
import { badRequest } from './errors';
import { hookRequestSchema } from './request-schema';
import type { Hook, ServiceDefinition } from './services';
import type { CardTemplates } from './templates';

export interface HookDeps {
  readonly config: Config;
  readonly templates: CardTemplates;
  readonly store: Store;
  readonly logger: Logger;
  readonly patientHashSalt: string;
  readonly now: () => Date;
}

export interface HookOutcome {
  readonly cards: Card[];
  /** For the request log: no identifiers, no values. */
  readonly log: {
    readonly hookInstance: string;
    /** The threshold profile the cards were assessed with (DEFAULT_PROFILE_ID or a site set's id). */
    readonly thresholdSet: string;
    readonly cardKinds: readonly string[];
    readonly droppedCards: number;
    readonly sources: Readonly<Partial<Record<PrefetchKey, DataSource['from']>>>;
    /** When the FHIR server failed: per failed key, the reason code and HTTP status (no URL, no body). */
    readonly fhirFaults?: readonly FhirFaultLog[];
    readonly timingsMs: { readonly load: number; readonly rules: number; readonly record: number };
  };
}

export interface FhirFaultLog {
  readonly key: PrefetchKey;
  readonly reason: string;
  readonly status?: number;
  readonly found?: string;
}

const schemas = new Map<Hook, ReturnType<typeof hookRequestSchema>>();
function schemaFor(hook: Hook) {
  let s = schemas.get(hook);
  if (s === undefined) {
    s = hookRequestSchema(hook);
    schemas.set(hook, s);
  }
  return s;
}

const since = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e6;

/** The verified caller of a hook call, as far as choosing its threshold profile goes. */
export interface HookCaller {
  readonly iss: string;
  readonly tenant?: string | undefined;
}

/**
 * Serves one call of `service`, assessed with the caller's threshold profile (the default without a caller
 * or a mapping). Throws an HttpError (400), DataUnobtainableError (412: the request gave no
 * means to fetch) or FhirServerNotAllowedError (412) for the error middleware. A FhirServerFaultError (the
 * server was asked and failed) becomes one "data unavailable" card, and no rule is applied. A card that
 * fails the schema is logged and left out, never sent.
 */
export async function serveHook(service: ServiceDefinition, body: unknown, deps: HookDeps, signal?: AbortSignal, caller?: HookCaller): Promise<HookOutcome> {
  const parsed = schemaFor(service.hook).safeParse(body);
  if (!parsed.success) throw badRequest(parsed.error);
  const request = parsed.data;
  const { config } = deps;
  const profile: ThresholdProfile = profileForCaller(config.sites, caller) ?? defaultProfile(config);
  const patientId = request.context.patientId;
  // The draft orders come with the request, not from the FHIR server: reviewed whatever the data.
  let orders: { review: DraftOrderReview; selections: string[] | undefined } | undefined;
  if (service.hook !== 'patient-view') {
    const context = request.context as { draftOrders: unknown; selections?: string[] };
    orders = { review: reviewDraftOrders(context.draftOrders, config.codes), selections: service.hook === 'order-select' ? context.selections : undefined };
  }

  let t = process.hrtime.bigint();
  let loaded: LoadResult | FhirServerFaultError;
  try {
    loaded = await loadPatientRecord(
      {
        patientId,
        prefetch: request.prefetch,
        fhirServer: request.fhirServer,
        fhirAuthorization: request.fhirAuthorization,
      },
      {
        allowedFhirServers: config.allowedFhirServers,
        deadlineMs: config.fhirDeadlineMs,
        maxPages: config.fhirMaxPages,
        maxResponseBytes: config.fhirMaxResponseBytes,
        maxRequestBytes: config.fhirMaxRequestBytes,
        codes: config.codes,
        signal,
      },
    );
  } catch (error) {
    if (!(error instanceof FhirServerFaultError)) throw error;
    loaded = error;
  }
  const load = since(t);

  t = process.hrtime.bigint();
  const now = deps.now().toISOString();
  let built: BuiltCard[];
  let fhirFaults: FhirFaultLog[] | undefined;
  if (loaded instanceof FhirServerFaultError) {
    fhirFaults = loaded.failures.map((f) => ({ key: f.key, reason: f.reason, ...(f.status !== undefined ? { status: f.status } : {}), ...(f.found !== undefined ? { found: f.found } : {}) }));
    deps.logger.warn({ service: service.id, hookInstance: request.hookInstance, fhirFaults, deadlineMs: loaded.deadlineMs }, 'FHIR server fault: decision-support data unavailable, no rule applied');
    const unavailable = {
      serviceId: service.id,
      templates: deps.templates,
      smartAppUrl: config.smartAppUrl,
      newUuid: randomUUID,
      failures: loaded.failures,
      deadlineMs: loaded.deadlineMs,
      hookInstance: request.hookInstance,
    };
    // The order check applies only when induction chemotherapy is among the (selected) draft orders.
    if (orders === undefined) built = [dataUnavailableCard(unavailable)];
    else built = concernedInductionOrders(draftInduction(orders.review, orders.selections)).length > 0 ? [dataUnavailableCard(unavailable, { review: orders.review })] : [];
  } else {
    const extraction = extractInputs(loaded.record, now, { codes: config.codes, thresholds: profile.thresholds });
    const assessment = assessPatient(extraction.inputs, profile.thresholds, profile.normalization);
    const ctx: CardContext = {
      serviceId: service.id,
      patientId,
      extraction,
      assessment,
      thresholds: profile.thresholds,
      profile,
      templates: deps.templates,
      smartAppUrl: config.smartAppUrl,
      newUuid: randomUUID,
    };
    built = orders === undefined ? patientViewCards(ctx) : orderCheckCards(ctx, orders.review, orders.selections);
  }
  const valid: BuiltCard[] = [];
  for (const b of built) {
    const check = cardSchema.safeParse(b.card);
    if (check.success) valid.push(b);
    else {
      deps.logger.error(
        { service: service.id, hookInstance: request.hookInstance, cardKind: b.kind, issues: check.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
        'card failed the card schema and was not sent',
      );
    }
  }
  const rules = since(t);

  t = process.hrtime.bigint();
  if (valid.length > 0) {
    try {
      const patientHash = hashPatientId(deps.patientHashSalt, patientId);
      await deps.store.recordCards(
        valid.map((b) => ({
          uuid: b.card.uuid,
          service: service.id,
          hookInstance: request.hookInstance,
          cardKind: b.kind,
          issuedAt: now,
          patientHash,
          thresholdSet: profile.id,
          findings: b.card.extension[FINDINGS_EXTENSION].map((f) => ({ rule: f.rule, outcome: f.outcome })),
        })),
      );
    } catch (err) {
      // The record is for audit and feedback rates; failing to write it must not withhold the cards.
      deps.logger.error({ service: service.id, hookInstance: request.hookInstance, err: err instanceof Error ? err.message : String(err) }, 'could not record issued cards');
    }
  }
  const record = since(t);

  return {
    cards: valid.map((b) => b.card),
    log: {
      hookInstance: request.hookInstance,
      thresholdSet: profile.id,
      cardKinds: valid.map((b) => b.kind),
      droppedCards: built.length - valid.length,
      sources: loaded instanceof FhirServerFaultError ? {} : Object.fromEntries(Object.entries(loaded.sources).map(([k, v]) => [k, v.from])),
      ...(fhirFaults !== undefined ? { fhirFaults } : {}),
      timingsMs: { load, rules, record },
    },
  };
}
