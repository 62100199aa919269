import type { CodeableConcept, Medication } from 'fhir/r4';
import { DEFAULT_CODE_LISTS, withCodeListOverrides } from '../../src/fhir/codes';
import { ATC_SYSTEM, DEFAULT_DRUG_PRODUCTS, DEFAULT_SYSTEMIC_AGENTS, RXNORM_SYSTEM } from '../../src/fhir/drug-data';
import {
  checkDrugTables,
  medicationResolver,
  recogniseConcept,
  recogniseMedication,
  recogniseMedicationUse,
  recognitionPhrase,
  UNIDENTIFIED_SYSTEMIC_LABEL,
  type RecognisedBy,
} from '../../src/fhir/drugs';

const RX = RXNORM_SYSTEM;
const ATC = ATC_SYSTEM;
const tables = DEFAULT_CODE_LISTS;
const coded = (system: string, code: string, display?: string): CodeableConcept => ({ coding: [{ system, code, ...(display !== undefined ? { display } : {}) }] });
const textOnly = (text: string): CodeableConcept => ({ text });

/** One row: what the EHR sends, the agent expected, how it must be recognised, and where the code comes from. */
type Row = [string, CodeableConcept, string | undefined, RecognisedBy, string];

describe('recognising NPC systemic anti-cancer agents in a CodeableConcept (clinical-spec section 6, v2 drug codes)', () => {
  test.each<Row>([
    ['RxNorm ingredient cisplatin 2555', coded(RX, '2555'), 'cisplatin', 'ingredient-code', 'CPIC drug.sql'],
    ['RxNorm ingredient carboplatin 40048', coded(RX, '40048'), 'carboplatin', 'ingredient-code', 'CPIC drug.sql'],
    ['RxNorm ingredient docetaxel 72962', coded(RX, '72962'), 'docetaxel', 'ingredient-code', 'public FHIR examples (index ids 56766678535, 6275702705)'],
    ['RxNorm ingredient paclitaxel 56946', coded(RX, '56946'), 'paclitaxel', 'ingredient-code', 'HL7 mCODE IG paclitaxel example'],
    ['RxNorm ingredient fluorouracil 4492', coded(RX, '4492'), 'fluorouracil', 'ingredient-code', 'CPIC drug.sql'],
    ['RxNorm ingredient capecitabine 194000', coded(RX, '194000'), 'capecitabine', 'ingredient-code', 'CPIC drug.sql'],
    ['RxNorm ingredient gemcitabine 12574', coded(RX, '12574'), 'gemcitabine', 'ingredient-code', 'CPIC drug.sql'],
    ['RxNorm ingredient tegafur 4582', coded(RX, '4582'), 'tegafur', 'ingredient-code', 'CPIC drug.sql'],
    ['RxNorm ingredient cetuximab 318341', coded(RX, '318341'), 'cetuximab', 'ingredient-code', 'CPIC drug.sql'],
    ['RxNorm SCD capecitabine 500 MG Oral Tablet 200328 (as the CDS Hooks Sandbox orders it)', coded(RX, '200328', 'Capecitabine 500 MG Oral Tablet'), 'capecitabine', 'product-code', 'cds-hooks/sandbox medication-list.js'],
    ['RxNorm SCD capecitabine 150 MG Oral Tablet 200327, no display', coded(RX, '200327'), 'capecitabine', 'product-code', 'cds-hooks/sandbox medication-list.js'],
    ['RxNorm SBD capecitabine 500 MG Oral Tablet [Xeloda] 213293', coded(RX, '213293'), 'capecitabine', 'product-code', 'cds-hooks/sandbox medication-list.js'],
    ['RxNorm cisplatin 50 MG per 50 ML Injectable Solution 309311', coded(RX, '309311'), 'cisplatin', 'product-code', 'HL7 mCODE IG cisplatin MedicationRequest example'],
    ['ATC L01XA01 cisplatin', coded(ATC, 'L01XA01'), 'cisplatin', 'atc', 'WHO ATC index (SubjectRaw atc.md)'],
    ['ATC L01CD02 docetaxel', coded(ATC, 'L01CD02'), 'docetaxel', 'atc', 'WHO ATC index (SubjectRaw atc.md)'],
    ['ATC L01BC06 capecitabine', coded(ATC, 'L01BC06'), 'capecitabine', 'atc', 'WHO ATC index (SubjectRaw atc.md)'],
    ['ATC L01XC06 cetuximab', coded(ATC, 'L01XC06'), 'cetuximab', 'atc', 'WHO ATC index (SubjectRaw atc.md)'],
    ['ATC L01FF01 nivolumab', coded(ATC, 'L01FF01'), 'nivolumab', 'atc', 'KIP ATC value set'],
    ['ATC L01FF02 pembrolizumab', coded(ATC, 'L01FF02'), 'pembrolizumab', 'atc', 'KIP ATC value set'],
    ['ATC L01 code of no listed agent: systemic anti-cancer agent, ingredient unknown', coded(ATC, 'L01FF99'), undefined, 'atc', 'ATC class L01 (SubjectRaw atc.md)'],
    ['brand Taxotere in the text', textOnly('Taxotere 75 mg/m2 IV day 1'), 'docetaxel', 'name', 'name, no code'],
    ['5-FU in the text', textOnly('5-FU 1000 mg/m2/day continuous infusion d1-4'), 'fluorouracil', 'name', 'name, no code'],
    ['brand Platinol in a coding display of a local code', coded('urn:oid:1.2.3.4', 'X77', 'PLATINOL-AQ 1 mg/mL'), 'cisplatin', 'name', 'name, no code'],
    ['brand Xeloda in upper case', textOnly('XELODA 500MG TAB'), 'capecitabine', 'name', 'name, no code'],
    ['brand Gemzar', textOnly('Gemzar 1 g/m2'), 'gemcitabine', 'name', 'name, no code'],
    ['brand Taxol', textOnly('Taxol 175 mg/m2'), 'paclitaxel', 'name', 'name, no code'],
    ['brand Paraplatin', textOnly('Paraplatin AUC 5'), 'carboplatin', 'name', 'name, no code'],
    ['brand Erbitux', textOnly('Erbitux 400 mg/m2 loading dose'), 'cetuximab', 'name', 'name, no code'],
    ['brand Keytruda', textOnly('Keytruda 200 mg q3w'), 'pembrolizumab', 'name', 'name, no code'],
    ['brand Opdivo', textOnly('Opdivo 240 mg'), 'nivolumab', 'name', 'name, no code'],
    ['nedaplatin (no RxNorm or ATC code confirmed)', textOnly('nedaplatin 80 mg/m2'), 'nedaplatin', 'name', 'name, no code'],
    ['lobaplatin (no code confirmed)', textOnly('Lobaplatin 30 mg/m2'), 'lobaplatin', 'name', 'name, no code'],
    ['nimotuzumab (no code confirmed)', textOnly('nimotuzumab 200 mg weekly'), 'nimotuzumab', 'name', 'name, no code'],
    ['toripalimab (no code confirmed)', textOnly('Toripalimab 240 mg'), 'toripalimab', 'name', 'name, no code'],
    ['camrelizumab (no code confirmed)', textOnly('camrelizumab 200 mg'), 'camrelizumab', 'name', 'name, no code'],
    ['tislelizumab (no code confirmed)', textOnly('tislelizumab 200 mg'), 'tislelizumab', 'name', 'name, no code'],
    ['sintilimab (no code confirmed)', textOnly('sintilimab 200 mg'), 'sintilimab', 'name', 'name, no code'],
    ['a Chinese generic name (顺铂, cisplatin) in a local order text', textOnly('顺铂注射液 100mg/m2'), 'cisplatin', 'name', 'name, no code'],
  ])('%s is recognised as the row says (each row names where its code was checked)', (_name, concept, agent, recognisedBy, source) => {
    expect(source).not.toBe('');
    const [first, ...rest] = recogniseConcept(concept, tables);
    expect(rest).toEqual([]);
    expect(first).toMatchObject({ recognisedBy });
    expect(first?.agent?.id).toBe(agent);
    if (agent === undefined) expect(first).toMatchObject({ role: 'unidentified-systemic', label: UNIDENTIFIED_SYSTEMIC_LABEL });
  });

  test.each([
    ['Taxol inside Taxotere', 'Taxotere 75 mg/m2', 'docetaxel'],
    ['a name that is part of a longer word', 'cisplatinum-free regimen', undefined],
    ['acetaminophen', 'acetaminophen 500 mg', undefined],
    ['an ATC code outside L01 (L02 endocrine therapy)', undefined, undefined],
  ])('a name is recognised only as a whole word: %s', (_name, text, agent) => {
    const concept = text !== undefined ? textOnly(text) : coded(ATC, 'L02BA01', 'tamoxifen');
    expect(recogniseConcept(concept, tables).map((r) => r.agent?.id)).toEqual(agent !== undefined ? [agent] : []);
  });

  test('the ingredient code is preferred over the name for the same agent, and other agents in the text are added', () => {
    const r = recogniseConcept({ coding: [{ system: RX, code: '2555', display: 'cisplatin' }], text: 'cisplatin with docetaxel (TP)' }, tables);
    expect(r.map((x) => [x.agent?.id, x.recognisedBy])).toEqual([
      ['cisplatin', 'ingredient-code'],
      ['docetaxel', 'name'],
    ]);
  });

  test('a product code is preferred over the ATC code and the name', () => {
    const r = recogniseConcept({ coding: [{ system: ATC, code: 'L01BC06' }, { system: RX, code: '200328', display: 'capecitabine 500 MG Oral Tablet' }] }, tables);
    expect(r).toEqual([expect.objectContaining({ recognisedBy: 'product-code', matched: { system: RX, code: '200328', display: 'capecitabine 500 MG Oral Tablet' } })]);
  });

  test.each([null, 'text', 7, { coding: 'x' }, { coding: [null, 3, { system: RX }] }, { text: 42 }])('malformed input %j recognises nothing, without throwing', (input) => {
    expect(recogniseConcept(input, tables)).toEqual([]);
  });
});

