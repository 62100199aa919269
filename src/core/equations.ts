/**
 * The equations of Liu et al., Insights into Imaging 2022;13:114 (doi 10.1186/s13244-022-01248-x):
 * biologically effective dose (Eq. 1), ASL tumor blood flow quantification (Eq. 2) and tumor atrophy
 * rate (Eq. 3), plus the treatment day on which a dose is reached (used to infer the 40 Gy timepoint).
 * Every constant is an argument with the paper's (or, where the paper is silent, the ASL consensus)
 * value as default, and is returned with the result so that it can be shown.
 */
import { LIU_COHORT } from './evidence';
import { checkNumber, insufficient, type InsufficientData, type Problem } from './types';

export type Computed<V> = { readonly kind: 'computed' } & V;
export type EquationResult<V> = Computed<V> | InsufficientData<string>;

function collect(): { missing: string[]; problems: Problem[] } {
  return { missing: [], problems: [] };
}

export interface BedInputs {
  /** Total physical dose D, Gy. */
  readonly totalDoseGy: number;
  readonly fractions: number;
  /** α/β of the irradiated tissue, Gy (Liu 2022: 10 Gy). */
  readonly alphaBetaGy?: number;
}

/**
 * Biologically effective dose, Liu 2022 Eq. 1: BED = D × (1 + d / (α/β)), d = D / fractions.
 * Paper check values for 35 fractions: 70 Gy → 84, 66 → 78.45, 60 → 70.29, 54 → 62.33 Gy.
 */
export function biologicallyEffectiveDose(
  inputs: BedInputs,
): EquationResult<{ bedGy: number; dosePerFractionGy: number; alphaBetaGy: number }> {
  const { missing, problems } = collect();
  const d = checkNumber('totalDoseGy', inputs.totalDoseGy, missing, problems, 0);
  const n = checkNumber('fractions', inputs.fractions, missing, problems, 0, true);
  const ab = checkNumber('alphaBetaGy', inputs.alphaBetaGy ?? LIU_COHORT.alphaBetaGy, missing, problems, 0, true);
  if (d === undefined || n === undefined || ab === undefined) return insufficient(missing, problems);
  const dosePerFractionGy = d / n;
  const bedGy = d * (1 + dosePerFractionGy / ab);
  if (!Number.isFinite(bedGy)) return insufficient(['bedGy'], [{ input: 'bedGy', reason: 'not-finite' }]);
  return { kind: 'computed', bedGy, dosePerFractionGy, alphaBetaGy: ab };
}

/** Constants of the ASL equation. Times in seconds. */
export interface AslConstants {
  /** Tissue/blood partition coefficient λ, mL/g. Not given by Liu 2022; consensus default 0.9. */
  readonly partitionCoefficient: number;
  /** Labeling efficiency α (Liu 2022: 0.85). */
  readonly labelingEfficiency: number;
  /** Longitudinal relaxation time of blood T1,blood, s (Liu 2022: 1.65). */
  readonly t1BloodS: number;
  /** Post-labeling delay, s (Liu 2022: 2.025). */
  readonly postLabelingDelayS: number;
  /** Label duration τ, s. Not given by Liu 2022; consensus default 1.8. */
  readonly labelDurationS: number;
}

/**
 * Defaults: Liu 2022 Methods for α, T1,blood and PLD; λ and τ from the ISMRM perfusion study group /
 * European consensus on ASL (Alsop et al., Magn Reson Med 2015;73:102–116), because the paper does not
 * give them. Shown with every computed value and overridable.
 */
export const ASL_DEFAULTS: AslConstants = {
  partitionCoefficient: 0.9,
  labelingEfficiency: LIU_COHORT.protocol.labelingEfficiency,
  t1BloodS: LIU_COHORT.protocol.t1BloodMs / 1000,
  postLabelingDelayS: LIU_COHORT.protocol.postLabelingDelayMs / 1000,
  labelDurationS: 1.8,
};

export interface AslInputs {
  /** Time-averaged signal intensity of the control images. */
  readonly siControl: number;
  /** Time-averaged signal intensity of the label images. */
  readonly siLabel: number;
  /** Signal intensity of the proton-density-weighted image. */
  readonly siPd: number;
  readonly constants?: Partial<AslConstants>;
}

/**
 * ASL tumor blood flow, Liu 2022 Eq. 2, in mL/(100.g)/min:
 * TBF = 6000·λ·(SIcontrol − SIlabel)·e^(PLD/T1b) / (2·α·T1b·SIPD·(1 − e^(−τ/T1b))).
 * A label signal above the control signal would give a negative flow: reported as out of range.
 */
