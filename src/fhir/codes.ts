/**
 * Code lists (clinical-spec.md section 3) as data: which codes identify each input in FHIR R4 records.
 * One module, one default, overridable entry by entry from configuration (`withCodeListOverrides`).
 *
 * Codes marked `verify: true` are SNOMED CT concepts taken from the specification: verify them against a
 * terminology server before clinical use.
 */
import { DEFAULT_DRUG_PRODUCTS, DEFAULT_SYSTEMIC_AGENTS, type DrugProduct, type SystemicAgent } from './drug-data';
import { checkDrugTables } from './drugs';

export const SYSTEMS = {
  loinc: 'http://loinc.org',
  snomed: 'http://snomed.info/sct',
  icd10cm: 'http://hl7.org/fhir/sid/icd-10-cm',
  icd10: 'http://hl7.org/fhir/sid/icd-10',
  rxnorm: 'http://www.nlm.nih.gov/research/umls/rxnorm',
  ucum: 'http://unitsofmeasure.org',
  ajcc: 'http://cancerstaging.org',
} as const;

/** The project's CodeSystem for inputs no standard terminology codes (published in fhir/CodeSystem-npc-biomarkers.json). */
export const PROJECT_CODE_SYSTEM = 'https://npc-cds.org/fhir/CodeSystem/npc-biomarkers';

export interface CodeRef {
  readonly system: string;
  readonly code: string;
  readonly display?: string;
  /** A SNOMED CT code from the specification: verify against a terminology server before clinical use. */
  readonly verify?: true;
}

/** A code in the record that stands for a coded value (a T category, a stage group, an edition). */
export interface ValueCode<V> extends CodeRef {
  readonly value: V;
}

export type ChemotherapyRole = 'platinum' | 'induction-partner';

export interface ChemotherapyAgent extends CodeRef {
  readonly role: ChemotherapyRole;
}

export interface CodeLists {
  /** The project CodeSystem URL (configurable: a site may publish it under its own canonical). */
  readonly projectSystem: string;
  readonly npcCondition: {
    /** Code prefixes in ICD-10 and ICD-10-CM: "C11" matches C11 and every C11.x. */
    readonly icd10Systems: readonly string[];
    readonly icd10Prefixes: readonly string[];
    readonly snomed: readonly CodeRef[];
  };
  readonly tCategory: readonly CodeRef[];
  readonly nCategory: readonly CodeRef[];
  readonly mCategory: readonly CodeRef[];
  readonly stageGroup: readonly CodeRef[];
  readonly tValues: readonly ValueCode<string>[];
  readonly nValues: readonly ValueCode<string>[];
  readonly mValues: readonly ValueCode<string>[];
  readonly stageValues: readonly ValueCode<string>[];
  /** Staging method codes that name the AJCC edition. */
  readonly stagingEditions: readonly ValueCode<7 | 8>[];
  readonly ebvDna: readonly CodeRef[];
  /** Project codes (in `projectSystem`) for the imaging-derived inputs. */
  readonly project: {
    readonly tumorBloodFlow: string;
    readonly ictos: string;
    readonly skewnessZ: string;
    readonly glcmVarianceZ: string;
    readonly glrlmLrhgleZ: string;
    readonly skewness: string;
    readonly glcmVariance: string;
    readonly glrlmLrhgle: string;
    readonly primaryTumorVolume: string;
    readonly maxTumorDiameter: string;
  };
  /**
   * (issue 17) Project codes (in `projectSystem`) of the outcomes a calibration cohort Bundle records
   * (src/calibration/cohort-bundle.ts): the response at 40 Gy (valueCodeableConcept: `partialResponse` or
   * `stableDisease`) and residual tumor one month after chemoradiotherapy (valueBoolean). The service
   * itself does not read them: they are not prefetched.
   */
  readonly calibrationOutcomes: {
    readonly response40Gy: string;
    readonly partialResponse: string;
    readonly stableDisease: string;
    readonly residualTumor1m: string;
  };
  /** mCODE tumor size: the Observation code and the component holding the longest dimension. */
  readonly tumorSize: { readonly observation: CodeRef; readonly longestDimension: CodeRef };
  readonly radiotherapy: readonly CodeRef[];
  /**
   * The short RxNorm ingredient list of spec section 3 (the v1 prefetch filter). Recognition of systemic
   * therapy reads `systemicAgents` and `drugProducts` instead (src/fhir/drugs.ts).
   */
  readonly chemotherapy: readonly ChemotherapyAgent[];
  /** (v2) The NPC systemic anti-cancer agents: role, RxNorm ingredient, ATC, names (src/fhir/drug-data.ts). */
  readonly systemicAgents: readonly SystemicAgent[];
  /** (v2) Product codes (RxNorm SCD/SBD, local codes) mapped to the agent they contain. */
  readonly drugProducts: readonly DrugProduct[];
}

const snomed = (code: string, display: string): CodeRef => ({ system: SYSTEMS.snomed, code, display, verify: true });
const loinc = (code: string, display: string): CodeRef & { readonly display: string } => ({ system: SYSTEMS.loinc, code, display });

/** Plasma EBV DNA viral load (LOINC): the default code searched for and the code a suggested order uses. */
export const EBV_DNA_VIRAL_LOAD = loinc('47982-4', 'Epstein Barr virus DNA [#/volume] (viral load) in Plasma by NAA with probe detection');
const snomedValue = <V>(code: string, display: string, value: V): ValueCode<V> => ({ ...snomed(code, display), value });
const rx = (code: string, display: string, role: ChemotherapyRole): ChemotherapyAgent => ({
  system: SYSTEMS.rxnorm,
  code,
  display,
  role,
});

