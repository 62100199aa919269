/**
 * Structured capture (write-back) for the SMART app: validation of the three forms a clinician fills in
 * for the patient in context, and the FHIR R4 Observations they become. DOM-free, no clock (`today` is an
 * argument), no I/O: the page reads the form, calls a `validate…Form` function, shows its per-field
 * messages or its computed values, and on confirmation sends what a builder returns.
 *
 * What is written is exactly what `extractInputs` (src/fhir/extract.ts) reads back: the project code in the
 * configured project CodeSystem, `status` final, subject `Patient/<id>`, `effectiveDateTime` the date, and a
 * `valueQuantity` coded in UCUM with the extraction's target unit (TARGET_UNITS), so no conversion happens.
 *
 * Decisions (clinical-spec.md sections 3, 4, 5 R5, 7):
 * - Numbers are plain decimals with a decimal point: surrounding spaces, a leading + or − (also the
 *   typographic minus U+2212 that papers and PDFs use) are accepted. A decimal comma is rejected with
 *   "use a decimal point": "1,234" could be 1.234 or 1234, and guessing could be off by a factor of 1000.
 *   Exponent notation, thousands separators, "NaN" and "Infinity" are rejected.
 * - Entered values are stored as typed. A TBF computed from the ASL signals is stored to 2 decimals, the
 *   precision of Liu 2022's values and cutoffs; the capture returns the stored value (shown for
 *   confirmation, and the one the service compares) and the unrounded one. The ICTOS score is stored as
 *   `evaluateIctos` returns it (snapped to 9 decimals), not to 4: the service reads a recorded score before
 *   the features, and rounding could turn a high score such as 0.00004 into 0, which is low.
 * - The constants of Liu 2022 Eq. 2 are ASL_DEFAULTS, returned with the capture and written into the note.
 */
import {
  ASL_DEFAULTS,
  aslTumorBloodFlow,
  DONG_2019,
  evaluateIctos,
  FEATURE_INPUT_ID,
  ICTOS_FEATURES,
  type IctosFeature,
  type IctosThresholdSet,
  type Problem,
} from '../core';
import {
  ASL_EQUATION,
  aslConstantsText,
  DATE_FORMAT,
  ictosFormula,
  isCalendarDate,
  TODAY_NOT_A_DATE,
  radiomicsTransaction as writeRadiomicsTransaction,
  signed as fmt,
  TBF_UNIT_TEXT,
  tbfObservation as writeTbfObservation,
  volumeObservation as writeVolumeObservation,
  type AslSignals,
  type CaptureContext,
  type CapturedObservation,
  type CaptureTransaction,
  type RadiomicsWrite,
  type TbfWrite,
  type VolumeWrite,
} from '../fhir/capture-write';
import { TARGET_UNITS } from '../fhir/units';

export {
  createdId,
  performerFromFhirUser,
  PROJECT_DISPLAYS,
  transactionSucceeded,
  type AslSignals,
  type CaptureContext,
  type CapturedObservation,
  type CaptureTransaction,
} from '../fhir/capture-write';

// ---------------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------------

/** Field name → a message a clinician understands. Empty when the form is valid. */
export type FieldErrors = Readonly<Record<string, string>>;
export type Validated<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly errors: FieldErrors };

declare const VALIDATED: unique symbol;
/** A capture produced by a `validate…Form` function; the builders accept nothing else. */
export type Checked<T> = T & { readonly [VALIDATED]: true };

export type TbfCapture = Checked<TbfWrite>;
export type RadiomicsCapture = Checked<RadiomicsWrite>;
export type VolumeCapture = Checked<VolumeWrite>;

// ---------------------------------------------------------------------------------------------------
// Fields of the forms (for the template) and their limits
// ---------------------------------------------------------------------------------------------------

export const TBF_FIELDS = ['tbf-date', 'tbf-value', 'asl-si-control', 'asl-si-label', 'asl-si-pd'] as const;
export const RADIOMICS_FIELDS = ['radiomics-date', 'skewness-z', 'glcm-variance-z', 'glrlm-lrhgle-z'] as const;
export const VOLUME_FIELDS = ['volume-date', 'volume-ml'] as const;
export type TbfFieldName = (typeof TBF_FIELDS)[number];
export type RadiomicsFieldName = (typeof RADIOMICS_FIELDS)[number];
export type VolumeFieldName = (typeof VOLUME_FIELDS)[number];
export type CaptureFieldName = TbfFieldName | RadiomicsFieldName | VolumeFieldName;

