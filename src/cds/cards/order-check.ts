/** The order-check card of order-select and order-sign (clinical-spec.md section 6, v2). */
import { DONG_COHORTS, DONG_SURVIVAL, POPULATION_DOUBT_TEXT, checkInductionOrder, type InputId, type OrderCheckResult } from '../../core';
import { recognitionPhrase } from '../../fhir/drugs';
import { relevantInductionOrders, type DraftOrderReview, type InductionOrder, type SystemicOrder } from '../../fhir/orders';
import { findingProblems, ictosFinding, inputRows, riskFinding, unusableLines, findingInputs, ictosInputIds, RISK_INPUT_IDS } from '../basis';
import type { Finding } from '../card-schema';
import { text, trusted, type Md } from '../markdown';
import { OVERRIDE_REASONS } from '../vocabulary';
import { type BuiltCard, type CardContext, ICTOS_KEYS, RISK_KEYS, STAGING_KEYS, card, caveats, ci, citation, hr, populationSection, withCaveat } from './envelope';
import { dongLimitations, ictosRuleLines, recommendationEvidence, riskRuleLine, scoreOf } from './treatment-selection';

export function orderLines(review: DraftOrderReview): Md[] {
  const why = {
    'induction-partner': 'an induction partner agent',
    'induction-marker': 'marked as induction on the order',
    'regimen-platinum': 'a platinum ordered with an induction partner and not marked concurrent: part of the induction regimen',
  };
  const ignored = { 'no-medication': 'no medication, cannot be identified', 'not-chemotherapy': 'not a listed systemic anti-cancer agent', 'inactive-status': 'not active' };
  const recognisedAs = (o: InductionOrder | SystemicOrder) =>
    o.recognised.length > 0 ? o.recognised.map((r) => `${r.label}, recognised ${recognitionPhrase(r, 'order')}`).join('; ') : 'agent not coded';
  const concurrent = new Set(review.concurrentPlatinum);
  return [
    ...review.regimen.map((o) => text(`${o.reference}: ${recognisedAs(o)}; induction chemotherapy (${why[o.by]})`, 400)),
    ...review.platinumOrders.map((o) =>
      text(`${o.reference}: ${recognisedAs(o)}; ${concurrent.has(o.reference) ? 'platinum marked concurrent on the order' : 'platinum alone, the concurrent part of CCRT'}, not checked and not suggested for removal`, 400),
    ),
    ...review.otherSystemic.map((o) => text(`${o.reference}: ${recognisedAs(o)}; systemic therapy that is not an induction partner, not checked`, 400)),
    ...review.ignored.map((i) => text(`${i.reference}: ${ignored[i.reason]}`)),
  ];
}

type AppliedCheck = Exclude<OrderCheckResult, { kind: 'not-applicable' }>;

function orderEvidence(result: AppliedCheck): Md[] {
  const s = DONG_SURVIVAL;
  switch (result.kind) {
    case 'ict-supported':
      return recommendationEvidence('ict-ccrt');
    case 'insufficient-data':
      return [trusted('ICTOS decides whether induction chemotherapy was associated with a benefit (Dong 2019); without it the check cannot be made.')];
    default: {
      const lines: Md[] = [
        trusted(
          `Validation cohort, low ICTOS (n = ${s.validationLowIctos.n}): additional induction chemotherapy was not associated with a significant failure-free survival benefit, FFS ${hr(s.validationLowIctos.hr)}; the interval includes a benefit.`,
        ),
      ];
      if (result.kind === 'consider-trial') {
        lines.push(
          trusted(
            `Low ICTOS and high risk: 5-year FFS ${s.lowIctosHighRisk.ffs5y}% with CCRT alone; induction chemotherapy ${hr(s.lowIctosHighRisk.ictHr)}. \u201cIt was not possible to conclude that CCRT alone was sufficient\u201d: the authors suggest clinical trials of intensified or novel therapy.`,
          ),
        );
      }
      if (result.kind === 'ict-not-supported') lines.push(trusted(`Low ICTOS and low risk: 5-year FFS ${s.lowIctosLowRisk.ffs5y}%; induction chemotherapy ${hr(s.lowIctosLowRisk.ictHr)}.`));
      lines.push(trusted('The low-ICTOS tiers are not yet validated in larger populations, in the authors\u2019 words; the risk stratification was exploratory.'));
      lines.push(trusted(`Induction regimen of the trial: ${DONG_COHORTS.inductionRegimen}; other regimens were not studied.`));
      return lines;
    }
  }
}

const ORDER_HEADLINE: Readonly<Record<AppliedCheck['kind'], string>> = {
  'ict-not-supported': 'Induction chemotherapy is in the draft orders of a low-ICTOS, low-risk patient',
  'consider-trial': 'Induction chemotherapy is in the draft orders of a low-ICTOS, high-risk patient',
  undetermined: 'Induction chemotherapy is in the draft orders of a low-ICTOS patient whose risk or population is not established',
  'ict-supported': 'Induction chemotherapy is in the draft orders of a high-ICTOS patient',
  'insufficient-data': 'Induction chemotherapy is in the draft orders, but ICTOS is not available',
};

/** What the undetermined check lacks, in a few words for the summary. */
function undeterminedMissing(result: Extract<OrderCheckResult, { kind: 'undetermined' }>): string {
  const names = [...result.doubts.map((d) => POPULATION_DOUBT_TEXT[d].short.replace(/ not recorded$/, '')), ...result.missing.map((m) => MISSING_SHORT[m] ?? m)];
  return [...new Set(names)].join(', ');
}

