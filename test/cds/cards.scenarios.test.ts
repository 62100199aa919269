import { randomUUID } from 'node:crypto';
import { orderCheckCards, patientViewCards, type CardContext } from '../../src/cds/cards';
import { CardTemplates } from '../../src/cds/templates';
import { assessPatient, DEFAULT_THRESHOLDS } from '../../src/core';
import { extractInputs } from '../../src/fhir/extract';
import { reviewDraftOrders } from '../../src/fhir/orders';
import { draftOrdersFor } from '../support/app';
import { expectOrderCheckCards, expectPatientViewCards } from '../support/card-expectations';
import { loadBundle, recordFromBundle, scenarios, type Scenario } from '../support/scenarios';

const templates = CardTemplates.load();

function context(s: Scenario): CardContext {
  const extraction = extractInputs(recordFromBundle(loadBundle(s.file), s.patientId), s.now);
  const assessment = assessPatient(extraction.inputs, DEFAULT_THRESHOLDS, s.normalization);
  return { serviceId: 'test', patientId: s.patientId, extraction, assessment, thresholds: DEFAULT_THRESHOLDS, templates, newUuid: randomUUID, smartAppUrl: 'https://ehr.example/npc-cds/app/launch' };
}

describe.each(scenarios.map((s) => ({ s, name: s.file.replace('.bundle.json', '') })))('scenario $name', ({ s }) => {
  test('the patient-view cards are the manifest\u2019s and pass the card schema', () => {
    expectPatientViewCards(patientViewCards(context(s)).map((b) => b.card), s);
  });

  if (s.expected.orderCheck !== undefined) {
    test('on order-sign the order check is the manifest\u2019s', () => {
      const review = reviewDraftOrders(draftOrdersFor(s.file));
      expectOrderCheckCards(orderCheckCards(context(s), review).map((b) => b.card), s);
    });

    test('on order-select the order check runs when the induction order is among the selections', () => {
      const drafts = draftOrdersFor(s.file);
      const review = reviewDraftOrders(drafts);
      const all = (drafts.entry ?? []).map((e) => `MedicationRequest/${e.resource?.id ?? ''}`);
      expectOrderCheckCards(orderCheckCards(context(s), review, all).map((b) => b.card), s);
      const platinumOnly = orderCheckCards(context(s), review, review.platinumOnly);
      expect(platinumOnly).toEqual([]);
    });
  }
});

/** Every summary the fixtures produce, patient-view and order check, with the card it belongs to. */
function allSummaries(): { file: string; topic: string; summary: string }[] {
  return scenarios.flatMap((s) => {
    const cards = [...patientViewCards(context(s)), ...(s.expected.orderCheck !== undefined ? orderCheckCards(context(s), reviewDraftOrders(draftOrdersFor(s.file))) : [])];
    return cards.map((b) => ({ file: s.file, topic: b.card.source.topic?.code ?? '', summary: b.card.summary }));
  });
}

// clinical-spec.md section 8 (v2): the wording rules that can be checked mechanically, on every summary the
// fixtures produce. Dong 2019's endpoint is failure-free survival; p = 0.31 is "not associated with a
// significant benefit"; the low-ICTOS tiers are "not yet validated in larger populations" (Discussion).
describe('card summaries follow the wording rules (clinical-spec.md section 8, v2)', () => {
  const summaries = allSummaries();

  test('the fixtures produce summaries of every card kind that has one', () => {
    expect(new Set(summaries.map((x) => x.topic))).toEqual(new Set(['treatment-selection', 'response-prediction', 'missing-data', 'order-check', 'outside-studied-population']));
  });

  test.each(summaries)('$file $topic: "$summary"', ({ summary }) => {
    expect(summary.length).toBeLessThan(140);
    expect(summary).not.toMatch(/survival benefit/i);
    expect(summary).not.toMatch(/\bno (significant )?benefit\b|showed no\b/i);
    for (const m of summary.matchAll(/\bHR \d/g)) expect(summary.slice(m.index)).toMatch(/^HR [\d.]+,? (95% CI )?[\d.]+\u2013[\d.]+/);
    expect(summary).not.toMatch(/High ICTOS \(-?0\)/);
    if (/^Low ICTOS \([^)]*\), (low|high) risk: (CCRT alone|consider a trial)/.test(summary)) expect(summary).toContain('not yet validated in larger populations');
  });
});

