import type { MedicationRequest } from 'fhir/r4';
import { reviewDraftOrders, draftMedicationRequests } from '../../src/fhir/orders';

const RX = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const mr = (id: string | undefined, over: Record<string, unknown> = {}): MedicationRequest =>
  ({ resourceType: 'MedicationRequest', ...(id !== undefined ? { id } : {}), status: 'draft', intent: 'order', subject: { reference: 'Patient/p' }, ...over }) as MedicationRequest;
const agent = (code: string, display: string) => ({ medicationCodeableConcept: { coding: [{ system: RX, code, display }] } });
const drafts = (...resources: unknown[]) => ({ resourceType: 'Bundle', entry: resources.map((resource) => ({ resource })) });

describe('recognising induction chemotherapy in draft orders (clinical-spec section 6)', () => {
  test.each([
    ['docetaxel (72962)', '72962'],
    ['fluorouracil (4492)', '4492'],
    ['gemcitabine (12574)', '12574'],
    ['capecitabine (194000)', '194000'],
    ['paclitaxel (56946)', '56946'],
  ])('%s is an induction partner agent', (_name, code) => {
    const r = reviewDraftOrders(drafts(mr('a', agent(code, 'x'))));
    expect(r.induction).toEqual([expect.objectContaining({ reference: 'MedicationRequest/a', by: 'induction-partner', identifiable: true })]);
  });

  test.each([['cisplatin', '2555'], ['carboplatin', '40048']])('%s alone is the concurrent part of CCRT, not induction', (_name, code) => {
    const r = reviewDraftOrders(drafts(mr('p', agent(code, 'x'))));
    expect(r.induction).toEqual([]);
    expect(r.platinumOnly).toEqual(['MedicationRequest/p']);
  });

  test.each([
    ['courseOfTherapyType text', { courseOfTherapyType: { text: 'Induction chemotherapy' } }],
    ['courseOfTherapyType coding display', { courseOfTherapyType: { coding: [{ display: 'induction' }] } }],
    ['category text', { category: [{ text: 'Induction' }] }],
  ])('a platinum order explicitly marked as induction by its %s counts as induction', (_name, marker) => {
    const r = reviewDraftOrders(drafts(mr('m', { ...agent('40048', 'carboplatin'), ...marker })));
    expect(r.induction).toEqual([expect.objectContaining({ reference: 'MedicationRequest/m', by: 'induction-marker', agents: ['carboplatin'] })]);
  });

  test('an order without intent is still recognised by its medication', () => {
    const noIntent = mr('n', agent('4492', 'fluorouracil'));
    delete (noIntent as { intent?: string }).intent;
    expect(reviewDraftOrders(drafts(noIntent)).induction).toHaveLength(1);
  });

  test('an order without medication cannot be identified and is ignored, with the reason', () => {
    expect(reviewDraftOrders(drafts(mr('x'))).ignored).toEqual([{ reference: 'MedicationRequest/x', reason: 'no-medication' }]);
  });

  test('a medication in a contained Medication resource is read through medicationReference', () => {
    const r = reviewDraftOrders(drafts(mr('c', { contained: [{ resourceType: 'Medication', id: 'med', code: { coding: [{ system: RX, code: '72962' }] } }], medicationReference: { reference: '#med' } })));
    expect(r.induction).toHaveLength(1);
  });

  test('an order for another drug is not chemotherapy', () => {
    expect(reviewDraftOrders(drafts(mr('o', agent('161', 'acetaminophen')))).ignored).toEqual([{ reference: 'MedicationRequest/o', reason: 'not-chemotherapy' }]);
  });

  test('cancelled or entered-in-error orders are not active and are ignored', () => {
    const r = reviewDraftOrders(drafts(mr('c1', { ...agent('72962', 'd'), status: 'cancelled' }), mr('c2', { ...agent('72962', 'd'), status: 'entered-in-error' })));
    expect(r.induction).toEqual([]);
    expect(r.ignored.map((i) => i.reason)).toEqual(['inactive-status', 'inactive-status']);
  });

  test('an order without an id is recognised but cannot be the target of a delete', () => {
    expect(reviewDraftOrders(drafts(mr(undefined, agent('72962', 'd')))).induction).toEqual([expect.objectContaining({ identifiable: false })]);
  });

  test.each([
    ['not an object', 'nonsense'],
    ['null', null],
    ['a Bundle without entries', { resourceType: 'Bundle' }],
    ['entries that are not objects', { resourceType: 'Bundle', entry: [1, 'x', null, { resource: 7 }] }],
    ['other resource types', drafts({ resourceType: 'ServiceRequest', id: 's' })],
  ])('draft orders that are %s give nothing to check, without throwing', (_name, input) => {
    expect(draftMedicationRequests(input)).toEqual([]);
    expect(reviewDraftOrders(input)).toEqual({ induction: [], regimen: [], platinumOnly: [], concurrentPlatinum: [], platinumOrders: [], otherSystemic: [], ignored: [] });
  });
});

