/**
 * The facts of data selection and time that the "what is missing" decision (src/core/needs.ts) needs,
 * from the extraction; and the decision itself, for the cards and the app alike.
 */
import { whatIsMissing, type Assessment, type Need, type NeedFacts } from '../core';
import type { Extraction } from './extract';

/**
 * Post-TBF is still to come: RT has started, Pre-TBF is usable, no Post-TBF was found, and the 40 Gy
 * window has not closed (RT end, or the window's configured end without one).
 */
export function postTbfPending(extraction: Extraction, assessment: Assessment): boolean {
  const t = extraction.treatment;
  if (t.rtStart === undefined || assessment.tbf['pre-tbf-response'].kind === 'insufficient-data' || extraction.found['post-tbf'] !== undefined) return false;
  const nowMs = Date.parse(extraction.now);
  const ends = [t.rtEnd, t.postWindowEnd].filter((d): d is string => d !== undefined).map((d) => Date.parse(d));
  return ends.every((end) => nowMs < end);
}

/** The facts of {@link whatIsMissing} for this extraction. */
export function needFacts(extraction: Extraction, assessment: Assessment): NeedFacts {
  return {
    treatmentStarted: extraction.treatment.started,
    postTbfPending: postTbfPending(extraction, assessment),
    conflictingStaging: extraction.inputs.population.conflicting ?? [],
  };
}

/** What is missing for this patient, and what to order (the one decision the card and the app both show). */
export function missingNeeds(extraction: Extraction, assessment: Assessment): Need[] {
  return whatIsMissing(assessment, needFacts(extraction, assessment));
}
