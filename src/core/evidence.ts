/**
 * The evidence registry: every number a card or the SMART app cites, typed once, with its source.
 * Templates and threshold sets read from here; nothing else types these numbers.
 *
 * Sources (both in ../shared/papers):
 * - Liu J, et al. Arterial spin labeling of nasopharyngeal carcinoma shows early therapy response.
 *   Insights into Imaging 2022;13:114. doi 10.1186/s13244-022-01248-x
 * - Dong D, et al. Development and validation of a novel MR imaging predictor of response to induction
 *   chemotherapy in locoregionally advanced nasopharyngeal cancer: a randomized controlled trial
 *   substudy (NCT01245959). BMC Medicine 2019;17:190. doi 10.1186/s12916-019-1422-6
 */
import type { RecommendationKind, TbfRuleId } from './types';

export type PaperId = 'liu-2022' | 'dong-2019';

export interface Citation {
  readonly id: PaperId;
  /** Short form for a card: "Liu et al., Insights Imaging 2022". */
  readonly short: string;
  readonly authors: string;
  readonly title: string;
  readonly journal: string;
  readonly year: number;
  readonly volume: string;
  readonly article: string;
  readonly doi: string;
  readonly url: string;
}

export const CITATIONS: Readonly<Record<PaperId, Citation>> = {
  'liu-2022': {
    id: 'liu-2022',
    short: 'Liu et al., Insights Imaging 2022',
    authors: 'Liu J, Zhu J, Wang Y, Wang F, Yang H, Wang N, Chu Q, Yang Q',
    title: 'Arterial spin labeling of nasopharyngeal carcinoma shows early therapy response',
    journal: 'Insights into Imaging',
    year: 2022,
    volume: '13',
    article: '114',
    doi: '10.1186/s13244-022-01248-x',
    url: 'https://doi.org/10.1186/s13244-022-01248-x',
  },
  'dong-2019': {
    id: 'dong-2019',
    short: 'Dong et al., BMC Med 2019',
    authors: 'Dong D, Zhang F, Zhong LZ, Fang MJ, Huang CL, Yao JJ, Sun Y, Tian J, Ma J, Tang LL',
    title:
      'Development and validation of a novel MR imaging predictor of response to induction chemotherapy in locoregionally advanced nasopharyngeal cancer: a randomized controlled trial substudy (NCT01245959)',
    journal: 'BMC Medicine',
    year: 2019,
    volume: '17',
    article: '190',
    doi: '10.1186/s12916-019-1422-6',
    url: 'https://doi.org/10.1186/s12916-019-1422-6',
  },
};

/** A p-value as published: exact, or a bound such as "< 0.001". */
export interface PValue {
  readonly value: number;
  readonly comparator?: '<';
  /** Decimals as printed in the paper when a trailing zero matters ("p = 0.90"). */
  readonly digits?: number;
}

export interface Interval {
  readonly value: number;
  /** 95 % confidence interval. */
  readonly ci: readonly [number, number];
}

export interface HazardRatio extends Interval {
  readonly p: PValue;
}

/** Mean ± SD of a group, mL/(100.g)/min unless stated. */
export interface GroupMean {
  readonly mean: number;
  readonly sd: number;
  readonly n: number;
}

/** A 2×2 table behind a published sensitivity and specificity (positive class = the good outcome). */
export interface ConfusionCounts {
  /** Good outcome, value above the cutoff. */
  readonly truePositive: number;
  /** Good outcome, value at or below the cutoff. */
  readonly falseNegative: number;
  /** Poor outcome, value at or below the cutoff. */
  readonly trueNegative: number;
  /** Poor outcome, value above the cutoff. */
  readonly falsePositive: number;
}

