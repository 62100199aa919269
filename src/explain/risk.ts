/** The clinical risk of low-ICTOS patients in words (Dong 2019): the rule and this patient's factors. */
import { decimalText, RISK_FACTORS, type IctosThresholdSet, type RiskFactor, type RiskResult } from '../core';
import { EN } from './en';
import type { Messages } from './messages';
import type { Phrase } from './phrase';

type RiskCutoffs = IctosThresholdSet['riskFactors'];

/** A factor with the configured cutoff ("primary tumor volume ≥ 34 mL"). */
export function riskFactorLabel(f: RiskFactor, rf: RiskCutoffs, m: Messages = EN): string {
  return m.risk.factor(f, { tumorVolumeMl: decimalText(rf.tumorVolumeMl), ebvDnaCopiesPerMl: decimalText(rf.ebvDnaCopiesPerMl) });
}

/** The rule: the four factors and when the risk is high. */
export function riskRule(rf: RiskCutoffs, m: Messages = EN): string {
  return m.risk.rule(
    RISK_FACTORS.map((f) => riskFactorLabel(f, rf, m)),
    decimalText(rf.highRiskMoreThan),
  );
}

/** This patient's factors and result. */
export function riskPatient(risk: RiskResult, rf: RiskCutoffs, m: Messages = EN): Phrase {
  const labels = (fs: readonly RiskFactor[]) => fs.map((f) => riskFactorLabel(f, rf, m));
  return m.risk.patient(labels(risk.present), labels(risk.absent), labels(risk.unknown), risk.kind);
}
