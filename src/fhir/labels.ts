/**
 * Plain-text names for what the extraction finds, the assumptions it makes and the reasons it rejects a
 * record: one vocabulary for the cards (which escape it into Markdown) and the SMART app (which escapes
 * it into HTML).
 */
import type { Problem } from '../core';
import type { ExtractKey, Extracted, Extraction, ExtractionNote, Unusable } from './extract';

/** What each extracted input is called on a card or in the app. */
export const INPUT_LABELS: Readonly<Record<ExtractKey, string>> = {
  'pre-tbf': 'Pre-TBF (tumor blood flow before treatment)',
  'post-tbf': 'Post-TBF (tumor blood flow at 40 Gy)',
  ictos: 'ICTOS (recorded score)',
  'skewness-z': 'Skewness (z-score)',
  'glcm-variance-z': 'GLCM variance (z-score)',
  'glrlm-lrhgle-z': 'GLRLM LRHGLE (z-score)',
  skewness: 'Skewness (raw)',
  'glcm-variance': 'GLCM variance (raw)',
  'glrlm-lrhgle': 'GLRLM LRHGLE (raw)',
  't-category': 'T category',
  'n-category': 'N category',
  'm-category': 'M category',
  'stage-group': 'Stage group',
  'tumor-volume': 'Primary tumor volume',
  'ebv-dna': 'Plasma EBV DNA',
  'treatment-start': 'Treatment start (first RT or chemotherapy)',
  'mptd-pre': 'Maximum tumor diameter before treatment',
  'mptd-post': 'Maximum tumor diameter at 40 Gy',
};

/** The text shown next to a value for one of its extraction notes. */
export function describeNote(note: ExtractionNote, e: Extracted<number | string>, extraction: Extraction): string {
  switch (note) {
    case 'preliminary':
      return 'preliminary result (no final one exists)';
    case 'assumed-pre-treatment':
      return 'assumed pre-treatment: no treatment recorded';
    case 'timepoint-inferred': {
      const day = extraction.treatment.postWindowDay ?? 25;
      return `40 Gy timepoint inferred from the RT start (on or after day ${day})`;
    }
    case 'unit-converted':
      return `converted from ${e.provenance.recordedUnit ?? 'the recorded unit'}`;
  }
}

/** The value as recorded with its comparator ("<500"), or the plain value. */
export function valueWithComparator(e: Extracted<number | string>): string | number {
  const c = e.provenance.comparator;
  return c !== undefined && typeof e.value === 'number' ? `${c}${e.value}` : e.value;
}

/** Why a record found for an input was not used. */
export const UNUSABLE_TEXT: Readonly<Record<Unusable['reason'], string>> = {
  'status-excluded': 'status excludes it',
  'no-effective-time': 'no effective date',
  'future-dated': 'dated in the future',
  'outside-window': 'outside the 40 Gy window',
  'not-pre-treatment': 'measured after treatment start',
  'no-rt-start': 'no RT start recorded to place it',
  'superseded-by-final': 'preliminary, a final result exists',
  conflicting: 'conflicts with another value of the same date',
  'unit-missing': 'no unit',
  'unit-invalid': 'unit is not valid UCUM',
  'unit-not-convertible': 'unit cannot be converted',
  'unit-international-units': 'IU/mL is not comparable with copies/mL',
  'unit-log-scale': 'log scale is not comparable with copies/mL',
  'value-missing': 'no numeric value',
};

/** Why a supplied input cannot be used by a rule. */
export const PROBLEM_TEXT: Readonly<Record<Problem['reason'], string>> = {
  'not-finite': 'not a finite number',
  'out-of-range': 'outside the possible range',
  conflicting: 'recorded with conflicting values',
  'indeterminate-bound': 'reported only as a bound that does not decide the comparison',
  unrecognised: 'not a recognised value',
  'not-configured': 'needs site configuration that is not set (normalization of the raw features)',
};

/** "Pre-TBF (…): Observation/x not used, unit cannot be converted (mmHg)". */
export function describeUnusable(u: Unusable): string {
  return `${INPUT_LABELS[u.input]}: ${u.reference} not used, ${UNUSABLE_TEXT[u.reason]}${u.detail !== undefined ? ` (${u.detail})` : ''}`;
}

/** "T category: recorded with conflicting values". */
export function describeProblem(p: Problem): string {
  return `${INPUT_LABELS[p.input as ExtractKey] ?? p.input}: ${PROBLEM_TEXT[p.reason]}`;
}
