/**
 * The SMART app's page as a view model: everything the templates in templates/app print, already
 * decided and formatted, from the same extraction and assessment the CDS service computes (src/fhir,
 * src/core). Templates hold no logic; this module holds no HTML (the templates escape every string).
 * DOM-free, so it is tested in Node and bundled for the browser.
 */
import {
  CITATIONS,
  decimalText,
  FEATURE_INPUT_ID,
  ICTOS_FEATURES,
  RISK_FACTORS,
  TBF_EVIDENCE,
  TBF_RULE_IDS,
  type Assessment,
  type Citation,
  type FactorState,
  type PaperId,
  type RiskFactor,
  type ThresholdSets,
} from '../core';
import type { CodeLists } from '../fhir/codes';
import type { ExtractKey, Extraction } from '../fhir/extract';
import { describeNote, describeUnusable, INPUT_LABELS, observedResponseLines, populationLines, valueWithComparator } from '../explain/labels';
import type { PatientRecord } from '../fhir/loader';
import { observedResponse } from '../fhir/observed';
import { missingNeeds } from '../fhir/needs';
import { patientBannerFacts } from '../fhir/patient-banner';
import { EN } from '../explain/en';
import { needLines } from '../explain/needs';
import { citationText } from '../explain/citation';
import { ictosFormula, ictosResult } from '../explain/ictos';
import { plainText } from '../explain/phrase';
import { recommendationText } from '../explain/recommendation';
import { riskFactorLabel, riskRule } from '../explain/risk';
import { tbfOutcomeText, tbfRuleEvidence, tbfSummary, tbfValueText } from '../explain/tbf';
import { SITE_CALIBRATION_LIMITATION, siteCalibrationStatement, siteRuleFigures, type SiteCalibration } from '../site-profiles';
import { tbfGroups, tbfTimeline, type TbfGroupsModel, type TbfPoint, type TbfTimelineModel } from './chart';

/** What the app knows besides the record: the launch context and the configuration. */
export interface PageInput {
  readonly record: PatientRecord;
  readonly extraction: Extraction;
  readonly assessment: Assessment;
  readonly thresholds: ThresholdSets;
  /** (issue 17) The site set's calibration when the app's FHIR server is mapped to one: its figures replace Liu's. */
  readonly calibration?: SiteCalibration | undefined;
  readonly codes: CodeLists;
  /** `need_patient_banner` of the SMART token response. */
  readonly needPatientBanner: boolean;
  /** The CDS Hooks card's `appContext`, when the app was opened from a card. */
  readonly appContext?: string | undefined;
}

export interface Line {
  readonly text: string;
}

export interface CitationModel {
  readonly text: string;
  readonly url: string;
}

export interface InputRowModel {
  readonly label: string;
  readonly value: string;
  readonly unit: string;
  readonly date: string;
  readonly status: string;
  readonly source: string;
  readonly assumptions: string;
}

export interface TbfRuleModel {
  readonly rule: string;
  readonly parameter: string;
  readonly value: string;
  readonly cutoff: string;
  readonly outcome: string;
  /** CSS hook: favorable | unfavorable | insufficient */
  readonly outcomeClass: string;
  readonly predicts: string;
  readonly evidence: string;
  readonly strength: string;
}

export interface FeatureModel {
  readonly label: string;
  readonly z: string;
  readonly coefficient: string;
  readonly contribution: string;
}

export interface RiskFactorModel {
  readonly label: string;
  readonly state: FactorState;
  readonly stateText: string;
  readonly basis: string;
}

export type Focus = 'treatment' | 'response' | 'inputs' | 'order';