export interface DiagnosticEvidence {
  readonly citation: PaperId;
  readonly source: string;
  readonly parameter: 'Pre-TBF' | 'Post-TBF' | 'ΔTBF';
  /** The outcome predicted by a value above the cutoff. */
  readonly favorableOutcome: string;
  readonly unfavorableOutcome: string;
  readonly publishedCutoff: number;
  readonly auc: Interval;
  readonly sensitivity: number;
  readonly specificity: number;
  /**
   * Counts reconstructed from the published sensitivity and specificity and the group sizes
   * (PR 36 / SD 19; non-residual 38 / residual 17): each reproduces the published proportion to three
   * decimals, and no other integer does.
   */
  readonly counts: ConfusionCounts;
  readonly positiveGroup: GroupMean & { readonly label: string };
  readonly negativeGroup: GroupMean & { readonly label: string };
  readonly groupDifferenceP: PValue;
  /** Wording for the strength of the evidence, shown on the card. */
  readonly strength: 'strongest' | 'moderate' | 'weak';
  /**
   * v2: a prediction of a later outcome, or an association with an outcome assessed on the same MRI
   * (Post-TBF and ΔTBF for the response: the 40 Gy MRI measures both; clinical-spec.md section 5).
   */
  readonly reading: 'prediction' | 'association';
}

const PR = 'partial response (RECIST 1.1) at 40 Gy';
const SD = 'stable disease at 40 Gy';
const NO_RESIDUAL = 'no residual tumor one month after chemoradiotherapy';
const RESIDUAL = 'residual tumor one month after chemoradiotherapy';

/** Liu 2022 Table 4: group means (mL/(100.g)/min) of the SD/PR and residual/non-residual groups. */
export const LIU_TABLE_4 = {
  preTbf: {
    sd: { mean: 129.87, sd: 18.35, n: 19 },
    pr: { mean: 155.59, sd: 17.26, n: 36 },
    responseP: { value: 0.001, comparator: '<' },
    residual: { mean: 129.34, sd: 19.67, n: 17 },
    noResidual: { mean: 154.47, sd: 17.32, n: 38 },
    residualP: { value: 0.001, comparator: '<' },
  },
  postTbf: {
    sd: { mean: 79.36, sd: 9.79, n: 19 },
    pr: { mean: 86.73, sd: 11.73, n: 36 },
    responseP: { value: 0.017 },
    residual: { mean: 79.19, sd: 13.04, n: 17 },
    noResidual: { mean: 86.42, sd: 10.25, n: 38 },
    residualP: { value: 0.054 },
  },
  deltaTbf: {
    sd: { mean: 50.5, sd: 18.43, n: 19 },
    pr: { mean: 68.86, sd: 15.05, n: 36 },
    responseP: { value: 0.01 },
    residual: { mean: 50.15, sd: 20.24, n: 17 },
    noResidual: { mean: 68.05, sd: 14.62, n: 38 },
    residualP: { value: 0.003 },
  },
  atrophyRatePercent: {
    sd: { mean: 17.66, sd: 6.99, n: 19 },
    pr: { mean: 60.02, sd: 12.09, n: 36 },
    responseP: { value: 0.001, comparator: '<' },
    residual: { mean: 29.59, sd: 20.28, n: 17 },
    noResidual: { mean: 52.46, sd: 20.87, n: 38 },
    residualP: { value: 0.001 },
  },
} as const satisfies Record<
  string,
  Record<'sd' | 'pr' | 'residual' | 'noResidual', GroupMean> & Record<'responseP' | 'residualP', PValue>
>;

const T4 = LIU_TABLE_4;

/**
 * Liu 2022 Table 2: residual tumor one month after CRT by the response at 40 Gy (Pearson χ² 14.136,
 * printed "p = 0.000"). The PR row prints 29 non-residual patients; the row total (36) and the column
 * total (38) need 31, which is used here.
 */
export const LIU_TABLE_2 = {
  pr: { residual: 5, total: 36 },
  sd: { residual: 12, total: 19 },
  chiSquared: 14.136,
} as const;