const MISSING_SHORT: Readonly<Partial<Record<InputId, string>>> = {
  'ebv-dna': 'EBV DNA',
  'tumor-volume': 'tumor volume',
  't-category': 'T',
  'n-category': 'N',
};

/**
 * The order-check card for draft orders (order-select / order-sign), by risk tier (clinical-spec.md
 * section 6, v2). On order-select the check runs only when one of the just-selected orders is induction
 * chemotherapy; on order-sign, for all draft orders. Only low ICTOS with certain low risk and no
 * population doubt is a warning with a suggestion to remove the whole induction regimen.
 */
export function orderCheckCards(ctx: CardContext, review: DraftOrderReview, selections?: readonly string[]): BuiltCard[] {
  const relevant = relevantInductionOrders(review, selections);
  const result = checkInductionOrder(ctx.assessment, relevant.length > 0);
  if (result.kind === 'not-applicable') return [];
  const { assessment, extraction, templates } = ctx;
  const score = scoreOf(assessment.ictos);
  const h = result.kind === 'ict-supported' ? DONG_SURVIVAL.validationHighIctos.hr : result.kind === 'consider-trial' ? DONG_SURVIVAL.lowIctosHighRisk.ictHr : DONG_SURVIVAL.validationLowIctos.hr;
  const summaryFor = (caveat: string) =>
    templates.summary(`order-check.${result.kind}`, {
      score,
      hr: h.value,
      ci: ci(h.ci),
      caveat,
      missing: result.kind === 'undetermined' ? undeterminedMissing(result) : '',
    });
  const summary = result.kind === 'ict-supported' ? withCaveat(summaryFor, result.doubts) : summaryFor('');
  const findings: Finding[] = [
    ictosFinding(assessment, extraction),
    ...(result.kind === 'ict-not-supported' || result.kind === 'consider-trial' || result.kind === 'undetermined' ? [riskFinding(assessment, extraction)] : []),
    {
      rule: 'order-check',
      outcome: result.kind,
      ...(result.kind !== 'insufficient-data' ? { value: result.ictos.score, cutoff: result.ictos.cutoff, thresholdSet: result.ictos.thresholdSet } : {}),
      inputs: findingInputs([...ictosInputIds(assessment), ...(result.kind === 'ict-supported' || result.kind === 'insufficient-data' ? [] : RISK_INPUT_IDS)], extraction),
      missing: result.kind === 'insufficient-data' || result.kind === 'undetermined' ? [...result.missing] : [],
      ...(result.kind === 'insufficient-data' ? findingProblems(result.missing, result.problems, extraction) : {}),
    },
  ];
  const detail = templates.detail('order-check', {
    headline: trusted(ORDER_HEADLINE[result.kind]),
    caveats: caveats(ctx),
    orders: orderLines(review),
    population: populationSection(ctx),
    inputs: inputRows([...ICTOS_KEYS, ...STAGING_KEYS, ...RISK_KEYS], extraction),
    unusable: unusableLines([...ICTOS_KEYS, ...RISK_KEYS], extraction),
    rules: [
      ...ictosRuleLines(ctx),
      ...(result.kind === 'ict-supported' || result.kind === 'insufficient-data' ? [] : [riskRuleLine(ctx)]),
      trusted(
        'Order check (clinical-spec section 6): induction chemotherapy is recognised by an induction partner agent (docetaxel, fluorouracil, gemcitabine, capecitabine, paclitaxel) or an explicit induction marker on the order; a platinum alone is the concurrent part of CCRT. ' +
          'A removal is suggested only for a low-ICTOS patient whose low clinical risk is certain and whose population is established.',
      ),
      ...(result.kind === 'undetermined' ? [text(`Not established: ${undeterminedMissing(result)}. No removal is suggested.`)] : []),
    ],
    evidence: orderEvidence(result),
    limitations: dongLimitations(),
    citations: [citation('dong-2019')],
  });
  if (result.kind === 'ict-not-supported') {
    const regimen = regimenOrders(review);
    const deletable = regimen.filter((o) => o.identifiable);
    const suggestions =
      deletable.length > 0
        ? [
            {
              label: `Remove the induction regimen (${deletable.length} order${deletable.length > 1 ? 's' : ''})`,
              uuid: ctx.newUuid(),
              actions: deletable.map((o) => ({ type: 'delete' as const, description: `Remove ${o.reference} (${o.agents.join(' + ') || 'induction'})`, resourceId: o.reference })),
            },
          ]
        : undefined;
    return [
      card(
        ctx,
        'order-check',
        {
          summary,
          detail,
          indicator: 'warning',
          overrideReasons: [...OVERRIDE_REASONS],
          ...(suggestions !== undefined ? { suggestions, selectionBehavior: 'at-most-one' as const } : {}),
          paper: 'dong-2019',
        },
        findings,
      ),
    ];
  }
  return [card(ctx, 'order-check', { summary, detail, indicator: 'info', paper: 'dong-2019', overrideReasons: [...OVERRIDE_REASONS] }, findings)];
}

/** Every draft order of the induction regimen: the induction orders and the platinum given as part of it. */
function regimenOrders(review: DraftOrderReview): InductionOrder[] {
  // (v2, section 6) The whole regimen: the induction orders and the platinum ordered with them, not marked concurrent.
  return [...review.regimen];
}
