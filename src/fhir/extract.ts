/**
 * From a patient's FHIR R4 resources to the core's inputs, implementing clinical-spec.md section 4:
 * which Observations count (status, effective time), when treatment started, which TBF is the
 * pre-treatment and which the 40 Gy measurement, how staging, units, comparators and the ICTOS sources
 * are read. Every input carries its provenance; everything found but not used is reported with a reason.
 * Pure: `now` is an argument.
 */
import type { CodeableConcept, Coding, Condition, Observation, Procedure, Quantity, Reference } from 'fhir/r4';
import {
  dayDoseReached,
  DEFAULT_THRESHOLDS,
  FEATURE_INPUT_ID,
  ICTOS_FEATURES,
  snapDecimal,
  type BoundedValue,
  type IctosFeature,
  type InputId,
  type PatientInputs,
  type StaleInput,
  type ThresholdSets,
} from '../core';
import { DEFAULT_CODE_LISTS, matchesAny, SYSTEMS, type CodeLists, type CodeRef, type ValueCode } from './codes';
import { recogniseMedicationUse, type MedicationResolver, type Recognition } from './drugs';
import type { PatientRecord } from './loader';
import {
  DAY_MS,
  DEFAULT_SELECTION,
  describeDateProblem,
  parseFhirDateTime,
  plausibilityKeyOf,
  wholeDays,
  type DataSelectionSettings,
} from './selection';
import { parseStagingText, type StagingAxis } from './staging-text';
import { convertQuantity, type MeasurementKind, type UnitProblem } from './units';

import type { ExtractKey } from './extract-key';

export type { ExtractKey } from './extract-key';

/** An assumption or transformation the card must show next to the value. */
export type ExtractionNote =
  /** Only a preliminary result exists. */
  | 'preliminary'
  /** No treatment is recorded, so the latest value was taken as pre-treatment. */
  | 'assumed-pre-treatment'
  /** The 40 Gy timepoint was inferred from the RT start date and the fractionation schedule. */
  | 'timepoint-inferred'
  /** The value was converted from the recorded unit. */
  | 'unit-converted'
  /** (v2) Several scans were in the Post-TBF window: this one is the closest to the 40 Gy date. */
  | 'closest-to-40-gy'
  /** (v2) Older than its recency window: shown, but not used for the treatment-selection recommendation. */
  | 'stale';

export interface Provenance {
  /** "Observation/abc" */
  readonly reference: string;
  /** effective[x] as recorded */
  readonly effective: string;
  readonly status: string;
  /** The value as recorded: a number (with comparator), or a code/text for staging. */
  readonly recordedValue: number | string;
  readonly recordedUnit?: string;
  readonly comparator?: string;
  readonly notes: readonly ExtractionNote[];
}

export interface Extracted<V = number> {
  readonly value: V;
  /** The unit of `value` after conversion. */
  readonly unit?: string;
  readonly provenance: Provenance;
}

export type UnusableReason =
  | 'status-excluded'
  | 'no-effective-time'
  | 'future-dated'
  | 'outside-window'
  | 'not-pre-treatment'
  | 'no-rt-start'
  | 'superseded-by-final'
  | 'conflicting'
  /** (v2) A value outside the plausible range of the quantity (clinical-spec.md section 4). */
  | 'implausible'
  /** (v2) Not a calendar date, before 1900, or contradicting the record's other dates. */
  | 'implausible-date'
  /** (v2) A measurement that cannot be placed before or after treatment: a treatment record's date is implausible. */
  | 'unplaceable'
  /** (v2) Older than its recency window. */
  | 'stale'
  /** (v2) In the Post-TBF window, but another scan is closer to the 40 Gy date. */
  | 'not-closest-to-40-gy'
  | UnitProblem;

/** A resource that was found for an input but not used, and why. */
export interface Unusable {
  readonly input: ExtractKey;
  readonly reference: string;
  readonly reason: UnusableReason;
  readonly detail?: string;
  /** (v2) For `stale`: whole days from the measurement to the request (Pre-TBF: to treatment start). */
  readonly ageDays?: number;
}

export interface TreatmentTimeline {
  /** Earliest start of RT or chemotherapy, if any is recorded. */
  readonly start?: { readonly date: string; readonly reference: string };
  readonly rtStart?: { readonly date: string; readonly reference: string };
  /**
   * (v2) Earliest systemic anti-cancer therapy (a completed / in-progress MedicationAdministration of an
   * NPC agent, recognised by src/fhir/drugs.ts), with the agents and how they were recognised.
   */
  readonly systemicStart?: { readonly date: string; readonly reference: string; readonly agents: readonly Recognition[] };
  /**
   * (v2) True when systemic therapy started (on or before now) on an earlier calendar day (UTC) than RT, or
   * with no RT start recorded: induction chemotherapy before RT (spec section 4, outside Liu's CCRT-only
   * population). Same-day starts are concurrent, not induction.
   */
  readonly systemicBeforeRt: boolean;
  readonly rtEnd?: string;
  /** First day of the Post-TBF window (RT start + the schedule's day). */
  readonly postWindowStart?: string;
  /**
   * The day after RT start on which the Post-TBF window opens: the schedule day of 40 Gy (25 by default), or
   * (v2) with a delivered dose recorded, the day 36 Gy is reached at the recorded dose per fraction.
   */
  readonly postWindowDay?: number;
  /** (v2) Where the Post-TBF window closes (exclusive): RT end, RT start + 35 days, or 46 Gy delivered. */
  readonly postWindowEnd?: string;
  /** (v2) What closes the window: the recorded RT end, the default close day, or the recorded delivered dose. */
  readonly postWindowBasis?: 'rt-end' | 'close-day' | 'delivered-dose';
  /** (v2) The inferred date of 40 Gy: the Post-TBF is the scan in the window closest to it. */
  readonly fortyGyDate?: string;
  /** (v2) The delivered dose recorded on the RT Procedure (mCODE dose delivered to volume), when any. */
  readonly deliveredDose?: { readonly totalGy?: number; readonly fractions?: number; readonly dosePerFractionGy: number };
  /** (v2) Treatment records not used because their dates are implausible (references). */
  readonly implausiblyDated: readonly string[];
  /** True when any RT or chemotherapy record counted (even one starting in the future). */
  readonly recorded: boolean;
  readonly started: boolean;
}