/** Liu 2022 Table 5, one entry per rule. */
export const TBF_EVIDENCE: Readonly<Record<TbfRuleId, DiagnosticEvidence>> = {
  'pre-tbf-response': {
    citation: 'liu-2022',
    source: 'Liu 2022 Table 5 (Pre-TBF, PR vs SD)',
    parameter: 'Pre-TBF',
    favorableOutcome: PR,
    unfavorableOutcome: SD,
    publishedCutoff: 137.07,
    auc: { value: 0.845, ci: [0.739, 0.951] },
    sensitivity: 0.861,
    specificity: 0.684,
    counts: { truePositive: 31, falseNegative: 5, trueNegative: 13, falsePositive: 6 },
    positiveGroup: { label: 'PR', ...T4.preTbf.pr },
    negativeGroup: { label: 'SD', ...T4.preTbf.sd },
    groupDifferenceP: T4.preTbf.responseP,
    strength: 'strongest',
    reading: 'prediction',
  },
  'pre-tbf-residual': {
    citation: 'liu-2022',
    source: 'Liu 2022 Table 5 (Pre-TBF, residual vs non-residual)',
    parameter: 'Pre-TBF',
    favorableOutcome: NO_RESIDUAL,
    unfavorableOutcome: RESIDUAL,
    publishedCutoff: 140.87,
    auc: { value: 0.831, ci: [0.706, 0.957] },
    sensitivity: 0.816,
    specificity: 0.824,
    counts: { truePositive: 31, falseNegative: 7, trueNegative: 14, falsePositive: 3 },
    positiveGroup: { label: 'non-residual', ...T4.preTbf.noResidual },
    negativeGroup: { label: 'residual', ...T4.preTbf.residual },
    groupDifferenceP: T4.preTbf.residualP,
    strength: 'strongest',
    reading: 'prediction',
  },
  'delta-tbf-response': {
    citation: 'liu-2022',
    source: 'Liu 2022 Table 5 (ΔTBF, PR vs SD)',
    parameter: 'ΔTBF',
    favorableOutcome: PR,
    unfavorableOutcome: SD,
    publishedCutoff: 57.52,
    auc: { value: 0.773, ci: [0.638, 0.909] },
    sensitivity: 0.806,
    specificity: 0.684,
    counts: { truePositive: 29, falseNegative: 7, trueNegative: 13, falsePositive: 6 },
    positiveGroup: { label: 'PR', ...T4.deltaTbf.pr },
    negativeGroup: { label: 'SD', ...T4.deltaTbf.sd },
    groupDifferenceP: T4.deltaTbf.responseP,
    strength: 'moderate',
    reading: 'association',
  },
  'delta-tbf-residual': {
    citation: 'liu-2022',
    source: 'Liu 2022 Table 5 (ΔTBF, residual vs non-residual)',
    parameter: 'ΔTBF',
    favorableOutcome: NO_RESIDUAL,
    unfavorableOutcome: RESIDUAL,
    publishedCutoff: 50.94,
    auc: { value: 0.782, ci: [0.642, 0.922] },
    sensitivity: 0.895,
    specificity: 0.588,
    counts: { truePositive: 34, falseNegative: 4, trueNegative: 10, falsePositive: 7 },
    positiveGroup: { label: 'non-residual', ...T4.deltaTbf.noResidual },
    negativeGroup: { label: 'residual', ...T4.deltaTbf.residual },
    groupDifferenceP: T4.deltaTbf.residualP,
    strength: 'moderate',
    reading: 'prediction',
  },
  'post-tbf-response': {
    citation: 'liu-2022',
    source: 'Liu 2022 Table 5 (Post-TBF, PR vs SD)',
    parameter: 'Post-TBF',
    favorableOutcome: PR,
    unfavorableOutcome: SD,
    publishedCutoff: 87.031,
    auc: { value: 0.686, ci: [0.541, 0.83] },
    sensitivity: 0.583,
    specificity: 0.789,
    counts: { truePositive: 21, falseNegative: 15, trueNegative: 15, falsePositive: 4 },
    positiveGroup: { label: 'PR', ...T4.postTbf.pr },
    negativeGroup: { label: 'SD', ...T4.postTbf.sd },
    groupDifferenceP: T4.postTbf.responseP,
    strength: 'weak',
    reading: 'association',
  },
};

