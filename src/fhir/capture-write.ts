/**
 * The FHIR R4 resources the SMART app's structured capture writes (issue 14: all FHIR building in
 * src/fhir): the tumor blood flow, radiomic feature, ICTOS and tumor volume Observations, the transaction
 * that saves the features with the score, and the reading of the server's answers. The app validates the
 * forms (src/app/capture.ts) and hands the validated values here.
 *
 * What is written is exactly what `extractInputs` (src/fhir/extract.ts) reads back: the project code in the
 * configured project CodeSystem, `status` final, subject `Patient/<id>`, `effectiveDateTime` the date, and a
 * `valueQuantity` coded in UCUM with the extraction's target unit (TARGET_UNITS), so no conversion happens
 * (test/fhir/capture-round-trip.test.ts writes and reads back).
 */
import type { Bundle, BundleEntry, Observation, Reference } from 'fhir/r4';
import * as z from 'zod';
import biomarkers from '../../fhir/CodeSystem-npc-biomarkers.json';
import { FEATURE_INPUT_ID, ICTOS_FEATURES, type AslConstants, type FeatureContribution, type IctosFeature } from '../core';
import { DEFAULT_CODE_LISTS, PROJECT_CODE_SYSTEM, SYSTEMS, type CodeLists } from './codes';
import { isFhirId } from './ids';
import { TARGET_UNITS } from './units';

export type { Bundle as CaptureTransaction, Observation as CapturedObservation } from 'fhir/r4';

export interface CaptureContext {
  /** The FHIR id of the patient in context (SMART `patient`), not a reference. */
  readonly patientId: string;
  /** The FHIR id of the encounter in context, when the launch gave one. */
  readonly encounterId?: string;
  /** A reference such as 'Practitioner/dr-lee' or an absolute fhirUser URL, when known. */
  readonly performer?: string;
  /** YYYY-MM-DD in the user's time zone (the clock is passed in, never read). */
  readonly today: string;
  /** The project CodeSystem URL; must be the one the service is configured with. Default PROJECT_CODE_SYSTEM. */
  readonly codeSystem?: string;
  /** The project codes of the configuration (CODE_LISTS_FILE may rename them); default the project's own. */
  readonly projectCodes?: CodeLists['project'];
  /** A UUID generator for the transaction's fullUrls (default crypto.randomUUID); for deterministic tests. */
  readonly newId?: () => string;
}

export interface AslSignals {
  readonly siControl: number;
  readonly siLabel: number;
  readonly siPd: number;
}

/** A tumor blood flow to write: entered, or computed from the ASL signals with Liu 2022 Eq. 2. */
export type TbfWrite =
  | {
      readonly date: string;
      /** mL/(100.g)/min, as entered. */
      readonly tbf: number;
      readonly source: 'entered';
    }
  | {
      readonly date: string;
      /** mL/(100.g)/min, Liu 2022 Eq. 2 rounded to 2 decimals: the value written and compared. */
      readonly tbf: number;
      /** The unrounded result of aslTumorBloodFlow. */
      readonly unroundedTbf: number;
      readonly source: 'computed';
      readonly signals: AslSignals;
      readonly constants: AslConstants;
    };

/** The three z-scored features and the ICTOS computed from them. */
export interface RadiomicsWrite {
  readonly date: string;
  readonly z: Readonly<Record<IctosFeature, number>>;
  readonly ictos: {
    readonly score: number;
    /** High when the score is strictly above the cutoff (0); a score of exactly 0 is low. */
    readonly kind: 'high' | 'low';
    readonly contributions: Readonly<Record<IctosFeature, FeatureContribution>>;
    readonly cutoff: number;
    /** The threshold set whose coefficients were used, e.g. 'dong-2019'. */
    readonly thresholdSet: string;
    readonly thresholdSetVersion: string;
  };
}

/** A primary tumor volume to write. */
export interface VolumeWrite {
  readonly date: string;
  readonly volumeMl: number;
}