export interface Extraction {
  readonly now: string;
  /** Ready for `assessPatient`. */
  readonly inputs: PatientInputs;
  readonly found: Readonly<Partial<Record<ExtractKey, Extracted<number | string>>>>;
  readonly unusable: readonly Unusable[];
  readonly treatment: TreatmentTimeline;
  readonly npcCondition?: { readonly reference: string; readonly code: string; readonly system: string };
  /** AJCC edition read from the staging method, and where from. */
  readonly edition?: { readonly value: 7 | 8; readonly reference: string };
  /** v2: whether the NPC is recurrent, and the Condition that says so. */
  readonly disease: { readonly recurrent: boolean; readonly reference?: string; readonly why?: 'clinical-status' | 'earlier-episode' };
  /** v2: the age on the day of the request, from Patient.birthDate. */
  readonly age?: { readonly years: number; readonly birthDate: string };
  /** v2: systemic therapy started before radiotherapy (induction chemotherapy): the TBF rules do not apply. */
  readonly systemicTherapyBeforeRt: boolean;
  /**
   * Every TBF measurement that passed the candidate checks (status, effective time, not in the future),
   * converted to mL/(100.g)/min, with the role the selection gave it: the chart plots these.
   */
  readonly tbfSeries: readonly TbfMeasurement[];
}

/** One TBF measurement of the record, as the chart plots it. */
export interface TbfMeasurement {
  readonly reference: string;
  readonly effective: string;
  /** mL/(100.g)/min */
  readonly value: number;
  readonly role: 'pre' | 'post' | 'other';
  readonly preliminary: boolean;
}

/** The thresholds the extraction reads: the rules' sets, and (v2) the data-selection settings. */
export type ExtractionThresholds = ThresholdSets & { readonly selection?: DataSelectionSettings | undefined };

export interface ExtractOptions {
  readonly codes?: CodeLists;
  readonly thresholds?: ExtractionThresholds;
  /** Overrides `thresholds.selection`; the defaults of clinical-spec.md section 4 (v2) otherwise. */
  readonly selection?: DataSelectionSettings;
  /** Finds a Medication a MedicationAdministration references (contained ones are always read). */
  readonly medications?: MedicationResolver;
  /** Days after RT end at which the residual-tumor MRI is due and the residual predictions expire (60). */
  readonly residualDueDays?: number;
}

/** Liu 2022 assessed residual tumor by MRI one month after CRT; by 60 days after RT end it is due (clinical-spec.md section 5, v2). */
export const RESIDUAL_DUE_DAYS = 60;

/** The residual outcome is due: an RT end is recorded and `days` have passed since it. */
function residualDue(t: TreatmentTimeline, nowMs: number, days: number): boolean {
  if (t.rtEnd === undefined) return false;
  const end = Date.parse(t.rtEnd);
  return Number.isFinite(end) && nowMs >= end + days * DAY_MS;
}

/** mCODE's dose delivered to a radiotherapy volume (RadiotherapyCourseSummary; also allowed on any Procedure). */
export const MCODE_DOSE_DELIVERED_TO_VOLUME = 'http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-radiotherapy-dose-delivered-to-volume';

const FINAL_STATUSES = new Set(['final', 'amended', 'corrected']);
/**
 * A date without a time ("2026-06-02", as a clinician records the day of an MRI) is read as UTC midnight,
 * yet it is already that day in time zones up to UTC+14: it counts as future only when it starts more
 * than 14 hours after now, so a measurement recorded "today" east of UTC is not rejected until UTC
 * midnight.
 */