export const DEFAULT_CODE_LISTS: CodeLists = {
  projectSystem: PROJECT_CODE_SYSTEM,
  npcCondition: {
    icd10Systems: [SYSTEMS.icd10cm, SYSTEMS.icd10],
    icd10Prefixes: ['C11'],
    snomed: [snomed('187692001', 'Malignant neoplasm of nasopharynx')],
  },
  tCategory: [loinc('21905-5', 'Primary tumor.clinical [Class] Cancer'), snomed('399504009', 'cT category')],
  nCategory: [loinc('21906-3', 'Regional lymph nodes.clinical [Class] Cancer'), snomed('399534004', 'cN category')],
  mCategory: [loinc('21907-1', 'Distant metastases.clinical [Class] Cancer'), snomed('399387003', 'cM category')],
  stageGroup: [loinc('21908-9', 'Stage group.clinical Cancer'), snomed('399537006', 'Clinical TNM stage grouping')],
  tValues: [
    snomedValue('1228889001', 'American Joint Committee on Cancer cT1', 'T1'),
    snomedValue('1228929004', 'American Joint Committee on Cancer cT2', 'T2'),
    snomedValue('1228938002', 'American Joint Committee on Cancer cT3', 'T3'),
    snomedValue('1228944003', 'American Joint Committee on Cancer cT4', 'T4'),
  ],
  nValues: [
    snomedValue('1229967007', 'American Joint Committee on Cancer cN0', 'N0'),
    snomedValue('1229973008', 'American Joint Committee on Cancer cN1', 'N1'),
    snomedValue('1229978004', 'American Joint Committee on Cancer cN2', 'N2'),
    snomedValue('1229984001', 'American Joint Committee on Cancer cN3', 'N3'),
  ],
  mValues: [
    snomedValue('1229901006', 'American Joint Committee on Cancer cM0', 'M0'),
    snomedValue('1229903009', 'American Joint Committee on Cancer cM1', 'M1'),
  ],
  stageValues: [
    snomedValue('1222801008', 'American Joint Committee on Cancer stage III', 'III'),
    snomedValue('1222838008', 'American Joint Committee on Cancer stage IVA', 'IVA'),
    snomedValue('1222841004', 'American Joint Committee on Cancer stage IVB', 'IVB'),
  ],
  stagingEditions: [
    snomedValue('443830009', 'American Joint Committee on Cancer, Cancer Staging Manual, 7th edition neoplasm staging system', 7),
    snomedValue('897275008', 'American Joint Committee on Cancer, Cancer Staging Manual, 8th edition neoplasm staging system', 8),
  ],
  ebvDna: [EBV_DNA_VIRAL_LOAD],
  project: {
    tumorBloodFlow: 'tumor-blood-flow',
    ictos: 'ictos',
    skewnessZ: 'skewness-z',
    glcmVarianceZ: 'glcm-variance-z',
    glrlmLrhgleZ: 'glrlm-lrhgle-z',
    skewness: 'skewness',
    glcmVariance: 'glcm-variance',
    glrlmLrhgle: 'glrlm-lrhgle',
    primaryTumorVolume: 'primary-tumor-volume',
    maxTumorDiameter: 'max-tumor-diameter',
  },
  calibrationOutcomes: {
    response40Gy: 'response-40-gy',
    partialResponse: 'partial-response',
    stableDisease: 'stable-disease',
    residualTumor1m: 'residual-tumor-1-month',
  },
  tumorSize: {
    observation: loinc('21889-1', 'Size Tumor'),
    longestDimension: loinc('33728-7', 'Size.maximum dimension in Tumor'),
  },
  /**
   * Radiotherapy concepts (clinical-spec.md section 4, v2): a Procedure coded with one of them, or with one of
   * them as its category, is radiotherapy.
   */
  radiotherapy: [
    snomed('1217123003', 'Radiotherapy course of treatment'),
    snomed('108290001', 'Radiation oncology AND/OR radiotherapy'),
    snomed('33195004', 'External beam radiation therapy procedure'),
    snomed('385798007', 'Radiation therapy care'),
    snomed('152198000', 'Brachytherapy'),
    snomed('1287742003', 'Radiotherapy'),
  ],
  chemotherapy: [
    rx('2555', 'cisplatin', 'platinum'),
    rx('40048', 'carboplatin', 'platinum'),
    rx('72962', 'docetaxel', 'induction-partner'),
    rx('4492', 'fluorouracil', 'induction-partner'),
    rx('12574', 'gemcitabine', 'induction-partner'),
    rx('194000', 'capecitabine', 'induction-partner'),
    rx('56946', 'paclitaxel', 'induction-partner'),
  ],
  systemicAgents: DEFAULT_SYSTEMIC_AGENTS,
  drugProducts: DEFAULT_DRUG_PRODUCTS,
};

/** Code-list overrides from configuration: each entry given replaces the default entry whole. */
export type CodeListOverrides = Partial<CodeLists>;

/**
 * The default code lists with the configured entries in their place. The drug tables (`systemicAgents`,
 * `drugProducts`) are checked, since recognition reads every field: a RangeError names what is wrong.
 */
export function withCodeListOverrides(overrides: CodeListOverrides = {}): CodeLists {
  const merged = { ...DEFAULT_CODE_LISTS, ...overrides };
  checkDrugTables(merged, 'CODE_LISTS_FILE');
  return merged;
}

/** True when a coding matches one of the references (same system and code). */
export function matchesAny(
  codings: readonly { readonly system?: string | undefined; readonly code?: string | undefined }[] | undefined,
  refs: readonly CodeRef[],
): boolean {
  return (codings ?? []).some((c) => refs.some((r) => r.system === c.system && r.code === c.code));
}
