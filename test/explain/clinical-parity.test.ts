/**
 * Issue 14: the cards and the SMART app say the same things about a patient in the same words, because
 * both take them from the explanation layer (src/explain). For every fixture scenario, what the app
 * shows of ICTOS, the clinical risk, the recommendation, the TBF rules and the limitations is found,
 * word for word, in the card that covers it.
 */
import { randomUUID } from 'node:crypto';
import { patientViewCards } from '../../src/cds/cards';
import { CardTemplates } from '../../src/cds/templates';
import { assessPatient, DEFAULT_THRESHOLDS } from '../../src/core';
import { pageModel } from '../../src/app/view-model';
import { DEFAULT_CODE_LISTS } from '../../src/fhir/codes';
import { extractInputs } from '../../src/fhir/extract';
import { loadBundle, recordFromBundle, scenarios } from '../support/scenarios';

const templates = CardTemplates.load();

/** The card's Markdown read as text: escapes and emphasis removed. */
const asText = (md: string): string => md.replace(/\\(.)/g, '$1').replace(/\*\*/g, '');

const cases = scenarios.map((s) => {
  const record = recordFromBundle(loadBundle(s.file), s.patientId);
  const extraction = extractInputs(record, s.now, { codes: DEFAULT_CODE_LISTS, thresholds: DEFAULT_THRESHOLDS });
  const assessment = assessPatient(extraction.inputs, DEFAULT_THRESHOLDS, s.normalization);
  const cards = patientViewCards({ serviceId: 'test', patientId: s.patientId, extraction, assessment, thresholds: DEFAULT_THRESHOLDS, templates, newUuid: randomUUID });
  const detail = (kind: string) => {
    const c = cards.find((x) => x.kind === kind)?.card.detail;
    return c === undefined ? undefined : asText(c);
  };
  const page = pageModel({ record, extraction, assessment, thresholds: DEFAULT_THRESHOLDS, codes: DEFAULT_CODE_LISTS, needPatientBanner: true });
  return { name: s.file.replace('.bundle.json', ''), treatment: detail('treatment-selection'), response: detail('response-prediction'), page };
});

const withTreatment = cases.filter((c) => c.treatment !== undefined);
const withResponse = cases.filter((c) => c.response !== undefined);

describe('the cards and the app explain a patient in the same words', () => {
  test('the fixtures give both kinds of card', () => {
    expect(withTreatment.length).toBeGreaterThan(5);
    expect(withResponse.length).toBeGreaterThan(5);
  });

  test.each(withTreatment)('$name: the treatment-selection card says what the app says of ICTOS, the risk and the recommendation', ({ treatment, page }) => {
    const card = treatment ?? '';
    expect(card).toContain(page.ictos.formula);
    expect(card).toContain(page.ictos.result);
    expect(card).toContain(page.recommendation.heading);
    for (const line of page.recommendation.evidence) expect(card).toContain(line.text);
    for (const line of page.recommendation.limitations) expect(card).toContain(line.text);
    // High ICTOS: Dong 2019 did not stratify by risk, so the card has no risk line (the app still lists the factors).
    if (page.recommendation.kind === 'ict-ccrt') return;
    expect(card).toContain(page.risk.rule);
    for (const factor of page.risk.factors) expect(card).toContain(factor.label);
  });

  test.each(withResponse)('$name: the response card says what the app says of each TBF rule', ({ response, page }) => {
    const card = response ?? '';
    for (const rule of page.tbf.rules) {
      expect(card).toContain(`${rule.parameter} ${rule.value} vs cutoff ${rule.cutoff}`);
      expect(card).toContain(rule.outcome);
    }
    for (const line of page.tbf.limitations) expect(card).toContain(line.text);
  });
});