const DATE_ONLY_LEAD_MS = 14 * 3_600_000;
const hasTime = (text: string): boolean => text.includes('T');
const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** effective[x] of an Observation as recorded, and as epoch milliseconds, or why its date is refused. */
function effectiveOf(o: Observation): { text: string; ms: number } | { text: string; refused: string } | undefined {
  const text = o.effectiveDateTime ?? o.effectiveInstant ?? o.effectivePeriod?.start;
  if (text === undefined) return undefined;
  const parsed = parseFhirDateTime(text);
  return parsed.ok ? { text, ms: parsed.ms } : { text, refused: describeDateProblem(parsed.problem, text) };
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const ref = (r: { resourceType: string; id?: string | undefined }) => `${r.resourceType}/${r.id ?? '(no id)'}`;
const codingsOf = (cc: CodeableConcept | undefined): Coding[] => cc?.coding ?? [];
const conceptHas = (cc: CodeableConcept | undefined, refs: readonly CodeRef[]) => matchesAny(codingsOf(cc), refs);

/** A usable Observation candidate for one input. */
interface Candidate {
  readonly obs: Observation;
  readonly reference: string;
  readonly effective: { text: string; ms: number };
  readonly final: boolean;
}

/** The result of choosing among candidates in a window: the chosen one, and the notes it carries. */
interface Choice {
  readonly candidate: Candidate;
  readonly preliminary: boolean;
}

/**
 * Deterministic choice (section 4): among final/amended/corrected candidates in the window, else among
 * preliminary ones, the latest by effective time; ties by resource id.
 */
function chooseLatest(candidates: readonly Candidate[]): Choice | undefined {
  const finals = candidates.filter((c) => c.final);
  const pool = finals.length > 0 ? finals : candidates;
  const sorted = [...pool].sort((a, b) => b.effective.ms - a.effective.ms || a.reference.localeCompare(b.reference));
  const candidate = sorted[0];
  return candidate === undefined ? undefined : { candidate, preliminary: !candidate.final };
}

/**
 * (v2) Among final candidates (else preliminary ones), the one closest to `targetMs` (the 40 Gy date);
 * ties: the earlier, then by resource id (clinical-spec.md section 4: "the scan closest to the 40 Gy date,
 * not the latest").
 */
function chooseClosest(targetMs: number): (candidates: readonly Candidate[]) => Choice | undefined {
  return (candidates) => {
    const finals = candidates.filter((c) => c.final);
    const pool = finals.length > 0 ? finals : candidates;
    const distance = (c: Candidate) => Math.abs(c.effective.ms - targetMs);
    const sorted = [...pool].sort(
      (a, b) => distance(a) - distance(b) || a.effective.ms - b.effective.ms || a.reference.localeCompare(b.reference),
    );
    const candidate = sorted[0];
    return candidate === undefined ? undefined : { candidate, preliminary: !candidate.final };
  };
}

/** How `measurement` chooses and reports, beyond the window. */
interface MeasurementOptions {
  readonly quantityOf?: (o: Observation) => Quantity | undefined;
  readonly choose?: (candidates: readonly Candidate[]) => Choice | undefined;
  /** How a candidate in the window that was not chosen is reported (besides superseded-by-final). */
  readonly passedOver?: { readonly reason: UnusableReason; readonly detail: (c: Candidate) => string };
  /** A note added to the chosen one when the window held several candidates. */
  readonly severalNote?: ExtractionNote;
}

class Extractor {
  readonly codes: CodeLists;
  readonly thresholds: ThresholdSets;
  readonly selection: DataSelectionSettings;
  private readonly medications: MedicationResolver | undefined;
  readonly nowMs: number;
  private readonly patientRef: string | undefined;
  readonly unusable: Unusable[] = [];
  readonly found: Partial<Record<ExtractKey, Extracted<number | string>>> = {};
  /** The patient's Observations by "system|code" of each coding, built once: a record can hold thousands. */
  private readonly byCode = new Map<string, Observation[]>();

  constructor(
    private readonly record: PatientRecord,
    now: string,
    options: ExtractOptions,
  ) {
    this.codes = options.codes ?? DEFAULT_CODE_LISTS;
    this.thresholds = options.thresholds ?? DEFAULT_THRESHOLDS;
    this.selection = options.selection ?? options.thresholds?.selection ?? DEFAULT_SELECTION;
    this.medications = options.medications;
    this.nowMs = Date.parse(now);
    this.patientRef = record.patient?.id !== undefined ? `Patient/${record.patient.id}` : undefined;
    for (const obs of record.observations) {
      if (!this.mine(obs.subject)) continue;
      for (const key of new Set(codingsOf(obs.code).map((c) => `${c.system}|${c.code}`))) {
        const list = this.byCode.get(key);
        if (list === undefined) this.byCode.set(key, [obs]);
        else list.push(obs);
      }
    }
  }

  /** Resources about another patient are never used (a defensive check; the loader also filters). */
  private mine(subject: Reference | undefined): boolean {
    return this.patientRef === undefined || subject?.reference === this.patientRef;
  }

  /** Observations with one of the codes, filtered by status and time; the rejected ones are reported. */
  candidates(input: ExtractKey, refs: readonly CodeRef[]): Candidate[] {
    const out: Candidate[] = [];
    const matching = new Set(refs.flatMap((r) => this.byCode.get(`${r.system}|${r.code}`) ?? []));
    for (const obs of matching) {
      const reference = ref(obs);
      if (!FINAL_STATUSES.has(obs.status) && obs.status !== 'preliminary') {
        this.unusable.push({ input, reference, reason: 'status-excluded', detail: obs.status });
        continue;
      }
      const effective = effectiveOf(obs);
      if (effective === undefined) {
        this.unusable.push({ input, reference, reason: 'no-effective-time' });
        continue;
      }
      if ('refused' in effective) {
        this.unusable.push({ input, reference, reason: 'implausible-date', detail: effective.refused });
        continue;
      }
      if (effective.ms > this.nowMs + (hasTime(effective.text) ? 0 : DATE_ONLY_LEAD_MS)) {
        this.unusable.push({ input, reference, reason: 'future-dated', detail: effective.text });
        continue;
      }
      out.push({ obs, reference, effective, final: FINAL_STATUSES.has(obs.status) });
    }
    return out;
  }

  /** Reports the candidates that were passed over for the chosen one. */
  private reportPassedOver(
    input: ExtractKey,
    all: readonly Candidate[],
    inWindow: readonly Candidate[],
    choice: Choice | undefined,
    outside: UnusableReason | undefined,
    passedOver: MeasurementOptions['passedOver'],
  ): void {
    const within = new Set(inWindow);
    for (const c of all) {
      if (c === choice?.candidate) continue;
      if (!within.has(c)) {
        if (outside !== undefined) this.unusable.push({ input, reference: c.reference, reason: outside, detail: c.effective.text });
      }
      else if (choice !== undefined && !c.final && choice.candidate.final) this.unusable.push({ input, reference: c.reference, reason: 'superseded-by-final' });
      else if (passedOver !== undefined) this.unusable.push({ input, reference: c.reference, reason: passedOver.reason, detail: passedOver.detail(c) });
    }
  }

  /**
   * Picks the measurement for an input in a time window and converts its quantity. When the chosen
   * (latest) one is unusable the input is missing: an older value is not silently used instead.
   */
  measurement(
    input: ExtractKey,
    all: readonly Candidate[],
    inWindow: (c: Candidate) => boolean,
    kind: MeasurementKind,
    extraNotes: readonly ExtractionNote[],
    /** How a candidate outside the window is reported; undefined when another input may use it. */
    outside: UnusableReason | undefined,
    options: MeasurementOptions = {},
  ): Extracted | undefined {
    const { quantityOf = (o: Observation) => o.valueQuantity, choose = chooseLatest } = options;
    const pool = all.filter(inWindow);
    const choice = choose(pool);
    this.reportPassedOver(input, all, pool, choice, outside, options.passedOver);
    if (choice === undefined) return undefined;
    const { candidate } = choice;
    const q = quantityOf(candidate.obs);
    const converted = convertQuantity(q, kind);
    if (!converted.ok) {
      this.unusable.push({
        input,
        reference: candidate.reference,
        reason: converted.problem,
        ...(converted.recordedUnit !== undefined ? { detail: converted.recordedUnit } : {}),
      });
      return undefined;
    }
    const rangeKey = plausibilityKeyOf(input);
    const range = rangeKey !== undefined ? this.selection.plausible[rangeKey] : undefined;
    if (range !== undefined && (converted.value < range.min || converted.value > range.max)) {
      this.unusable.push({
        input,
        reference: candidate.reference,
        reason: 'implausible',
        detail: `${converted.value} ${converted.unit}; plausible ${range.min}-${range.max}`,
      });
      return undefined;
    }
    const notes: ExtractionNote[] = [...extraNotes];
    if (choice.preliminary) notes.push('preliminary');
    if (converted.convertedFrom !== undefined) notes.push('unit-converted');
    if (options.severalNote !== undefined && pool.length > 1) notes.push(options.severalNote);
    const extracted: Extracted = {
      value: converted.value,
      unit: converted.unit,
      provenance: {
        reference: candidate.reference,
        effective: candidate.effective.text,
        status: candidate.obs.status,
        recordedValue: q?.value ?? converted.value,
        recordedUnit: converted.recordedUnit,
        ...(converted.comparator !== undefined ? { comparator: converted.comparator } : {}),
        notes,
      },
    };
    this.found[input] = extracted;
    return extracted;
  }

  /** The NPC coding of a Condition (ICD-10 C11.x or SNOMED 187692001), if it has one. */
  private npcCoding(c: Condition): { code: string; system: string } | undefined {
    const { icd10Systems, icd10Prefixes, snomed } = this.codes.npcCondition;
    for (const coding of codingsOf(c.code)) {
      const isIcd =
        coding.system !== undefined &&
        icd10Systems.includes(coding.system) &&
        icd10Prefixes.some((p) => coding.code === p || coding.code?.startsWith(`${p}.`) === true);
      const isSnomed = matchesAny([coding], snomed);
      if ((isIcd || isSnomed) && coding.code !== undefined && coding.system !== undefined) return { code: coding.code, system: coding.system };
    }
    return undefined;
  }

  /** The patient's NPC Conditions that are not refuted or entered in error, with their clinical status. */
  private npcConditions(): { c: Condition; coding: { code: string; system: string }; clinical: (string | undefined)[] }[] {
    return this.record.conditions.flatMap((c) => {
      if (!this.mine(c.subject)) return [];
      const verification = codingsOf(c.verificationStatus).map((x) => x.code);
      if (verification.some((s) => s === 'refuted' || s === 'entered-in-error')) return [];
      const coding = this.npcCoding(c);
      return coding === undefined ? [] : [{ c, coding, clinical: codingsOf(c.clinicalStatus).map((x) => x.code) }];
    });
  }

  npcCondition(): Extraction['npcCondition'] {
    for (const { c, coding, clinical } of this.npcConditions()) {
      const active = clinical.some((s) => s === 'active' || s === 'recurrence' || s === 'relapse');
      if (active) return { reference: ref(c), code: coding.code, system: coding.system };
    }
    return undefined;
  }

  /**
   * Whether the NPC is recurrent (clinical-spec.md section 2, v2): an NPC Condition with clinicalStatus
   * recurrence or relapse, or, beside an active one, an earlier episode (an NPC Condition that is resolved,
   * in remission or inactive, or that has an abatement).
   */
  disease(): Extraction['disease'] {
    const npc = this.npcConditions();
    const relapse = npc.find((x) => x.clinical.some((s) => s === 'recurrence' || s === 'relapse'));
    if (relapse !== undefined) return { recurrent: true, reference: ref(relapse.c), why: 'clinical-status' };
    const active = npc.filter((x) => x.clinical.includes('active'));
    const earlier = npc.find(
      (x) =>
        x.clinical.some((s) => s === 'resolved' || s === 'remission' || s === 'inactive') ||
        x.c.abatementDateTime !== undefined ||
        x.c.abatementPeriod !== undefined ||
        x.c.abatementAge !== undefined ||
        x.c.abatementString !== undefined,
    );
    if (active.length > 0 && earlier !== undefined) return { recurrent: true, reference: ref(earlier.c), why: 'earlier-episode' };
    return { recurrent: false };
  }

  /**
   * The age in whole years on the day of `now`, from Patient.birthDate. A birth date given only as a year
   * or a year and month is read as its last day (the youngest the patient can be), so that the under-18
   * gate never admits a child; an invalid or future date is not an age.
   */
  age(): Extraction['age'] {
    const birthDate = this.record.patient?.birthDate;
    if (birthDate === undefined) return undefined;
    const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(birthDate);
    if (m === null) return undefined;
    const year = Number(m[1]);
    const month = m[2] !== undefined ? Number(m[2]) : 12;
    const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
    const day = m[3] !== undefined ? Number(m[3]) : lastDay;
    if (month < 1 || month > 12 || day < 1 || day > lastDay) return undefined;
    const now = new Date(this.nowMs);
    if (!Number.isFinite(this.nowMs)) return undefined;
    let years = now.getUTCFullYear() - year;
    if (now.getUTCMonth() + 1 < month || (now.getUTCMonth() + 1 === month && now.getUTCDate() < day)) years -= 1;
    return years < 0 ? undefined : { years, birthDate };
  }

  /** (v2) The NPC diagnosis date (onset, else recorded date) of the Condition used, for contradictory treatment dates. */
  diagnosisMs(reference: string | undefined): number | undefined {
    const c = this.record.conditions.find((x) => ref(x) === reference);
    const text = c?.onsetDateTime ?? c?.onsetPeriod?.start ?? c?.recordedDate;
    if (text === undefined) return undefined;
    const parsed = parseFhirDateTime(text);
    return parsed.ok ? parsed.ms : undefined;
  }

  /** A treatment record's start as epoch ms, or undefined after reporting why its date is refused (section 4 v2). */
  private treatmentDate(reference: string, date: string | undefined): number | undefined {
    if (date === undefined) return undefined;
    const parsed = parseFhirDateTime(date);
    if (parsed.ok) return parsed.ms;
    this.unusable.push({ input: 'treatment-start', reference, reason: 'implausible-date', detail: describeDateProblem(parsed.problem, date) });
    this.implausiblyDated.push(reference);
    return undefined;
  }

  readonly implausiblyDated: string[] = [];

  /** Whether a Procedure is radiotherapy: coded with a radiotherapy concept, or with a radiotherapy category (section 4 v2). */
  private isRadiotherapy(p: Procedure): boolean {
    const categories: readonly (CodeableConcept | undefined)[] = Array.isArray(p.category) ? p.category : [p.category];
    return conceptHas(p.code, this.codes.radiotherapy) || categories.some((c) => conceptHas(c, this.codes.radiotherapy));
  }

  treatment(diagnosisMs: number | undefined): TreatmentTimeline {
    type Start = { date: string; ms: number; reference: string; end?: string; endMs?: number; procedure?: Procedure };
    const rt: Start[] = [];
    for (const p of this.record.procedures) {
      if (!this.mine(p.subject) || !this.isRadiotherapy(p)) continue;
      if (p.status === 'not-done' || p.status === 'entered-in-error' || p.status === 'preparation') continue;
      const date = p.performedPeriod?.start ?? p.performedDateTime;
      const reference = ref(p);
      const ms = this.treatmentDate(reference, date);
      if (date === undefined || ms === undefined) continue;
      const end = p.performedPeriod?.end;
      const endMs = end !== undefined ? this.treatmentDate(reference, end) : undefined;
      if (end !== undefined && endMs === undefined) continue;
      if (endMs !== undefined && endMs < ms) {
        this.unusable.push({ input: 'treatment-start', reference, reason: 'implausible-date', detail: `RT end ${end ?? ''} is before its start ${date}` });
        this.implausiblyDated.push(reference);
        continue;
      }
      if (diagnosisMs !== undefined && wholeDays(ms, diagnosisMs) > this.selection.rtBeforeDiagnosisDays) {
        this.unusable.push({
          input: 'treatment-start',
          reference,
          reason: 'implausible-date',
          detail: `RT start ${date} is ${wholeDays(ms, diagnosisMs)} days before the NPC diagnosis`,
        });
        this.implausiblyDated.push(reference);
        continue;
      }
      rt.push({ date, ms, reference, procedure: p, ...(end !== undefined && endMs !== undefined ? { end, endMs } : {}) });
    }
    const chemo: (Start & { agents: Recognition[] })[] = [];
    for (const m of this.record.medicationAdministrations) {
      if (!this.mine(m.subject) || (m.status !== 'completed' && m.status !== 'in-progress')) continue;
      // (v2) Any NPC systemic agent, by ingredient, product, Medication ingredient, ATC or name.
      const agents = recogniseMedicationUse(m, this.codes, this.medications);
      if (agents.length === 0) continue;
      const date = m.effectivePeriod?.start ?? m.effectiveDateTime;
      const ms = this.treatmentDate(ref(m), date);
      if (date === undefined || ms === undefined) continue;
      chemo.push({ date, ms, reference: ref(m), agents });
    }
    const earliest = <S extends Start>(xs: S[]) => [...xs].sort((a, b) => a.ms - b.ms || a.reference.localeCompare(b.reference))[0];
    const rtStart = earliest(rt);
    const systemic = earliest(chemo);
    const start = earliest<Start>([...rt, ...chemo]);
    const systemicBeforeRt =
      systemic !== undefined && systemic.ms <= this.nowMs && (rtStart === undefined || utcDay(systemic.ms) < utcDay(rtStart.ms));
    const window = rtStart !== undefined ? this.postWindow(rtStart.ms, rtStart.endMs, rtStart.procedure) : undefined;
    const iso = (ms: number) => new Date(ms).toISOString();
    const undated = this.implausiblyDated.length > 0 && start === undefined;
    return {
      ...(start !== undefined ? { start: { date: start.date, reference: start.reference } } : {}),
      ...(rtStart !== undefined ? { rtStart: { date: rtStart.date, reference: rtStart.reference } } : {}),
      ...(systemic !== undefined ? { systemicStart: { date: systemic.date, reference: systemic.reference, agents: systemic.agents } } : {}),
      systemicBeforeRt,
      ...(rtStart?.end !== undefined ? { rtEnd: rtStart.end } : {}),
      ...(window?.startMs !== undefined ? { postWindowStart: iso(window.startMs) } : {}),
      ...(window?.day !== undefined ? { postWindowDay: window.day } : {}),
      ...(window?.endMs !== undefined ? { postWindowEnd: iso(window.endMs), postWindowBasis: window.basis } : {}),
      ...(window?.targetMs !== undefined ? { fortyGyDate: iso(window.targetMs) } : {}),
      ...(window?.dose !== undefined ? { deliveredDose: window.dose } : {}),
      implausiblyDated: [...this.implausiblyDated],
      // A treatment record whose date cannot be read still says a treatment exists: no pre-treatment decision on it.
      recorded: start !== undefined || undated,
      started: (start !== undefined && start.ms <= this.nowMs) || undated,
    };
  }

  /** The delivered dose on an RT Procedure: mCODE dose delivered to volume (the highest total among volumes). */
  private deliveredDose(p: Procedure | undefined): { totalGy?: number; fractions?: number } | undefined {
    let best: { totalGy?: number; fractions?: number } | undefined;
    // Read defensively: the extension's members are not checked by the loader's shapes, and a malformed dose
    // must not hide the RT course itself.
    const extensions: unknown = p?.extension;
    for (const ext of Array.isArray(extensions) ? (extensions as unknown[]) : []) {
      if (!isObject(ext) || ext['url'] !== MCODE_DOSE_DELIVERED_TO_VOLUME || !Array.isArray(ext['extension'])) continue;
      const parts = (ext['extension'] as unknown[]).filter(isObject);
      const part = (url: string): Record<string, unknown> | undefined => parts.find((e) => e['url'] === url);
      const q = part('totalDoseDelivered')?.['valueQuantity'];
      const quantity: Quantity | undefined = isObject(q)
        ? {
            ...(typeof q['value'] === 'number' ? { value: q['value'] } : {}),
            ...(typeof q['code'] === 'string' ? { code: q['code'] } : {}),
            ...(typeof q['unit'] === 'string' ? { unit: q['unit'] } : {}),
            ...(typeof q['system'] === 'string' ? { system: q['system'] } : {}),
          }
        : undefined;
      const dose = convertQuantity(quantity, 'dose');
      const fractions = part('fractionsDelivered')?.['valueUnsignedInt'] ?? part('fractionsDelivered')?.['valuePositiveInt'];
      const totalGy = dose.ok && dose.value > 0 ? dose.value : undefined;
      const count = typeof fractions === 'number' && Number.isInteger(fractions) && fractions > 0 ? fractions : undefined;
      if (totalGy === undefined && count === undefined) continue;
      if (best === undefined || (totalGy ?? 0) > (best.totalGy ?? 0)) {
        best = { ...(totalGy !== undefined ? { totalGy } : {}), ...(count !== undefined ? { fractions: count } : {}) };
      }
    }
    return best;
  }

  /**
   * (v2) The Post-TBF window (clinical-spec.md section 4): from the day 40 Gy is reached on the schedule (day 25)
   * to the RT end, or RT start + 35 days without one. With a delivered dose recorded, the dose per fraction
   * comes from it and the window spans 36-46 Gy delivered (and ends at the RT end at the latest).
   */
  private postWindow(
    startMs: number,
    endMs: number | undefined,
    p: Procedure | undefined,
  ): { startMs?: number; day?: number; endMs?: number; basis: NonNullable<TreatmentTimeline['postWindowBasis']>; targetMs?: number; dose?: TreatmentTimeline['deliveredDose'] } {
    const schedule = this.thresholds.tbf.postTbfTimepoint;
    const recorded = this.deliveredDose(p);
    const at = (day: number) => startMs + day * DAY_MS;
    if (recorded === undefined) {
      const reached = dayDoseReached(schedule);
      if (reached.kind !== 'computed') return { basis: 'close-day' };
      const close = at(this.selection.postWindowCloseDay);
      return {
        startMs: at(reached.day),
        day: reached.day,
        endMs: endMs ?? close,
        basis: endMs !== undefined ? 'rt-end' : 'close-day',
        targetMs: at(reached.day),
      };
    }
    const dosePerFractionGy =
      recorded.totalGy !== undefined && recorded.fractions !== undefined ? snapDecimal(recorded.totalGy / recorded.fractions) : schedule.dosePerFractionGy;
    const dose = { ...recorded, dosePerFractionGy };
    const dayOf = (doseGy: number) => {
      const r = dayDoseReached({ ...schedule, doseGy, dosePerFractionGy });
      return r.kind === 'computed' ? r.day : undefined;
    };
    const { min, max } = this.selection.postWindowDoseGy;
    const open = dayOf(min);
    const last = dayOf(max);
    const target = dayOf(schedule.doseGy);
    if (open === undefined || last === undefined || target === undefined) return { basis: 'delivered-dose', dose };
    const delivered = recorded.totalGy ?? (recorded.fractions ?? 0) * dosePerFractionGy;
    // A course that delivered less than the window's lower dose never reached it.
    if (delivered < min) return { basis: 'delivered-dose', dose, targetMs: at(target) };
    const doseEnd = at(last + 1);
    return {
      startMs: at(open),
      day: open,
      endMs: endMs !== undefined ? Math.min(endMs, doseEnd) : doseEnd,
      basis: 'delivered-dose',
      targetMs: at(target),
      dose,
    };
  }

  /**
   * One staging axis: the latest day's value. Two different values on that day are a conflict (neither is
   * used); an unparseable value is passed on as recorded, so the core reports it as unrecognised.
   */
  staging(
    input: 't-category' | 'n-category' | 'm-category' | 'stage-group',
    axis: StagingAxis,
    codes: readonly CodeRef[],
    values: readonly ValueCode<string>[],
  ): { value?: string; conflict: boolean; candidate?: Candidate } {
    const all = this.candidates(input, codes);
    const latest = chooseLatest(all);
    if (latest === undefined) return { conflict: false };
    const day = latest.candidate.effective.text.slice(0, 10);
    // The same day, among candidates of the chosen one's standing (final, or preliminary when no final exists).
    const sameDay = all.filter(
      (c) => c.final === latest.candidate.final && c.effective.text.slice(0, 10) === day,
    );
    const read = sameDay.map((c) => ({ c, v: this.stagingValue(c.obs, axis, values) }));
    const distinct = new Set(read.map((r) => r.v.value ?? r.v.raw));
    if (distinct.size > 1) {
      for (const r of read) this.unusable.push({ input, reference: r.c.reference, reason: 'conflicting', detail: r.v.raw });
      return { conflict: true };
    }
    const first = read.find((r) => r.c === latest.candidate) ?? read[0];
    if (first === undefined) return { conflict: false };
    const value = first.v.value ?? first.v.raw;
    this.found[input] = {
      value,
      provenance: {
        reference: first.c.reference,
        effective: first.c.effective.text,
        status: first.c.obs.status,
        recordedValue: first.v.raw,
        notes: latest.preliminary ? ['preliminary'] : [],
      },
    };
    return { value, conflict: false, candidate: first.c };
  }

  private stagingValue(o: Observation, axis: StagingAxis, values: readonly ValueCode<string>[]): { value?: string; raw: string } {
    const cc = o.valueCodeableConcept;
    for (const coding of codingsOf(cc)) {
      const known = values.find((v) => v.system === coding.system && v.code === coding.code);
      if (known !== undefined) return { value: known.value, raw: coding.code ?? '' };
      if (coding.system === SYSTEMS.ajcc || coding.system === undefined) {
        const parsed = parseStagingText(coding.code ?? coding.display ?? '', axis);
        if (parsed !== undefined) return { value: parsed, raw: coding.code ?? coding.display ?? '' };
      }
    }
    const text = cc?.text ?? o.valueString ?? codingsOf(cc)[0]?.display ?? codingsOf(cc)[0]?.code ?? '';
    const parsed = parseStagingText(text, axis);
    return parsed !== undefined ? { value: parsed, raw: text } : { raw: text };
  }

  edition(candidates: readonly (Candidate | undefined)[]): Extraction['edition'] {
    for (const c of candidates) {
      if (c === undefined) continue;
      for (const coding of codingsOf(c.obs.method)) {
        const e = this.codes.stagingEditions.find((x) => x.system === coding.system && x.code === coding.code);
        if (e !== undefined) return { value: e.value, reference: c.reference };
      }
    }
    return undefined;
  }
}

/**
 * Extracts the rule inputs for one patient at `now` (ISO date-time), following clinical-spec.md section 4.
 */
export function extractInputs(record: PatientRecord, now: string, options: ExtractOptions = {}): Extraction {
  const x = new Extractor(record, now, options);
  const { codes, selection } = x;
  const project = (code: string): CodeRef[] => [{ system: codes.projectSystem, code }];
  const npcCondition = x.npcCondition();
  const disease = x.disease();
  const age = x.age();
  const treatment = x.treatment(x.diagnosisMs(npcCondition?.reference));
  // One definition (the timeline's): systemic therapy on an earlier UTC day than RT, or with no RT recorded.
  const systemicTherapyBeforeRt = treatment.systemicBeforeRt;
  const residualOutcomeDue = residualDue(treatment, Date.parse(now), options.residualDueDays ?? RESIDUAL_DUE_DAYS);

  const startMs = treatment.start !== undefined ? Date.parse(treatment.start.date) : undefined;
  // (v2) Treatment is recorded but no record's date can be read: no measurement can be placed before or after it.
  const unplaceable = treatment.start === undefined && treatment.implausiblyDated.length > 0;
  const preTreatment = (c: Candidate) => !unplaceable && (startMs === undefined || c.effective.ms < startMs);
  const preNotes: ExtractionNote[] = treatment.recorded ? [] : ['assumed-pre-treatment'];
  const preOutside: UnusableReason = unplaceable ? 'unplaceable' : 'not-pre-treatment';

  // Pre-TBF: the latest TBF before treatment start (or the latest, assumed pre-treatment).
  const tbf = x.candidates('pre-tbf', project(codes.project.tumorBloodFlow));
  // Later TBFs are not reported against Pre-TBF: they are the Post-TBF candidates.
  let preTbf = x.measurement('pre-tbf', tbf, preTreatment, 'tbf', preNotes, unplaceable ? 'unplaceable' : undefined);
  // (v2) Pre-TBF at most 28 days before treatment start (before treatment: before the request).
  if (preTbf !== undefined) {
    const days = wholeDays(Date.parse(preTbf.provenance.effective), startMs ?? x.nowMs);
    if (days > selection.recencyDays.preTbf) {
      x.unusable.push({
        input: 'pre-tbf',
        reference: preTbf.provenance.reference,
        reason: 'stale',
        detail: `measured ${days} days before ${startMs !== undefined ? 'treatment start' : 'this request'}; at most ${selection.recencyDays.preTbf}`,
        ageDays: days,
      });
      delete x.found['pre-tbf'];
      preTbf = undefined;
    }
  }

  // Post-TBF: in the window from the 40 Gy day to RT end (or RT start + 35 days, or 46 Gy delivered), the scan
  // closest to the 40 Gy date; none without an RT start.
  let postTbf: Extracted | undefined;
  const windowStartMs = treatment.postWindowStart !== undefined ? Date.parse(treatment.postWindowStart) : undefined;
  const windowEndMs = treatment.postWindowEnd !== undefined ? Date.parse(treatment.postWindowEnd) : Number.POSITIVE_INFINITY;
  const fortyGyMs = treatment.fortyGyDate !== undefined ? Date.parse(treatment.fortyGyDate) : Number.NaN;
  const inPostWindow = (c: Candidate) => windowStartMs !== undefined && c.effective.ms >= windowStartMs && c.effective.ms < windowEndMs;
  const rtStartMs = treatment.rtStart !== undefined ? Date.parse(treatment.rtStart.date) : Number.NaN;
  const closest: MeasurementOptions = {
    choose: chooseClosest(fortyGyMs),
    severalNote: 'closest-to-40-gy',
    passedOver: {
      reason: 'not-closest-to-40-gy',
      detail: (c) => `${c.effective.text}, RT day ${wholeDays(rtStartMs, c.effective.ms)}; the 40 Gy date is ${treatment.fortyGyDate?.slice(0, 10) ?? ''}`,
    },
  };
  if (treatment.rtStart !== undefined) {
    const postTbfPool = tbf.filter((c) => !preTreatment(c));
    postTbf = x.measurement('post-tbf', postTbfPool, inPostWindow, 'tbf', ['timepoint-inferred'], 'outside-window', closest);
  } else if (treatment.recorded && !unplaceable) {
    for (const c of tbf.filter((c) => !preTreatment(c))) {
      x.unusable.push({ input: 'post-tbf', reference: c.reference, reason: 'no-rt-start', detail: c.effective.text });
    }
  }

  // Staging.
  const t = x.staging('t-category', 'T', codes.tCategory, codes.tValues);
  const n = x.staging('n-category', 'N', codes.nCategory, codes.nValues);
  const m = x.staging('m-category', 'M', codes.mCategory, codes.mValues);
  const stage = x.staging('stage-group', 'stage', codes.stageGroup, codes.stageValues);
  const edition = x.edition([stage.candidate, t.candidate, n.candidate, m.candidate]);
  const conflicting: InputId[] = [];
  if (t.conflict) conflicting.push('t-category');
  if (n.conflict) conflicting.push('n-category');
  if (m.conflict) conflicting.push('m-category');
  if (stage.conflict) conflicting.push('stage-group');

  // Pre-treatment measurements: EBV DNA, tumor volume, ICTOS and its features.
  const pre = (input: ExtractKey, refs: CodeRef[], kind: MeasurementKind) =>
    x.measurement(input, x.candidates(input, refs), preTreatment, kind, preNotes, preOutside);
  const ebv = pre('ebv-dna', [...codes.ebvDna], 'ebv');
  const volume = pre('tumor-volume', project(codes.project.primaryTumorVolume), 'volume');
  let ictos = pre('ictos', project(codes.project.ictos), 'score');
  const features = (ids: Record<IctosFeature, [ExtractKey, string]>) => {
    const out: Partial<Record<IctosFeature, number>> = {};
    for (const [f, [input, code]] of Object.entries(ids) as [IctosFeature, [ExtractKey, string]][]) {
      const v = pre(input, project(code), 'score');
      if (v !== undefined) out[f] = v.value;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  };
  const Z_KEYS: Record<IctosFeature, [ExtractKey, string]> = {
    skewness: ['skewness-z', codes.project.skewnessZ],
    glcmVariance: ['glcm-variance-z', codes.project.glcmVarianceZ],
    glrlmLrhgle: ['glrlm-lrhgle-z', codes.project.glrlmLrhgleZ],
  };
  const RAW_KEYS: Record<IctosFeature, [ExtractKey, string]> = {
    skewness: ['skewness', codes.project.skewness],
    glcmVariance: ['glcm-variance', codes.project.glcmVariance],
    glrlmLrhgle: ['glrlm-lrhgle', codes.project.glrlmLrhgle],
  };
  let zFeatures = features(Z_KEYS);
  let rawFeatures = features(RAW_KEYS);

  // (v2) A recorded ICTOS and the ICTOS computed from the z-scored features of the same MRI (same day) that
  // differ in class or by more than 0.01 are conflicting: neither is used (clinical-spec.md section 4).
  if (ictos !== undefined && zFeatures !== undefined) {
    const day = ictos.provenance.effective.slice(0, 10);
    const zs = ICTOS_FEATURES.map((f) => x.found[Z_KEYS[f][0]]);
    const sameMri = zs.every((z) => z !== undefined && z.provenance.effective.slice(0, 10) === day);
    if (sameMri) {
      const set = x.thresholds.ictos;
      const computed = snapDecimal(ICTOS_FEATURES.reduce((sum, f) => sum + set.coefficients[f] * (zFeatures?.[f] ?? 0), 0));
      const recorded = ictos.value;
      const classDiffers = recorded > set.cutoff !== computed > set.cutoff;
      if (classDiffers || Math.abs(recorded - computed) > 0.01) {
        const detail = `recorded ICTOS ${recorded} vs ${computed} computed from the z-scored features of the same MRI (${day})`;
        for (const key of ['ictos', ...ICTOS_FEATURES.map((f) => Z_KEYS[f][0])] as const) {
          const e = x.found[key];
          if (e !== undefined) x.unusable.push({ input: key, reference: e.provenance.reference, reason: 'conflicting', detail });
          delete x.found[key];
        }
        ictos = undefined;
        zFeatures = undefined;
        rawFeatures = undefined;
      }
    }
  }

  // Maximum primary tumor diameter, pre-treatment and at the 40 Gy timepoint (for the atrophy rate).
  const diameterRefs = project(codes.project.maxTumorDiameter);
  const tumorSizeRefs = [codes.tumorSize.observation];
  const diameterOf = (o: Observation): Quantity | undefined =>
    conceptHas(o.code, tumorSizeRefs)
      ? o.component?.find((comp) => conceptHas(comp.code, [codes.tumorSize.longestDimension]))?.valueQuantity
      : o.valueQuantity;
  const diameters = [...x.candidates('mptd-pre', diameterRefs), ...x.candidates('mptd-pre', tumorSizeRefs)];
  x.measurement('mptd-pre', diameters, preTreatment, 'diameter', preNotes, undefined, { quantityOf: diameterOf });
  if (treatment.rtStart !== undefined) {
    x.measurement('mptd-post', diameters.filter((c) => !preTreatment(c)), inPostWindow, 'diameter', ['timepoint-inferred'], 'outside-window', {
      ...closest,
      quantityOf: diameterOf,
    });
  }

  // (v2) Recency: before treatment, the recommendation's inputs must be recent (counted to the request).
  // Stale values stay in `found` (flagged) and are named to the core, which treats them as missing.
  const stale: StaleInput[] = [];
  if (!treatment.started) {
    const { mri, ebvDna, staging: stagingDays } = selection.recencyDays;
    const windows: [ExtractKey, number, InputId][] = [
      ['ictos', mri, 'ictos'],
      ...ICTOS_FEATURES.map((f): [ExtractKey, number, InputId] => [Z_KEYS[f][0], mri, FEATURE_INPUT_ID[f]]),
      // Raw features stand for the z-scores only when no z-score is given (the core's source order).
      ...(zFeatures === undefined ? ICTOS_FEATURES.map((f): [ExtractKey, number, InputId] => [RAW_KEYS[f][0], mri, FEATURE_INPUT_ID[f]]) : []),
      ['tumor-volume', mri, 'tumor-volume'],
      ['ebv-dna', ebvDna, 'ebv-dna'],
      ['t-category', stagingDays, 't-category'],
      ['n-category', stagingDays, 'n-category'],
      ['m-category', stagingDays, 'm-category'],
      ['stage-group', stagingDays, 'stage-group'],
    ];
    for (const [key, limit, id] of windows) {
      const e = x.found[key];
      if (e === undefined) continue;
      const ageDays = wholeDays(Date.parse(e.provenance.effective), x.nowMs);
      if (ageDays <= limit) continue;
      x.found[key] = { ...e, provenance: { ...e.provenance, notes: [...e.provenance.notes, 'stale'] } };
      x.unusable.push({ input: key, reference: e.provenance.reference, reason: 'stale', detail: `measured ${ageDays} days ago; at most ${limit}`, ageDays });
      if (!stale.some((s) => s.input === id)) stale.push({ input: id, ageDays });
    }
  }

  if (treatment.start !== undefined) {
    x.found['treatment-start'] = {
      value: treatment.start.date,
      provenance: { reference: treatment.start.reference, effective: treatment.start.date, status: 'recorded', recordedValue: treatment.start.date, notes: [] },
    };
  }

  const bounded = (e: Extracted | undefined): BoundedValue | undefined => {
    if (e === undefined) return undefined;
    const c = e.provenance.comparator;
    return c === '<' || c === '<=' || c === '>=' || c === '>' ? { value: e.value, comparator: c } : { value: e.value };
  };
  const inputs: PatientInputs = {
    population: {
      hasNpcDiagnosis: npcCondition !== undefined,
      tCategory: t.value,
      nCategory: n.value,
      mCategory: m.value,
      stageGroup: stage.value,
      edition: edition?.value,
      conflicting,
      recurrent: disease.recurrent,
      ageYears: age?.years,
    },
    preTbf: preTbf?.value,
    postTbf: postTbf?.value,
    ictos: {
      score: ictos?.value,
      ...(zFeatures !== undefined ? { zFeatures } : {}),
      ...(rawFeatures !== undefined ? { rawFeatures } : {}),
    },
    tumorVolumeMl: bounded(volume),
    ebvDnaCopiesPerMl: bounded(ebv),
    treatmentStarted: treatment.started,
    systemicTherapyBeforeRt,
    residualOutcomeDue,
    ...(stale.length > 0 ? { stale } : {}),
  };
  const tbfSeries = tbf.flatMap((c): TbfMeasurement[] => {
    const converted = convertQuantity(c.obs.valueQuantity, 'tbf');
    if (!converted.ok) return [];
    const role = c.reference === preTbf?.provenance.reference ? 'pre' : c.reference === postTbf?.provenance.reference ? 'post' : 'other';
    return [{ reference: c.reference, effective: c.effective.text, value: converted.value, role, preliminary: !c.final }];
  });
  return {
    now,
    inputs,
    tbfSeries,
    found: x.found,
    unusable: x.unusable,
    treatment,
    disease,
    ...(age !== undefined ? { age } : {}),
    systemicTherapyBeforeRt,
    ...(npcCondition !== undefined ? { npcCondition } : {}),
    ...(edition !== undefined ? { edition } : {}),
  };
}