/** Limits of the forms. The TBF and volume maxima are plausibility limits, not clinical cutoffs. */
export const CAPTURE_LIMITS = {
  /** No ASL or radiomics MRI in a record is older: an earlier year is a typing error. */
  earliestDate: '1990-01-01',
  /** mL/(100.g)/min, exclusive minimum 0. Liu 2022 Table 4 group means were about 80–160. */
  tbfMax: 1000,
  /** Absolute z-score; beyond it the value is almost surely a raw feature value. */
  zAbsMax: 10,
  /** mL, exclusive minimum 0. */
  volumeMaxMl: 500,
} as const;

export interface CaptureField {
  /** The form control's `name`, and the key of its message in FieldErrors. */
  readonly name: CaptureFieldName;
  /** The input's `id` (`capture-<name>`); `helpId` and `errorId` are for aria-describedby. */
  readonly id: string;
  readonly helpId: string;
  readonly errorId: string;
  /** Label text, with the unit in parentheses when the value has one. */
  readonly label: string;
  /** The unit as shown to the clinician; absent for dates and dimensionless values. */
  readonly unit?: string;
  /** The UCUM code the value is stored with; absent for dates and the ASL signals (not stored as values). */
  readonly ucumUnit?: string;
  /**
   * `date` for dates (the browser's date picker yields YYYY-MM-DD). `text` with inputmode decimal for
   * numbers: type=number would hand the validator an empty string for "12abc" or a decimal comma.
   */
  readonly type: 'date' | 'text';
  readonly inputmode?: 'decimal';
  /** HTML `required`: false for the either/or TBF fields, whose rule the validator states. */
  readonly required: boolean;
  /** For date inputs: `min` attribute. `max` is today, which the view model supplies. */
  readonly min?: string;
  /** Help text under the input: the plausible range, the standardization, the source. */
  readonly help: string;
}

export interface CaptureFieldset {
  readonly legend: string;
  readonly help?: string;
  readonly fields: readonly CaptureField[];
}

export interface CaptureForm {
  /** The form's `id`. */
  readonly id: string;
  readonly title: string;
  readonly fieldsets: readonly CaptureFieldset[];
}

interface FieldSpec {
  readonly label: string;
  readonly unit?: string;
  readonly ucumUnit?: string;
  readonly required: boolean;
  readonly help: string;
  readonly kind: 'date' | 'number';
}

const A = ASL_DEFAULTS;
const DATE_HELP = `YYYY-MM-DD; not after today, not before ${CAPTURE_LIMITS.earliestDate.slice(0, 4)}.`;
const zHelp = (feature: IctosFeature) =>
  `z = (x − mean) / SD with the Dong 2019 training-cohort mean and SD; between −${CAPTURE_LIMITS.zAbsMax} and ` +
  `${CAPTURE_LIMITS.zAbsMax}. ICTOS coefficient ${fmt(DONG_2019.coefficients[feature])}.`;

