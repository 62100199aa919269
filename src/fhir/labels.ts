/**
 * Plain-text names for what the extraction finds, the assumptions it makes and the reasons it rejects a
 * record: one vocabulary for the cards (which escape it into Markdown) and the SMART app (which escapes
 * it into HTML).
 */
import type { Problem } from '../core';
import type { ExtractKey, Extracted, Extraction, ExtractionNote, Unusable } from './extract';
import { wholeDays } from './selection';

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
      const t = extraction.treatment;
      const day = t.postWindowDay ?? 25;
      const dose = t.deliveredDose;
      if (t.postWindowBasis === 'delivered-dose' && dose !== undefined) {
        return `40 Gy timepoint inferred from the RT start and the recorded dose (${dose.dosePerFractionGy} Gy per fraction; window from day ${day}, 36-46 Gy delivered)`;
      }
      const end = t.postWindowBasis === 'close-day' ? `; no RT end recorded, the window closes on ${t.postWindowEnd?.slice(0, 10) ?? 'day 35'}` : '';
      return `40 Gy timepoint inferred from the RT start (on or after day ${day}${end})`;
    }
    case 'unit-converted':
      return `converted from ${e.provenance.recordedUnit ?? 'the recorded unit'}`;
    case 'closest-to-40-gy':
      return `the scan closest to the 40 Gy date (${extraction.treatment.fortyGyDate?.slice(0, 10) ?? 'RT day 25'}) among several in the window`;
    case 'stale': {
      const key = (Object.keys(extraction.found) as ExtractKey[]).find((k) => extraction.found[k] === e) ?? 'ictos';
      return staleText(key, wholeDays(Date.parse(e.provenance.effective), Date.parse(extraction.now)));
    }
  }
}

/**
 * (v2) "stale: measured 45 days ago; the study used an MRI within 2 weeks before treatment" (clinical-spec.md
 * section 4, Recency; Dong 2019 Methods).
 */
export function staleText(input: ExtractKey, ageDays: number): string {
  const basis =
    input === 'ebv-dna'
      ? 'the study used pre-treatment plasma EBV DNA'
      : input === 't-category' || input === 'n-category' || input === 'm-category' || input === 'stage-group'
        ? 'the recommendation needs current staging'
        : input === 'pre-tbf'
          ? 'Pre-TBF must be measured shortly before treatment'
          : 'the study used an MRI within 2 weeks before treatment';
  return `stale: measured ${ageDays} days ago; ${basis}`;
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
  implausible: 'the value is outside the plausible range',
  'implausible-date': 'the date is not plausible',
  unplaceable: 'cannot be placed before or after treatment (a treatment record has an implausible date)',
  stale: 'stale (older than its recency window)',
  'not-closest-to-40-gy': 'another scan in the window is closer to the 40 Gy date',
};

/** Why a supplied input cannot be used by a rule. */
export const PROBLEM_TEXT: Readonly<Record<Problem['reason'], string>> = {
  'not-finite': 'not a finite number',
  'out-of-range': 'outside the possible range',
  conflicting: 'recorded with conflicting values',
  'indeterminate-bound': 'reported only as a bound that does not decide the comparison',
  unrecognised: 'not a recognised value',
  'not-configured': 'needs site configuration that is not set (normalization of the raw features)',
  stale: 'too old for the treatment-selection recommendation',
  implausible: 'outside the plausible range',
};

/** "Pre-TBF (…): Observation/x not used, unit cannot be converted (mmHg)". */
export function describeUnusable(u: Unusable): string {
  if (u.reason === 'stale' && u.ageDays !== undefined && u.input !== 'pre-tbf') {
    return `${INPUT_LABELS[u.input]}: ${u.reference} not used for the treatment-selection recommendation, ${staleText(u.input, u.ageDays)}`;
  }
  return `${INPUT_LABELS[u.input]}: ${u.reference} not used, ${UNUSABLE_TEXT[u.reason]}${u.detail !== undefined ? ` (${u.detail})` : ''}`;
}

/** "T category: recorded with conflicting values"; (v2) "ICTOS (recorded score): stale: measured 45 days ago; ...". */
export function describeProblem(p: Problem): string {
  const label = INPUT_LABELS[p.input as ExtractKey] ?? p.input;
  if (p.reason === 'stale' && p.ageDays !== undefined) return `${label}: ${staleText(p.input as ExtractKey, p.ageDays)}`;
  return `${label}: ${PROBLEM_TEXT[p.reason]}`;
}
