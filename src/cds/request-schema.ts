/**
 * zod schemas of incoming CDS Hooks 2.0 requests (https://cds-hooks.hl7.org/2.0/#http-request) and
 * feedback (https://cds-hooks.hl7.org/2.0/#feedback). Unknown members are allowed (the specification
 * lets clients add `extension`s), but every member we read is checked, with a path for the error.
 */
import * as z from 'zod';
import { isFhirId } from '../fhir/prefetch';
import type { Hook } from './services';

const nonEmpty = z.string().min(1);
const fhirId = z.string().refine(isFhirId, { message: 'must be a FHIR id ([A-Za-z0-9-.]{1,64})' });
const reference = nonEmpty.max(512);

const fhirAuthorization = z.looseObject({
  // Sent as `Authorization: Bearer <token>`: visible ASCII only, so that it is a valid header value (a NUL,
  // a line break or a lone surrogate made the fetch fail, and the card blame an unreachable server).
  access_token: nonEmpty.max(8192).regex(/^[\x21-\x7e]+$/, { message: 'must be visible ASCII characters (it is sent in an HTTP header)' }),
  token_type: z.string().regex(/^bearer$/i, { message: 'must be "Bearer"' }),
  expires_in: z.number().int().positive(),
  scope: nonEmpty,
  subject: nonEmpty,
  patient: fhirId.optional(),
});

const prefetchValue = z.union([z.null(), z.looseObject({ resourceType: nonEmpty })]);

/** More prefetch results than any service asks for (ours ask for five). */
export const MAX_PREFETCH_KEYS = 64;

/**
 * The prefetch: at most {@link MAX_PREFETCH_KEYS} members, counted before any value is checked. A record
 * checks every member and reports one issue per bad one: 300,000 bad members (2 MB) took seconds.
 */
const prefetch = z
  .custom<Record<string, unknown>>((v) => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length <= MAX_PREFETCH_KEYS, {
    message: `must be an object of at most ${MAX_PREFETCH_KEYS} prefetch results`,
  })
  .pipe(z.record(nonEmpty, prefetchValue));

const draftOrders = z.looseObject({
  resourceType: z.literal('Bundle'),
  entry: z.array(z.unknown()).max(1000).optional(),
});

const baseContext = { userId: reference, patientId: fhirId, encounterId: fhirId.optional() };

export const CONTEXT_SCHEMAS = {
  'patient-view': z.looseObject(baseContext),
  'order-select': z.looseObject({ ...baseContext, selections: z.array(reference).min(1).max(1000), draftOrders }),
  'order-sign': z.looseObject({ ...baseContext, draftOrders }),
} as const satisfies Record<Hook, z.ZodType>;

/** The request schema for one hook: `hook` must be the service's own. */
export function hookRequestSchema<H extends Hook>(hook: H) {
  return z
    .looseObject({
      hook: z.literal(hook, { message: `this service answers the ${hook} hook` }),
      hookInstance: z.guid({ message: 'must be a UUID' }),
      fhirServer: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).optional(),
      fhirAuthorization: fhirAuthorization.optional(),
      context: CONTEXT_SCHEMAS[hook],
      prefetch: prefetch.optional(),
    })
    .superRefine((r, ctx) => {
      if (r.fhirAuthorization !== undefined && r.fhirServer === undefined) {
        ctx.addIssue({ code: 'custom', path: ['fhirServer'], message: 'is required with fhirAuthorization' });
      }
    });
}

export type HookRequest<H extends Hook = Hook> = z.infer<ReturnType<typeof hookRequestSchema<H>>>;

/** An override reason as stored: bounded like userComment, so that one feedback item cannot store megabytes. */
const coding = z.looseObject({ system: nonEmpty.max(1024).optional(), code: nonEmpty.max(256), display: nonEmpty.max(1024).optional() });

/** CDS Hooks 2.0 feedback: one or more outcomes of cards the service returned. */
export const feedbackSchema = z.looseObject({
  feedback: z
    .array(
      z
        .looseObject({
          card: nonEmpty.max(128),
          outcome: z.enum(['accepted', 'overridden']),
          acceptedSuggestions: z.array(z.looseObject({ id: nonEmpty.max(128) })).max(100).optional(),
          overrideReason: z.looseObject({ reason: coding.optional(), userComment: z.string().max(2000).optional() }).optional(),
          outcomeTimestamp: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' }),
        })
        .superRefine((f, ctx) => {
          if (f.outcome === 'accepted' && (f.acceptedSuggestions?.length ?? 0) === 0) {
            ctx.addIssue({ code: 'custom', path: ['acceptedSuggestions'], message: 'is required when the outcome is accepted' });
          }
          if (f.outcome === 'accepted' && f.overrideReason !== undefined) {
            ctx.addIssue({ code: 'custom', path: ['overrideReason'], message: 'is only for overridden cards' });
          }
        }),
    )
    .min(1)
    .max(100),
});

export type FeedbackRequest = z.infer<typeof feedbackSchema>;