const SPECS: Readonly<Record<CaptureFieldName, FieldSpec>> = {
  'tbf-date': {
    label: 'Date of the ASL MRI',
    required: true,
    kind: 'date',
    help: `${DATE_HELP} Before treatment for the pre-treatment TBF; on or after day 25 of radiotherapy (about 40 Gy) for the post-treatment TBF.`,
  },
  'tbf-value': {
    label: `Tumor blood flow (${TBF_UNIT_TEXT})`,
    unit: TBF_UNIT_TEXT,
    ucumUnit: TARGET_UNITS.tbf,
    required: false,
    kind: 'number',
    help: `Mean TBF of the primary tumor from the ASL map. Above 0, at most ${CAPTURE_LIMITS.tbfMax}; Liu 2022 group means were about 80–160.`,
  },
  'asl-si-control': {
    label: 'SIcontrol (control images)',
    required: false,
    kind: 'number',
    help: 'Time-averaged signal intensity of the control images; greater than SIlabel.',
  },
  'asl-si-label': {
    label: 'SIlabel (label images)',
    required: false,
    kind: 'number',
    help: 'Time-averaged signal intensity of the label images; 0 or more and less than SIcontrol.',
  },
  'asl-si-pd': {
    label: 'SIPD (proton-density image)',
    required: false,
    kind: 'number',
    help: 'Signal intensity of the proton-density-weighted image; greater than 0.',
  },
  'radiomics-date': {
    label: 'Date of the pre-treatment contrast-enhanced T1-weighted MRI',
    required: true,
    kind: 'date',
    help: `${DATE_HELP} ICTOS applies to a pre-treatment MRI only.`,
  },
  'skewness-z': {
    label: 'Skewness (z-score)',
    ucumUnit: TARGET_UNITS.score,
    required: true,
    kind: 'number',
    help: zHelp('skewness'),
  },
  'glcm-variance-z': {
    label: 'GLCM variance (z-score)',
    ucumUnit: TARGET_UNITS.score,
    required: true,
    kind: 'number',
    help: zHelp('glcmVariance'),
  },
  'glrlm-lrhgle-z': {
    label: 'GLRLM long run high gray-level emphasis (z-score)',
    ucumUnit: TARGET_UNITS.score,
    required: true,
    kind: 'number',
    help: zHelp('glrlmLrhgle'),
  },
  'volume-date': {
    label: 'Date of the MRI',
    required: true,
    kind: 'date',
    help: `${DATE_HELP} The pre-treatment MRI.`,
  },
  'volume-ml': {
    label: 'Primary tumor volume (mL)',
    unit: 'mL',
    ucumUnit: TARGET_UNITS.volume,
    required: true,
    kind: 'number',
    help: `Above 0, at most ${CAPTURE_LIMITS.volumeMaxMl} mL (1 cm³ = 1 mL). Dong 2019: ${DONG_2019.riskFactors.tumorVolumeMl} mL or more is a high-risk factor.`,
  },
};

function field(name: CaptureFieldName): CaptureField {
  const s = SPECS[name];
  const id = `capture-${name}`;
  return {
    name,
    id,
    helpId: `${id}-help`,
    errorId: `${id}-error`,
    label: s.label,
    ...(s.unit !== undefined ? { unit: s.unit } : {}),
    ...(s.ucumUnit !== undefined ? { ucumUnit: s.ucumUnit } : {}),
    type: s.kind === 'date' ? 'date' : 'text',
    ...(s.kind === 'number' ? { inputmode: 'decimal' as const } : {}),
    required: s.required,
    ...(s.kind === 'date' ? { min: CAPTURE_LIMITS.earliestDate } : {}),
    help: s.help,
  };
}

/** The three forms, their fieldsets and labelled inputs, for the template to render. */
export const CAPTURE_FIELDS: Readonly<{ tbf: CaptureForm; radiomics: CaptureForm; volume: CaptureForm }> = {
  tbf: {
    id: 'capture-tbf',
    title: 'Tumor blood flow (ASL MRI)',
    fieldsets: [
      { legend: 'Measurement', fields: [field('tbf-date')] },
      {
        legend: 'Either the tumor blood flow',
        help: 'As read from the ASL perfusion map.',
        fields: [field('tbf-value')],
      },
      {
        legend: 'Or the three ASL signal intensities',
        help: `TBF is computed with Liu 2022 Eq. 2, ${ASL_EQUATION}, using ${aslConstantsText(A)} (λ and τ are ASL consensus values; Liu 2022 does not give them).`,
        fields: [field('asl-si-control'), field('asl-si-label'), field('asl-si-pd')],
      },
    ],
  },
  radiomics: {
    id: 'capture-radiomics',
    title: 'Radiomic features and ICTOS (Dong 2019)',
    fieldsets: [
      { legend: 'MRI', fields: [field('radiomics-date')] },
      {
        legend: 'z-scored 2D features of the primary tumor',
        help: `ICTOS = ${ictosFormula(DONG_2019.coefficients)}; high when above ${fmt(DONG_2019.cutoff)}.`,
        fields: [field('skewness-z'), field('glcm-variance-z'), field('glrlm-lrhgle-z')],
      },
    ],
  },
  volume: {
    id: 'capture-volume',
    title: 'Primary tumor volume',
    fieldsets: [{ legend: 'Pre-treatment MRI', fields: [field('volume-date'), field('volume-ml')] }],
  },
};

