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
    expect(reviewDraftOrders(input)).toEqual({ induction: [], platinumOnly: [], ignored: [] });
  });
});
