/**
 * What the manifest (test/fixtures/scenarios.json) says about the cards of a scenario, as assertions on
 * the cards a service returned. Shared by the direct card tests and the HTTP scenario tests, so that
 * prefetch, the FHIR-server fallback and the card builder are held to the same expectations.
 */
import { cardSchema, FINDINGS_EXTENSION, type Card, type Finding } from '../../src/cds/card-schema';
import type { Scenario } from './scenarios';

export const findingsOf = (card: Card): Finding[] => card.extension[FINDINGS_EXTENSION];
const topicOf = (card: Card) => card.source.topic?.code;
export const cardOfKind = (cards: readonly Card[], kind: string) => cards.find((c) => topicOf(c) === kind);

/** Every card passes our CDS Hooks 2.0 card schema. */
export function expectValidCards(cards: readonly unknown[]): asserts cards is Card[] {
  for (const card of cards) {
    const parsed = cardSchema.safeParse(card);
    if (!parsed.success) throw new Error(`card fails the schema: ${JSON.stringify(parsed.error.issues)}`);
  }
}

/** The patient-view cards against the manifest's `cards`, `recommendation` and `tbfRules`. */
export function expectPatientViewCards(cards: readonly Card[], s: Scenario): void {
  const e = s.expected;
  expectValidCards(cards);
  if (e.cards === 'none' || e.cards === 'no-recommendation') {
    expect(cards).toEqual([]);
    return;
  }
  if (e.cards === 'population-card') {
    // v2: one quiet info card for recurrent disease, N0 or age under 18, with the population reason.
    expect(cards.map(topicOf)).toEqual(['outside-studied-population']);
    expect(cards[0]?.indicator).toBe('info');
    expect(findingsOf(cards[0] as Card)).toEqual([expect.objectContaining({ rule: 'recommendation', outcome: 'not-applicable', reason: e.population.reason })]);
    return;
  }
  expect(cards.length).toBeGreaterThan(0);
  const kinds = cards.map(topicOf);
  expect(new Set(kinds).size).toBe(kinds.length);
  if (e.cards === 'shown-with-stage-caveat') {
    for (const c of cards) expect(c.detail).toContain('Stage not recorded: the studies enrolled stage III');
  }

  const selection = cardOfKind(cards, 'treatment-selection');
  const missing = cardOfKind(cards, 'missing-data');
  const recommendationFinding = (c: Card | undefined) => (c === undefined ? undefined : findingsOf(c).find((f) => f.rule === 'recommendation'));
  if (['ict-ccrt', 'ccrt-alone', 'clinical-trial'].includes(e.recommendation)) {
    expect(recommendationFinding(selection)).toMatchObject({ outcome: e.recommendation });
    expect(selection?.indicator).toBe('info');
  } else {
    expect(selection).toBeUndefined();
  }
  if (e.recommendation === 'undetermined' || e.recommendation === 'insufficient-data') {
    const f = recommendationFinding(missing);
    expect(f).toMatchObject({ outcome: e.recommendation });
    expect([...(f?.missing ?? [])].sort()).toEqual([...(e.recommendationMissing as string[])].sort());
  }
  if (typeof e.recommendation === 'string' && e.recommendation.startsWith('not-applicable:')) {
    const reason = e.recommendation.slice('not-applicable:'.length);
    expect(cards.flatMap(findingsOf).filter((f) => f.rule === 'recommendation')).toEqual([expect.objectContaining({ outcome: 'not-applicable', reason })]);
  }
  if (e.recommendation === 'none-treatment-started') {
    for (const c of cards) expect(findingsOf(c).some((f) => f.rule === 'recommendation')).toBe(false);
  }

  const response = cardOfKind(cards, 'response-prediction');
  const decided = e.tbfRules !== null && e.tbfRules !== undefined && Object.values(e.tbfRules as Record<string, { outcome: string }>).some((r) => r.outcome !== 'insufficient-data');
  if (decided) {
    expect(response).toBeDefined();
    for (const [rule, want] of Object.entries(e.tbfRules as Record<string, { outcome: string; value?: number }>)) {
      const got = findingsOf(response as Card).find((f) => f.rule === rule);
      expect({ rule, outcome: got?.outcome }).toEqual({ rule, outcome: want.outcome });
      if (want.value !== undefined) expect(got?.value).toBeCloseTo(want.value, 6);
    }
  } else {
    expect(response).toBeUndefined();
  }
}

/** The order-check cards against the manifest's `orderCheck`. */
export function expectOrderCheckCards(cards: readonly Card[], s: Scenario): void {
  const want = s.expected.orderCheck;
  expectValidCards(cards);
  const check = cardOfKind(cards, 'order-check');
  if (want.outcome === null) {
    expect(check).toBeUndefined();
    return;
  }
  expect(check).toBeDefined();
  const c = check as Card;
  expect(c.indicator).toBe(want.indicator);
  expect(findingsOf(c).find((f) => f.rule === 'order-check')).toMatchObject({ outcome: want.outcome });
  const deletes = (c.suggestions ?? []).flatMap((sg) => (sg.actions ?? []).filter((a) => a.type === 'delete').map((a) => a.resourceId));
  expect(deletes.sort()).toEqual([...want.deleteSuggestions].sort());
  for (const kept of want.notDeleted ?? []) expect(deletes).not.toContain(kept);
  // The detail as a reader sees it: record text is backslash-escaped in the Markdown (src/cds/markdown.ts).
  const shown = (c.detail ?? '').replace(/\\(.)/g, '$1');
  for (const order of want.inductionOrders ?? []) expect(c.detail).toContain(order);
  for (const order of want.regimenOrders ?? []) expect(c.detail).toContain(order);
  // (v2, spec section 6) the card says how each agent was recognised, so that a clinician can check it.
  const how: Record<string, string> = {
    'ingredient-code': 'by ingredient code',
    'product-code': 'by product code',
    'medication-ingredient': 'by the ingredient code',
    atc: 'by ATC code',
    name: 'by name',
  };
  for (const [reference, agents] of Object.entries((want.recognisedBy ?? {}) as Record<string, { agent: string; recognisedBy: string }[]>)) {
    for (const a of agents) expect(shown).toContain(`${reference}: ${a.agent}, recognised ${how[a.recognisedBy] ?? '?'}`);
  }
  for (const order of want.concurrentKept ?? []) {
    expect(deletes).not.toContain(order);
    expect(c.detail).toContain(order);
  }
  if (c.indicator === 'warning') {
    expect(c.overrideReasons?.length).toBeGreaterThan(0);
    expect(c.selectionBehavior).toBeDefined();
  }
}