export interface PageModel {
  readonly banner: { readonly show: boolean; readonly name: string; readonly details: string };
  readonly origin: { readonly show: boolean; readonly text: string; readonly focus: Focus | '' };
  readonly population: {
    readonly status: 'in-scope' | 'out-of-scope' | 'unconfirmed' | 'conflict';
    readonly heading: string;
    readonly lines: readonly Line[];
    /** When false, no rule result is shown (outside the studied population, or no NPC diagnosis). */
    readonly rulesApply: boolean;
  };
  readonly inputs: {
    readonly rows: readonly InputRowModel[];
    readonly hasRows: boolean;
    readonly unused: readonly Line[];
    /** What is missing and why: the same lines as the missing-data card's (src/explain/needs.ts). */
    readonly missing: readonly (Line & { readonly label: string })[];
  };
  readonly tbf: {
    readonly timeline: TbfTimelineModel;
    readonly groups: TbfGroupsModel;
    readonly rules: readonly TbfRuleModel[];
    readonly summary: string;
    readonly lines: readonly Line[];
    readonly limitations: readonly Line[];
    readonly citation: CitationModel;
  };
  readonly ictos: {
    readonly available: boolean;
    readonly result: string;
    readonly formula: string;
    readonly features: readonly FeatureModel[];
    readonly hasFeatures: boolean;
    readonly total: string;
  };
  readonly risk: {
    readonly factors: readonly RiskFactorModel[];
    readonly rule: string;
    readonly result: string;
  };
  readonly recommendation: {
    /** ict-ccrt | ccrt-alone | clinical-trial | undetermined | insufficient-data | not-applicable */
    readonly kind: string;
    readonly heading: string;
    readonly text: string;
    readonly evidence: readonly Line[];
    readonly limitations: readonly Line[];
    readonly citation: CitationModel;
  };
}

const lines = (xs: readonly string[]): Line[] => xs.map((text) => ({ text }));

/** Up to four decimals, without binary noise (157.52 − 100 prints as 57.52). */
export const formatNumber = decimalText;

function citation(id: PaperId): CitationModel {
  const c: Citation = CITATIONS[id];
  return { text: `${citationText(id)} doi:${c.doi}`, url: c.url };
}

// ---- banner and origin ---------------------------------------------------------------------------

function banner(input: PageInput): PageModel['banner'] {
  const p = patientBannerFacts(input.record.patient);
  const details = [
    p.gender !== undefined ? `Sex ${p.gender}` : 'Sex not recorded',
    p.birthDate !== undefined ? `born ${p.birthDate}` : 'birth date not recorded',
    ...(p.mrn !== undefined ? [`MRN ${p.mrn}`] : []),
  ].join(' \u00b7 ');
  return { show: input.needPatientBanner, name: p.name ?? 'Name not recorded', details };
}

const CARD_NAMES: Readonly<Record<string, { name: string; focus: Focus }>> = {
  'treatment-selection': { name: 'treatment selection (ICTOS)', focus: 'treatment' },
  'response-prediction': { name: 'response prediction (tumor blood flow)', focus: 'response' },
  'missing-data': { name: 'what is missing', focus: 'inputs' },
  'order-check': { name: 'induction chemotherapy order check', focus: 'order' },
};

/** Reads the card's appContext ({card, service, rules}); anything else is ignored, never trusted as markup. */
function origin(appContext: string | undefined): PageModel['origin'] {
  if (appContext === undefined || appContext === '') return { show: false, text: '', focus: '' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(appContext);
  } catch {
    return { show: false, text: '', focus: '' };
  }
  const card = typeof parsed === 'object' && parsed !== null && 'card' in parsed ? parsed.card : undefined;
  const known = typeof card === 'string' ? CARD_NAMES[card] : undefined;
  if (known === undefined) return { show: false, text: '', focus: '' };
  return { show: true, text: `Opened from the ${known.name} card. The section it refers to is marked below.`, focus: known.focus };
}

// ---- population --------------------------------------------------------------------------------

function population(input: PageInput): PageModel['population'] {
  const { assessment, extraction } = input;
  const pop = assessment.population;
  const rec = assessment.recommendation;
  const out = lines(populationLines(assessment, extraction));
  if (pop.kind === 'in-scope') return { status: 'in-scope', heading: 'In the studied population', lines: out, rulesApply: true };
  if (pop.kind === 'out-of-scope') return { status: 'out-of-scope', heading: 'Outside the studied population', lines: out, rulesApply: false };
  if (rec.kind === 'not-applicable' && rec.reason === 'ambiguous-edition') {
    return { status: 'unconfirmed', heading: 'Not decided: stage IVB without an edition', lines: out, rulesApply: false };
  }
  if (rec.kind === 'not-applicable' && rec.reason === 'staging-conflict') {
    return { status: 'conflict', heading: 'Not decided: the staging is contradictory', lines: out, rulesApply: false };
  }
  return { status: 'unconfirmed', heading: 'Population not confirmed: stage not recorded', lines: out, rulesApply: true };
}

// ---- inputs ------------------------------------------------------------------------------------

const INPUT_ORDER: readonly ExtractKey[] = [
  't-category',
  'n-category',
  'm-category',
  'stage-group',
  'pre-tbf',
  'post-tbf',
  'treatment-start',
  'ictos',
  'skewness-z',
  'glcm-variance-z',
  'glrlm-lrhgle-z',
  'skewness',
  'glcm-variance',
  'glrlm-lrhgle',
  'tumor-volume',
  'ebv-dna',
  'mptd-pre',
  'mptd-post',
];

