/**
 * What is missing, in words: the needs of src/core/needs.ts with their label and reason, from the
 * message catalogue. The missing-data card and the SMART app's "Missing" list both print these lines.
 */
import type { Need } from '../core';
import type { Extraction } from '../fhir/extract';
import { EN } from './en';
import { AMBIGUOUS_EDITION_TEXT, POPULATION_DOUBT_TEXT } from './labels';
import type { Messages } from './messages';

/** One need in words. */
export interface NeedLine {
  readonly need: Need;
  readonly label: string;
  readonly why: string;
}

/** The needs of one patient in words, in the order of `needs`. */
export function needLines(needs: readonly Need[], extraction: Extraction, messages: Messages = EN): NeedLine[] {
  const ctx = {
    postWindowStart: extraction.treatment.postWindowStart,
    stageCaveat: POPULATION_DOUBT_TEXT['stage-not-recorded'].long,
    ambiguousEdition: AMBIGUOUS_EDITION_TEXT,
  };
  return needs.map((need) => ({ need, label: messages.needs.label(need), why: messages.needs.why(need, ctx) }));
}

/** The distinct labels of `lines`, in order (a summary lists them). */
export function needLabels(lines: readonly NeedLine[]): string[] {
  return [...new Set(lines.map((l) => l.label))];
}
