/**
 * From a patient's FHIR R4 resources to the core's inputs, implementing clinical-spec.md section 4:
 * which Observations count (status, effective time), when treatment started, which TBF is the
 * pre-treatment and which the 40 Gy measurement, how staging, units, comparators and the ICTOS sources
 * are read. Every input carries its provenance; everything found but not used is reported with a reason.
 * Pure: `now` is an argument.
 */
import type { CodeableConcept, Coding, Condition, Observation, Quantity, Reference } from 'fhir/r4';
import {
  dayDoseReached,
  DEFAULT_THRESHOLDS,
  type BoundedValue,
  type IctosFeature,
  type InputId,
  type PatientInputs,
  type ThresholdSets,
} from '../core';
import { DEFAULT_CODE_LISTS, matchesAny, SYSTEMS, type CodeLists, type CodeRef, type ValueCode } from './codes';
import { recogniseMedicationUse, type MedicationResolver, type Recognition } from './drugs';
import type { PatientRecord } from './loader';
import { parseStagingText, type StagingAxis } from './staging-text';
import { convertQuantity, type MeasurementKind, type UnitProblem } from './units';

/** What is extracted: the core's input ids, the raw features, and the tumor diameters for the atrophy rate. */
export type ExtractKey = InputId | 'skewness' | 'glcm-variance' | 'glrlm-lrhgle' | 'mptd-pre' | 'mptd-post';

/** An assumption or transformation the card must show next to the value. */
export type ExtractionNote =
  /** Only a preliminary result exists. */
  | 'preliminary'
  /** No treatment is recorded, so the latest value was taken as pre-treatment. */
  | 'assumed-pre-treatment'
  /** The 40 Gy timepoint was inferred from the RT start date and the fractionation schedule. */
  | 'timepoint-inferred'
  /** The value was converted from the recorded unit. */
  | 'unit-converted';

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
  | UnitProblem;

/** A resource that was found for an input but not used, and why. */
export interface Unusable {
  readonly input: ExtractKey;
  readonly reference: string;
  readonly reason: UnusableReason;
  readonly detail?: string;
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
  /** The schedule day on which the 40 Gy dose is reached (25 by default). */
  readonly postWindowDay?: number;
  /** When the Post-TBF window closes without an RT end (v2: RT start + 35 days by default). */
  readonly postWindowEnd?: string;
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
}

