/**
 * The message catalogue's shape: every sentence NPC-CDS says about a patient (the rules and their
 * results, the evidence, the limitations, what is missing and why data could not be read), keyed by what
 * it is about, with the values it needs as parameters. One catalogue per language (English: ./en.ts),
 * all with the `Messages` shape, so a second language is a second object of this type and not a second
 * copy of the logic. The catalogue holds plain text of the project's own (no text from a record); the
 * cards render it as Markdown, the app as HTML, each escaping on its own side.
 */
import type { DiagnosticEvidence, FactorState, IctosFeature, IctosSource, Need, OrderableId, PopulationNotApplicableReason, RecommendationKind, RiskFactor, TbfDirection, TbfNotApplicableReason } from '../core';
import type { UnobtainableKey } from '../fhir/errors';
import type { PrefetchKey } from '../fhir/prefetch';
import type { Phrase } from './phrase';

/** Why one data key could not be obtained (src/fhir/errors.ts), without the key. */
export type FaultFacts = Omit<UnobtainableKey, 'key'>;

/** The values a need's sentence may name. */
export interface NeedContext {
  /** The first day of the 40 Gy window, when RT has started. */
  readonly postWindowStart?: string | undefined;
  /** The long caveat shown when the clinical stage is not recorded. */
  readonly stageCaveat: string;
  /** The sentence on an M category that the AJCC edition would read differently. */
  readonly ambiguousEdition: string;
}


/** ICTOS (Dong 2019): the formula, this patient's score and where it came from. */
export interface IctosMessages {
  /** A feature's name inside a sentence. */
  readonly feature: Readonly<Record<IctosFeature, string>>;
  /** The formula with its terms already written ("−0.668 × skewness − 0.442 × GLCM variance + …"). */
  readonly formula: (terms: string, cutoff: string, thresholdSet: string) => Phrase;
  /** This patient's score, its source and its class. */
  readonly result: (score: string, source: IctosSource, kind: 'high' | 'low') => Phrase;
  /** This patient: no score (the missing inputs named). */
  readonly notComputable: (missing: readonly string[]) => Phrase;
  /** Outside the studied population: no score is shown. */
  readonly notApplied: string;
  /** The three contributions ("skewness z 1.2 × −0.668 = −0.8016"). */
  readonly contributions: (parts: readonly { readonly feature: string; readonly z: string; readonly coefficient: string; readonly contribution: string }[]) => string;
  /** The site normalization the raw features were z-scored with. */
  readonly normalization: (name: string, parts: readonly { readonly feature: string; readonly mean: string; readonly sd: string }[]) => Phrase;
}

/** The clinical risk of low-ICTOS patients (Dong 2019). */
export interface RiskMessages {
  /** A factor with its cutoff ("primary tumor volume ≥ 34 mL"). */
  readonly factor: (f: RiskFactor, cutoffs: { readonly tumorVolumeMl: string; readonly ebvDnaCopiesPerMl: string }) => string;
  /** The rule: the factors and when the risk is high. */
  readonly rule: (factors: readonly string[], moreThan: string) => string;
  /** This patient: the factors present, absent and unknown, and the result. */
  readonly patient: (present: readonly string[], absent: readonly string[], unknown: readonly string[], kind: 'high' | 'low' | 'indeterminate') => Phrase;
  /** The result with its counts (the app, under its table of factors). */
  readonly result: (kind: 'high' | 'low' | 'indeterminate', present: number, absent: number, unknown: number) => string;
  readonly state: Readonly<Record<FactorState, string>>;
  /** A factor's input that is not recorded. */
  readonly notRecorded: (input: string) => string;
  /** Outside the studied population: no risk is assessed. */
  readonly notAssessed: string;
  /** High ICTOS: the risk does not enter the recommendation. */
  readonly notStratifiedHighIctos: string;
}

