/**
 * The SMART app's page as a view model: everything the templates in templates/app print, already
 * decided and formatted, from the same extraction and assessment the CDS service computes (src/fhir,
 * src/core). Templates hold no logic; this module holds no HTML (the templates escape every string).
 * DOM-free, so it is tested in Node and bundled for the browser.
 */
import {
  CITATIONS,
  DONG_LIMITATIONS,
  FEATURE_INPUT_ID,
  intervalText,
  percentText,
  NOT_APPLICABLE_TEXT,
  tbfOutcomeText,
  recommendationEvidenceText,
  RESIDUAL_DIRECTION_TEXT,
  RESPONSE_DIRECTION_TEXT,
  tbfOutlook,
  ICTOS_FEATURES,
  LIU_COHORT,
  LIU_LIMITATIONS,
  negativePredictiveValue,
  positivePredictiveValue,
  RECOMMENDATION_EVIDENCE,
  RISK_FACTORS,
  TBF_EVIDENCE,
  TBF_RULE_IDS,
  type Assessment,
  type Citation,
  type FactorState,
  type IctosFeature,
  type PaperId,
  type RiskFactor,
  type ThresholdSets,
} from '../core';
import type { CodeLists } from '../fhir/codes';
import type { ExtractKey, Extraction } from '../fhir/extract';
import { describeNote, describeUnusable, INPUT_LABELS, populationLines, valueWithComparator } from '../fhir/labels';
import type { PatientRecord } from '../fhir/loader';
import { observedResponse, observedResponseLines } from '../fhir/observed';
import { missingNeeds } from '../fhir/needs';
import { patientBannerFacts } from '../fhir/patient-banner';
import { EN } from '../explain/messages';
import { needLines } from '../explain/needs';
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
export function formatNumber(x: number, maxDecimals = 4): string {
  return Number.isFinite(x) ? String(Number(x.toFixed(maxDecimals))) : String(x);
}

const pct = percentText;
const ci = intervalText;

function citation(id: PaperId): CitationModel {
  const c: Citation = CITATIONS[id];
  return { text: `${c.authors}. ${c.title}. ${c.journal} ${c.year};${c.volume}:${c.article}. doi:${c.doi}`, url: c.url };
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
    const c = ev.counts;
    const evidence =
      calibration !== undefined
        ? `${siteRuleFigures(calibration.rules[rule], calibration)} Rule: ${ev.source}.`
        : `AUC ${ev.auc.value} (95% CI ${ci(ev.auc.ci)}), sensitivity ${ev.sensitivity}, specificity ${ev.specificity}; ` +
      `above the cutoff ${c.truePositive} of ${c.truePositive + c.falsePositive} had ${ev.favorableOutcome} (PPV ${pct(positivePredictiveValue(c))}); ` +
      `at or below, ${c.trueNegative} of ${c.trueNegative + c.falseNegative} had ${ev.unfavorableOutcome} (NPV ${pct(negativePredictiveValue(c))}). ${ev.source}.`;
    return {
      rule,
      parameter: ev.parameter,
      value: result.kind === 'insufficient-data' ? `not available (missing ${result.missing.map((m) => INPUT_LABELS[m]).join(', ')})` : formatNumber(result.value),
      cutoff: `> ${formatNumber(result.cutoff)}`,
      outcome: tbfOutcomeText(result),
      outcomeClass: OUTCOME_CLASS[result.kind],
      predicts: ev.favorableOutcome,
      evidence,
      strength: ev.strength,
    };
  });
}

