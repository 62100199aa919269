/** The missing-data card: what is missing and what to order (src/core/needs.ts), in the words of src/explain, with draft-order suggestions. */
import { ordersFor, type Need } from '../../core';
import { findingProblems, ictosFinding, inputRows, problemLines, riskFinding, tbfFindings, unusableLines, findingInputs, ictosInputIds } from '../basis';
import type { Finding } from '../card-schema';
import { trusted } from '../markdown';
import { PATIENT_VIEW_OVERRIDE_REASONS } from '../vocabulary';
import { EN } from '../../explain/en';
import { needLabels, needLines } from '../../explain/needs';
import { suggestedServiceRequest } from '../../fhir/suggested-orders';
import { type BuiltCard, type CardContext, ICTOS_KEYS, RISK_KEYS, STAGING_KEYS, card, caveats, citation, populationSection } from './envelope';

/** The findings of the missing-data card: one per decision that a need holds back. */
function needFindings(ctx: CardContext, needs: readonly Need[]): Finding[] {
  const { assessment, extraction } = ctx;
  const rec = assessment.recommendation;
  const topics = new Set(needs.map((n) => n.topic));
  const findings: Finding[] = [];
  for (const n of needs) {
    if (n.topic === 'consistent-staging') {
      findings.push({ rule: 'recommendation', outcome: 'not-applicable', reason: 'staging-conflict', inputs: findingInputs(['m-category', 'stage-group'], extraction), missing: [...n.inputs] });
    } else if (n.topic === 'staging-edition') {
      findings.push({ rule: 'recommendation', outcome: 'not-applicable', reason: 'ambiguous-edition', inputs: findingInputs(['stage-group'], extraction), missing: ['m-category'] });
    }
  }
  if (topics.has('ictos') && rec.kind === 'insufficient-data') {
    findings.push(ictosFinding(assessment, extraction));
    findings.push({ rule: 'recommendation', outcome: 'insufficient-data', inputs: [], missing: [...rec.missing], ...findingProblems(rec.missing, rec.problems, extraction) });
  }
  if (topics.has('risk-input') && rec.kind === 'undetermined') {
    findings.push(riskFinding(assessment, extraction));
    findings.push({ rule: 'recommendation', outcome: 'undetermined', inputs: findingInputs(ictosInputIds(assessment), extraction), missing: [...rec.missing] });
  }
  if (topics.has('pre-tbf')) findings.push(...tbfFindings(assessment, extraction, ['pre-tbf-response', 'pre-tbf-residual']));
  if (topics.has('post-tbf') && assessment.tbf['delta-tbf-response'].kind === 'insufficient-data') {
    findings.push(...tbfFindings(assessment, extraction, ['delta-tbf-response', 'delta-tbf-residual', 'post-tbf-response']));
  }
  return findings;
}

/** The summary's list of what is missing, shortened ("ICTOS, Pre-TBF and more") to fit. */
function missingSummaryList(labels: readonly string[]): string {
  const shown = [...labels];
  let missing = shown.join(', ');
  while (missing.length > 85 && shown.length > 1) {
    shown.pop();
    missing = `${shown.join(', ')} and more`;
  }
  return missing;
}

/** The missing-data card for `needs` (not empty: src/core/cards-apply.ts decides that the card applies). */
export function missingDataCard(ctx: CardContext, needs: readonly Need[]): BuiltCard {
  const lines = needLines(needs, ctx.extraction);
  const m = EN.needs;
  const suggestions = ordersFor(needs).map(({ orderable, needs: served }) => {
    const labels = [...new Set(served.map((n) => m.label(n)))];
    const label = m.orderLabel(orderable);
    return {
      label,
      uuid: ctx.newUuid(),
      actions: [
        {
          type: 'create' as const,
          description: m.orderAction(label, labels),
          resource: { ...suggestedServiceRequest({ orderable, patientId: ctx.patientId, condition: ctx.extraction.npcCondition?.reference, note: m.orderNote(labels) }) },
        },
      ],
    };
  });
  const problems = [
    ...unusableLines(['pre-tbf', 'post-tbf', ...ICTOS_KEYS, ...STAGING_KEYS, ...RISK_KEYS], ctx.extraction),
    ...problemLines(ctx.assessment.risk.problems),
  ];
  const detail = ctx.templates.detail('missing-data', {
    headline: trusted(m.headline),
    caveats: caveats(ctx),
    population: populationSection(ctx),
    needs: lines.map((l) => trusted(l.why)),
    problems,
    inputs: inputRows([...ICTOS_KEYS, ...STAGING_KEYS, ...RISK_KEYS, 'pre-tbf', 'post-tbf', 'treatment-start'], ctx.extraction),
    unusable: [],
    suggestionNote: suggestions.length > 0 ? trusted(m.suggestionNote) : trusted(''),
    citations: [citation('dong-2019'), citation('liu-2022')],
  });
  const summary = ctx.templates.summary('missing-data', { missing: missingSummaryList(needLabels(lines)) });
  return card(
    ctx,
    'missing-data',
    {
      summary,
      detail,
      indicator: 'info',
      overrideReasons: [...PATIENT_VIEW_OVERRIDE_REASONS],
      ...(suggestions.length > 0 ? { suggestions, selectionBehavior: 'any' as const } : {}),
    },
    needFindings(ctx, needs),
  );
}