// conventions.md findings (v2): a value that is present but unusable is named in `missing` with its reason.
describe('findings name why a present input was unusable (conventions.md, v2)', () => {
  const findingsOfScenario = (file: string) => {
    const s = scenarios.find((x) => x.file === file) as Scenario;
    return patientViewCards(context(s)).flatMap((b) => b.card.extension['org.npc-cds.findings']);
  };
  test.each([
    { file: 'stale-ictos.bundle.json', rule: 'recommendation', problem: { input: 'ictos', reason: 'stale' } },
    { file: 'stale-ebv-dna.bundle.json', rule: 'risk', problem: { input: 'ebv-dna', reason: 'stale' } },
    { file: 'ictos-contradicts-its-features.bundle.json', rule: 'ictos', problem: { input: 'ictos', reason: 'conflicting' } },
    { file: 'tbf-unit-not-convertible.bundle.json', rule: 'pre-tbf-response', problem: { input: 'pre-tbf', reason: 'unconvertible-unit' } },
    { file: 'implausible-tbf.bundle.json', rule: 'pre-tbf-response', problem: { input: 'pre-tbf', reason: 'implausible' } },
  ])('$file: the $rule finding names $problem.input as $problem.reason', ({ file, rule, problem }) => {
    const f = findingsOfScenario(file).find((x) => x.rule === rule);
    expect(f?.missing).toContain(problem.input);
    expect(f?.problems).toContainEqual(problem);
  });

  test('an input that is simply absent carries no problem (low ICTOS, tumor volume not recorded)', () => {
    const f = findingsOfScenario('low-ictos-risk-indeterminate.bundle.json').find((x) => x.rule === 'risk');
    expect(f?.missing).toContain('tumor-volume');
    expect(f?.problems).toBeUndefined();
  });
});

describe('v2 card content, fixture by fixture (issue 13 items 6, 9, 12 and the NCT link)', () => {
  const cardsOf = (file: string) => patientViewCards(context(scenarios.find((x) => x.file === file) as Scenario)).map((b) => b.card);
  const topic = (file: string, code: string) => cardsOf(file).find((c) => c.source.topic?.code === code);

  test('stage not recorded: the caveat is in the recommendation summary, not only in the detail (clinical-spec.md section 2, v2)', () => {
    expect(topic('stage-not-recorded.bundle.json', 'treatment-selection')?.summary).toMatch(/; stage not recorded$/);
  });

  test('raw features z-scored with a site normalization: the card says it is the site\u2019s set, not the study\u2019s (section 4, v2)', () => {
    const detail = topic('ictos-from-raw-features.bundle.json', 'treatment-selection')?.detail ?? '';
    expect(detail).toContain('the site\u2019s set');
    expect(detail).toContain('not the study\u2019s');
    expect(detail).not.toContain('Features must be z-scored with the training cohort\u2019s parameters.');
  });

  test('Liu 2022\u2019s treatment is quoted from its inclusion criteria: cisplatin- or carboplatin-based (Methods)', () => {
    expect(topic('tbf-liu-fig4-patient.bundle.json', 'response-prediction')?.detail).toContain('cisplatin- or carboplatin-based');
  });

  test('the treatment-selection card links to trial NCT01245959 (section 8, v2)', () => {
    expect(topic('complete-pre-treatment-high-ictos.bundle.json', 'treatment-selection')?.links).toContainEqual(
      expect.objectContaining({ url: 'https://clinicaltrials.gov/study/NCT01245959', type: 'absolute' }),
    );
  });

  test('the observed response is shown, labelled observed, with Liu 2022 Table 2 (section 5, v2)', () => {
    const card = topic('observed-response-residual-prediction-expired.bundle.json', 'response-prediction');
    expect(card?.summary).toContain('observed PR at 40 Gy');
    expect(card?.summary).toContain('residual prediction expired');
    const shown = (card?.detail ?? '').replace(/\\(.)/g, '$1');
    expect(shown).toContain('Observed at 40 Gy: tumor atrophy rate');
    expect(shown).toContain('5 of 36 PR patients (13.9%) and 12 of 19 SD patients (63.2%)');
  });

  test('every patient-view card offers override reasons, so a dismissal records why (issue 12)', () => {
    for (const file of ['complete-pre-treatment-high-ictos.bundle.json', 'low-ictos-risk-indeterminate.bundle.json']) {
      for (const card of cardsOf(file)) expect(card.overrideReasons?.length).toBeGreaterThan(0);
    }
  });
});