function tbfSummary(assessment: Assessment, rulesApply: boolean): string {
  if (!rulesApply) return 'The tumor blood flow rules are not applied (see the population above).';
  const { response, residual, weakOnly } = tbfOutlook(assessment.tbf);
  if (response === 'none' && residual === 'none') return 'No tumor blood flow rule can be applied yet: a pre-treatment ASL-MRI measurement is needed.';
  return `Tumor blood flow ${RESPONSE_DIRECTION_TEXT[response]}${weakOnly ? ' (weak rule: Post-TBF alone)' : ''}; ${RESIDUAL_DIRECTION_TEXT[residual]}.`;
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
    out.push(`RT started ${t.rtStart.date}; the 40 Gy timepoint is reached on day ${t.postWindowDay ?? 25} of the schedule (${t.postWindowStart}), inferred from ${thresholds.tbf.postTbfTimepoint.dosePerFractionGy} Gy per fraction, ${thresholds.tbf.postTbfTimepoint.fractionsPerWeek} fractions a week.`);
  } else {
    out.push('No RT start recorded: no measurement can be placed at the 40 Gy timepoint.');
  }
  const observed = observedResponse(extraction);
  if (observed !== undefined) out.push(...observedResponseLines(observed));
  out.push(EN.tbf.postTbfNotARule, EN.tbf.associations);
  out.push(`Cohort: ${LIU_COHORT.n} patients, ${LIU_COHORT.design}, ${LIU_COHORT.period}; ${LIU_COHORT.treatment}. Protocol: ${LIU_COHORT.protocol.scanner}; ${LIU_COHORT.protocol.sequence}; post-labeling delay ${LIU_COHORT.protocol.postLabelingDelayMs} ms. Threshold set ${thresholds.tbf.id} (version ${thresholds.tbf.version}).`);
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
    limitations: lines([...(input.calibration !== undefined ? [SITE_CALIBRATION_LIMITATION] : []), ...LIU_LIMITATIONS]),
    citation: citation('liu-2022'),
  };
}

// ---- ICTOS, risk, recommendation ---------------------------------------------------------------

const FEATURE_LABEL: Readonly<Record<IctosFeature, string>> = {
  skewness: 'Skewness',
  glcmVariance: 'GLCM variance',
  glrlmLrhgle: 'GLRLM LRHGLE',
};

function ictosSection(input: PageInput, rulesApply: boolean): PageModel['ictos'] {
  const { ictos } = input.assessment;
  const set = input.thresholds.ictos;
  const terms = ICTOS_FEATURES.map((f, i) => {
    const c = set.coefficients[f];
    return `${c < 0 ? '\u2212' : i === 0 ? '' : '+'}${i === 0 ? '' : ' '}${formatNumber(Math.abs(c))} \u00d7 ${FEATURE_LABEL[f]}`;
  });
  const formula =
    `ICTOS = ${terms.join(' ')}, on z-scored features of the primary tumor on pre-treatment contrast-enhanced T1-weighted MRI; ` +
    `high when > ${formatNumber(set.cutoff)}, low when \u2264 ${formatNumber(set.cutoff)} (threshold set ${set.id}).`;
  if (!rulesApply) {
    return { available: false, result: 'ICTOS is not applied (see the population above).', formula, features: [], hasFeatures: false, total: '' };
  }
  if (ictos.kind === 'insufficient-data') {
    return {
      available: false,
      result: `ICTOS cannot be computed: missing ${ictos.missing.map((m) => INPUT_LABELS[m]).join(', ')}.`,
      formula,
      features: [],
      hasFeatures: false,
      total: '',
    };
  }
  const from = { score: 'the recorded ICTOS Observation', 'z-features': 'the three z-scored features', 'raw-features': 'the raw features with the site normalization' }[ictos.source];
  const features = ictos.features;
  const rows =
    features === undefined
      ? []
      : ICTOS_FEATURES.map((f) => ({
          label: `${FEATURE_LABEL[f]} (${FEATURE_INPUT_ID[f]})`,
          z: formatNumber(features[f].z),
          coefficient: formatNumber(features[f].coefficient),
          contribution: formatNumber(features[f].contribution),
        }));
  return {
    available: true,
    result: `ICTOS ${formatNumber(ictos.score)} from ${from}: ${ictos.kind} ICTOS.`,
    formula,
    features: rows,
    hasFeatures: rows.length > 0,
    total: formatNumber(ictos.score),
  };
}

const STATE_TEXT: Readonly<Record<FactorState, string>> = { present: 'present', absent: 'absent', unknown: 'unknown' };