export function aslTumorBloodFlow(
  inputs: AslInputs,
): EquationResult<{ tbf: number; unit: 'mL/(100.g)/min'; constants: AslConstants }> {
  const { missing, problems } = collect();
  const c = { ...ASL_DEFAULTS, ...inputs.constants };
  const control = checkNumber('siControl', inputs.siControl, missing, problems, 0);
  const label = checkNumber('siLabel', inputs.siLabel, missing, problems, 0);
  const pd = checkNumber('siPd', inputs.siPd, missing, problems, 0, true);
  const lambda = checkNumber('partitionCoefficient', c.partitionCoefficient, missing, problems, 0, true);
  const alpha = checkNumber('labelingEfficiency', c.labelingEfficiency, missing, problems, 0, true);
  const t1b = checkNumber('t1BloodS', c.t1BloodS, missing, problems, 0, true);
  const pld = checkNumber('postLabelingDelayS', c.postLabelingDelayS, missing, problems, 0);
  const tau = checkNumber('labelDurationS', c.labelDurationS, missing, problems, 0, true);
  if (
    control === undefined ||
    label === undefined ||
    pd === undefined ||
    lambda === undefined ||
    alpha === undefined ||
    t1b === undefined ||
    pld === undefined ||
    tau === undefined
  ) {
    return insufficient(missing, problems);
  }
  if (alpha > 1) return insufficient(['labelingEfficiency'], [{ input: 'labelingEfficiency', reason: 'out-of-range' }]);
  if (label > control) return insufficient(['siLabel'], [{ input: 'siLabel', reason: 'out-of-range' }]);
  const tbf =
    (6000 * lambda * (control - label) * Math.exp(pld / t1b)) / (2 * alpha * t1b * pd * (1 - Math.exp(-tau / t1b)));
  if (!Number.isFinite(tbf)) return insufficient(['tbf'], [{ input: 'tbf', reason: 'not-finite' }]);
  const constants: AslConstants = {
    partitionCoefficient: lambda,
    labelingEfficiency: alpha,
    t1BloodS: t1b,
    postLabelingDelayS: pld,
    labelDurationS: tau,
  };
  return { kind: 'computed', tbf, unit: 'mL/(100.g)/min', constants };
}

export type RecistCategory = 'complete-response' | 'partial-response' | 'stable-disease' | 'progressive-disease';

/**
 * Tumor atrophy rate, Liu 2022 Eq. 3: (Pre-MPTD − Post-MPTD) / Pre-MPTD × 100 %, with its RECIST 1.1
 * category (Eisenhauer 2009) applied to the one primary-tumor diameter the paper measures: disappearance
 * → complete response; a decrease of 30 % or more → partial response; an increase of 20 % or more and of
 * at least 5 mm → progressive disease; otherwise stable disease. A single-lesion reading, not a full
 * RECIST assessment (no sum over target lesions, no new lesions).
 */
export function tumorAtrophyRate(
  preMptdMm: number,
  postMptdMm: number,
): EquationResult<{ atrophyPercent: number; recist: RecistCategory }> {
  const { missing, problems } = collect();
  const pre = checkNumber('preMptdMm', preMptdMm, missing, problems, 0, true);
  const post = checkNumber('postMptdMm', postMptdMm, missing, problems, 0);
  if (pre === undefined || post === undefined) return insufficient(missing, problems);
  const atrophyPercent = ((pre - post) / pre) * 100;
  if (!Number.isFinite(atrophyPercent)) {
    return insufficient(['atrophyPercent'], [{ input: 'atrophyPercent', reason: 'not-finite' }]);
  }
  let recist: RecistCategory;
  if (post === 0) recist = 'complete-response';
  else if (atrophyPercent >= 30) recist = 'partial-response';
  else if (atrophyPercent <= -20 && post - pre >= 5) recist = 'progressive-disease';
  else recist = 'stable-disease';
  return { kind: 'computed', atrophyPercent, recist };
}

export interface FractionSchedule {
  readonly doseGy: number;
  readonly dosePerFractionGy: number;
  readonly fractionsPerWeek: number;
}

/**
 * The day, counted from the first fraction (day 0), on which the fraction that reaches `doseGy` is given,
 * assuming one fraction a day on consecutive treatment days and two days off after each
 * `fractionsPerWeek` fractions. 40 Gy at 2 Gy, 5 a week → fraction 20 → day 25 (clinical-spec.md
 * section 4). The earliest possible day: a course started mid-week reaches the dose a little later.
 */
export function dayDoseReached(schedule: FractionSchedule): EquationResult<{ day: number; fraction: number }> {
  const { missing, problems } = collect();
  const dose = checkNumber('doseGy', schedule.doseGy, missing, problems, 0, true);
  const perFraction = checkNumber('dosePerFractionGy', schedule.dosePerFractionGy, missing, problems, 0, true);
  const perWeek = checkNumber('fractionsPerWeek', schedule.fractionsPerWeek, missing, problems, 1);
  if (dose === undefined || perFraction === undefined || perWeek === undefined) return insufficient(missing, problems);
  if (!Number.isInteger(perWeek) || perWeek > 7) {
    return insufficient(['fractionsPerWeek'], [{ input: 'fractionsPerWeek', reason: 'out-of-range' }]);
  }
  // Tolerance so that 40 / 2 is 20 fractions even when the division is inexact in floating point.
  const fraction = Math.max(1, Math.ceil(dose / perFraction - 1e-9));
  if (!Number.isSafeInteger(fraction)) return insufficient(['doseGy'], [{ input: 'doseGy', reason: 'out-of-range' }]);
  const day = Math.floor((fraction - 1) / perWeek) * 7 + ((fraction - 1) % perWeek);
  return { kind: 'computed', day, fraction };
}
