/** The order-check card of order-select and order-sign (clinical-spec.md section 6, v2). */
import { DONG_SURVIVAL, checkInductionOrder, type InputId, type OrderCheckResult } from '../../core';
import { recognitionPhrase } from '../../fhir/drugs';
import { draftInduction, type DraftOrderReview, type InductionOrder, type SystemicOrder } from '../../fhir/orders';
import { findingProblems, ictosFinding, inputRows, riskFinding, unusableLines, findingInputs, ictosInputIds, RISK_INPUT_IDS } from '../basis';
import type { Finding } from '../card-schema';
import { text, trusted, type Md } from '../markdown';
import { EN } from '../../explain/en';
import { POPULATION_DOUBT_TEXT } from '../../explain/labels';
import { OVERRIDE_REASONS } from '../vocabulary';
import { type BuiltCard, type CardContext, ICTOS_KEYS, RISK_KEYS, STAGING_KEYS, card, caveats, ci, citation, populationSection, withCaveat } from './envelope';
import { dongLimitations, ictosRuleLines, recommendationEvidence, riskRuleLine, scoreOf } from './treatment-selection';

export function orderLines(review: DraftOrderReview): Md[] {
  const o = EN.orderCheck.order;
  const agents = (x: InductionOrder | SystemicOrder) =>
    x.recognised.length > 0 ? x.recognised.map((r) => o.recognised(r.label, recognitionPhrase(r, 'order'))).join('; ') : o.notCoded;
  const concurrent = new Set(review.concurrentPlatinum);
  return [
    ...review.regimen.map((x) => text(o.induction(x.reference, agents(x), x.by), 400)),
    ...review.platinumOrders.map((x) => text(o.platinum(x.reference, agents(x), concurrent.has(x.reference)), 400)),
    ...review.otherSystemic.map((x) => text(o.otherSystemic(x.reference, agents(x)), 400)),
    ...review.ignored.map((i) => text(o.ignored(i.reference, i.reason))),
  ];
}

type AppliedCheck = Exclude<OrderCheckResult, { kind: 'not-applicable' }>;

/** The evidence of the check: the recommendation tier's own (src/explain), so the two never differ. */
function orderEvidence(result: AppliedCheck): Md[] {
  switch (result.kind) {
    case 'ict-supported':
      return recommendationEvidence('ict-ccrt');
    case 'ict-not-supported':
      return recommendationEvidence('ccrt-alone');
    case 'consider-trial':
      return recommendationEvidence('clinical-trial');
    case 'insufficient-data':
      return [trusted(EN.orderCheck.needsIctos)];
    case 'undetermined':
      return [EN.recommendation.lowIctosNoBenefit, EN.recommendation.notValidated, EN.recommendation.regimen].map((l) => trusted(l));
  }
}

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
  const result = checkInductionOrder(ctx.assessment, draftInduction(review, selections));
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
    headline: trusted(EN.orderCheck.headline[result.kind]),
    caveats: caveats(ctx),
    orders: orderLines(review),
    population: populationSection(ctx),
    inputs: inputRows([...ICTOS_KEYS, ...STAGING_KEYS, ...RISK_KEYS], extraction),
    unusable: unusableLines([...ICTOS_KEYS, ...RISK_KEYS], extraction),
    rules: [
      ...ictosRuleLines(ctx),
      ...(result.kind === 'ict-supported' || result.kind === 'insufficient-data' ? [] : [riskRuleLine(ctx)]),
      trusted(EN.orderCheck.rule),
      ...(result.kind === 'undetermined' ? [text(EN.orderCheck.notEstablished(undeterminedMissing(result)))] : []),
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
              label: EN.orderCheck.removeRegimen(deletable.length),
              uuid: ctx.newUuid(),
              actions: deletable.map((o) => ({ type: 'delete' as const, description: EN.orderCheck.removeOrder(o.reference, o.agents.join(' + ')), resourceId: o.reference })),
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
