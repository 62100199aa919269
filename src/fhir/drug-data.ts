/**
 * The systemic anti-cancer agents used for nasopharyngeal carcinoma (clinical-spec.md sections 4 and 6),
 * as data: each agent's role, its RxNorm ingredient code and ATC code where a public source confirms one,
 * its generic, brand and local names, and a product-to-ingredient table for RxNorm clinical and branded
 * drugs (SCD/SBD). Every code carries the public source it was checked against (`source`); a code that
 * could not be confirmed is left out, and the agent is then recognised by its ATC code or its name only.
 *
 * A site replaces these tables through CODE_LISTS_FILE (`systemicAgents`, `drugProducts`, the whole
 * entry each). Codes are not a terminology service: verify them against RxNav and the WHOCC ATC index
 * before clinical use.
 */

export const RXNORM_SYSTEM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
export const ATC_SYSTEM = 'http://www.whocc.no/atc';

/**
 * What an agent is in the order check (spec section 6): a platinum (the concurrent part of CCRT unless it
 * belongs to an induction regimen), an induction partner (docetaxel, fluorouracil, gemcitabine,
 * capecitabine, paclitaxel), or another systemic therapy that dates the treatment start but is not an
 * induction partner.
 */
export type AgentRole = 'platinum' | 'induction-partner' | 'other-systemic';

/** A code with the public source it was checked against. */
export interface SourcedCode {
  readonly system: string;
  readonly code: string;
  readonly display?: string;
  /** Where the code was checked: repository, path and commit, or page. */
  readonly source: string;
}

export interface SystemicAgent {
  /** Stable id, the generic name in lower case ("cisplatin"). */
  readonly id: string;
  /** The generic name shown on cards. */
  readonly name: string;
  readonly role: AgentRole;
  /** Drug class, for display ("anti-PD-1 antibody"). */
  readonly drugClass: string;
  /** RxNorm ingredient (TTY IN), when confirmed. */
  readonly ingredient?: SourcedCode;
  /** ATC codes of the agent (older and current versions of the index where they differ). */
  readonly atc: readonly SourcedCode[];
  /** Generic, brand and local names, recognised as whole words, case-insensitive, in displays and texts. */
  readonly names: readonly string[];
}

/** One product code (RxNorm SCD/SBD or a site's local code) mapped to the agent it contains. */
export interface DrugProduct extends SourcedCode {
  /** The `id` of the agent. */
  readonly agent: string;
}

/** The ATC class that says "systemic anti-cancer agent" when no agent code or name is recognised. */
export const ANTINEOPLASTIC_ATC_CLASS: SourcedCode = {
  system: ATC_SYSTEM,
  code: 'L01',
  display: 'ANTINEOPLASTIC AGENTS',
  source: 'SubjectRaw/SubjectRaw subject/data/eng/atc.md @a2ad2e955271074b0fbba207296c2715d1defeb8 ("ANTINEOPLASTIC AGENTS |L01")',
};

const CPIC = 'cpicpgx/cpic-schema drug.sql @05f9b09c5fcdf674efe3289411994b54f979aedb (CPIC drug table, RxNorm ingredient ids)';
const ATC_LIST = 'SubjectRaw/SubjectRaw subject/data/eng/atc.md @a2ad2e955271074b0fbba207296c2715d1defeb8 (WHO ATC index, L01 section)';
const KIP_ATC = 'KIP-infrastructure/implementation-guide input/fsh/ValueSet-ATC_ChemoPreparation.fsh @acad5fcc0ec7927e289edcec5019be96c9bd41e3 (ATC value set, 2022)';
const MCODE_PACLITAXEL =
  'HL7/fhir-mCODE-ig input/pagecontent/MedicationAdministration-cancer-related-medication-admin-paclitaxel-jenny-m-notes.md @e9552d375545c479c35f81d2669ea1448bcca2c0 (rxnorm#56946 "PACLitaxel")';
const DOCETAXEL_EXAMPLES =
  'public FHIR examples found by the GitHub code index (file ids 56766678535: a CodeX-style draft MedicationRequest, and 6275702705: a MedicationStatement), both $rxnorm#72962 "docetaxel"; repositories not named by the index';
