/**
 * R5: the Induction Chemotherapy Outcome Score. Dong et al., BMC Medicine 2019;17:190, Results,
 * doi 10.1186/s12916-019-1422-6: ICTOS = −0.668·skewness − 0.442·GLCM_variance + 0.410·GLRLM_LRHGLE on
 * z-scored 2D features of the primary tumor on contrast-enhanced T1-weighted MRI; high when > 0.
 */
import { ICTOS_FEATURES, type IctosFeature, type IctosNormalization, type IctosThresholdSet } from './thresholds';
import { checkNumber, insufficient, snapDecimal, type InputId, type InsufficientData, type Problem } from './types';

/** The z-score input id of each feature (conventions.md). */
export const FEATURE_INPUT_ID: Readonly<Record<IctosFeature, InputId>> = {
  skewness: 'skewness-z',
  glcmVariance: 'glcm-variance-z',
  glrlmLrhgle: 'glrlm-lrhgle-z',
};

export type FeatureValues = Readonly<Partial<Record<IctosFeature, number | undefined>>>;

/**
 * The sources of ICTOS, used in this order (clinical-spec.md section 4): a recorded score; else the
 * three z-scored features; else the raw features with the site's normalization. A source counts as given
 * when any of its values is given; a given source that is incomplete or unusable is `insufficient-data`
 * rather than a silent fall-through to the next one.
 */
export interface IctosInputs {
  readonly score?: number | undefined;
  readonly zFeatures?: FeatureValues | undefined;
  readonly rawFeatures?: FeatureValues | undefined;
}

export type IctosSource = 'score' | 'z-features' | 'raw-features';

/** One feature's part in the score. */
export interface FeatureContribution {
  readonly z: number;
  readonly coefficient: number;
  /** coefficient × z */
  readonly contribution: number;
  /** The raw value and normalization, when the z-score was computed here. */
  readonly raw?: { readonly value: number; readonly mean: number; readonly sd: number };
}

interface IctosContext {
  readonly cutoff: number;
  readonly thresholdSet: string;
}

export type IctosResult =
  | (IctosContext & {
      readonly kind: 'high' | 'low';
      readonly score: number;
      readonly source: IctosSource;
      /** Present when the score was computed from features. */
      readonly features?: Readonly<Record<IctosFeature, FeatureContribution>>;
    })
  | (IctosContext & InsufficientData);

function hasAny(values: FeatureValues | undefined): values is FeatureValues {
  return values !== undefined && ICTOS_FEATURES.some((f) => values[f] !== undefined && values[f] !== null);
}

/**
 * Computes and classifies ICTOS (Dong 2019). The score is high when strictly greater than the cutoff
 * (0 by default); a score of exactly 0 is low, the paper's "≤ 0".
 */
export function evaluateIctos(
  inputs: IctosInputs,
  set: IctosThresholdSet,
  normalization?: IctosNormalization,
): IctosResult {
  const context: IctosContext = { cutoff: set.cutoff, thresholdSet: set.id };
  const missing: InputId[] = [];
  const problems: Problem[] = [];
  const classify = (score: number) => (score > set.cutoff ? ('high' as const) : ('low' as const));

  if (inputs.score !== undefined && inputs.score !== null) {
    const score = checkNumber('ictos', inputs.score, missing, problems);
    if (score === undefined) return { ...context, ...insufficient(missing, problems) };
    return { ...context, kind: classify(score), score, source: 'score' };
  }

  let source: IctosSource;
  const z: Partial<Record<IctosFeature, number>> = {};
  const raws: Partial<Record<IctosFeature, FeatureContribution['raw']>> = {};
  if (hasAny(inputs.zFeatures)) {
    source = 'z-features';
    for (const f of ICTOS_FEATURES) {
      const v = checkNumber(FEATURE_INPUT_ID[f], inputs.zFeatures[f], missing, problems);
      if (v !== undefined) z[f] = v;
    }
  } else if (hasAny(inputs.rawFeatures)) {
    source = 'raw-features';
    for (const f of ICTOS_FEATURES) {
      const v = checkNumber(FEATURE_INPUT_ID[f], inputs.rawFeatures[f], missing, problems);
      const norm = normalization?.[f];
      if (norm === undefined) {
        missing.push(FEATURE_INPUT_ID[f]);
        problems.push({ input: `${FEATURE_INPUT_ID[f]}-normalization`, reason: 'not-configured' });
        continue;
      }
      const mean = checkNumber(`${FEATURE_INPUT_ID[f]}-mean`, norm.mean, [], problems);
      const sd = checkNumber(`${FEATURE_INPUT_ID[f]}-sd`, norm.sd, [], problems, 0, true);
      if (v === undefined || mean === undefined || sd === undefined) {
        missing.push(FEATURE_INPUT_ID[f]);
        continue;
      }
      z[f] = (v - mean) / sd;
      raws[f] = { value: v, mean, sd };
    }
  } else {
    return { ...context, ...insufficient(['ictos'], []) };
  }
  if (missing.length > 0) return { ...context, ...insufficient(missing, problems) };

  const features = {} as Record<IctosFeature, FeatureContribution>;
  let score = 0;
  for (const f of ICTOS_FEATURES) {
    const zf = z[f] as number;
    const coefficient = set.coefficients[f];
    const contribution = coefficient * zf;
    score += contribution;
    const raw = raws[f];
    features[f] = raw === undefined ? { z: zf, coefficient, contribution } : { z: zf, coefficient, contribution, raw };
  }
  score = snapDecimal(score);
  if (!Number.isFinite(score)) {
    return { ...context, ...insufficient(['ictos'], [{ input: 'ictos', reason: 'not-finite' }]) };
  }
  return { ...context, kind: classify(score), score, source, features };
}
