/**
 * The store of issued cards and CDS Hooks 2.0 feedback: the interface every backend implements
 * (embedded SQLite, PostgreSQL; same schema, migrations and report SQL) and the pure helpers they share.
 *
 * Timestamps are kept as ISO-8601 text in UTC (`2026-03-02T10:00:00.000Z`) so that comparing the text
 * compares the instants, in SQLite and PostgreSQL alike.
 */
import { createHash, createHmac } from 'node:crypto';

/** A card this service returned, with the machine-readable findings it carried. */
export interface IssuedCard {
  /** The card's uuid (CDS Hooks `card.uuid`), the key of feedback. */
  readonly uuid: string;
  /** The CDS service id that issued it. */
  readonly service: string;
  readonly hookInstance: string;
  /** `treatment-selection`, `response-prediction`, `missing-data` or `order-check`. */
  readonly cardKind: string;
  /** When it was issued, ISO-8601 (stored normalised to UTC). */
  readonly issuedAt: string;
  /** The patient id, already salted and hashed by the caller ({@link hashPatientId}); never a raw id. */
  readonly patientHash: string;
  /** The `org.npc-cds.findings` of the card, reduced to rule and outcome. */
  readonly findings: readonly { readonly rule: string; readonly outcome: string }[];
  /**
   * The id of the threshold set (site profile) the card was computed with, such as `site-a-2026`, or
   * `default` for a caller with no site mapping. Not empty, and not {@link THRESHOLD_SET_NOT_RECORDED}.
   */
  readonly thresholdSet: string;
}

/**
 * The threshold set a report shows for cards recorded before the store kept it (schema version 1). It
 * cannot be a profile id: {@link Store.recordCards} refuses it, so the label is never ambiguous.
 */
export const THRESHOLD_SET_NOT_RECORDED = '(not recorded)';

/** Set-up failed to read back the salt it had just written (neither store can go on without it). */
export const SALT_NOT_STORED = 'the patient hash salt could not be stored';

/**
 * The threshold set of `card` as stored. Throws a `RangeError` when it is empty or the reserved
 * {@link THRESHOLD_SET_NOT_RECORDED}.
 */
export function checkedThresholdSet(card: IssuedCard): string {
  const set = card.thresholdSet;
  if (typeof set !== 'string' || set === '' || set === THRESHOLD_SET_NOT_RECORDED) {
    throw new RangeError(`thresholdSet of card ${card.uuid} must be a profile id, not ${JSON.stringify(set)}`);
  }
  return set;
}

/** One item of a CDS Hooks 2.0 feedback request, with the service it was posted to. */
export interface FeedbackItem {
  readonly service: string;
  /** The uuid of the card the feedback is about. */
  readonly card: string;
  readonly outcome: 'accepted' | 'overridden';
  /** Uuids of the accepted suggestions. */
  readonly acceptedSuggestions: readonly string[];
  readonly overrideReason?: { readonly system?: string; readonly code: string; readonly display?: string } | undefined;
  readonly userComment?: string | undefined;
  /** `outcomeTimestamp` as sent by the EHR (any ISO-8601 offset). */
  readonly outcomeTimestamp: string;
  /** When this service received it, ISO-8601 UTC. */
  readonly receivedAt: string;
}

/**
 * What {@link Store.recordFeedback} did with a batch: `stored + duplicates` is the number of items;
 * `unknownCards` counts the items (stored or duplicate) whose card this store never issued.
 */
export interface FeedbackResult {
  readonly stored: number;
  readonly duplicates: number;
  readonly unknownCards: number;
}

/** An override reason in a report, with how many cards it was the latest reason of. */
export interface OverrideReasonCount {
  readonly code: string;
  readonly display?: string;
  readonly count: number;
}

/**
 * Feedback on the cards that carried one (rule, outcome) finding. Each card counts once, with its latest
 * feedback item (by outcomeTimestamp; see {@link Store.report}).
 */
export interface RuleReportRow extends ReportTotals {
  readonly rule: string;
  readonly outcome: string;
  /** Override reasons of the cards whose latest feedback is an override, most frequent first. */
  readonly overrideReasons: readonly OverrideReasonCount[];
}

/** Totals over cards (a card with several findings counts once here, but in several rows). */
export interface ReportTotals {
  readonly cardsIssued: number;
  readonly cardsWithFeedback: number;
  readonly accepted: number;
  readonly overridden: number;
  /** accepted / cardsWithFeedback; null when no card has feedback. */
  readonly acceptanceRate: number | null;
  /** overridden / cardsWithFeedback; null when no card has feedback. */
  readonly overrideRate: number | null;
}

/** The report of the cards issued with one threshold set. */
export interface ThresholdSetReport {
  /** The profile id, or {@link THRESHOLD_SET_NOT_RECORDED} for cards recorded before it was kept. */
  readonly thresholdSet: string;
  /** Cards issued with this set (since `since`, if given), including cards without findings. */
  readonly cardsIssued: number;
  readonly totals: ReportTotals;
  /** One row per (rule, outcome) seen on this set's cards, ordered by rule then outcome. */
  readonly rows: readonly RuleReportRow[];
}