export interface ExtractOptions {
  readonly codes?: CodeLists;
  readonly thresholds?: ThresholdSets;
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

const FINAL_STATUSES = new Set(['final', 'amended', 'corrected']);
/**
 * A date without a time ("2026-06-02", as a clinician records the day of an MRI) is read as UTC midnight,
 * yet it is already that day in time zones up to UTC+14: it counts as future only when it starts more
 * than 14 hours after now, so a measurement recorded "today" east of UTC is not rejected until UTC
 * midnight.
 */
const DATE_ONLY_LEAD_MS = 14 * 3_600_000;
const hasTime = (text: string): boolean => text.includes('T');
const DAY_MS = 86_400_000;
const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** effective[x] of an Observation as recorded, and as epoch milliseconds. */
function effectiveOf(o: Observation): { text: string; ms: number } | undefined {
  const text = o.effectiveDateTime ?? o.effectiveInstant ?? o.effectivePeriod?.start;
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? { text, ms } : undefined;
}

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

class Extractor {
  readonly codes: CodeLists;
  private readonly thresholds: ThresholdSets;
  private readonly medications: MedicationResolver | undefined;
  private readonly nowMs: number;
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
  ): void {
    const within = new Set(inWindow);
    for (const c of all) {
      if (c === choice?.candidate) continue;
      if (!within.has(c)) {
        if (outside !== undefined) this.unusable.push({ input, reference: c.reference, reason: outside, detail: c.effective.text });
      }
      else if (choice !== undefined && !c.final && choice.candidate.final) this.unusable.push({ input, reference: c.reference, reason: 'superseded-by-final' });
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
    quantityOf: (o: Observation) => Quantity | undefined = (o) => o.valueQuantity,
  ): Extracted | undefined {
    const pool = all.filter(inWindow);
    const choice = chooseLatest(pool);
    this.reportPassedOver(input, all, pool, choice, outside);
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
    const notes: ExtractionNote[] = [...extraNotes];
    if (choice.preliminary) notes.push('preliminary');
    if (converted.convertedFrom !== undefined) notes.push('unit-converted');
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

  treatment(): TreatmentTimeline {
    type Start = { date: string; ms: number; reference: string; end?: string };
    const rt: Start[] = [];
    for (const p of this.record.procedures) {
      if (!this.mine(p.subject) || !conceptHas(p.code, this.codes.radiotherapy)) continue;
      if (p.status === 'not-done' || p.status === 'entered-in-error' || p.status === 'preparation') continue;
      const date = p.performedPeriod?.start ?? p.performedDateTime;
      const ms = date !== undefined ? Date.parse(date) : Number.NaN;
      if (date === undefined || !Number.isFinite(ms)) continue;
      rt.push({ date, ms, reference: ref(p), ...(p.performedPeriod?.end !== undefined ? { end: p.performedPeriod.end } : {}) });
    }
    const chemo: (Start & { agents: Recognition[] })[] = [];
    for (const m of this.record.medicationAdministrations) {
      if (!this.mine(m.subject) || (m.status !== 'completed' && m.status !== 'in-progress')) continue;
      // (v2) Any NPC systemic agent, by ingredient, product, Medication ingredient, ATC or name.
      const agents = recogniseMedicationUse(m, this.codes, this.medications);
      if (agents.length === 0) continue;
      const date = m.effectivePeriod?.start ?? m.effectiveDateTime;
      const ms = date !== undefined ? Date.parse(date) : Number.NaN;
      if (date === undefined || !Number.isFinite(ms)) continue;
      chemo.push({ date, ms, reference: ref(m), agents });
    }
    const earliest = <S extends Start>(xs: S[]) => [...xs].sort((a, b) => a.ms - b.ms || a.reference.localeCompare(b.reference))[0];
    const rtStart = earliest(rt);
    const systemic = earliest(chemo);
    const start = earliest<Start>([...rt, ...chemo]);
    const systemicBeforeRt =
      systemic !== undefined && systemic.ms <= this.nowMs && (rtStart === undefined || utcDay(systemic.ms) < utcDay(rtStart.ms));
    const schedule = dayDoseReached(this.thresholds.tbf.postTbfTimepoint);
    const postWindowDay = schedule.kind === 'computed' ? schedule.day : undefined;
    const postWindowStart =
      rtStart !== undefined && postWindowDay !== undefined ? new Date(rtStart.ms + postWindowDay * DAY_MS).toISOString() : undefined;
    return {
      ...(start !== undefined ? { start: { date: start.date, reference: start.reference } } : {}),
      ...(rtStart !== undefined ? { rtStart: { date: rtStart.date, reference: rtStart.reference } } : {}),
      ...(systemic !== undefined ? { systemicStart: { date: systemic.date, reference: systemic.reference, agents: systemic.agents } } : {}),
      systemicBeforeRt,
      ...(rtStart?.end !== undefined ? { rtEnd: rtStart.end } : {}),
      ...(postWindowStart !== undefined ? { postWindowStart } : {}),
      ...(postWindowDay !== undefined ? { postWindowDay } : {}),
      recorded: start !== undefined,
      started: start !== undefined && start.ms <= this.nowMs,
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
  const { codes } = x;
  const project = (code: string): CodeRef[] => [{ system: codes.projectSystem, code }];
  const npcCondition = x.npcCondition();
  const disease = x.disease();
  const age = x.age();
  const treatment = x.treatment();
  // One definition (the timeline's): systemic therapy on an earlier UTC day than RT, or with no RT recorded.
  const systemicTherapyBeforeRt = treatment.systemicBeforeRt;
  const residualOutcomeDue = residualDue(treatment, Date.parse(now), options.residualDueDays ?? RESIDUAL_DUE_DAYS);

  const startMs = treatment.start !== undefined ? Date.parse(treatment.start.date) : undefined;
  const preTreatment = (c: Candidate) => startMs === undefined || c.effective.ms < startMs;
  const preNotes: ExtractionNote[] = treatment.recorded ? [] : ['assumed-pre-treatment'];

  // Pre-TBF: the latest TBF before treatment start (or the latest, assumed pre-treatment).
  const tbf = x.candidates('pre-tbf', project(codes.project.tumorBloodFlow));
  // Later TBFs are not reported against Pre-TBF: they are the Post-TBF candidates.
  const preTbf = x.measurement('pre-tbf', tbf, preTreatment, 'tbf', preNotes, undefined);

  // Post-TBF: measured on or after RT start + day 25 and before RT end; none without an RT start.
  let postTbf: Extracted | undefined;
  const windowStartMs = treatment.postWindowStart !== undefined ? Date.parse(treatment.postWindowStart) : undefined;
  const rtEndMs = treatment.rtEnd !== undefined ? Date.parse(treatment.rtEnd) : Number.POSITIVE_INFINITY;
  const inPostWindow = (c: Candidate) => windowStartMs !== undefined && c.effective.ms >= windowStartMs && c.effective.ms < rtEndMs;
  if (windowStartMs !== undefined) {
    const postTbfPool = tbf.filter((c) => !preTreatment(c));
    postTbf = x.measurement('post-tbf', postTbfPool, inPostWindow, 'tbf', ['timepoint-inferred'], 'outside-window');
  } else if (treatment.recorded) {
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
    x.measurement(input, x.candidates(input, refs), preTreatment, kind, preNotes, 'not-pre-treatment');
  const ebv = pre('ebv-dna', [...codes.ebvDna], 'ebv');
  const volume = pre('tumor-volume', project(codes.project.primaryTumorVolume), 'volume');
  const ictos = pre('ictos', project(codes.project.ictos), 'score');
  const features = (ids: Record<IctosFeature, [ExtractKey, string]>) => {
    const out: Partial<Record<IctosFeature, number>> = {};
    for (const [f, [input, code]] of Object.entries(ids) as [IctosFeature, [ExtractKey, string]][]) {
      const v = pre(input, project(code), 'score');
      if (v !== undefined) out[f] = v.value;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  };
  const zFeatures = features({
    skewness: ['skewness-z', codes.project.skewnessZ],
    glcmVariance: ['glcm-variance-z', codes.project.glcmVarianceZ],
    glrlmLrhgle: ['glrlm-lrhgle-z', codes.project.glrlmLrhgleZ],
  });
  const rawFeatures = features({
    skewness: ['skewness', codes.project.skewness],
    glcmVariance: ['glcm-variance', codes.project.glcmVariance],
    glrlmLrhgle: ['glrlm-lrhgle', codes.project.glrlmLrhgle],
  });

  // Maximum primary tumor diameter, pre-treatment and at the 40 Gy timepoint (for the atrophy rate).
  const diameterRefs = project(codes.project.maxTumorDiameter);
  const tumorSizeRefs = [codes.tumorSize.observation];
  const diameterOf = (o: Observation): Quantity | undefined =>
    conceptHas(o.code, tumorSizeRefs)
      ? o.component?.find((comp) => conceptHas(comp.code, [codes.tumorSize.longestDimension]))?.valueQuantity
      : o.valueQuantity;
  const diameters = [...x.candidates('mptd-pre', diameterRefs), ...x.candidates('mptd-pre', tumorSizeRefs)];
  x.measurement('mptd-pre', diameters, preTreatment, 'diameter', preNotes, undefined, diameterOf);
  if (windowStartMs !== undefined) {
    x.measurement('mptd-post', diameters.filter((c) => !preTreatment(c)), inPostWindow, 'diameter', ['timepoint-inferred'], 'outside-window', diameterOf);
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
  };
  return {
    now,
    inputs,
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