/** The treatment-selection recommendation (Dong 2019, R7) and its evidence. */
export interface RecommendationMessages {
  readonly label: Readonly<Record<RecommendationKind, string>>;
  /** Where the tier's evidence is in the paper. */
  readonly source: Readonly<Record<RecommendationKind, string>>;
  /** The card's headline: the option and its source. */
  readonly headline: (kind: RecommendationKind) => string;
  /** The app's sentence under the option's heading. */
  readonly option: (kind: RecommendationKind, validated: boolean) => string;
  /** The R7 table in one sentence. */
  readonly rule: string;
  /** What "no treatment started" rests on. */
  readonly notStarted: string;
  /** The evidence lines of each tier. */
  readonly evidence: (kind: RecommendationKind) => string[];
  /** The evidence sentences the order check reuses. */
  readonly lowIctosNoBenefit: string;
  readonly notValidated: string;
  readonly regimen: string;
  /** No recommendation, and why. */
  readonly none: {
    readonly heading: string;
    readonly text: (why: string) => string;
    /** The end of "No recommendation is made: …". */
    readonly why: Readonly<Record<PopulationNotApplicableReason, string>>;
    readonly outsidePopulation: string;
    readonly startedHeading: string;
    readonly started: (date: string | undefined, reference: string | undefined) => string;
    readonly missingHeading: string;
    readonly missing: (labels: readonly string[]) => string;
    readonly undeterminedHeading: string;
    readonly undetermined: (labels: readonly string[]) => string;
  };
}

/** The tumor-blood-flow rules of Liu 2022 beyond the lines the catalogue already had. */
export interface TbfRuleMessages {
  /** One rule's outcome in words (a prediction, or an association on the same MRI). */
  readonly outcome: (kind: 'favorable' | 'unfavorable', outcome: string, reading: DiagnosticEvidence['reading']) => string;
  readonly insufficient: string;
  readonly notApplicable: Readonly<Record<TbfNotApplicableReason, string>>;
  readonly responseDirection: Readonly<Record<TbfDirection, string>>;
  readonly residualDirection: Readonly<Record<TbfDirection, string>>;
  /** "AUC 0.845 (95% CI 0.739–0.951), sensitivity 0.861, specificity 0.684". */
  readonly figures: (ev: DiagnosticEvidence) => string;
  readonly strength: Readonly<Record<DiagnosticEvidence['strength'], string>>;
  /** The reconstructed counts above and at or below the cutoff, with PPV and NPV. */
  readonly counts: (ev: DiagnosticEvidence) => string;
  /** The group means of Table 4. */
  readonly groupMeans: (ev: DiagnosticEvidence) => string;
  /** The value of a rule that cannot be computed. */
  readonly notAvailable: (missing: readonly string[]) => string;
  /** One rule on a card: its value against its cutoff, the outcome, and the figures that follow. */
  readonly ruleLine: (rule: string, source: string, parameter: string, value: string, cutoff: string, outcome: Phrase, figures: Phrase) => Phrase;
  /** A rule whose cutoff comes from the site's calibration. */
  readonly localSource: (source: string) => string;
  /** The Liu 2022 cohort and protocol. */
  readonly cohort: string;
  /** Before the published evidence when a site calibration replaced its cutoffs. */
  readonly publishedNotUsed: string;
  readonly thresholdSet: (id: string, version: string) => Phrase;
  /** The response card's headline. */
  readonly headline: string;
  readonly inductionBeforeRt: string;
  /** Why the response card shows values without a prediction (summary). */
  readonly noPredictionAfterInduction: string;
  readonly predictionsExpired: string;
  readonly residualExpired: string;
  readonly valuesShown: string;
  /** The response rests on the Post-TBF rule alone: short for a summary, long for a sentence. */
  readonly weakOnly: { readonly short: string; readonly long: string };
  readonly observedAt40Gy: (recist: string) => string;
  /** The app's one-line summary. */
  readonly summary: (response: string, residual: string) => string;
  readonly notApplied: string;
  readonly noRuleYet: string;
  /** Where the 40 Gy timepoint falls, from RT start. */
  readonly fortyGy: (rtStart: string, day: number, windowStart: string, dosePerFractionGy: number, fractionsPerWeek: number) => string;
  readonly noRtStart: string;
}

