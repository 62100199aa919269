/**
 * Our own schema of an outgoing CDS Hooks 2.0 card (https://cds-hooks.hl7.org/2.0/#card-attributes),
 * stricter than the specification where the project's policy is stricter: `uuid` always present,
 * `indicator` never `critical`, every card carrying the findings extension. A card that fails this
 * schema is a bug of ours: it is logged and not sent.
 */
import * as z from 'zod';
import { INPUT_IDS } from '../core';

const nonEmpty = z.string().min(1);
const absoluteUrl = z.url({ protocol: /^https?$/ });

const coding = z.strictObject({
  system: nonEmpty.optional(),
  code: nonEmpty,
  display: nonEmpty.optional(),
});

const action = z
  .strictObject({
    type: z.enum(['create', 'update', 'delete']),
    description: nonEmpty,
    resource: z.looseObject({ resourceType: nonEmpty }).optional(),
    resourceId: nonEmpty.optional(),
  })
  .superRefine((a, ctx) => {
    if (a.type === 'delete' && a.resourceId === undefined) ctx.addIssue({ code: 'custom', message: 'a delete action needs resourceId' });
    if (a.type === 'delete' && a.resource !== undefined) ctx.addIssue({ code: 'custom', message: 'a delete action carries no resource' });
    if (a.type !== 'delete' && a.resource === undefined) ctx.addIssue({ code: 'custom', message: `a ${a.type} action needs a resource` });
    if (a.resourceId !== undefined && !/^[A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/.test(a.resourceId)) {
      ctx.addIssue({ code: 'custom', message: 'resourceId must be a relative reference (Type/id)' });
    }
  });

const suggestion = z.strictObject({
  label: nonEmpty,
  uuid: nonEmpty.optional(),
  isRecommended: z.boolean().optional(),
  actions: z.array(action).min(1).optional(),
});

const link = z
  .strictObject({
    label: nonEmpty,
    url: absoluteUrl,
    type: z.enum(['absolute', 'smart']),
    appContext: nonEmpty.optional(),
  })
  .refine((l) => l.appContext === undefined || l.type === 'smart', { message: 'appContext is allowed on smart links only' });

/** One input a finding used (conventions.md, "Machine-readable findings"). */
export const findingInputSchema = z.strictObject({
  name: z.enum(INPUT_IDS),
  value: z.union([z.number(), nonEmpty]),
  unit: nonEmpty.optional(),
  date: nonEmpty.optional(),
  reference: nonEmpty.optional(),
  notes: z.array(nonEmpty).min(1).optional(),
});

const TBF_OUTCOMES = ['favorable', 'unfavorable', 'insufficient-data', 'not-applicable'] as const;
const OUTCOMES = {
  'pre-tbf-response': TBF_OUTCOMES,
  'pre-tbf-residual': TBF_OUTCOMES,
  'delta-tbf-response': TBF_OUTCOMES,
  'delta-tbf-residual': TBF_OUTCOMES,
  'post-tbf-response': TBF_OUTCOMES,
  ictos: ['high', 'low', 'insufficient-data'],
  risk: ['high', 'low', 'indeterminate'],
  recommendation: ['ict-ccrt', 'ccrt-alone', 'clinical-trial', 'undetermined', 'insufficient-data', 'not-applicable'],
  'order-check': ['ict-not-supported', 'ict-supported', 'consider-trial', 'undetermined', 'insufficient-data'],
} as const;

/** Why a rule was not applied (outcome `not-applicable`; conventions.md findings, v2). */
export const NOT_APPLICABLE_REASONS = [
  'induction-before-rt',
  'outcome-due',
  'recurrent-disease',
  'n0',
  'under-18',
  'out-of-scope',
  'staging-conflict',
  'ambiguous-edition',
] as const;

/** Why a present value was not usable (conventions.md findings, v2). */
export const INPUT_PROBLEM_REASONS = ['stale', 'implausible', 'conflicting', 'unconvertible-unit', 'preliminary-only', 'unrecognised', 'ambiguous', 'not-configured', 'indeterminate-bound'] as const;
export type FindingRule = keyof typeof OUTCOMES;
export const FINDING_RULES = Object.keys(OUTCOMES) as FindingRule[];

export const findingSchema = z
  .strictObject({
    rule: z.enum(FINDING_RULES as [FindingRule, ...FindingRule[]]),
    outcome: nonEmpty,
    value: z.number().refine(Number.isFinite).optional(),
    cutoff: z.number().refine(Number.isFinite).optional(),
    thresholdSet: nonEmpty.optional(),
    inputs: z.array(findingInputSchema),
    missing: z.array(z.enum(INPUT_IDS)),
    /** With outcome `not-applicable`: why. */
    reason: z.enum(NOT_APPLICABLE_REASONS).optional(),
    /** Inputs in `missing` that were present but unusable, with the reason. */
    problems: z.array(z.strictObject({ input: z.enum(INPUT_IDS), reason: z.enum(INPUT_PROBLEM_REASONS) })).min(1).optional(),
  })
  .refine((f) => (OUTCOMES[f.rule] as readonly string[]).includes(f.outcome), { message: 'outcome is not one of the rule\u2019s outcomes' })
  .refine((f) => (f.outcome === 'not-applicable') === (f.reason !== undefined), { message: 'a not-applicable outcome needs a reason, and only it has one' });

export type Finding = z.infer<typeof findingSchema>;
export type FindingInput = z.infer<typeof findingInputSchema>;

export const FINDINGS_EXTENSION = 'org.npc-cds.findings';

export const cardSchema = z
  .strictObject({
    uuid: nonEmpty,
    summary: nonEmpty.max(139, 'summary must be under 140 characters'),
    detail: nonEmpty.optional(),
    indicator: z.enum(['info', 'warning']),
    source: z.strictObject({ label: nonEmpty, url: absoluteUrl.optional(), icon: absoluteUrl.optional(), topic: coding.optional() }),
    suggestions: z.array(suggestion).min(1).optional(),
    selectionBehavior: z.enum(['at-most-one', 'any']).optional(),
    overrideReasons: z.array(coding.required({ display: true })).min(1).optional(),
    links: z.array(link).min(1).optional(),
    extension: z.strictObject({ [FINDINGS_EXTENSION]: z.array(findingSchema).min(1) }),
  })
  .superRefine((card, ctx) => {
    if (card.suggestions !== undefined && card.selectionBehavior === undefined) {
      ctx.addIssue({ code: 'custom', path: ['selectionBehavior'], message: 'a card with suggestions needs selectionBehavior' });
    }
    if (card.suggestions === undefined && card.selectionBehavior !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['selectionBehavior'], message: 'selectionBehavior without suggestions' });
    }
    const empty = emptyValuePaths(card, []);
    for (const path of empty) ctx.addIssue({ code: 'custom', path, message: 'null or empty value (CDS Hooks: omit it)' });
  });

export type Card = z.infer<typeof cardSchema>;

/**
 * Paths of null, empty-string, empty-array and empty-object values outside the findings extension
 * (whose `missing: []` and `inputs: []` are part of the findings contract).
 */
function emptyValuePaths(value: unknown, path: (string | number)[]): (string | number)[][] {
  if (value === null || value === '') return [path];
  if (Array.isArray(value)) {
    if (value.length === 0) return [path];
    return value.flatMap((v, i) => emptyValuePaths(v, [...path, i]));
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return [path];
    return entries.flatMap(([k, v]) => (k === FINDINGS_EXTENSION ? [] : emptyValuePaths(v, [...path, k])));
  }
  return [];
}

/** A CDS Hooks response (https://cds-hooks.hl7.org/2.0/#cds-service-response). */
export const responseSchema = z.strictObject({ cards: z.array(cardSchema) });