/** The unit text of a written tumor blood flow (the UCUM code is TARGET_UNITS.tbf). */
export const TBF_UNIT_TEXT = 'mL/100 g/min';

/** A number as the notes print it, with a typographic minus. */
export const signed = (x: number): string => String(x).replace('-', '\u2212');
const fmt = signed;

/** Liu 2022 Eq. 2, as the notes and the form's help print it. */
export const ASL_EQUATION =
  'TBF = 6000·λ·(SIcontrol − SIlabel)·e^(PLD/T1blood) / (2·α·T1blood·SIPD·(1 − e^(−τ/T1blood)))';

/** The constants of Liu 2022 Eq. 2, as the notes and the form's help print them. */
export const aslConstantsText = (c: AslConstants): string =>
  `λ = ${fmt(c.partitionCoefficient)} mL/g, α = ${fmt(c.labelingEfficiency)}, T1blood = ${fmt(c.t1BloodS)} s, ` +
  `PLD = ${fmt(c.postLabelingDelayS)} s, τ = ${fmt(c.labelDurationS)} s`;

/** YYYY-MM-DD, the only date form the capture accepts. */
export const DATE_FORMAT = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The error of a capture date that is not one. */
export const TODAY_NOT_A_DATE = 'today must be a calendar date in YYYY-MM-DD';