function riskSection(input: PageInput, rulesApply: boolean): PageModel['risk'] {
  const { risk } = input.assessment;
  const { extraction } = input;
  const rf = input.thresholds.ictos.riskFactors;
  const labels: Readonly<Record<RiskFactor, string>> = {
    t4: 'T4 (vs T1\u2013T3)',
    'n2-n3': 'N2\u2013N3 (vs N0\u2013N1)',
    'tumor-volume-34ml': `Primary tumor volume \u2265 ${formatNumber(rf.tumorVolumeMl)} mL`,
    'ebv-dna-2000': `Plasma EBV DNA \u2265 ${formatNumber(rf.ebvDnaCopiesPerMl)} copies/mL`,
  };
  const key: Readonly<Record<RiskFactor, ExtractKey>> = { t4: 't-category', 'n2-n3': 'n-category', 'tumor-volume-34ml': 'tumor-volume', 'ebv-dna-2000': 'ebv-dna' };
  const state = (f: RiskFactor): FactorState => (risk.present.includes(f) ? 'present' : risk.absent.includes(f) ? 'absent' : 'unknown');
  const factors = RISK_FACTORS.map((f) => {
    const e = extraction.found[key[f]];
    const basis =
      e === undefined
        ? `${INPUT_LABELS[key[f]]} not recorded`
        : `${INPUT_LABELS[key[f]]} ${String(valueWithComparator(e))}${e.unit !== undefined && e.unit !== '' ? ` ${e.unit}` : ''} (${e.provenance.reference}, ${e.provenance.effective})`;
    return { label: labels[f], state: state(f), stateText: STATE_TEXT[state(f)], basis };
  });
  const rule0 = `Clinical risk among low-ICTOS patients (Dong 2019): high when more than ${formatNumber(rf.highRiskMoreThan)} of the four factors are present; unknown factors are never counted as absent (staging by AJCC 7th edition in the study).`;
  const rule = rule0;
  if (!rulesApply) return { factors: [], rule, result: 'The clinical risk is not assessed (see the population above).' };
  const result = { high: 'High risk', low: 'Low risk', indeterminate: 'Indeterminate: the unknown factors could change the result' }[risk.kind];
  return { factors, rule, result: `${result} (${risk.present.length} present, ${risk.absent.length} absent, ${risk.unknown.length} unknown).` };
}

function recommendationSection(input: PageInput, rulesApply: boolean): PageModel['recommendation'] {
  const rec = input.assessment.recommendation;
  const base = { evidence: [] as Line[], limitations: lines(DONG_LIMITATIONS), citation: citation('dong-2019') };
  if (!rulesApply || (rec.kind === 'not-applicable' && rec.reason !== 'treatment-started')) {
    const why = rec.kind === 'not-applicable' && rec.reason !== 'treatment-started' ? NOT_APPLICABLE_TEXT[rec.reason] : 'the patient is outside the studied population.';
    return { ...base, kind: 'not-applicable', heading: 'No recommendation', text: `No recommendation is made: ${why}` };
  }
  switch (rec.kind) {
    case 'not-applicable': {
      const start = input.extraction.treatment.start;
      return {
        ...base,
        kind: 'not-applicable',
        heading: 'No recommendation: treatment has started',
        text: `Treatment started${start !== undefined ? ` on ${start.date} (${start.reference})` : ''}. The choice of induction chemotherapy (Dong 2019) is made before any treatment.`,
      };
    }
    case 'insufficient-data':
      return {
        ...base,
        kind: 'insufficient-data',
        heading: 'No recommendation: data missing',
        text: `ICTOS is needed and cannot be computed. Missing: ${rec.missing.map((m) => INPUT_LABELS[m]).join(', ')}.`,
      };
    case 'undetermined':
      return {
        ...base,
        kind: 'undetermined',
        heading: 'Undetermined: low ICTOS, clinical risk unknown',
        text: `Low ICTOS; whether the clinical risk is high depends on: ${rec.missing.map((m) => INPUT_LABELS[m]).join(', ')}.`,
      };
    default: {
      const ev = RECOMMENDATION_EVIDENCE[rec.kind];
      return {
        ...base,
        kind: rec.kind,
        heading: ev.label,
        text: `${ev.label}. Evidence: ${ev.source}.${ev.validated ? '' : ' Not yet validated in larger populations, in the authors\u2019 words.'} An option with its evidence, not a directive.`,
        evidence: lines(recommendationEvidenceText(rec.kind)),
      };
    }
  }
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
