/**
 * The basis of a card (clinical-spec.md section 8), in two forms built from the same data: the
 * machine-readable findings (conventions.md, `org.npc-cds.findings`) and the escaped Markdown rows
 * the templates show. Every value, unit, date and reference here comes from the extraction's
 * provenance; nothing is re-derived.
 */
import type { Assessment, IctosFeature, InputId, Problem, TbfRuleId, TbfRuleResult } from '../core';
import { FEATURE_INPUT_ID, INPUT_IDS } from '../core';
import type { ExtractKey, Extracted, Extraction, Unusable } from '../fhir/extract';
import { describeNote, describeProblem, describeUnusable, INPUT_LABELS, unitLabel, valueWithComparator } from '../explain/labels';
import type { Finding, FindingInput } from './card-schema';
import { num, text, trusted, type Md } from './markdown';

const RAW_FEATURE_KEY: Readonly<Record<IctosFeature, ExtractKey>> = {
  skewness: 'skewness',
  glcmVariance: 'glcm-variance',
  glrlmLrhgle: 'glrlm-lrhgle',
};

type FindingProblem = NonNullable<Finding['problems']>[number];

/** The findings contract's name for a core problem (conventions.md, v2). */
const CORE_PROBLEM: Readonly<Record<Problem['reason'], FindingProblem['reason']>> = {
  stale: 'stale',
  implausible: 'implausible',
  'not-finite': 'implausible',
  'out-of-range': 'implausible',
  conflicting: 'conflicting',
  unrecognised: 'unrecognised',
  ambiguous: 'ambiguous',
  'not-configured': 'not-configured',
  'indeterminate-bound': 'indeterminate-bound',
};

/** The findings contract's name for why a record was not used, when that makes its input missing. */
function unusableProblem(reason: Unusable['reason']): FindingProblem['reason'] | undefined {
  if (reason.startsWith('unit-') || reason === 'value-missing') return 'unconvertible-unit';
  if (reason === 'stale' || reason === 'conflicting') return reason;
  if (reason === 'implausible' || reason === 'implausible-date') return 'implausible';
  return undefined;
}

/**
 * Why each missing input was present but unusable (conventions.md findings, v2: `problems`): the core's
 * problems first, then what the extraction rejected for that input. Inputs that are simply absent have
 * none. Returns an object to spread into a finding (nothing when there is no problem).
 */
export function findingProblems(missing: readonly InputId[], problems: readonly Problem[], extraction: Extraction): Pick<Finding, 'problems'> {
  const out: FindingProblem[] = [];
  const seen = new Set<string>();
  const add = (input: InputId, reason: FindingProblem['reason']) => {
    if (seen.has(input)) return;
    seen.add(input);
    out.push({ input, reason });
  };
  for (const p of problems) {
    if (missing.includes(p.input as InputId) && (INPUT_IDS as readonly string[]).includes(p.input)) add(p.input as InputId, CORE_PROBLEM[p.reason]);
  }
  for (const u of extraction.unusable) {
    const reason = unusableProblem(u.reason);
    if (reason !== undefined && missing.includes(u.input as InputId)) add(u.input as InputId, reason);
  }
  return out.length > 0 ? { problems: out } : {};
}

/** One input of a finding, from the extraction's provenance. */
export function findingInput(name: InputId, e: Extracted<number | string>, extraction: Extraction): FindingInput {
  const notes = e.provenance.notes.map((n) => describeNote(n, e, extraction));
  const value = valueWithComparator(e);
  return {
    name,
    value: typeof value === 'string' && value.length === 0 ? '(empty)' : value,
    ...(e.unit !== undefined && e.unit.length > 0 ? { unit: e.unit } : {}),
    ...(e.provenance.effective.length > 0 ? { date: e.provenance.effective } : {}),
    ...(e.provenance.reference.length > 0 ? { reference: e.provenance.reference } : {}),
    ...(notes.length > 0 ? { notes } : {}),
  };
}

/** The finding inputs for the given ids, in order, for those the extraction found. */
export function findingInputs(ids: readonly InputId[], extraction: Extraction): FindingInput[] {
  return ids.flatMap((id) => {
    const e = extraction.found[id];
    return e === undefined ? [] : [findingInput(id, e, extraction)];
  });
}

/** The inputs of the ICTOS result: the recorded score, or the features it was computed from. */
export function ictosInputIds(assessment: Assessment): InputId[] {
  const ictos = assessment.ictos;
  if (ictos.kind === 'insufficient-data') return [...ictos.missing];
  if (ictos.source === 'score') return ['ictos'];
  return ['skewness-z', 'glcm-variance-z', 'glrlm-lrhgle-z'];
}

export function ictosFinding(assessment: Assessment, extraction: Extraction): Finding {
  const ictos = assessment.ictos;
  const base = { rule: 'ictos' as const, cutoff: ictos.cutoff, thresholdSet: ictos.thresholdSet };
  if (ictos.kind === 'insufficient-data') {
    return {
      ...base,
      outcome: 'insufficient-data',
      inputs: findingInputs(['ictos', 'skewness-z', 'glcm-variance-z', 'glrlm-lrhgle-z'], extraction),
      missing: [...ictos.missing],
      ...findingProblems(ictos.missing, ictos.problems, extraction),
    };
  }
  let inputs: FindingInput[];
  if (ictos.source === 'raw-features' && ictos.features !== undefined) {
    const features = ictos.features;
    inputs = (Object.keys(features) as IctosFeature[]).flatMap((f) => {
      const raw = extraction.found[RAW_FEATURE_KEY[f]];
      const input = raw !== undefined ? findingInput(FEATURE_INPUT_ID[f], raw, extraction) : undefined;
      return input === undefined ? [] : [{ ...input, value: features[f].z, notes: [`z-score computed from the raw value ${features[f].raw?.value ?? raw?.value} with the site normalization`] }];
    });
  } else {
    inputs = findingInputs(ictosInputIds(assessment), extraction);
  }
  return { ...base, outcome: ictos.kind, value: ictos.score, inputs, missing: [] };
}