const ATC = 'http://www.whocc.no/atc';
const refs = (orders: readonly { reference: string }[]) => orders.map((o) => o.reference);

describe('(v2) product-level orders, Medications, ATC codes and names (clinical-spec section 6, drug codes)', () => {
  test('a product-level capecitabine order (RxNorm SCD 200328, as the CDS Hooks Sandbox sends it) is induction, recognised by product code', () => {
    const r = reviewDraftOrders(drafts(mr('cap', { medicationCodeableConcept: { coding: [{ system: RX, code: '200328', display: 'capecitabine 500 MG Oral Tablet' }] } })));
    expect(r.induction).toEqual([
      expect.objectContaining({
        reference: 'MedicationRequest/cap',
        by: 'induction-partner',
        agents: ['capecitabine'],
        recognised: [expect.objectContaining({ recognisedBy: 'product-code', matched: expect.objectContaining({ code: '200328' }) })],
      }),
    ]);
  });

  test('a brand name in the order text (Taxotere, local code) is induction, recognised by name', () => {
    const r = reviewDraftOrders(drafts(mr('tx', { medicationCodeableConcept: { coding: [{ system: 'urn:oid:1.2.3', code: 'L-991' }], text: 'Taxotere 75 mg/m2 IV' } })));
    expect(r.induction).toEqual([expect.objectContaining({ agents: ['docetaxel'], recognised: [expect.objectContaining({ recognisedBy: 'name', matched: { name: 'Taxotere' } })] })]);
  });

  test('an ATC-coded fluorouracil order (L01BC02) is induction, recognised by ATC', () => {
    const r = reviewDraftOrders(drafts(mr('fu', { medicationCodeableConcept: { coding: [{ system: ATC, code: 'L01BC02' }] } })));
    expect(r.induction).toEqual([expect.objectContaining({ agents: ['fluorouracil'], recognised: [expect.objectContaining({ recognisedBy: 'atc' })] })]);
  });

  test('a Medication entry of the draft orders, referenced by the order, is read by its ingredients', () => {
    const med = { resourceType: 'Medication', id: 'gem-bag', code: { coding: [{ system: 'urn:oid:1.2.3', code: 'BAG-7' }] }, ingredient: [{ itemCodeableConcept: { coding: [{ system: RX, code: '12574' }] } }] };
    const r = reviewDraftOrders(drafts(mr('g', { medicationReference: { reference: 'Medication/gem-bag' } }), med));
    expect(r.induction).toEqual([expect.objectContaining({ agents: ['gemcitabine'], recognised: [expect.objectContaining({ recognisedBy: 'medication-ingredient' })] })]);
  });

  test('an order referencing a Medication that the draft orders do not hold cannot be identified', () => {
    expect(reviewDraftOrders(drafts(mr('u', { medicationReference: { reference: 'Medication/absent' } }))).ignored).toEqual([{ reference: 'MedicationRequest/u', reason: 'no-medication' }]);
  });

  test.each([
    ['cetuximab', { coding: [{ system: RX, code: '318341' }] }],
    ['an anti-PD-1 by name', { text: 'toripalimab 240 mg IV' }],
    ['an L01 agent not in the table', { coding: [{ system: ATC, code: 'L01XX99' }] }],
  ])('%s is recognised as other systemic therapy: not induction, not removed', (_name, concept) => {
    const r = reviewDraftOrders(drafts(mr('o', { medicationCodeableConcept: concept }), mr('d', agent('72962', 'docetaxel'))));
    expect(refs(r.otherSystemic)).toEqual(['MedicationRequest/o']);
    expect(refs(r.regimen)).toEqual(['MedicationRequest/d']);
  });
});