const SANDBOX = 'cds-hooks/sandbox src/assets/medication-list.js @3b7e25546771c6e7fc5e360aa7db6eb64af0b8b6 (the CDS Hooks Sandbox medication list)';

const rx = (code: string, display: string, source: string): SourcedCode => ({ system: RXNORM_SYSTEM, code, display, source });
const atc = (code: string, display: string, source: string): SourcedCode => ({ system: ATC_SYSTEM, code, display, source });

export const DEFAULT_SYSTEMIC_AGENTS: readonly SystemicAgent[] = [
  {
    id: 'cisplatin',
    name: 'cisplatin',
    role: 'platinum',
    drugClass: 'platinum compound',
    ingredient: rx('2555', 'cisplatin', CPIC),
    atc: [atc('L01XA01', 'cisplatin', ATC_LIST)],
    names: ['cisplatin', 'Platinol', '顺铂'],
  },
  {
    id: 'carboplatin',
    name: 'carboplatin',
    role: 'platinum',
    drugClass: 'platinum compound',
    ingredient: rx('40048', 'carboplatin', CPIC),
    atc: [atc('L01XA02', 'carboplatin', ATC_LIST)],
    names: ['carboplatin', 'Paraplatin', '卡铂'],
  },
  {
    // No RxNorm ingredient or ATC code found in public material (not marketed in the US; no ATC code in the index read).
    id: 'nedaplatin',
    name: 'nedaplatin',
    role: 'platinum',
    drugClass: 'platinum compound',
    atc: [],
    names: ['nedaplatin', '奈达铂'],
  },
  {
    // No RxNorm ingredient or ATC code found in public material.
    id: 'lobaplatin',
    name: 'lobaplatin',
    role: 'platinum',
    drugClass: 'platinum compound',
    atc: [],
    names: ['lobaplatin', '洛铂'],
  },
  {
    // The weakest citation of the table: two independent public FHIR example files code docetaxel as
    // RxNorm 72962, but the code index does not name their repositories. Check against RxNav.
    id: 'docetaxel',
    name: 'docetaxel',
    role: 'induction-partner',
    drugClass: 'taxane',
    ingredient: rx('72962', 'docetaxel', DOCETAXEL_EXAMPLES),
    atc: [atc('L01CD02', 'docetaxel', ATC_LIST)],
    names: ['docetaxel', 'Taxotere', '多西他赛'],
  },
  {
    id: 'paclitaxel',
    name: 'paclitaxel',
    role: 'induction-partner',
    drugClass: 'taxane',
    ingredient: rx('56946', 'paclitaxel', MCODE_PACLITAXEL),
    atc: [atc('L01CD01', 'paclitaxel', ATC_LIST)],
    names: ['paclitaxel', 'Taxol', 'Abraxane', '紫杉醇'],
  },
  {
    id: 'fluorouracil',
    name: 'fluorouracil',
    role: 'induction-partner',
    drugClass: 'pyrimidine analogue',
    ingredient: rx('4492', 'fluorouracil', CPIC),
    atc: [atc('L01BC02', 'fluorouracil', ATC_LIST)],
    names: ['fluorouracil', '5-FU', 'Adrucil', '氟尿嘧啶'],
  },
  {
    id: 'capecitabine',
    name: 'capecitabine',
    role: 'induction-partner',
    drugClass: 'pyrimidine analogue',
    ingredient: rx('194000', 'capecitabine', CPIC),
    atc: [atc('L01BC06', 'capecitabine', ATC_LIST)],
    names: ['capecitabine', 'Xeloda', '卡培他滨'],
  },
  {
    id: 'gemcitabine',
    name: 'gemcitabine',
    role: 'induction-partner',
    drugClass: 'pyrimidine analogue',
    ingredient: rx('12574', 'gemcitabine', CPIC),
    atc: [atc('L01BC05', 'gemcitabine', ATC_LIST)],
    names: ['gemcitabine', 'Gemzar', '吉西他滨'],
  },
  {
    // Spec section 6 does not list tegafur among the induction partners: another systemic therapy here.
    id: 'tegafur',
    name: 'tegafur',
    role: 'other-systemic',
    drugClass: 'pyrimidine analogue',
    ingredient: rx('4582', 'tegafur', CPIC),
    atc: [atc('L01BC03', 'tegafur', ATC_LIST)],
    names: ['tegafur', '替加氟'],
  },
  {
    // ATC L01XC06 is the code of the index read; the current index files anti-EGFR antibodies under L01FE
    // (not confirmed here: an L01FE code is recognised through the L01 class and the name).
    id: 'cetuximab',
    name: 'cetuximab',
    role: 'other-systemic',
    drugClass: 'anti-EGFR antibody',
    ingredient: rx('318341', 'cetuximab', CPIC),
    atc: [atc('L01XC06', 'cetuximab', ATC_LIST)],
    names: ['cetuximab', 'Erbitux', '西妥昔单抗'],
  },
  {
    id: 'nimotuzumab',
    name: 'nimotuzumab',
    role: 'other-systemic',
    drugClass: 'anti-EGFR antibody',
    atc: [],
    names: ['nimotuzumab', 'TheraCIM', '尼妥珠单抗'],
  },
  {
    id: 'toripalimab',
    name: 'toripalimab',
    role: 'other-systemic',
    drugClass: 'anti-PD-1 antibody',
    atc: [],
    names: ['toripalimab', 'Loqtorzi', '特瑞普利单抗'],
  },
  {
    id: 'camrelizumab',
    name: 'camrelizumab',
    role: 'other-systemic',
    drugClass: 'anti-PD-1 antibody',
    atc: [],
    names: ['camrelizumab', '卡瑞利珠单抗'],
  },
  {
    id: 'tislelizumab',
    name: 'tislelizumab',
    role: 'other-systemic',
    drugClass: 'anti-PD-1 antibody',
    atc: [],
    names: ['tislelizumab', 'Tevimbra', '替雷利珠单抗'],
  },
  {
    id: 'sintilimab',
    name: 'sintilimab',
    role: 'other-systemic',
    drugClass: 'anti-PD-1 antibody',
    atc: [],
    names: ['sintilimab', 'Tyvyt', '信迪利单抗'],
  },
  {
    // RxNorm: public files disagree on the ingredient RxCUI (the same number is given for pembrolizumab,
    // nivolumab and pirfenidone in different repositories); left out.
    id: 'pembrolizumab',
    name: 'pembrolizumab',
    role: 'other-systemic',
    drugClass: 'anti-PD-1 antibody',
    atc: [atc('L01FF02', 'pembrolizumab', KIP_ATC)],
    names: ['pembrolizumab', 'Keytruda', '帕博利珠单抗'],
  },
  {
    // RxNorm: not confirmed (see pembrolizumab); left out.
    id: 'nivolumab',
    name: 'nivolumab',
    role: 'other-systemic',
    drugClass: 'anti-PD-1 antibody',
    atc: [atc('L01FF01', 'nivolumab', KIP_ATC)],
    names: ['nivolumab', 'Opdivo', '纳武利尤单抗'],
  },
];

const MCODE_CISPLATIN =
  'HL7/fhir-mCODE-ig input/pagecontent/MedicationRequest-cancer-related-medication-request-cisplatin-notes.md @c0ff71302bf1696494ee0a6d6403897c3119467e (rxnorm#309311)';

/** RxNorm clinical and branded drugs mapped to their ingredient; each checked against the source named. */
export const DEFAULT_DRUG_PRODUCTS: readonly DrugProduct[] = [
  { ...rx('200327', 'capecitabine 150 MG Oral Tablet', SANDBOX), agent: 'capecitabine' },
  { ...rx('200328', 'capecitabine 500 MG Oral Tablet', SANDBOX), agent: 'capecitabine' },
  { ...rx('213292', 'capecitabine 150 MG Oral Tablet [Xeloda]', SANDBOX), agent: 'capecitabine' },
  { ...rx('213293', 'capecitabine 500 MG Oral Tablet [Xeloda]', SANDBOX), agent: 'capecitabine' },
  { ...rx('309311', 'CISplatin 50 MG per 50 ML Injectable Solution', MCODE_CISPLATIN), agent: 'cisplatin' },
];
