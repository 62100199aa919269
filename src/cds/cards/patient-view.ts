/** The patient-view cards: which cards apply to an assessed patient, and the quiet card for a patient outside the studied population. */
import { TBF_RULE_IDS } from '../../core';
import { findingInputs } from '../basis';
import type { Finding } from '../card-schema';
import { trusted } from '../markdown';
import { type BuiltCard, type CardContext, card, citation, populationSection } from './envelope';
import { missingDataCard } from './missing-data';
import { responsePredictionCard } from './response-prediction';
import { treatmentSelectionCard } from './treatment-selection';

/** The population reasons that get one quiet card: a patient who otherwise looks like one the studies enrolled. */
const QUIET_CARD_REASONS = new Set<string>(['recurrent-disease', 'n0', 'under-18']);

const POPULATION_SUMMARY: Readonly<Record<'recurrent-disease' | 'n0' | 'under-18', string>> = {
  'recurrent-disease': 'recurrent disease (the studies enrolled newly diagnosed, untreated patients)',
  n0: 'N0 (neither cohort had N0 patients)',
  'under-18': 'younger than 18 (the studies enrolled adults)',
};

/**
 * One quiet info card for a patient outside the studied population whose record otherwise matches it
 * (recurrent disease, N0, under 18; clinical-spec.md section 2, v2): why the rules do not apply. Other
 * out-of-scope patients (no NPC, M1, stage I–II) get no card (docs/decisions/0008-clinical-contract-v2.md).
 */
function populationCard(ctx: CardContext, reason: 'recurrent-disease' | 'n0' | 'under-18'): BuiltCard {
  const detail = ctx.templates.detail('population', {
    headline: trusted('Outside the studied population: NPC-CDS applies no rule'),
    population: populationSection(ctx),
    citations: [citation('liu-2022'), citation('dong-2019')],
  });
  const summary = ctx.templates.summary('population', { why: POPULATION_SUMMARY[reason] });
  const finding: Finding = { rule: 'recommendation', outcome: 'not-applicable', reason, inputs: findingInputs(['stage-group', 'n-category'], ctx.extraction), missing: [] };
  return card(ctx, 'population', { summary, detail, indicator: 'info' }, [finding]);
}

/**
 * The patient-view cards: none for a patient without NPC or outside the studied population (one quiet
 * card for recurrent disease, N0 or age under 18); otherwise treatment selection, response prediction and
 * what is missing, each when it applies.
 */
export function patientViewCards(ctx: CardContext): BuiltCard[] {
  const { assessment } = ctx;
  const rec = assessment.recommendation;
  if (assessment.population.kind === 'out-of-scope') {
    return rec.kind === 'not-applicable' && QUIET_CARD_REASONS.has(rec.reason) ? [populationCard(ctx, rec.reason as 'recurrent-disease' | 'n0' | 'under-18')] : [];
  }
  const out: BuiltCard[] = [];
  if (rec.kind === 'ict-ccrt' || rec.kind === 'ccrt-alone' || rec.kind === 'clinical-trial') out.push(treatmentSelectionCard(ctx, rec.kind));
  const staged = !(rec.kind === 'not-applicable' && (rec.reason === 'staging-conflict' || rec.reason === 'ambiguous-edition'));
  if (staged && TBF_RULE_IDS.some((r) => assessment.tbf[r].kind !== 'insufficient-data')) out.push(responsePredictionCard(ctx));
  const missing = missingDataCard(ctx);
  if (missing !== undefined) out.push(missing);
  return out;
}