/** A real calendar date in YYYY-MM-DD (no 2026-02-30). */
export function isCalendarDate(s: string): boolean {
  const m = DATE_FORMAT.exec(s);
  if (m === null) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

const FEATURE_TEXT: Readonly<Record<IctosFeature, string>> = {
  skewness: 'skewness',
  glcmVariance: 'GLCM_variance',
  glrlmLrhgle: 'GLRLM_LRHGLE',
};

/** "−0.668·skewness − 0.442·GLCM_variance + 0.41·GLRLM_LRHGLE" from a threshold set's coefficients. */
export function ictosFormula(coefficients: Readonly<Record<IctosFeature, number>>): string {
  return ICTOS_FEATURES.map((f, i) => {
    const c = coefficients[f];
    const term = `${fmt(Math.abs(c))}·${FEATURE_TEXT[f]}`;
    if (i === 0) return c < 0 ? `−${term}` : term;
    return `${c < 0 ? '−' : '+'} ${term}`;
  }).join(' ');
}


const OBSERVATION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';
const PERFORMER_REFERENCE =
  /^(?:https?:\/\/\S+\/)?(?:Practitioner|PractitionerRole|Organization|CareTeam|Patient|RelatedPerson)\/[A-Za-z0-9\-.]{1,64}$/;

/**
 * The performer reference for a SMART `fhirUser` claim (a relative or absolute resource URL), when it names
 * a resource an Observation's performer may be; otherwise undefined (a Person, say, or a malformed claim),
 * so that an optional attribution never blocks a write. Pass the result as `CaptureContext.performer`.
 */
export function performerFromFhirUser(fhirUser: string | undefined): string | undefined {
  const candidate = fhirUser?.trim();
  return candidate !== undefined && PERFORMER_REFERENCE.test(candidate) ? candidate : undefined;
}

const contextSchema = z.object({
  patientId: z.string().refine(isFhirId, 'patientId must be a FHIR id (not a reference)'),
  encounterId: z.string().refine(isFhirId, 'encounterId must be a FHIR id (not a reference)').optional(),
  performer: z.string().regex(PERFORMER_REFERENCE, 'performer must be a reference such as Practitioner/123').optional(),
  today: z.string().refine(isCalendarDate, TODAY_NOT_A_DATE),
  codeSystem: z.url().optional(),
});

/** Throws on a context that would write an Observation the service cannot attribute (a programming error). */
function checkContext(ctx: CaptureContext, date: string): z.infer<typeof contextSchema> {
  const parsed = contextSchema.safeParse(ctx);
  if (!parsed.success) {
    throw new TypeError(`Invalid capture context: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  }
  if (date > parsed.data.today) throw new RangeError('The capture is dated after today: validate the form again.');
  return parsed.data;
}

const PROJECT = DEFAULT_CODE_LISTS.project;
const FEATURE_PROJECT_KEY: Readonly<Record<IctosFeature, ProjectKey>> = { skewness: 'skewnessZ', glcmVariance: 'glcmVarianceZ', glrlmLrhgle: 'glrlmLrhgleZ' };

/** The displays of the project CodeSystem (fhir/CodeSystem-npc-biomarkers.json), by code. */
export const PROJECT_DISPLAYS: Readonly<Record<string, string>> = Object.fromEntries(
  (biomarkers.concept ?? []).flatMap((c: { code: string; display?: string }) => (c.display !== undefined ? [[c.code, c.display]] : [])),
);

interface QuantitySpec {
  readonly value: number;
  /** Human-readable unit text. */
  readonly unit: string;
  /** UCUM code: the extraction's target unit, so that the value is read without conversion. */
  readonly code: string;
}

type ProjectKey = keyof CodeLists['project'];

/** The configured code of a project concept, and its display (from the project CodeSystem). */
function projectCode(key: ProjectKey, ctx: CaptureContext): { code: string; display: string } {
  return { code: (ctx.projectCodes ?? PROJECT)[key], display: PROJECT_DISPLAYS[PROJECT[key]] ?? PROJECT[key] };
}

function observation(
  concept: { code: string; display: string },
  date: string,
  quantity: QuantitySpec,
  ctx: z.infer<typeof contextSchema>,
  extra: Partial<Pick<Observation, 'method' | 'note' | 'derivedFrom'>> = {},
): Observation {
  const { code, display } = concept;
  return {
    resourceType: 'Observation',
    status: 'final',
    category: [{ coding: [{ system: OBSERVATION_CATEGORY, code: 'imaging', display: 'Imaging' }] }],
    code: { coding: [{ system: ctx.codeSystem ?? PROJECT_CODE_SYSTEM, code, display }], text: display },
    subject: { reference: `Patient/${ctx.patientId}` },
    ...(ctx.encounterId !== undefined ? { encounter: { reference: `Encounter/${ctx.encounterId}` } } : {}),
    effectiveDateTime: date,
    ...(ctx.performer !== undefined ? { performer: [{ reference: ctx.performer }] } : {}),
    valueQuantity: { value: quantity.value, unit: quantity.unit, system: SYSTEMS.ucum, code: quantity.code },
    ...extra,
  };
}

/**
 * The tumor blood flow Observation (code `tumor-blood-flow`, UCUM mL/(100.g)/min). A computed value
 * carries a `method` and a note with the three signals and every constant of Liu 2022 Eq. 2.
 */
export function tbfObservation(capture: TbfWrite, ctx: CaptureContext): Observation {
  const c = checkContext(ctx, capture.date);
  const quantity = { value: capture.tbf, unit: TBF_UNIT_TEXT, code: TARGET_UNITS.tbf };
  if (capture.source === 'entered') return observation(projectCode('tumorBloodFlow', ctx), capture.date, quantity, c);
  const s = capture.signals;
  const note =
    `Computed with Liu 2022 Eq. 2 (Insights into Imaging 13:114, doi 10.1186/s13244-022-01248-x): ${ASL_EQUATION}. ` +
    `Signals: SIcontrol = ${fmt(s.siControl)}, SIlabel = ${fmt(s.siLabel)}, SIPD = ${fmt(s.siPd)}. ` +
    `Constants: ${aslConstantsText(capture.constants)} (λ and τ: ASL consensus values, not given by Liu 2022). ` +
    `Result ${fmt(capture.unroundedTbf)} ${TARGET_UNITS.tbf}, stored to 2 decimals.`;
  return observation(projectCode('tumorBloodFlow', ctx), capture.date, quantity, c, {
    method: { text: 'ASL tumor blood flow computed from the control, label and proton-density signal intensities (Liu 2022 Eq. 2)' },
    note: [{ text: note }],
  });
}

/**
 * One transaction Bundle: the three z-scored feature Observations and the ICTOS Observation, whose
 * `derivedFrom` points at the three by their urn:uuid fullUrls (the server rewrites them on commit).
 */
export function radiomicsTransaction(capture: RadiomicsWrite, ctx: CaptureContext): Bundle {
  const c = checkContext(ctx, capture.date);
  const newId = ctx.newId ?? (() => crypto.randomUUID());
  const score = (value: number): QuantitySpec => ({ value, unit: TARGET_UNITS.score, code: TARGET_UNITS.score });
  const entry = (resource: Observation): BundleEntry<Observation> => ({
    fullUrl: `urn:uuid:${newId()}`,
    resource,
    request: { method: 'POST', url: 'Observation' },
  });
  const features = ICTOS_FEATURES.map((f) => {
    const concept = projectCode(FEATURE_PROJECT_KEY[f], ctx);
    return { code: FEATURE_INPUT_ID[f], display: concept.display, entry: entry(observation(concept, capture.date, score(capture.z[f]), c)) };
  });
  const { ictos } = capture;
  const derivedFrom: Reference[] = features.map(({ display, entry: e }) => ({ reference: e.fullUrl ?? '', display }));
  const coefficients = Object.fromEntries(ICTOS_FEATURES.map((f) => [f, ictos.contributions[f].coefficient])) as Record<
    IctosFeature,
    number
  >;
  const terms = ICTOS_FEATURES.map((f) => {
    const k = ictos.contributions[f];
    return `${FEATURE_INPUT_ID[f]} ${fmt(k.z)} × ${fmt(k.coefficient)} = ${fmt(k.contribution)}`;
  }).join('; ');
  const note =
    `${terms}. ICTOS = ${fmt(ictos.score)}: ${ictos.kind} (high when above ${fmt(ictos.cutoff)}, low at or below; ` +
    `threshold set ${ictos.thresholdSet} v${ictos.thresholdSetVersion}).`;
  const ictosEntry = entry(
    observation(projectCode('ictos', ctx), capture.date, score(ictos.score), c, {
      method: {
        text:
          `ICTOS, Dong 2019 (BMC Medicine 17:190, doi 10.1186/s12916-019-1422-6): ${ictosFormula(coefficients)} ` +
          'on the z-scored 2D features of the primary tumor on pre-treatment contrast-enhanced T1-weighted MRI; computed from the three z-scores.',
      },
      note: [{ text: note }],
      derivedFrom,
    }),
  );
  return { resourceType: 'Bundle', type: 'transaction', entry: [...features.map((x) => x.entry), ictosEntry] };
}

/** The primary tumor volume Observation (code `primary-tumor-volume`, UCUM mL). */
export function volumeObservation(capture: VolumeWrite, ctx: CaptureContext): Observation {
  const c = checkContext(ctx, capture.date);
  return observation(projectCode('primaryTumorVolume', ctx), capture.date, { value: capture.volumeMl, unit: 'mL', code: TARGET_UNITS.volume }, c);
}

/** A transaction-response is a success only when every entry was created. */
export function transactionSucceeded(response: unknown): boolean {
  const bundle = response as Bundle | undefined;
  return (
    bundle?.resourceType === 'Bundle' &&
    bundle.type === 'transaction-response' &&
    (bundle.entry ?? []).every((e: BundleEntry) => /^2\d\d/.test(e.response?.status ?? ''))
  );
}

/** The id of the resource a create returned, when it returned one. */
export function createdId(response: unknown): string | undefined {
  const id = (response as { id?: unknown } | undefined)?.id;
  return typeof id === 'string' ? id : undefined;
}