// ---------------------------------------------------------------------------------------------------
// Parsing and validation
// ---------------------------------------------------------------------------------------------------

const PLAIN_DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)$/;
const DECIMAL_COMMA = /^[+-]?[\d.,]*,[\d.,]*$/;
const EXPONENT = /^[+-]?(?:\d+\.?\d*|\.\d+)e[+-]?\d+$/i;

/** True when `s` is YYYY-MM-DD and a real calendar date. */

function checkToday(today: string): void {
  if (!isCalendarDate(today)) throw new RangeError(TODAY_NOT_A_DATE);
}

type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

const raw = (fields: Readonly<Record<string, string>>, name: string): string => (fields[name] ?? '').trim();

function parseDate(text: string, today: string, what: string): Parsed<string> {
  if (text === '') return { ok: false, message: `Enter ${what} (YYYY-MM-DD).` };
  if (!DATE_FORMAT.test(text)) return { ok: false, message: 'Enter the date as YYYY-MM-DD, for example 2026-03-02.' };
  if (!isCalendarDate(text)) return { ok: false, message: `${text} is not a calendar date.` };
  if (text > today) return { ok: false, message: `The date is after today (${today}): enter the date the MRI was done.` };
  if (text < CAPTURE_LIMITS.earliestDate) {
    return { ok: false, message: `The date is before ${CAPTURE_LIMITS.earliestDate.slice(0, 4)}: check the year.` };
  }
  return { ok: true, value: text };
}

/** A plain decimal number as typed (see the module comment), or a message saying what is wrong. */
function parseDecimal(input: string, what: string): Parsed<number> {
  const text = input.trim().replace(/^\u2212/, '-');
  if (text === '') return { ok: false, message: `Enter ${what}.` };
  if (DECIMAL_COMMA.test(text) && /\d/.test(text)) {
    return { ok: false, message: 'Use a decimal point, not a comma (for example 12.5), and no thousands separator.' };
  }
  if (EXPONENT.test(text)) return { ok: false, message: 'Enter a plain decimal number (for example 0.0012), without exponent notation.' };
  if (!PLAIN_DECIMAL.test(text)) {
    return { ok: false, message: 'Enter a number: digits with an optional minus sign and one decimal point, for example 12.5.' };
  }
  const value = Number(text);
  if (!Number.isFinite(value)) return { ok: false, message: 'This number is too large.' };
  return { ok: true, value: value === 0 ? 0 : value };
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

function result<T>(errors: Record<string, string>, value: () => T): Validated<T> {
  return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, value: value() };
}

