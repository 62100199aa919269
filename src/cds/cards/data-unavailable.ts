/** The one card of a hook call whose data the EHR's FHIR server failed to give (docs/decisions/0007-fhir-faults.md). */
import type { FaultKey } from '../../fhir/errors';
import type { DraftOrderReview } from '../../fhir/orders';
import { unavailableFinding } from '../basis';
import { text, trusted, type Md } from '../markdown';
import type { CardTemplates } from '../templates';
import { EN } from '../../explain/en';
import { type BuiltCard, type CardBase, card, SUMMARY_MAX } from './envelope';
import { orderLines } from './order-check';

export interface UnavailableContext extends CardBase {
  readonly templates: CardTemplates;
  /** The keys the FHIR server failed for, with the reasons (never a body, a URL or an id). */
  readonly failures: readonly FaultKey[];
  /** The deadline the fetches ran under. */
  readonly deadlineMs: number;
  readonly hookInstance: string;
}

/** What each prefetch key carries, in the clinician's words: short for the summary, long for the detail. */
const KEY_TEXT = EN.faults.data;

/** Why a key failed, in a sentence (detail); a `found` type token is escaped like any text from outside. */
function longReason(f: FaultKey, deadlineMs: number): Md {
  return trusted(EN.faults.long({ ...f, ...(f.found !== undefined ? { found: text(f.found, 80) } : {}) }, deadlineMs));
}

/** The failed data for the summary, shortened ("observations, procedures and more") to fit in `room` characters. */
function failedData(failures: readonly FaultKey[], room: number): string {
  const labels = [...new Set(failures.map((f) => KEY_TEXT[f.key].short))];
  if (labels.length === Object.keys(KEY_TEXT).length) return 'the patient\u2019s data';
  let what = labels.join(', ');
  while (what.length > room && labels.length > 1) {
    labels.pop();
    what = `${labels.join(', ')} and more`;
  }
  return what;
}

const WHY_MAX = 40;

/** The summary under 140 characters: the failed data and the reason, shortened as needed. */
function unavailableSummary(ctx: UnavailableContext, variant: 'patient-view' | 'order-check'): string {
  const why = (detailed: boolean) => {
    const reasons = [...new Set(ctx.failures.map((f) => EN.faults.short(f, ctx.deadlineMs, detailed)))];
    return reasons.length === 1 ? (reasons[0] as string) : 'several faults';
  };
  const detailed = why(true);
  const reason = detailed.length <= WHY_MAX ? detailed : why(false);
  const render = (what: string) => ctx.templates.summary(`data-unavailable.${variant}`, { what, why: reason });
  const summary = render(failedData(ctx.failures, SUMMARY_MAX - render('').length));
  return summary.length <= SUMMARY_MAX ? summary : render('data');
}

/**
 * The one card of a hook call whose data the EHR's FHIR server failed to give (docs/decisions/0007):
 * which data, why, and that nothing was concluded. A warning, so that an absent recommendation or order
 * warning is not mistaken for a reassuring one. `orders` is the order-check variant (the draft orders
 * the check was about); without it the patient-view variant.
 */
export function dataUnavailableCard(ctx: UnavailableContext, orders?: { review: DraftOrderReview }): BuiltCard {
  const summary = unavailableSummary(ctx, orders === undefined ? 'patient-view' : 'order-check');
  const finding = unavailableFinding(orders === undefined ? 'recommendation' : 'order-check');
  const detail = ctx.templates.detail('data-unavailable', {
    headline: trusted(EN.faults.headline[orders === undefined ? 'patient-view' : 'order-check']),
    failures: ctx.failures.map((f) => trusted(`**${KEY_TEXT[f.key].long}**: ${longReason(f, ctx.deadlineMs)}.`)),
    orders: orders === undefined ? [] : orderLines(orders.review),
    consequence: trusted(
      'NPC-CDS uses the patient\u2019s data all or nothing: what was read of the other data is not used either, because a recommendation on part of the record could differ from the one on the whole record. ' +
        (orders === undefined
          ? 'The absence of a recommendation is not a \u201clow risk\u201d or \u201cnothing to consider\u201d result.'
          : 'The absence of a warning does not mean that the order fits the evidence: the check compares induction chemotherapy with the patient\u2019s ICTOS (Dong 2019), which could not be read.'),
    ),
    actions: [
      trusted(orders === undefined ? 'Open the chart again later: the fault may be temporary.' : 'Select or sign again later: the fault may be temporary.'),
      ...(ctx.smartAppUrl !== undefined ? [trusted('The NPC-CDS app (link below) reads the record itself and shows the full picture once the FHIR server answers.')] : []),
      trusted(`If it keeps happening, tell the EHR integration team; the service log has the reason codes for hook call ${text(ctx.hookInstance, 64)}.`),
    ],
  });
  return card(ctx, 'data-unavailable', { summary, detail, indicator: 'warning' }, [finding]);
}