describe('recognising agents in a Medication and in the medication of an order or administration', () => {
  const medication = (over: Partial<Medication>): Medication => ({ resourceType: 'Medication', id: 'med', ...over });

  test('a Medication with a local code is recognised by the RxNorm codes of its ingredients', () => {
    const m = medication({
      code: { coding: [{ system: 'urn:oid:1.2.3.4', code: 'TPF-D1' }], text: 'Hospital TPF day 1 bag' },
      ingredient: [{ itemCodeableConcept: coded(RX, '72962') }, { itemCodeableConcept: coded(RX, '2555') }],
    });
    expect(recogniseMedication(m, tables).map((r) => [r.agent?.id, r.recognisedBy])).toEqual([
      ['docetaxel', 'medication-ingredient'],
      ['cisplatin', 'medication-ingredient'],
    ]);
  });

  test('a Medication ingredient coded by a product code or an ATC code is a Medication ingredient too', () => {
    const m = medication({ ingredient: [{ itemCodeableConcept: coded(RX, '200328') }, { itemCodeableConcept: coded(ATC, 'L01BC02') }] });
    expect(recogniseMedication(m, tables).map((r) => [r.agent?.id, r.recognisedBy])).toEqual([
      ['capecitabine', 'medication-ingredient'],
      ['fluorouracil', 'medication-ingredient'],
    ]);
  });

  test('the Medication code comes before its ingredients', () => {
    const m = medication({ code: coded(RX, '200328'), ingredient: [{ itemCodeableConcept: coded(RX, '194000') }] });
    expect(recogniseMedication(m, tables)).toEqual([expect.objectContaining({ recognisedBy: 'product-code' })]);
  });

  test('a contained Medication is read through medicationReference', () => {
    const order = { resourceType: 'MedicationRequest', contained: [medication({ id: 'm1', code: coded(RX, '318341') })], medicationReference: { reference: '#m1' } };
    expect(recogniseMedicationUse(order, tables).map((r) => r.agent?.id)).toEqual(['cetuximab']);
  });

  test('a referenced Medication is read when the resolver has it, and not otherwise', () => {
    const order = { resourceType: 'MedicationRequest', medicationReference: { reference: 'Medication/pd1' } };
    const resolve = medicationResolver([medication({ id: 'pd1', code: textOnly('Loqtorzi (toripalimab-tpzi) 240 mg') })]);
    expect(recogniseMedicationUse(order, tables, resolve).map((r) => r.agent?.id)).toEqual(['toripalimab']);
    expect(recogniseMedicationUse(order, tables)).toEqual([]);
  });
});

