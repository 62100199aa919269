/**
 * What is missing, and what to order: the one decision behind the CDS "missing data" card and the SMART
 * app's "Missing" list (clinical-spec.md sections 6 and 8). The adapters word and render it; they do not
 * decide it. Pure: the facts that depend on data selection and the clock come in as `NeedFacts`.
 */
import type { Assessment } from './assess';
import type { InputId } from './types';

/** The orders NPC-CDS can suggest; the FHIR codes of each are in src/fhir (the order writer). */
export type OrderableId = 'ebv-dna' | 'asl-mri' | 'radiomics-mri';

/**
 * One thing the rules need and do not have. `topic` says which, `inputs` the input ids concerned (the
 * findings' `missing`), `orderable` the order that would supply it, when there is one.
 */
export type Need =
  /** M category or stage group recorded twice with different values: the population cannot be decided. */
  | { readonly topic: 'consistent-staging'; readonly inputs: readonly InputId[] }
  /** An M category that the AJCC edition would read differently (v2: ambiguous edition). */
  | { readonly topic: 'staging-edition'; readonly inputs: readonly InputId[] }
  /** ICTOS, or its three z-scored features: the induction chemotherapy recommendation needs it (Dong 2019). */
  | { readonly topic: 'ictos'; readonly inputs: readonly InputId[]; readonly orderable: 'radiomics-mri' }
  /** One risk factor's input, for a low-ICTOS patient whose risk tier depends on it (Dong 2019). */
  | { readonly topic: 'risk-input'; readonly inputs: readonly [InputId]; readonly orderable?: OrderableId; readonly knownPresent: number }
  /** Pre-TBF before treatment (Liu 2022). */
  | { readonly topic: 'pre-tbf'; readonly inputs: readonly ['pre-tbf']; readonly orderable: 'asl-mri' }
  /** Post-TBF at 40 Gy, still to come (Liu 2022). */
  | { readonly topic: 'post-tbf'; readonly inputs: readonly ['post-tbf']; readonly orderable: 'asl-mri' }
  /** The clinical stage that would confirm the studied population; asked for only beside another need. */
  | { readonly topic: 'stage'; readonly inputs: readonly InputId[] };

export type NeedTopic = Need['topic'];

/** What data selection and the clock decided (src/fhir computes it from the extraction). */
export interface NeedFacts {
  /** Any treatment has started (the treatment-selection question is closed). */
  readonly treatmentStarted: boolean;
  /** RT has started, Pre-TBF is usable, no Post-TBF was found, and the 40 Gy window has not closed. */
  readonly postTbfPending: boolean;
  /** The population inputs recorded with conflicting values. */
  readonly conflictingStaging: readonly InputId[];
}

const ICTOS_INPUTS: readonly InputId[] = ['ictos', 'skewness-z', 'glcm-variance-z', 'glrlm-lrhgle-z'];

/** The order that supplies a missing risk-factor input, when one does (T and N are recorded by the clinician). */
const RISK_INPUT_ORDER: Partial<Record<InputId, OrderableId>> = { 'ebv-dna': 'ebv-dna', 'tumor-volume': 'radiomics-mri' };

/**
 * The needs of a patient who may be in the studied population (none outside it), in the order a clinician would act on them: a staging conflict or an
 * ambiguous edition alone (nothing else can be decided); else ICTOS (or the risk inputs of a low-ICTOS
 * patient), Pre-TBF before treatment, Post-TBF while it is pending, and the stage when it is unconfirmed
 * and something else is needed. An empty list means nothing is missing.
 */
export function whatIsMissing(assessment: Assessment, facts: NeedFacts): Need[] {
  if (assessment.population.kind === 'out-of-scope') return [];
  const rec = assessment.recommendation;
  if (rec.kind === 'not-applicable' && rec.reason === 'staging-conflict') {
    return [{ topic: 'consistent-staging', inputs: facts.conflictingStaging.filter((i) => i === 'm-category' || i === 'stage-group') }];
  }
  if (rec.kind === 'not-applicable' && rec.reason === 'ambiguous-edition') {
    return [{ topic: 'staging-edition', inputs: ['m-category', 'stage-group'] }];
  }
  const out: Need[] = [];
  if (rec.kind === 'insufficient-data') {
    out.push({ topic: 'ictos', inputs: ICTOS_INPUTS.filter((i) => rec.missing.includes(i)), orderable: 'radiomics-mri' });
  } else if (rec.kind === 'undetermined') {
    for (const input of rec.missing) {
      const orderable = RISK_INPUT_ORDER[input];
      out.push({ topic: 'risk-input', inputs: [input], knownPresent: assessment.risk.present.length, ...(orderable !== undefined ? { orderable } : {}) });
    }
  }
  if (!facts.treatmentStarted && assessment.tbf['pre-tbf-response'].kind === 'insufficient-data') {
    out.push({ topic: 'pre-tbf', inputs: ['pre-tbf'], orderable: 'asl-mri' });
  }
  if (facts.postTbfPending) out.push({ topic: 'post-tbf', inputs: ['post-tbf'], orderable: 'asl-mri' });
  if (assessment.population.kind === 'unconfirmed' && out.length > 0) out.push({ topic: 'stage', inputs: assessment.population.missing });
  return out;
}

/** The orders to suggest for `needs`, each once, in the order of first need, with the needs it serves. */
export function ordersFor(needs: readonly Need[]): { orderable: OrderableId; needs: Need[] }[] {
  const byOrder = new Map<OrderableId, Need[]>();
  for (const n of needs) {
    const o = 'orderable' in n ? n.orderable : undefined;
    if (o !== undefined) byOrder.set(o, [...(byOrder.get(o) ?? []), n]);
  }
  return [...byOrder.entries()].map(([orderable, ns]) => ({ orderable, needs: ns }));
}
