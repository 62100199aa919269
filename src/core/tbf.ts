/**
 * R1–R4 (and the weak Post-TBF response rule): ASL tumor blood flow predicts early response and residual
 * tumor after chemoradiotherapy. Liu et al., Insights into Imaging 2022;13:114, Table 5,
 * doi 10.1186/s13244-022-01248-x. Positive class of every rule is the good outcome.
 */
import { TBF_RULE_IDS, type TbfRuleId, type TbfThresholdSet } from './thresholds';
import { checkNumber, insufficient, snapDecimal, type InputId, type InsufficientData, type Problem } from './types';

/** TBF measurements in mL/(100.g)/min. Absent means not measured (or not usable upstream). */
export interface TbfInputs {
  readonly preTbf?: number | undefined;
  readonly postTbf?: number | undefined;
}

interface TbfRuleContext {
  readonly rule: TbfRuleId;
  readonly cutoff: number;
  readonly thresholdSet: string;
}

export type TbfRuleResult =
  | (TbfRuleContext & {
      readonly kind: 'favorable' | 'unfavorable';
      /** The compared value: Pre-TBF, Post-TBF or ΔTBF = Pre − Post. */
      readonly value: number;
      readonly inputs: readonly InputId[];
    })
  | (TbfRuleContext & InsufficientData)
  | (TbfRuleContext & {
      /**
       * v2: the value is computed and shown, but the rule is outside the treatment Liu 2022 studied
       * (concurrent chemoradiotherapy only): no "favors" reading.
       */
      readonly kind: 'not-applicable';
      readonly reason: TbfNotApplicableReason;
      readonly value: number;
      readonly inputs: readonly InputId[];
    });

/** Why a TBF rule does not apply although its inputs are there. */
export type TbfNotApplicableReason =
  /** Systemic therapy started before RT: outside the treatment Liu 2022 studied. */
  | 'induction-before-rt'
  /** The residual-tumor MRI after CRT is due (60 days after RT end by default) or recorded: the prediction has expired. */
  | 'outcome-due';

/** A rule result that compared a value with the cutoff (favorable or unfavorable). */
export type DecidedTbfResult = Extract<TbfRuleResult, { kind: 'favorable' | 'unfavorable' }>;

/** True when the rule compared its value with the cutoff. */
export function isDecided(result: TbfRuleResult): result is DecidedTbfResult {
  return result.kind === 'favorable' || result.kind === 'unfavorable';
}

/** Which measurements each rule reads. */
export const TBF_RULE_INPUTS: Readonly<Record<TbfRuleId, readonly ('pre-tbf' | 'post-tbf')[]>> = {
  'pre-tbf-response': ['pre-tbf'],
  'pre-tbf-residual': ['pre-tbf'],
  'delta-tbf-response': ['pre-tbf', 'post-tbf'],
  'delta-tbf-residual': ['pre-tbf', 'post-tbf'],
  'post-tbf-response': ['post-tbf'],
};

/**
 * ΔTBF = Pre-TBF − Post-TBF (Liu 2022, Methods: "the change in TBF value"). Always recomputed from the
 * two measurements; a stored delta is never trusted. Positive when flow fell during treatment. Snapped
 * to nine decimals so that a delta equal to a cutoff in decimal arithmetic compares equal to it.
 */
export function deltaTbf(preTbf: number, postTbf: number): number {
  return snapDecimal(preTbf - postTbf);
}

/**
 * The strict comparison every cutoff in this project uses: a value strictly above the cutoff is the
 * favorable side; a value equal to the cutoff is unfavorable (the papers' ROC software reports criteria
 * as "> x"; clinical-spec.md section 5).
 */
export function isAboveCutoff(value: number, cutoff: number): boolean {
  return value > cutoff;
}

/**
 * Applies one tumor-blood-flow rule of Liu 2022 Table 5. Pre- and Post-TBF must be finite and not
 * negative (a blood flow cannot be); ΔTBF may be negative. Anything else is `insufficient-data` naming
 * the inputs.
 */
export function evaluateTbfRule(rule: TbfRuleId, inputs: TbfInputs, set: TbfThresholdSet): TbfRuleResult {
  const context: TbfRuleContext = { rule, cutoff: set.cutoffs[rule], thresholdSet: set.id };
  const missing: InputId[] = [];
  const problems: Problem[] = [];
  const needed = TBF_RULE_INPUTS[rule];
  const pre = needed.includes('pre-tbf') ? checkNumber('pre-tbf', inputs.preTbf, missing, problems, 0) : undefined;
  const post = needed.includes('post-tbf') ? checkNumber('post-tbf', inputs.postTbf, missing, problems, 0) : undefined;
  if (missing.length > 0) return { ...context, ...insufficient(missing, problems) };

  if (!Number.isFinite(context.cutoff)) {
    return { ...context, ...insufficient<InputId>([], [{ input: 'cutoff', reason: 'not-finite' }]) };
  }
  // Every rule reads at least one measurement, and all it reads were checked above.
  const value = pre !== undefined && post !== undefined ? deltaTbf(pre, post) : ((pre ?? post) as number);
  return {
    ...context,
    kind: isAboveCutoff(value, context.cutoff) ? 'favorable' : 'unfavorable',
    value,
    inputs: needed,
  };
}

/** All five TBF rules for one patient, in the order of Liu 2022 Table 5. */
export function evaluateTbfRules(inputs: TbfInputs, set: TbfThresholdSet): Readonly<Record<TbfRuleId, TbfRuleResult>> {
  return Object.fromEntries(TBF_RULE_IDS.map((rule) => [rule, evaluateTbfRule(rule, inputs, set)])) as Record<
    TbfRuleId,
    TbfRuleResult
  >;
}

/**
 * The TBF rules of a patient who had systemic therapy (induction chemotherapy) before radiotherapy: Liu
 * 2022's patients had concurrent chemoradiotherapy only (Methods, inclusion criteria: "radiotherapy and
 * concurrent cisplatin- or carboplatin-based chemotherapy"; no induction chemotherapy), so every rule with a value becomes `not-applicable` and keeps its value
 * for the card to show (clinical-spec.md section 4, v2). Rules without data stay insufficient-data.
 * With `rules` and `reason` `outcome-due`, the same for the residual rules once their outcome is due
 * (clinical-spec.md section 5, v2: predictions expire once their outcome is observed).
 */
export function tbfOutsideStudiedTreatment(
  results: Readonly<Record<TbfRuleId, TbfRuleResult>>,
  rules: readonly TbfRuleId[] = TBF_RULE_IDS,
  reason: TbfNotApplicableReason = 'induction-before-rt',
): Readonly<Record<TbfRuleId, TbfRuleResult>> {
  const out = { ...results };
  for (const rule of rules) {
    const r = results[rule];
    if (isDecided(r)) out[rule] = { rule: r.rule, cutoff: r.cutoff, thresholdSet: r.thresholdSet, kind: 'not-applicable', reason, value: r.value, inputs: r.inputs };
  }
  return out;
}

/** The rules whose outcome is the residual tumor one month after CRT (Liu 2022 Table 5). */
export const RESIDUAL_RULES: readonly TbfRuleId[] = ['pre-tbf-residual', 'delta-tbf-residual'];
