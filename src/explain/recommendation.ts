/** The treatment-selection recommendation in words (Dong 2019, R7): the app's heading and sentence. */
import { RECOMMENDATION_EVIDENCE, type Assessment } from '../core';
import type { Extraction } from '../fhir/extract';
import { INPUT_LABELS } from './labels';
import { EN } from './en';
import type { Messages } from './messages';

export interface RecommendationText {
  /** ict-ccrt | ccrt-alone | clinical-trial | undetermined | insufficient-data | not-applicable */
  readonly kind: string;
  readonly heading: string;
  readonly text: string;
  readonly evidence: readonly string[];
}

/** The recommendation, or why there is none, as a heading and a sentence, with the tier's evidence. */
export function recommendationText(assessment: Assessment, extraction: Extraction, rulesApply: boolean, m: Messages = EN): RecommendationText {
  const rec = assessment.recommendation;
  const none = m.recommendation.none;
  const labels = (ids: readonly (keyof typeof INPUT_LABELS)[]) => ids.map((i) => INPUT_LABELS[i]);
  if (!rulesApply || (rec.kind === 'not-applicable' && rec.reason !== 'treatment-started')) {
    const why = rec.kind === 'not-applicable' && rec.reason !== 'treatment-started' ? none.why[rec.reason] : none.outsidePopulation;
    return { kind: 'not-applicable', heading: none.heading, text: none.text(why), evidence: [] };
  }
  switch (rec.kind) {
    case 'not-applicable': {
      const start = extraction.treatment.start;
      return { kind: 'not-applicable', heading: none.startedHeading, text: none.started(start?.date, start?.reference), evidence: [] };
    }
    case 'insufficient-data':
      return { kind: 'insufficient-data', heading: none.missingHeading, text: none.missing(labels(rec.missing)), evidence: [] };
    case 'undetermined':
      return { kind: 'undetermined', heading: none.undeterminedHeading, text: none.undetermined(labels(rec.missing)), evidence: [] };
    default:
      return {
        kind: rec.kind,
        heading: m.recommendation.label[rec.kind],
        text: m.recommendation.option(rec.kind, RECOMMENDATION_EVIDENCE[rec.kind].validated),
        evidence: m.recommendation.evidence(rec.kind),
      };
  }
}
