/**
 * Which patient-view conclusions apply to an assessed patient (clinical-spec.md sections 2 and 8, v2;
 * docs/decisions/0005 and 0008): the one decision behind the CDS cards, so that an adapter renders what
 * applies and does not decide it.
 */
import type { Assessment } from './assess';
import { TBF_RULE_IDS, type RecommendationKind } from './types';

/** Population reasons that get one quiet "outside the studied population" conclusion: a patient who otherwise looks like one the studies enrolled. */
export type QuietPopulationReason = 'recurrent-disease' | 'n0' | 'under-18';

const QUIET: ReadonlySet<string> = new Set<QuietPopulationReason>(['recurrent-disease', 'n0', 'under-18']);

export type PatientViewConclusion =
  | { readonly kind: 'population'; readonly reason: QuietPopulationReason }
  | { readonly kind: 'treatment-selection'; readonly recommendation: RecommendationKind }
  | { readonly kind: 'response-prediction' }
  | { readonly kind: 'missing-data' };

/**
 * The conclusions for the patient, in card order: none outside the studied population (one quiet
 * population conclusion for recurrent disease, N0 or age under 18); otherwise the treatment selection
 * when a recommendation is made, the response prediction when a TBF rule could be applied and the
 * staging is consistent, and what is missing when `needsSomething` (src/core/needs.ts).
 */
export function patientViewConclusions(assessment: Assessment, needsSomething: boolean): PatientViewConclusion[] {
  const rec = assessment.recommendation;
  if (assessment.population.kind === 'out-of-scope') {
    return rec.kind === 'not-applicable' && QUIET.has(rec.reason) ? [{ kind: 'population', reason: rec.reason as QuietPopulationReason }] : [];
  }
  const out: PatientViewConclusion[] = [];
  if (rec.kind === 'ict-ccrt' || rec.kind === 'ccrt-alone' || rec.kind === 'clinical-trial') out.push({ kind: 'treatment-selection', recommendation: rec.kind });
  const staged = !(rec.kind === 'not-applicable' && (rec.reason === 'staging-conflict' || rec.reason === 'ambiguous-edition'));
  if (staged && TBF_RULE_IDS.some((r) => assessment.tbf[r].kind !== 'insufficient-data')) out.push({ kind: 'response-prediction' });
  if (needsSomething) out.push({ kind: 'missing-data' });
  return out;
}
