/** The tumor-blood-flow rules in words (Liu 2022): each rule's value, outcome and evidence. */
import { decimalText, TBF_EVIDENCE, tbfOutlook, type Assessment, type TbfRuleId, type TbfRuleResult } from '../core';
import { INPUT_LABELS } from './labels';
import { EN } from './en';
import type { Messages } from './messages';
import { strong, type Phrase } from './phrase';

/**
 * The outcome of one rule: a prediction for Pre-TBF and the residual rules, an association on the same
 * 40 Gy MRI for Post-TBF and ΔTBF against the response (clinical-spec.md section 5, v2).
 */
export function tbfOutcomeText(result: TbfRuleResult, m: Messages = EN): string {
  const ev = TBF_EVIDENCE[result.rule];
  switch (result.kind) {
    case 'insufficient-data':
      return m.rules.insufficient;
    case 'not-applicable':
      return m.rules.notApplicable[result.reason];
    default:
      return m.rules.outcome(result.kind, result.kind === 'favorable' ? ev.favorableOutcome : ev.unfavorableOutcome, ev.reading);
  }
}

/** The rule's compared value, or what it lacks. */
export function tbfValueText(result: TbfRuleResult, m: Messages = EN): string {
  return result.kind === 'insufficient-data' ? m.rules.notAvailable(result.missing.map((i) => INPUT_LABELS[i])) : decimalText(result.value);
}

/**
 * One rule on a card: "Pre-TBF-response (source): Pre-TBF 150 vs cutoff > 137.07 → **favorable: …**.
 * AUC …; strongest evidence." `figures` replaces the published figures when a site calibration set the cutoff.
 */
export function tbfRuleLine(result: TbfRuleResult, figures: Phrase | undefined, m: Messages = EN): Phrase {
  const ev = TBF_EVIDENCE[result.rule];
  const outcome = result.kind === 'favorable' || result.kind === 'unfavorable' ? [strong(tbfOutcomeText(result, m))] : [tbfOutcomeText(result, m)];
  return m.rules.ruleLine(
    result.rule,
    figures === undefined ? ev.source : m.rules.localSource(ev.source),
    ev.parameter,
    tbfValueText(result, m),
    decimalText(result.cutoff),
    outcome,
    figures ?? [`${m.rules.figures(ev)}; ${m.rules.strength[ev.strength]}.`],
  );
}

/** The published evidence of one rule on a card: its counts with PPV and NPV, and the group means (Liu 2022 Tables 4–5). */
export function tbfEvidenceLine(rule: TbfRuleId, m: Messages = EN): string {
  const ev = TBF_EVIDENCE[rule];
  return `${rule} (${ev.source}): ${m.rules.counts(ev)} ${m.rules.groupMeans(ev)}`;
}

/** The same evidence with the figures first, for the app's table (which has no separate rule line). */
export function tbfRuleEvidence(rule: TbfRuleId, m: Messages = EN): string {
  const ev = TBF_EVIDENCE[rule];
  return `${m.rules.figures(ev)}; ${m.rules.counts(ev)} ${m.rules.groupMeans(ev)} ${ev.source}.`;
}

/** The app's one-line summary of the rules. */
export function tbfSummary(assessment: Assessment, rulesApply: boolean, m: Messages = EN): string {
  if (!rulesApply) return m.rules.notApplied;
  const { response, residual, weakOnly } = tbfOutlook(assessment.tbf);
  if (response === 'none' && residual === 'none') return m.rules.noRuleYet;
  return m.rules.summary(`${m.rules.responseDirection[response]}${weakOnly ? m.rules.weakOnly.long : ''}`, m.rules.residualDirection[residual]);
}