const SIGNAL_FIELDS = ['asl-si-control', 'asl-si-label', 'asl-si-pd'] as const;
type SignalField = (typeof SIGNAL_FIELDS)[number];
const SIGNAL_NAME: Readonly<Record<SignalField, string>> = {
  'asl-si-control': 'SIcontrol',
  'asl-si-label': 'SIlabel',
  'asl-si-pd': 'SIPD',
};
const SIGNAL_FIELD_OF: Readonly<Record<string, SignalField>> = {
  siControl: 'asl-si-control',
  siLabel: 'asl-si-label',
  siPd: 'asl-si-pd',
};
const listText = (xs: readonly string[]): string =>
  xs.length <= 1 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1] ?? ''}`;

/** Words an aslTumorBloodFlow problem for the clinician, on the field it concerns. */
function aslProblemMessage(p: Problem, s: AslSignals): { field: SignalField; message: string } {
  const field = SIGNAL_FIELD_OF[p.input];
  if (field === undefined || p.reason !== 'out-of-range') {
    return { field: 'asl-si-control', message: 'TBF cannot be computed from these signal values: check all three.' };
  }
  if (field === 'asl-si-pd') return { field, message: 'SIPD must be greater than 0.' };
  if (field === 'asl-si-label' && s.siLabel >= 0) {
    return {
      field,
      message: 'SIlabel is greater than SIcontrol: the label images have the lower signal. Were the two values swapped?',
    };
  }
  return { field, message: `${SIGNAL_NAME[field]} cannot be negative.` };
}

/**
 * Validates the TBF form: the date, and either the TBF value (mL/(100.g)/min, above 0, at most 1000)
 * or the three ASL signals, from which TBF is computed with Liu 2022 Eq. 2 (aslTumorBloodFlow) and
 * ASL_DEFAULTS. Returns the value to store and, when computed, the signals and constants used.
 */
export function validateTbfForm(fields: Readonly<Record<string, string>>, today: string): Validated<TbfCapture> {
  checkToday(today);
  const errors: Record<string, string> = {};
  const date = parseDate(raw(fields, 'tbf-date'), today, 'the date of the ASL MRI');
  if (!date.ok) errors['tbf-date'] = date.message;

  const valueText = raw(fields, 'tbf-value');
  const givenSignals = SIGNAL_FIELDS.filter((f) => raw(fields, f) !== '');
  let build: ((date: string) => TbfCapture) | undefined;

  if (valueText !== '' && givenSignals.length > 0) {
    errors['tbf-value'] =
      `Enter either the TBF value or the ASL signals, not both: clear the TBF value to compute it from the signals, ` +
      `or clear ${listText(givenSignals.map((f) => SIGNAL_NAME[f]))} to keep the value.`;
  } else if (valueText === '' && givenSignals.length === 0) {
    errors['tbf-value'] = 'Enter the tumor blood flow, or the three ASL signal values (SIcontrol, SIlabel, SIPD) to compute it.';
  } else if (valueText !== '') {
    const v = parseDecimal(valueText, 'the tumor blood flow');
    if (!v.ok) errors['tbf-value'] = v.message;
    else if (v.value <= 0) errors['tbf-value'] = `Tumor blood flow must be greater than 0 ${TBF_UNIT_TEXT}.`;
    else if (v.value > CAPTURE_LIMITS.tbfMax) {
      errors['tbf-value'] =
        `Above ${CAPTURE_LIMITS.tbfMax} ${TBF_UNIT_TEXT} is not a plausible tumor blood flow ` +
        '(Liu 2022 group means were about 80–160): check the value and its unit.';
    } else {
      const tbf = v.value;
      build = (d) => ({ date: d, tbf, source: 'entered' }) as TbfCapture;
    }
  } else {
    const parsed: Partial<Record<SignalField, number>> = {};
    for (const f of SIGNAL_FIELDS) {
      const text = raw(fields, f);
      if (text === '') {
        errors[f] =
          `Enter ${SIGNAL_NAME[f]} as well: TBF is computed from all three signals ` +
          '(or clear the signals and enter the TBF value).';
        continue;
      }
      const v = parseDecimal(text, SIGNAL_NAME[f]);
      if (v.ok) parsed[f] = v.value;
      else errors[f] = v.message;
    }
    const [siControl, siLabel, siPd] = SIGNAL_FIELDS.map((f) => parsed[f]);
    if (siControl !== undefined && siLabel !== undefined && siPd !== undefined) {
      const signals: AslSignals = { siControl, siLabel, siPd };
      const computed = aslTumorBloodFlow(signals);
      if (computed.kind === 'insufficient-data') {
        const problems: readonly Problem[] =
          computed.problems.length > 0 ? computed.problems : [{ input: 'tbf', reason: 'not-finite' }];
        for (const p of problems) {
          const { field, message } = aslProblemMessage(p, signals);
          errors[field] ??= message;
        }
      } else {
        const tbf = round2(computed.tbf);
        if (tbf <= 0) {
          errors['asl-si-label'] =
            'SIlabel equals SIcontrol (or nearly): there is no perfusion signal, and the computed TBF would be 0.';
        } else if (tbf > CAPTURE_LIMITS.tbfMax) {
          errors['asl-si-control'] =
            `The TBF computed from these signals, ${tbf} ${TBF_UNIT_TEXT}, is above the plausible maximum of ` +
            `${CAPTURE_LIMITS.tbfMax}: check SIcontrol, SIlabel and SIPD (SIPD is the proton-density image's signal).`;
        } else {
          const { constants } = computed;
          const unroundedTbf = computed.tbf;
          build = (d) => ({ date: d, tbf, unroundedTbf, source: 'computed', signals, constants }) as TbfCapture;
        }
      }
    }
  }
  return result(errors, () => {
    if (!date.ok || build === undefined) throw new Error('unreachable: no errors but no value');
    return build(date.value);
  });
}

/**
 * Validates the radiomics form: the MRI date and the three z-scored features (each within ±10), and
 * computes ICTOS with evaluateIctos (Dong 2019 by default; high when the score is above 0).
 */