/** The order check of order-select and order-sign (clinical-spec.md section 6, v2). */
export interface OrderCheckMessages {
  readonly headline: Readonly<Record<'ict-not-supported' | 'consider-trial' | 'undetermined' | 'ict-supported' | 'insufficient-data', string>>;
  /** How induction chemotherapy is recognised, and when a removal is suggested. */
  readonly rule: string;
  readonly notEstablished: (what: string) => string;
  /** Without ICTOS there is no check. */
  readonly needsIctos: string;
  /** One draft order and how it was read. */
  readonly order: {
    readonly notCoded: string;
    readonly recognised: (label: string, how: string) => string;
    readonly induction: (reference: string, agents: string, why: 'induction-partner' | 'induction-marker' | 'regimen-platinum') => string;
    readonly platinum: (reference: string, agents: string, markedConcurrent: boolean) => string;
    readonly otherSystemic: (reference: string, agents: string) => string;
    readonly ignored: (reference: string, reason: 'no-medication' | 'not-chemotherapy' | 'inactive-status') => string;
  };
  /** The suggestion that removes the induction regimen. */
  readonly removeRegimen: (count: number) => string;
  readonly removeOrder: (reference: string, agents: string) => string;
}

export interface LimitationMessages {
  readonly liu: readonly string[];
  readonly dong: readonly string[];
}

export interface Messages {
  readonly ictos: IctosMessages;
  readonly risk: RiskMessages;
  readonly recommendation: RecommendationMessages;
  readonly limitations: LimitationMessages;
  readonly orderCheck: OrderCheckMessages;
  readonly rules: TbfRuleMessages;
  readonly tbf: {
    /** ΔTBF recomputed from the two measurements (the numbers already formatted). */
    readonly delta: (pre: string, post: string, delta: string) => string;
    /** Why Post-TBF is not a rule for residual tumor (Liu 2022 Table 4). */
    readonly postTbfNotARule: string;
    /** What the TBF values are associated with, and what they are not. */
    readonly associations: string;
  };
  readonly needs: {
    /** A few words for a need (the card summary lists them; the app's "Missing" list heads each line). */
    readonly label: (need: Need) => string;
    /** Why it is needed and what it decides, in one sentence. */
    readonly why: (need: Need, ctx: NeedContext) => string;
    /** The headline of the missing-data card. */
    readonly headline: string;
    /** Under the suggestions: nothing is ordered automatically. */
    readonly suggestionNote: string;
    /** The `note` of a suggested order: "Suggested by NPC-CDS: needed for …". */
    readonly orderNote: (labels: readonly string[]) => string;
    /** The label of a suggestion that orders it. */
    readonly orderLabel: (orderable: OrderableId) => string;
    /** The description of a suggestion's create action. */
    readonly orderAction: (orderLabel: string, labels: readonly string[]) => string;
  };
  readonly faults: {
    /** The data-unavailable card's headline: nothing could be read, and what was therefore not done. */
    readonly headline: Readonly<Record<'patient-view' | 'order-check', string>>;
    /** What each data key carries, in the clinician's words: short for a summary, long for a sentence. */
    readonly data: Readonly<Record<PrefetchKey, { readonly short: string; readonly long: string }>>;
    /** Why one data key failed, in a few words (a card summary). */
    readonly short: (f: FaultFacts, deadlineMs: number, detailed: boolean) => string;
    /** Why one data key failed, in a sentence (card detail, the app's error page). */
    readonly long: (f: FaultFacts, deadlineMs: number) => string;
  };
}

