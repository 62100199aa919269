/**
 * Serving one hook call: validate, obtain the patient's data (prefetch, else the EHR's FHIR server),
 * extract, apply the rules, build the cards, check every card against our schema, record what was
 * issued. Framework-free apart from the types, so that it can be measured and tested on its own.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { assessPatient } from '../core';
import { extractInputs } from '../fhir/extract';
import { loadPatientRecord, type DataSource } from '../fhir/loader';
import { reviewDraftOrders } from '../fhir/orders';
import type { PrefetchKey } from '../fhir/prefetch';
import type { Config } from '../config';
import { hashPatientId, type Store } from '../store/store';
import { cardSchema, FINDINGS_EXTENSION, type Card } from './card-schema';
import { orderCheckCards, patientViewCards, type BuiltCard, type CardContext } from './cards';
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
    readonly cardKinds: readonly string[];
    readonly droppedCards: number;
    readonly sources: Readonly<Partial<Record<PrefetchKey, DataSource['from']>>>;
    readonly timingsMs: { readonly load: number; readonly rules: number; readonly record: number };
  };
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

/**
 * Serves one call of `service`. Throws an HttpError (400), DataUnobtainableError (412) or
 * FhirServerNotAllowedError (412) for the error middleware; a card that fails the schema is logged and
 * left out, never sent.
 */
export async function serveHook(service: ServiceDefinition, body: unknown, deps: HookDeps, signal?: AbortSignal): Promise<HookOutcome> {
  const parsed = schemaFor(service.hook).safeParse(body);
  if (!parsed.success) throw badRequest(parsed.error);
  const request = parsed.data;
  const { config } = deps;
  const patientId = request.context.patientId;

  let t = process.hrtime.bigint();
  const loaded = await loadPatientRecord(
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
      codes: config.codes,
      signal,
    },
  );
  const load = since(t);

  t = process.hrtime.bigint();
  const now = deps.now().toISOString();
  const extraction = extractInputs(loaded.record, now, { codes: config.codes, thresholds: config.thresholds });
  const assessment = assessPatient(extraction.inputs, config.thresholds, config.normalization);
  const ctx: CardContext = {
    serviceId: service.id,
    patientId,
    extraction,
    assessment,
    thresholds: config.thresholds,
    templates: deps.templates,
    smartAppUrl: config.smartAppUrl,
    newUuid: randomUUID,
  };
  let built: BuiltCard[];
  if (service.hook === 'patient-view') {
    built = patientViewCards(ctx);
  } else {
    const context = request.context as { draftOrders: unknown; selections?: string[] };
    built = orderCheckCards(ctx, reviewDraftOrders(context.draftOrders, config.codes), service.hook === 'order-select' ? context.selections : undefined);
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
      cardKinds: valid.map((b) => b.kind),
      droppedCards: built.length - valid.length,
      sources: Object.fromEntries(Object.entries(loaded.sources).map(([k, v]) => [k, v.from])),
      timingsMs: { load, rules, record },
    },
  };
}
