/** The patient-view cards: which cards apply to an assessed patient, and the quiet card for a patient outside the studied population. */
import { patientViewConclusions, type QuietPopulationReason } from '../../core';
import { missingNeeds } from '../../fhir/needs';
import { findingInputs } from '../basis';
import type { Finding } from '../card-schema';
import { trusted } from '../markdown';
import { type BuiltCard, type CardContext, card, citation, populationSection } from './envelope';
import { missingDataCard } from './missing-data';
import { responsePredictionCard } from './response-prediction';
import { treatmentSelectionCard } from './treatment-selection';

const POPULATION_SUMMARY: Readonly<Record<QuietPopulationReason, string>> = {
  'recurrent-disease': 'recurrent disease (the studies enrolled newly diagnosed, untreated patients)',
  n0: 'N0 (neither cohort had N0 patients)',
  'under-18': 'younger than 18 (the studies enrolled adults)',
};

/**
 * One quiet info card for a patient outside the studied population whose record otherwise matches it
 * (recurrent disease, N0, under 18; clinical-spec.md section 2, v2): why the rules do not apply. Other
 * out-of-scope patients (no NPC, M1, stage I–II) get no card (docs/decisions/0008-clinical-contract-v2.md).
 */
function populationCard(ctx: CardContext, reason: QuietPopulationReason): BuiltCard {
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
 * The patient-view cards, one per conclusion that applies (src/core/cards-apply.ts): none for a patient
 * without NPC or outside the studied population (one quiet card for recurrent disease, N0 or age under
 * 18); otherwise treatment selection, response prediction and what is missing, each when it applies.
 */
export function patientViewCards(ctx: CardContext): BuiltCard[] {
  const needs = missingNeeds(ctx.extraction, ctx.assessment);
  return patientViewConclusions(ctx.assessment, needs.length > 0).map((c) => {
    switch (c.kind) {
      case 'population':
        return populationCard(ctx, c.reason);
      case 'treatment-selection':
        return treatmentSelectionCard(ctx, c.recommendation);
      case 'response-prediction':
        return responsePredictionCard(ctx);
      case 'missing-data':
        return missingDataCard(ctx, needs);
    }
  });
}