/**
 * Liu 2022 Table 5, Post-TBF for residual tumor: published but NOT a rule here, because Post-TBF did
 * not differ between the residual and non-residual groups (Table 4, p = 0.054). Kept so the app can say
 * why it is not shown as a prediction.
 */
export const POST_TBF_RESIDUAL_NOT_A_RULE = {
  source: 'Liu 2022 Table 5 (Post-TBF, residual vs non-residual) and Table 4',
  publishedCutoff: 82.71,
  auc: { value: 0.676, ci: [0.511, 0.842] },
  sensitivity: 0.658,
  specificity: 0.706,
  groupDifferenceP: T4.postTbf.residualP,
} as const satisfies Omit<DiagnosticEvidence, 'citation' | 'parameter' | 'favorableOutcome' | 'unfavorableOutcome' | 'counts' | 'positiveGroup' | 'negativeGroup' | 'strength' | 'reading'>;

/** Positive predictive value from the counts: of those above the cutoff, the share with the good outcome. */
export function positivePredictiveValue(c: ConfusionCounts): number {
  return c.truePositive / (c.truePositive + c.falsePositive);
}

/** Negative predictive value from the counts: of those at or below the cutoff, the share with the poor outcome. */
export function negativePredictiveValue(c: ConfusionCounts): number {
  return c.trueNegative / (c.trueNegative + c.falseNegative);
}

/** The Liu 2022 cohort and protocol (Methods, Results, Tables 1–3). */
export const LIU_COHORT = {
  n: 55,
  screened: 89,
  design: 'retrospective, single centre',
  period: 'March 2017 to August 2021',
  male: 43,
  female: 12,
  ageYears: { mean: 55.76, sd: 9.26, min: 38, max: 76 },
  stagingEdition: 8,
  stageGroups: { III: 26, IVA: 29 },
  tCategories: { T1: 0, T2: 9, T3: 23, T4: 23 },
  nCategories: { N1: 3, N2: 32, N3: 20 },
  groups: { partialResponse: 36, stableDisease: 19, residual: 17, noResidual: 38 },
  /**
   * Methods: the inclusion criteria say "concurrent cisplatin- or carboplatin-based chemotherapy", the
   * treatment paragraph "concurrent cisplatin-based chemotherapies"; the inclusion criteria are quoted.
   */
  treatment: '70 Gy in 35 fractions to the primary tumor, 5 fractions a week, with concurrent cisplatin- or carboplatin-based chemotherapy; no induction chemotherapy',
  protocol: {
    scanner: 'GE Discovery MR750, 3.0 T, 8-channel head and neck coil',
    sequence: '3D pseudo-continuous ASL (3D fast spin echo)',
    postLabelingDelayMs: 2025,
    t1BloodMs: 1650,
    labelingEfficiency: 0.85,
    timepoints: 'before treatment, at 40 Gy, and one month after chemoradiotherapy',
  },
  /** Pearson r with the tumor atrophy rate (Results, Fig. 6), p < 0.01. */
  atrophyCorrelation: { preTbf: 0.677, deltaTbf: 0.567 },
  /** Intra- and inter-observer ICC ranges (Table 3). */
  icc: { intra: [0.894, 0.994], inter: [0.912, 0.985] },
  /** α/β of Eq. 1, Gy. */
  alphaBetaGy: 10,
} as const;