export function validateRadiomicsForm(
  fields: Readonly<Record<string, string>>,
  today: string,
  set: IctosThresholdSet = DONG_2019,
): Validated<RadiomicsCapture> {
  checkToday(today);
  const errors: Record<string, string> = {};
  const date = parseDate(raw(fields, 'radiomics-date'), today, 'the date of the MRI');
  if (!date.ok) errors['radiomics-date'] = date.message;
  const z: Partial<Record<IctosFeature, number>> = {};
  for (const feature of ICTOS_FEATURES) {
    const name = FEATURE_INPUT_ID[feature];
    const v = parseDecimal(raw(fields, name), `the ${SPECS[name as RadiomicsFieldName].label}`);
    if (!v.ok) errors[name] = v.message;
    else if (Math.abs(v.value) > CAPTURE_LIMITS.zAbsMax) {
      errors[name] =
        `A z-score beyond ±${CAPTURE_LIMITS.zAbsMax} is almost surely a raw feature value entered as a z-score: ` +
        'enter z = (x − mean) / SD, standardized with the Dong 2019 training-cohort mean and SD.';
    } else z[feature] = v.value;
  }
  if (Object.keys(errors).length > 0 || !date.ok) return { ok: false, errors };
  const ictos = evaluateIctos({ zFeatures: z }, set);
  if (ictos.kind === 'insufficient-data' || ictos.features === undefined) {
    return { ok: false, errors: { 'skewness-z': 'ICTOS cannot be computed from these values: check the three z-scores.' } };
  }
  const capture = {
    date: date.value,
    z: { skewness: ictos.features.skewness.z, glcmVariance: ictos.features.glcmVariance.z, glrlmLrhgle: ictos.features.glrlmLrhgle.z },
    ictos: {
      score: ictos.score,
      kind: ictos.kind,
      contributions: ictos.features,
      cutoff: ictos.cutoff,
      thresholdSet: ictos.thresholdSet,
      thresholdSetVersion: set.version,
    },
  };
  return { ok: true, value: capture as RadiomicsCapture };
}

/** Validates the volume form: the MRI date and the primary tumor volume in mL (above 0, at most 500). */
export function validateVolumeForm(
  fields: Readonly<Record<string, string>>,
  today: string,
): Validated<VolumeCapture> {
  checkToday(today);
  const errors: Record<string, string> = {};
  const date = parseDate(raw(fields, 'volume-date'), today, 'the date of the MRI');
  if (!date.ok) errors['volume-date'] = date.message;
  const v = parseDecimal(raw(fields, 'volume-ml'), 'the primary tumor volume');
  let volumeMl: number | undefined;
  if (!v.ok) errors['volume-ml'] = v.message;
  else if (v.value <= 0) errors['volume-ml'] = 'The volume must be greater than 0 mL.';
  else if (v.value > CAPTURE_LIMITS.volumeMaxMl) {
    errors['volume-ml'] =
      `Above ${CAPTURE_LIMITS.volumeMaxMl} mL is not a plausible primary tumor volume: check the value and its unit (mL = cm³, not mm³).`;
  } else volumeMl = v.value;
  return result(errors, () => {
    if (!date.ok || volumeMl === undefined) throw new Error('unreachable: no errors but no value');
    return { date: date.value, volumeMl } as VolumeCapture;
  });
}

// ---------------------------------------------------------------------------------------------------
// Observations: built in src/fhir/capture-write.ts, from validated captures only
// ---------------------------------------------------------------------------------------------------

/** The tumor blood flow Observation of a validated capture (src/fhir/capture-write.ts). */
export function tbfObservation(capture: TbfCapture, ctx: CaptureContext): CapturedObservation {
  return writeTbfObservation(capture, ctx);
}

/** The transaction of the three features and ICTOS of a validated capture (src/fhir/capture-write.ts). */
export function radiomicsTransaction(capture: RadiomicsCapture, ctx: CaptureContext): CaptureTransaction {
  return writeRadiomicsTransaction(capture, ctx);
}

/** The primary tumor volume Observation of a validated capture (src/fhir/capture-write.ts). */
export function volumeObservation(capture: VolumeCapture, ctx: CaptureContext): CapturedObservation {
  return writeVolumeObservation(capture, ctx);
}