function inputs(input: PageInput): PageModel['inputs'] {
  const { extraction, assessment } = input;
  const rows = INPUT_ORDER.flatMap((key): InputRowModel[] => {
    const e = extraction.found[key];
    if (e === undefined) return [];
    const value = valueWithComparator(e);
    const notes = e.provenance.notes.map((n) => describeNote(n, e, extraction));
    return [
      {
        label: INPUT_LABELS[key],
        value: typeof value === 'number' ? formatNumber(value) : value === '' ? '(empty)' : value,
        unit: e.unit ?? '',
        date: e.provenance.effective,
        status: e.provenance.status,
        source: e.provenance.reference,
        assumptions: notes.join('; '),
      },
    ];
  });
  const seen = new Set<string>();
  const unused = extraction.unusable.flatMap((u) => {
    const line = `${describeUnusable(u)}.`;
    if (seen.has(line)) return [];
    seen.add(line);
    return [{ text: line }];
  });
  const missing = needLines(missingNeeds(extraction, assessment), extraction).map((l) => ({ label: l.label, text: l.why }));
  return { rows, hasRows: rows.length > 0, unused, missing };
}

// ---- tumor blood flow --------------------------------------------------------------------------

/** Every TBF measurement the extraction read, with the role it gave it (src/fhir/extract.ts `tbfSeries`). */
export function tbfPoints(extraction: Extraction): TbfPoint[] {
  return extraction.tbfSeries.map((m) => ({ date: m.effective, value: m.value, reference: m.reference, role: m.role, ...(m.preliminary ? { preliminary: true } : {}) }));
}

const OUTCOME_CLASS = { favorable: 'favorable', unfavorable: 'unfavorable', 'insufficient-data': 'insufficient', 'not-applicable': 'insufficient' } as const;

function tbfRules(assessment: Assessment, calibration: SiteCalibration | undefined): TbfRuleModel[] {
  return TBF_RULE_IDS.map((rule) => {
    const result = assessment.tbf[rule];
    const ev = TBF_EVIDENCE[rule];
    return {
      rule,
      parameter: ev.parameter,
      value: tbfValueText(result),
      cutoff: `> ${formatNumber(result.cutoff)}`,
      outcome: tbfOutcomeText(result),
      outcomeClass: OUTCOME_CLASS[result.kind],
      predicts: ev.favorableOutcome,
      evidence: calibration !== undefined ? `${siteRuleFigures(calibration.rules[rule], calibration)} Rule: ${ev.source}.` : tbfRuleEvidence(rule),
      strength: EN.rules.strength[ev.strength],
    };
  });
}

function tbfSection(input: PageInput, rulesApply: boolean): PageModel['tbf'] {
  const { extraction, assessment, thresholds } = input;
  const t = extraction.treatment;
  const pre = extraction.found['pre-tbf'];
  const post = extraction.found['post-tbf'];
  const delta = assessment.tbf['delta-tbf-response'];
  const out: string[] = input.calibration !== undefined ? [siteCalibrationStatement(input.calibration)] : [];
  if (typeof pre?.value === 'number' && typeof post?.value === 'number' && delta.kind !== 'insufficient-data') {
    out.push(EN.tbf.delta(formatNumber(pre.value), formatNumber(post.value), formatNumber(delta.value)));
  }
  if (t.rtStart !== undefined && t.postWindowStart !== undefined) {
    const timepoint = thresholds.tbf.postTbfTimepoint;
    out.push(EN.rules.fortyGy(t.rtStart.date, t.postWindowDay ?? 25, t.postWindowStart, timepoint.dosePerFractionGy, timepoint.fractionsPerWeek));
  } else {
    out.push(EN.rules.noRtStart);
  }
  const observed = observedResponse(extraction);
  if (observed !== undefined) out.push(...observedResponseLines(observed));
  out.push(EN.tbf.postTbfNotARule, EN.tbf.associations);
  out.push(EN.rules.cohort, plainText(EN.rules.thresholdSet(thresholds.tbf.id, thresholds.tbf.version)));
  const value = (x: number | string | undefined) => (typeof x === 'number' ? x : undefined);
  const deltaValue = delta.kind === 'insufficient-data' ? undefined : delta.value;
  return {
    timeline: tbfTimeline({
      points: tbfPoints(extraction),
      ...(t.start !== undefined ? { treatmentStart: t.start.date } : {}),
      ...(t.postWindowStart !== undefined ? { fortyGy: t.postWindowStart } : {}),
      ...(t.rtEnd !== undefined ? { rtEnd: t.rtEnd } : {}),
      thresholds: thresholds.tbf,
    }),
    groups: tbfGroups(
      !rulesApply
        ? {}
        : {
      ...(value(pre?.value) !== undefined ? { preTbf: value(pre?.value) as number } : {}),
      ...(value(post?.value) !== undefined ? { postTbf: value(post?.value) as number } : {}),
      ...(deltaValue !== undefined ? { deltaTbf: deltaValue } : {}),
          },
    ),
    rules: rulesApply ? tbfRules(assessment, input.calibration) : [],
    summary: tbfSummary(assessment, rulesApply),
    lines: lines(out),
    limitations: lines([...(input.calibration !== undefined ? [SITE_CALIBRATION_LIMITATION] : []), ...EN.limitations.liu]),
    citation: citation('liu-2022'),
  };
}