export const RISK_INPUT_IDS: readonly InputId[] = ['t-category', 'n-category', 'tumor-volume', 'ebv-dna'];

export function riskFinding(assessment: Assessment, extraction: Extraction): Finding {
  const risk = assessment.risk;
  return {
    rule: 'risk',
    outcome: risk.kind,
    value: risk.present.length,
    cutoff: risk.highRiskMoreThan,
    thresholdSet: risk.thresholdSet,
    inputs: findingInputs(RISK_INPUT_IDS, extraction),
    missing: [...risk.missing],
    ...findingProblems(risk.missing, risk.problems, extraction),
  };
}

export function tbfFinding(result: TbfRuleResult, extraction: Extraction): Finding {
  const base = { rule: result.rule, cutoff: result.cutoff, thresholdSet: result.thresholdSet };
  if (result.kind === 'insufficient-data') {
    return {
      ...base,
      outcome: 'insufficient-data',
      inputs: findingInputs(['pre-tbf', 'post-tbf'], extraction),
      missing: [...result.missing],
      ...findingProblems(result.missing, result.problems, extraction),
    };
  }
  return {
    ...base,
    outcome: result.kind,
    value: result.value,
    inputs: findingInputs(result.inputs, extraction),
    missing: [],
    ...(result.kind === 'not-applicable' ? { reason: result.reason } : {}),
  };
}

export function tbfFindings(assessment: Assessment, extraction: Extraction, rules?: readonly TbfRuleId[]): Finding[] {
  const results = Object.values(assessment.tbf);
  return results.filter((r) => rules === undefined || rules.includes(r.rule)).map((r) => tbfFinding(r, extraction));
}

// ---- Markdown rows for the templates ----------------------------------------------------------------

export interface InputRow {
  readonly label: Md;
  readonly value: Md;
  readonly unit: Md;
  readonly date: Md;
  readonly source: Md;
  readonly notes: Md;
}

const NONE = trusted('');

/**
 * A list item for one extracted input (a list fits a 600 px card where a six-column table did not); the
 * unit as people write it (the findings keep the UCUM code); every string from the record is escaped.
 */
export function inputRow(key: ExtractKey, e: Extracted<number | string>, extraction: Extraction): InputRow {
  const notes = e.provenance.notes.map((n) => describeNote(n, e, extraction));
  const value = valueWithComparator(e);
  const unit = unitLabel(e.unit);
  return {
    label: trusted(INPUT_LABELS[key]),
    value: typeof value === 'number' ? num(value) : text(value),
    unit: unit.length > 0 ? trusted(` ${text(unit)}`) : NONE,
    date: e.provenance.effective.length > 0 ? text(e.provenance.effective) : trusted('no date'),
    source: text(`${e.provenance.reference} (${e.provenance.status})`),
    notes: notes.length > 0 ? trusted(` \u2014 ${text(notes.join('; '), 300)}`) : NONE,
  };
}

/** Rows for the keys the extraction found, in the order given. */
export function inputRows(keys: readonly ExtractKey[], extraction: Extraction): InputRow[] {
  return keys.flatMap((k) => {
    const e = extraction.found[k];
    return e === undefined ? [] : [inputRow(k, e, extraction)];
  });
}

/** Records found for the given inputs but not used, as escaped Markdown lines ("Observation/x: unit cannot be converted"). */
export function unusableLines(inputs: readonly ExtractKey[], extraction: Extraction): Md[] {
  const shown = new Set<string>();
  return extraction.unusable
    .filter((u) => inputs.includes(u.input) && u.reason !== 'superseded-by-final' && u.reason !== 'outside-window' && u.reason !== 'not-pre-treatment')
    .flatMap((u) => {
      const line = describeUnusable(u);
      if (shown.has(line)) return [];
      shown.add(line);
      return [text(line, 300)];
    });
}

export function problemLines(problems: readonly Problem[]): Md[] {
  return problems.map((p) => text(describeProblem(p)));
}

// ---- when the data could not be read --------------------------------------------------------------

/** What the recommendation (R5-R7 and the population gate) reads: every input but the TBF measurements. */
export const RECOMMENDATION_INPUT_IDS: readonly InputId[] = INPUT_IDS.filter((id) => id !== 'pre-tbf' && id !== 'post-tbf');

/** What the order check (clinical-spec section 6) reads: ICTOS, the population gate and the treatment start (not the risk factors' volume and EBV DNA). */
export const ORDER_CHECK_INPUT_IDS: readonly InputId[] = RECOMMENDATION_INPUT_IDS.filter((id) => id !== 'tumor-volume' && id !== 'ebv-dna');

/**
 * The finding of a card whose data could not be read (docs/decisions/0007-fhir-faults.md): the rule the
 * service would have applied, `insufficient-data`, no inputs, and every input the rule reads as missing,
 * because with all-or-nothing data none of them was used.
 */
export function unavailableFinding(rule: 'recommendation' | 'order-check'): Finding {
  return { rule, outcome: 'insufficient-data', inputs: [], missing: [...(rule === 'recommendation' ? RECOMMENDATION_INPUT_IDS : ORDER_CHECK_INPUT_IDS)] };
}
