/**
 * Threshold sets: every cutoff and coefficient a rule compares against, as named, versioned data.
 * The papers' values are the defaults (`liu-2022`, `dong-2019`); a site configuration supplies its own
 * set of the same type (validated at the edge, not here) and every card names the set it used.
 * The default values are read from the evidence registry, so no number is typed twice.
 */
import { DONG_COHORTS, TBF_EVIDENCE } from './evidence';

import { TBF_RULE_IDS, type TbfRuleId } from './types';

export { TBF_RULE_IDS, type TbfRuleId } from './types';

/** Cutoffs for the ASL tumor-blood-flow rules, in mL/(100.g)/min. */
export interface TbfThresholdSet {
  readonly id: string;
  readonly version: string;
  /** A value strictly above the cutoff is the favorable side; equal is unfavorable. */
  readonly cutoffs: Readonly<Record<TbfRuleId, number>>;
  /** The "40 Gy" imaging timepoint and the schedule used to infer it from the RT start date. */
  readonly postTbfTimepoint: {
    readonly doseGy: number;
    readonly dosePerFractionGy: number;
    readonly fractionsPerWeek: number;
  };
}

/** The three ICTOS features, by the names the papers use. */
export const ICTOS_FEATURES = ['skewness', 'glcmVariance', 'glrlmLrhgle'] as const;
export type IctosFeature = (typeof ICTOS_FEATURES)[number];

/** ICTOS coefficients and cutoff, and the clinical risk factors used for low-ICTOS patients. */
export interface IctosThresholdSet {
  readonly id: string;
  readonly version: string;
  /** Cox coefficients applied to the z-scored features. */
  readonly coefficients: Readonly<Record<IctosFeature, number>>;
  /** High ICTOS: score strictly above this. */
  readonly cutoff: number;
  readonly riskFactors: {
    /** Primary tumor volume at or above this (mL) is a high-risk factor. */
    readonly tumorVolumeMl: number;
    /** Pre-treatment plasma EBV DNA at or above this (copies/mL) is a high-risk factor. */
    readonly ebvDnaCopiesPerMl: number;
    /** High risk: strictly more than this many factors present. */
    readonly highRiskMoreThan: number;
  };
}

/** Site normalization of a raw radiomic feature: z = (raw − mean) / sd. */
export interface FeatureNormalization {
  readonly mean: number;
  readonly sd: number;
}
export type IctosNormalization = Readonly<Record<IctosFeature, FeatureNormalization>>;

/**
 * Liu 2022, Table 5 (doi 10.1186/s13244-022-01248-x). The Post-TBF residual cutoff (82.71) is
 * deliberately absent: Post-TBF did not differ between residual and non-residual groups (Table 4,
 * p = 0.054), so it is never a rule. 40 Gy at 2 Gy per fraction, 5 fractions a week (Methods).
 */
export const LIU_2022: TbfThresholdSet = {
  id: 'liu-2022',
  version: '1',
  cutoffs: Object.fromEntries(TBF_RULE_IDS.map((rule) => [rule, TBF_EVIDENCE[rule].publishedCutoff])) as Record<
    TbfRuleId,
    number
  >,
  postTbfTimepoint: { doseGy: 40, dosePerFractionGy: 2, fractionsPerWeek: 5 },
};

/**
 * Dong 2019, Results and Discussion (doi 10.1186/s12916-019-1422-6): ICTOS = −0.668·skewness
 * − 0.442·GLCM_variance + 0.410·GLRLM_LRHGLE; high when > 0. Risk factors from the stratification of
 * low-ICTOS patients: T4, N2–N3, primary tumor volume ≥ 34 mL, pEBV DNA ≥ 2000 copies/mL; high risk
 * with more than two factors.
 */
export const DONG_2019: IctosThresholdSet = {
  id: 'dong-2019',
  version: '1',
  coefficients: DONG_COHORTS.coefficients,
  cutoff: DONG_COHORTS.cutoff,
  riskFactors: {
    tumorVolumeMl: DONG_COHORTS.riskFactors.tumorVolumeMl,
    ebvDnaCopiesPerMl: DONG_COHORTS.riskFactors.ebvDnaCopiesPerMl,
    highRiskMoreThan: DONG_COHORTS.riskFactors.highRiskMoreThan,
  },
};

/** The thresholds a whole assessment uses. */
export interface ThresholdSets {
  readonly tbf: TbfThresholdSet;
  readonly ictos: IctosThresholdSet;
}

export const DEFAULT_THRESHOLDS: ThresholdSets = { tbf: LIU_2022, ictos: DONG_2019 };