/** The acceptance / override report per rule and outcome, over all threshold sets and per set. */
export interface Report {
  readonly generatedAt: string;
  /** Lower bound (inclusive, ISO UTC) on `issuedAt` of the cards reported; absent for all time. */
  readonly since?: string;
  /** One row per (rule, outcome) seen on the cards issued, ordered by rule then outcome. */
  readonly rows: readonly RuleReportRow[];
  /** Feedback items stored for card uuids this store never issued (received since `since`, if given). */
  readonly feedbackForUnknownCards: number;
  /** Cards issued (since `since`, if given), including cards without findings. */
  readonly cardsIssued: number;
  readonly totals: ReportTotals;
  /**
   * The same figures per threshold set, one entry per set that has cards in the report, ordered by
   * thresholdSet in code unit order (`(not recorded)` before ids that start with a letter or digit).
   * Each card is in exactly one set, so the sets' counts add up to the top-level ones, over all sets.
   */
  readonly bySet: readonly ThresholdSetReport[];
}

/** Options of {@link Store.report}. */
export interface ReportOptions {
  /** Report only cards issued at or after this ISO-8601 date or date-time. */
  readonly since?: string | undefined;
  /** The `generatedAt` of the report (the clock is passed in, for tests); defaults to now. */
  readonly now?: string | undefined;
}

/** Persistence of issued cards and their feedback. Async so that a PostgreSQL store fits the same shape. */
export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /**
   * Records issued cards with their threshold set; idempotent on uuid (the first record of a uuid wins,
   * its set included). Rejects with a `RangeError`, storing nothing of the batch, when an issue time is
   * not a date or a threshold set is empty or {@link THRESHOLD_SET_NOT_RECORDED}.
   */
  recordCards(cards: readonly IssuedCard[]): Promise<void>;
  /**
   * Records feedback items, all or none. Idempotent: an item with the same {@link feedbackKey} as one
   * already stored is a duplicate and not stored again. Feedback for a card never issued here is stored
   * and counted in `unknownCards`. Rejects with a `RangeError` when a timestamp is not a date.
   */
  recordFeedback(items: readonly FeedbackItem[]): Promise<FeedbackResult>;
  /**
   * Acceptance and override rates per (rule, outcome). A card can receive several feedback items over
   * time (overridden, then accepted); each card counts once, with its latest item by outcomeTimestamp
   * (ties broken by receivedAt, then by key). The figures are given over all cards and per threshold set
   * (`bySet`). Rejects with a `RangeError` when `since` or `now` is not a
   * date.
   */
  report(options?: ReportOptions): Promise<Report>;
  /** A per-store secret used to salt patient hashes when none is configured (created on first use, kept in the store). */
  patientHashSalt(): Promise<string>;
  /** Liveness of the store for a health endpoint. */
  ping(): Promise<boolean>;
  /** Closes the store; closing twice is harmless. */
  close(): Promise<void>;
}

/**
 * The pseudonym of a patient id: HMAC-SHA256 keyed with `salt`, as lowercase hex. Without the salt the
 * hash cannot be reversed by hashing candidate ids. Throws a `RangeError` for an empty salt.
 */
export function hashPatientId(salt: string, patientId: string): string {
  if (salt.length === 0) throw new RangeError('hashPatientId: the salt must not be empty');
  return createHmac('sha256', salt).update(patientId, 'utf8').digest('hex');
}

/**
 * The instant `value` denotes, as ISO-8601 UTC with milliseconds, so that stored timestamps compare as
 * text. A date without a time is midnight UTC. Throws a `RangeError` naming `field` when `value` is not
 * a date.
 */
export function toUtcIso(value: string, field: string): string {
  const ms = Date.parse(value);
  if (value.trim() === '' || Number.isNaN(ms)) throw new RangeError(`${field} is not an ISO-8601 date: ${JSON.stringify(value)}`);
  return new Date(ms).toISOString();
}

/**
 * The idempotency key of a feedback item: SHA-256 hex of its card, outcome, outcomeTimestamp (as an
 * instant, so `Z` and `+00:00` are the same), accepted suggestions (as a set) and override reason
 * (system and code). The comment, display and receipt time do not make an item different.
 */
export function feedbackKey(item: FeedbackItem): string {
  const identity = [
    item.card,
    item.outcome,
    toUtcIso(item.outcomeTimestamp, 'outcomeTimestamp'),
    [...new Set(item.acceptedSuggestions)].sort(),
    item.overrideReason?.system ?? null,
    item.overrideReason?.code ?? null,
  ];
  return createHash('sha256').update(JSON.stringify(identity), 'utf8').digest('hex');
}

/** `part / whole`, or null when `whole` is 0. */
export function rate(part: number, whole: number): number | null {
  return whole === 0 ? null : part / whole;
}
