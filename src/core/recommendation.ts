/**
 * R7: the treatment-selection recommendation of the clinical decision support system proposed by
 * Dong et al., BMC Medicine 2019;17:190, Discussion, doi 10.1186/s12916-019-1422-6:
 * (1) high ICTOS → ICT + CCRT; (2) low ICTOS and low risk → CCRT alone; (3) low ICTOS and high risk →
 * clinical trials. The authors note that (2) and (3) still need validation in larger populations.
 */
import type { IctosResult } from './ictos';
import type { RiskResult } from './risk';
import type { InputId, InsufficientData, RecommendationKind } from './types';

export type { RecommendationKind } from './types';

export interface RecommendationInputs {
  readonly ictos: IctosResult;
  readonly risk: RiskResult;
  /**
   * Whether any treatment (RT or chemotherapy) has started. The recommendation is a choice made before
   * treatment; once treatment has started there is none to make.
   */
  readonly treatmentStarted: boolean;
}

export type RecommendationResult =
  | { readonly kind: 'not-applicable'; readonly reason: 'treatment-started' }
  | { readonly kind: RecommendationKind; readonly ictos: IctosResult; readonly risk?: RiskResult }
  | { readonly kind: 'undetermined'; readonly ictos: IctosResult; readonly risk: RiskResult; readonly missing: readonly InputId[] }
  | InsufficientData;

/** Applies the R7 table. ICTOS unknown → insufficient-data; low ICTOS with indeterminate risk → undetermined. */
export function recommend(inputs: RecommendationInputs): RecommendationResult {
  const { ictos, risk } = inputs;
  if (inputs.treatmentStarted) return { kind: 'not-applicable', reason: 'treatment-started' };
  if (ictos.kind === 'insufficient-data') {
    return { kind: 'insufficient-data', missing: ictos.missing, problems: ictos.problems };
  }
  if (ictos.kind === 'high') return { kind: 'ict-ccrt', ictos };
  switch (risk.kind) {
    case 'low':
      return { kind: 'ccrt-alone', ictos, risk };
    case 'high':
      return { kind: 'clinical-trial', ictos, risk };
    default:
      return { kind: 'undetermined', ictos, risk, missing: risk.missing };
  }
}