/** The Dong 2019 cohorts and method (Methods, Results). */
export const DONG_COHORTS = {
  training: {
    n: 254,
    design: 'retrospective, Sun Yat-sen University Cancer Center, 2008–2016, IPTW-matched (weighted n = 247.8)',
    interactionP: { value: 0.001, comparator: '<' },
  },
  validation: {
    n: 248,
    design: 'prospective randomized controlled trial substudy (NCT01245959), March 2011 to August 2013',
    medianFollowUpMonths: 69.5,
    interactionP: { value: 0.019 },
  },
  stagingEdition: 7,
  features: {
    extracted: 819,
    reproducible: 689,
    selected: ['skewness', 'GLCM_variance', 'GLRLM_LRHGLE'],
    imaging: 'z-scored 2D features of the primary tumor on contrast-enhanced T1-weighted MRI',
  },
  coefficients: { skewness: -0.668, glcmVariance: -0.442, glrlmLrhgle: 0.41 },
  cutoff: 0,
  riskFactors: {
    definition: 'T4; N2–N3; primary tumor volume ≥ 34 mL; pre-treatment plasma EBV DNA ≥ 2000 copies/mL',
    tumorVolumeMl: 34,
    ebvDnaCopiesPerMl: 2000,
    highRiskMoreThan: 2,
  },
  /** Not in Dong 2019's text: from the trial's report (Dong 2019 reference 5). */
  inductionRegimen: 'TPF (docetaxel, cisplatin, fluorouracil), the induction regimen of trial NCT01245959 according to the trial\u2019s report (Dong 2019 reference 5)',
} as const;

/** Failure-free survival of the two arms, percent. */
export interface ArmSurvival {
  readonly ictCcrt: number;
  readonly ccrtAlone: number;
}

/** Dong 2019 Results (validation cohort unless named) and Fig. 3–4. */
export const DONG_SURVIVAL = {
  validationAll: {
    n: 248,
    ffs3y: { ictCcrt: 82.4, ccrtAlone: 69.9 },
    ffs5y: { ictCcrt: 80.0, ccrtAlone: 63.4 },
    hr: { value: 0.51, ci: [0.32, 0.83], p: { value: 0.006 } },
    absoluteBenefit: { y3: 12.5, y5: 16.6 },
  },
  validationHighIctos: {
    n: 73,
    ffs3y: { ictCcrt: 89.7, ccrtAlone: 61.8 },
    ffs5y: { ictCcrt: 89.7, ccrtAlone: 52.8 },
    hr: { value: 0.17, ci: [0.06, 0.51], p: { value: 0.001, comparator: '<' } },
    absoluteBenefit: { y3: 27.9, y5: 36.9 },
  },
  validationLowIctos: {
    n: 175,
    ffs3y: { ictCcrt: 79.1, ccrtAlone: 73.0 },
    ffs5y: { ictCcrt: 75.5, ccrtAlone: 67.4 },
    hr: { value: 0.75, ci: [0.43, 1.31], p: { value: 0.31 } },
    ffs5yOverall: { value: 71.4, ci: [65, 78] },
  },
  lowIctosLowRisk: {
    ffs3y: 90.4,
    ffs5y: 86.3,
    ictHr: { value: 1.08, ci: [0.33, 3.54], p: { value: 0.9, digits: 2 } },
  },
  lowIctosHighRisk: {
    ffs3y: 65.7,
    ffs5y: 60.8,
    ictHr: { value: 0.72, ci: [0.38, 1.35], p: { value: 0.3, digits: 2 } },
  },
  /** Low risk vs high risk among low-ICTOS patients. */
  riskHr: { value: 1.77, ci: [1.26, 2.47], p: { value: 0.001, comparator: '<' } },
  trainingHighIctos: {
    ffs3y: { ictCcrt: 69.3, ccrtAlone: 45.6 },
    ffs5y: { ictCcrt: 64.0, ccrtAlone: 36.5 },
    hr: { value: 0.43, ci: [0.25, 0.74], p: { value: 0.002 } },
  },
  trainingLowIctos: {
    hr: { value: 1.78, ci: [0.96, 3.31], p: { value: 0.063 } },
  },
} as const;

/** The evidence shown with each recommendation tier (clinical-spec.md R7). */
export interface RecommendationEvidence {
  readonly citation: PaperId;
  /** The authors' validation status of the tier (its label and source are in the message catalogue, src/explain). */
  readonly validated: boolean;
}

export const RECOMMENDATION_EVIDENCE: Readonly<Record<RecommendationKind, RecommendationEvidence>> = {
  'ict-ccrt': {
    citation: 'dong-2019',
    validated: true,
  },
  'ccrt-alone': {
    citation: 'dong-2019',
    validated: false,
  },
  'clinical-trial': {
    citation: 'dong-2019',
    validated: false,
  },
};
