/**
 * Plain-text names for what the extraction finds, the assumptions it makes and the reasons it rejects a
 * record, and the sentences of the studied population (who is in it, the caveats, the age line): one
 * vocabulary for the cards (which escape it into Markdown) and the SMART app (which escapes it into HTML).
 * English constants, each worded once; they become catalogue entries (./messages.ts) with the second
 * language (issue 18).
 */
import {
  DONG_COHORTS,
  LIU_TABLE_2,
  percentText,
  LIU_AGE_RANGE,
  LIU_COHORT,
  MINIMUM_AGE_YEARS,
  populationDoubts,
  type AgeStatus,
  type Assessment,
  type OutOfScopeReason,
  type PopulationDoubt,
  type Problem,
  type RecistCategory,
} from '../core';
import type { ExtractKey, Extracted, Extraction, ExtractionNote, Unusable } from '../fhir/extract';
import type { ObservedResponse } from '../fhir/observed';
import { wholeDays } from '../fhir/selection';

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

/** Why the rules do not apply to a patient outside the studied population (clinical-spec.md section 2, v2). */
export const OUT_OF_SCOPE_TEXT: Readonly<Record<OutOfScopeReason, string>> = {
  'no-npc-diagnosis': 'No active nasopharyngeal carcinoma diagnosis (ICD-10 C11.x or SNOMED 187692001) is recorded.',
  'distant-metastasis': 'Distant metastasis is recorded (M1, or stage IVC / IVB in the 8th edition): the studies excluded metastatic disease.',
  'not-locoregionally-advanced': 'The stage is not locoregionally advanced (the studies enrolled stage III\u2013IVA, 8th edition / III\u2013IVB, 7th edition).',
  'recurrent-disease': 'Recurrent disease is recorded: both studies enrolled newly diagnosed patients before any anti-cancer treatment (Liu 2022 Methods; Dong 2019 Methods).',
  n0: 'N0 is recorded: neither cohort had N0 patients (Liu 2022 Table 1: N1 3, N2 32, N3 20; Dong 2019 Table 1), although the AJCC tables place T3\u20134 N0 in stage III / IVA.',
  'under-18': `The patient is younger than ${MINIMUM_AGE_YEARS}: both studies enrolled adults (Liu 2022 Table 1: ${LIU_AGE_RANGE.min}\u2013${LIU_AGE_RANGE.max} years).`,
};

/** The caveat of each population doubt: a few words for a summary, a sentence for the detail. */
export const POPULATION_DOUBT_TEXT: Readonly<Record<PopulationDoubt, { readonly short: string; readonly long: string }>> = {
  'stage-not-recorded': {
    short: 'stage not recorded',
    long: 'Stage not recorded: the studies enrolled stage III\u2013IVA (AJCC 8th) / III\u2013IVB (AJCC 7th) only.',
  },
  'm-category-not-recorded': {
    short: 'M not recorded',
    long: 'M category not recorded: distant metastasis is not excluded by an M category.',
  },
  'n-category-not-recorded': {
    short: 'N not recorded',
    long: 'N category not recorded: N0, which neither cohort included, is not excluded.',
  },
  'age-not-recorded': {
    short: 'age not recorded',
    long: `Age not recorded (no birth date): the studies enrolled adults (Liu 2022: ${LIU_AGE_RANGE.min}\u2013${LIU_AGE_RANGE.max} years).`,
  },
};

/** The age line of the population section: the age, and whether it lies within Liu 2022's range. */
export function ageText(age: AgeStatus): string {
  if (!age.recorded) return POPULATION_DOUBT_TEXT['age-not-recorded'].long;
  const range = `${LIU_AGE_RANGE.min}\u2013${LIU_AGE_RANGE.max}`;
  return age.withinLiuRange
    ? `Age ${age.years}: within the age range of Liu 2022 (${range} years).`
    : `Age ${age.years}: outside the age range of Liu 2022 (${range} years); the TBF cutoffs were not studied at this age.`;
}

/** "IVB without an edition": what would decide whether the patient is in scope (clinical-spec.md section 2, v2). */
export const AMBIGUOUS_EDITION_TEXT =
  'Stage group IVB is recorded without an AJCC edition and without an M category: under the 7th edition IVB is N3 M0 (in the studied population), under the 8th it means distant metastasis (M1). Recording the M category, or the edition of the staging, decides it.';

/** A RECIST 1.1 category in words, for the observed response. */
export const RECIST_TEXT: Readonly<Record<RecistCategory, string>> = {
  'complete-response': 'complete response',
  'partial-response': 'partial response',
  'stable-disease': 'stable disease',
  'progressive-disease': 'progressive disease',
};

/** The same, abbreviated for a summary. */
export const RECIST_SHORT: Readonly<Record<RecistCategory, string>> = {
  'complete-response': 'CR',
  'partial-response': 'PR',
  'stable-disease': 'SD',
  'progressive-disease': 'PD',
};

/**
 * The observed response in words, labelled "observed" (not a prediction), and what Liu 2022 Table 2 found
 * after it: residual tumor at one month in 5 of 36 PR and 12 of 19 SD patients. One wording for cards and app.
 */
export function observedResponseLines(o: ObservedResponse): string[] {
  const t2 = LIU_TABLE_2;
  const share = (n: number, d: number) => percentText(n / d);
  return [
    `Observed at 40 Gy: tumor atrophy rate (Liu 2022 Eq. 3) = (${o.pre} \u2212 ${o.post}) / ${o.pre} = ${o.atrophyPercent.toFixed(1)}%: ${RECIST_TEXT[o.recist]} (RECIST 1.1, single-diameter reading). This is the measured response, not a prediction.`,
    `Liu 2022 Table 2: residual tumor one month after CRT in ${t2.pr.residual} of ${t2.pr.total} PR patients (${share(t2.pr.residual, t2.pr.total)}) and ${t2.sd.residual} of ${t2.sd.total} SD patients (${share(t2.sd.residual, t2.sd.total)}), Pearson \u03c7\u00b2 ${t2.chiSquared}.`,
  ];
}