describe('how a card says an agent was recognised', () => {
  test.each([
    [coded(RX, '2555'), 'by ingredient code RxNorm 2555'],
    [coded(RX, '200328', 'capecitabine 500 MG Oral Tablet'), 'by product code RxNorm 200328 (capecitabine 500 MG Oral Tablet)'],
    [coded(ATC, 'L01CD02'), 'by ATC code L01CD02'],
    [textOnly('Taxotere 75 mg/m2'), 'by name ("Taxotere") in the order text'],
  ])('%j: %s', (concept, phrase) => {
    const [r] = recogniseConcept(concept, tables);
    expect(r !== undefined ? recognitionPhrase(r, 'order') : undefined).toBe(phrase);
  });
});

describe('the drug tables are data with a cited source for every code', () => {
  test('every RxNorm and ATC code of the agents and every product carries a source', () => {
    const codes = [...DEFAULT_SYSTEMIC_AGENTS.flatMap((a) => [...(a.ingredient !== undefined ? [a.ingredient] : []), ...a.atc]), ...DEFAULT_DRUG_PRODUCTS];
    expect(codes.length).toBeGreaterThan(20);
    for (const c of codes) expect(c.source).toMatch(/\S{8,}/);
  });

  test('every agent of spec section 4 is in the table with its section 6 role', () => {
    const roles = Object.fromEntries(DEFAULT_SYSTEMIC_AGENTS.map((a) => [a.id, a.role]));
    expect(roles).toEqual({
      cisplatin: 'platinum',
      carboplatin: 'platinum',
      nedaplatin: 'platinum',
      lobaplatin: 'platinum',
      docetaxel: 'induction-partner',
      paclitaxel: 'induction-partner',
      fluorouracil: 'induction-partner',
      capecitabine: 'induction-partner',
      gemcitabine: 'induction-partner',
      tegafur: 'other-systemic',
      cetuximab: 'other-systemic',
      nimotuzumab: 'other-systemic',
      toripalimab: 'other-systemic',
      camrelizumab: 'other-systemic',
      tislelizumab: 'other-systemic',
      sintilimab: 'other-systemic',
      pembrolizumab: 'other-systemic',
      nivolumab: 'other-systemic',
    });
  });

  test('a site adds its own product code through the code-list configuration (drugProducts)', () => {
    const site = withCodeListOverrides({
      drugProducts: [...DEFAULT_DRUG_PRODUCTS, { system: 'https://hospital.example/formulary', code: 'NIVO-100', display: 'Nivolumab 100 mg vial', agent: 'nivolumab', source: 'hospital formulary 2026' }],
    });
    expect(recogniseConcept(coded('https://hospital.example/formulary', 'NIVO-100'), site)).toEqual([expect.objectContaining({ recognisedBy: 'product-code', label: 'nivolumab' })]);
  });

  test.each([
    ['an agent without names', { systemicAgents: [{ id: 'x', name: 'x', role: 'platinum', drugClass: '', atc: [] }] }, /names/],
    ['a code without a source', { drugProducts: [{ system: RX, code: '1', agent: 'cisplatin' }] }, /source/],
    ['a product of an unknown agent', { drugProducts: [{ system: RX, code: '1', agent: 'aspirin', source: 'x' }] }, /aspirin/],
  ])('a configured drug table with %s is refused with the reason', (_name, overrides, message) => {
    expect(() => withCodeListOverrides(overrides as never)).toThrow(message);
  });

  test('the default tables pass their own check', () => {
    expect(() => checkDrugTables(DEFAULT_CODE_LISTS, 'default')).not.toThrow();
  });
});
