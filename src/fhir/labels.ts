/**
 * Plain-text names for what the extraction finds, the assumptions it makes and the reasons it rejects a
 * record: one vocabulary for the cards (which escape it into Markdown) and the SMART app (which escapes
 * it into HTML).
 */
import {
  AMBIGUOUS_EDITION_TEXT,
  DONG_COHORTS,
  LIU_AGE_RANGE,
  LIU_COHORT,
  OUT_OF_SCOPE_TEXT,
  POPULATION_DOUBT_TEXT,
  ageText,
  populationDoubts,
  type Assessment,
  type Problem,
} from '../core';
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
  ambiguous: 'ambiguous without the AJCC edition or the M category',
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

/** The studied populations, one sentence for cards and app. */
export const STUDIED_POPULATIONS =
  `Studied populations: adults with newly diagnosed, untreated, locoregionally advanced NPC with nodal disease (N1\u2013N3). ` +
  `Liu 2022: stage III\u2013IVA (AJCC 8th), ${LIU_COHORT.n} patients aged ${LIU_AGE_RANGE.min}\u2013${LIU_AGE_RANGE.max}, one centre. ` +
  `Dong 2019: stage III\u2013IVB (AJCC 7th), training ${DONG_COHORTS.training.n}, validation ${DONG_COHORTS.validation.n} (trial NCT01245959).`;

/**
 * Whether the patient matches the studied population, as plain-text lines for the card and the app:
 * the NPC diagnosis, the stage and how it was established, the edition (recorded, assumed or inferred),
 * every doubt, the age, and why the rules do not apply when they do not (clinical-spec.md section 2, v2).
 */
export function populationLines(assessment: Assessment, extraction: Extraction): string[] {
  const pop = assessment.population;
  const out: string[] = [];
  if (extraction.npcCondition !== undefined) out.push(`NPC diagnosis: ${extraction.npcCondition.reference} (${extraction.npcCondition.code}).`);
  const edition =
    `AJCC ${pop.edition}th edition` +
    (pop.editionAssumed ? ' (assumed: the staging does not name its edition)' : '') +
    (pop.editionInferred ? ' (inferred: a stage group IVB with M0 exists only in the 7th edition, where it means N3 M0)' : '');
  const rec = assessment.recommendation;
  if (pop.kind === 'in-scope') {
    const t = extraction.inputs.population.tCategory ?? '?';
    const n = extraction.inputs.population.nCategory ?? '?';
    const how = pop.stageSource === 'recorded' ? 'recorded' : `derived from ${t} ${n}`;
    out.push(`Stage ${pop.stageGroup} (${how}), ${edition}.`);
  } else if (pop.kind === 'out-of-scope') {
    out.push(OUT_OF_SCOPE_TEXT[pop.reason]);
    if (pop.stageGroup !== undefined) out.push(`Stage ${pop.stageGroup}, ${edition}.`);
    out.push('The rules are not applied outside the studied population.');
  } else if (rec.kind === 'not-applicable' && rec.reason === 'ambiguous-edition') {
    out.push(AMBIGUOUS_EDITION_TEXT);
  } else if (rec.kind === 'not-applicable' && rec.reason === 'staging-conflict') {
    out.push('The recorded M category or stage group is contradictory, so whether the patient is in the studied population cannot be decided. No rule is applied until the staging is consistent.');
    out.push(...pop.problems.map((p) => `${describeProblem(p)}.`));
  } else {
    out.push(`${POPULATION_DOUBT_TEXT['stage-not-recorded'].long} Results are shown with this caveat.`);
    out.push(...pop.problems.map((p) => `${describeProblem(p)}.`));
  }
  for (const doubt of populationDoubts(pop)) {
    if (doubt !== 'stage-not-recorded' && doubt !== 'age-not-recorded') out.push(POPULATION_DOUBT_TEXT[doubt].long);
  }
  if (pop.kind !== 'out-of-scope' || pop.reason !== 'under-18') out.push(ageText(pop.age));
  out.push(STUDIED_POPULATIONS);
  return out;
}

/** UCUM codes as people write them; the findings keep the UCUM code. */
const UNIT_LABELS: Readonly<Record<string, string>> = {
  'mL/(100.g)/min': 'mL/100 g/min',
  '{copies}/mL': 'copies/mL',
  '1': '',
  cm3: 'cm\u00b3',
  'mm3': 'mm\u00b3',
  '[IU]/mL': 'IU/mL',
  'mL/g/s': 'mL/g/s',
  '%': '%',
};

/**
 * A unit as a clinician writes it: "mL/100 g/min" for `mL/(100.g)/min`, "copies/mL" for `{copies}/mL`,
 * nothing for the dimensionless `1` (a score or z-score); other codes as recorded.
 */
export function unitLabel(ucum: string | undefined): string {
  if (ucum === undefined) return '';
  return UNIT_LABELS[ucum] ?? ucum;
}