// ---- ICTOS, risk, recommendation ---------------------------------------------------------------

function ictosSection(input: PageInput, rulesApply: boolean): PageModel['ictos'] {
  const { ictos } = input.assessment;
  const formula = plainText(ictosFormula(input.thresholds.ictos));
  if (!rulesApply) return { available: false, result: EN.ictos.notApplied, formula, features: [], hasFeatures: false, total: '' };
  const result = plainText(ictosResult(ictos));
  if (ictos.kind === 'insufficient-data') return { available: false, result, formula, features: [], hasFeatures: false, total: '' };
  const features = ictos.features;
  const rows =
    features === undefined
      ? []
      : ICTOS_FEATURES.map((f) => ({
          label: `${EN.ictos.feature[f]} (${FEATURE_INPUT_ID[f]})`,
          z: formatNumber(features[f].z),
          coefficient: formatNumber(features[f].coefficient),
          contribution: formatNumber(features[f].contribution),
        }));
  return { available: true, result, formula, features: rows, hasFeatures: rows.length > 0, total: formatNumber(ictos.score) };
}

function riskSection(input: PageInput, rulesApply: boolean): PageModel['risk'] {
  const { risk } = input.assessment;
  const { extraction } = input;
  const rf = input.thresholds.ictos.riskFactors;
  const key: Readonly<Record<RiskFactor, ExtractKey>> = { t4: 't-category', 'n2-n3': 'n-category', 'tumor-volume-34ml': 'tumor-volume', 'ebv-dna-2000': 'ebv-dna' };
  const state = (f: RiskFactor): FactorState => (risk.present.includes(f) ? 'present' : risk.absent.includes(f) ? 'absent' : 'unknown');
  const factors = RISK_FACTORS.map((f) => {
    const e = extraction.found[key[f]];
    const basis =
      e === undefined
        ? EN.risk.notRecorded(INPUT_LABELS[key[f]])
        : `${INPUT_LABELS[key[f]]} ${String(valueWithComparator(e))}${e.unit !== undefined && e.unit !== '' ? ` ${e.unit}` : ''} (${e.provenance.reference}, ${e.provenance.effective})`;
    return { label: riskFactorLabel(f, rf), state: state(f), stateText: EN.risk.state[state(f)], basis };
  });
  const rule = riskRule(rf);
  if (!rulesApply) return { factors: [], rule, result: EN.risk.notAssessed };
  return { factors, rule, result: EN.risk.result(risk.kind, risk.present.length, risk.absent.length, risk.unknown.length) };
}

function recommendationSection(input: PageInput, rulesApply: boolean): PageModel['recommendation'] {
  const r = recommendationText(input.assessment, input.extraction, rulesApply);
  return { kind: r.kind, heading: r.heading, text: r.text, evidence: lines(r.evidence), limitations: lines(EN.limitations.dong), citation: citation('dong-2019') };
}

/** The whole page. */
export function pageModel(input: PageInput): PageModel {
  const pop = population(input);
  return {
    banner: banner(input),
    origin: origin(input.appContext),
    population: pop,
    inputs: inputs(input),
    tbf: tbfSection(input, pop.rulesApply),
    ictos: ictosSection(input, pop.rulesApply),
    risk: riskSection(input, pop.rulesApply),
    recommendation: recommendationSection(input, pop.rulesApply),
  };
}