describe('(v2) the whole induction regimen is returned for removal (clinical-spec section 6)', () => {
  const tpf = [mr('doc', agent('72962', 'docetaxel')), mr('cis', agent('2555', 'cisplatin')), mr('fu', agent('4492', 'fluorouracil'))];

  test('a TPF regimen of three drafts (docetaxel, cisplatin, fluorouracil) gives all three as the regimen to remove', () => {
    const r = reviewDraftOrders(drafts(...tpf));
    expect(refs(r.induction)).toEqual(['MedicationRequest/doc', 'MedicationRequest/fu']);
    expect(refs(r.regimen).sort()).toEqual(['MedicationRequest/cis', 'MedicationRequest/doc', 'MedicationRequest/fu']);
    expect(r.regimen.find((o) => o.reference === 'MedicationRequest/cis')).toMatchObject({ by: 'regimen-platinum', agents: ['cisplatin'] });
    expect(r.platinumOnly).toEqual([]);
    expect(r.concurrentPlatinum).toEqual([]);
  });

  test.each([
    ['courseOfTherapyType text "concurrent"', { courseOfTherapyType: { text: 'Concurrent chemoradiotherapy' } }],
    ['category text "with radiotherapy"', { category: [{ text: 'Given with radiotherapy' }] }],
    ['a note "CCRT"', { note: [{ text: 'weekly CCRT cisplatin 40 mg/m2' }] }],
    ['a dosage instruction "concomitant"', { dosageInstruction: [{ text: '100 mg/m2 q3w, concomitant with RT' }] }],
    ['the medication text "with RT"', { medicationCodeableConcept: { coding: [{ system: RX, code: '2555' }], text: 'cisplatin with RT' } }],
  ])('a cisplatin draft marked concurrent by its %s stays, and is reported as kept', (_name, marker) => {
    const r = reviewDraftOrders(drafts(tpf[0], mr('cis', { ...agent('2555', 'cisplatin'), ...marker }), tpf[2]));
    expect(refs(r.regimen).sort()).toEqual(['MedicationRequest/doc', 'MedicationRequest/fu']);
    expect(r.concurrentPlatinum).toEqual(['MedicationRequest/cis']);
    expect(r.platinumOnly).toEqual(['MedicationRequest/cis']);
    expect(refs(r.platinumOrders)).toEqual(['MedicationRequest/cis']);
  });

  test('a platinum alone is kept: no regimen without an induction partner', () => {
    const r = reviewDraftOrders(drafts(tpf[1]));
    expect(r.regimen).toEqual([]);
    expect(r.platinumOnly).toEqual(['MedicationRequest/cis']);
    expect(r.concurrentPlatinum).toEqual([]);
  });

  test('a carboplatin marked induction is itself induction and part of the regimen', () => {
    const r = reviewDraftOrders(drafts(mr('carbo', { ...agent('40048', 'carboplatin'), courseOfTherapyType: { text: 'Induction' } })));
    expect(r.regimen).toEqual([expect.objectContaining({ reference: 'MedicationRequest/carbo', by: 'induction-marker' })]);
  });
});
