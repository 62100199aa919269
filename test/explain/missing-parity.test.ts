/**
 * Issue 14: the missing-data card and the SMART app's "Missing" list come from one decision
 * (src/core/needs.ts) and one set of sentences (src/explain): for every fixture scenario they list the
 * same needs, in the same order, in the same words.
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

/** The bullet lines of the card detail's "What is missing" section. */
function cardNeedLines(detail: string): string[] {
  const section = detail.split('### What is missing, and what it is needed for\n')[1];
  if (section === undefined) return [];
  const lines: string[] = [];
  for (const line of section.split('\n').slice(0)) {
    if (line.startsWith('- ')) lines.push(line.slice(2));
    else if (lines.length > 0) break;
  }
  return lines;
}

const cases = scenarios.map((s) => {
  const record = recordFromBundle(loadBundle(s.file), s.patientId);
  const extraction = extractInputs(record, s.now, { codes: DEFAULT_CODE_LISTS, thresholds: DEFAULT_THRESHOLDS });
  const assessment = assessPatient(extraction.inputs, DEFAULT_THRESHOLDS, s.normalization);
  const cards = patientViewCards({ serviceId: 'test', patientId: s.patientId, extraction, assessment, thresholds: DEFAULT_THRESHOLDS, templates, newUuid: randomUUID });
  const card = cards.find((c) => c.kind === 'missing-data')?.card;
  const app = pageModel({ record, extraction, assessment, thresholds: DEFAULT_THRESHOLDS, codes: DEFAULT_CODE_LISTS, needPatientBanner: true }).inputs.missing;
  return { name: s.file.replace('.bundle.json', ''), card, app };
});

describe('the missing-data card and the app list the same needs in the same words', () => {
  test('the fixtures include patients with and without a missing-data card', () => {
    expect(cases.some((c) => c.card !== undefined)).toBe(true);
    expect(cases.some((c) => c.card === undefined)).toBe(true);
  });

  test.each(cases)('$name: the app lists what the card lists', ({ card, app }) => {
    expect(cardNeedLines(card?.detail ?? '')).toEqual(app.map((l) => l.text));
    if (card === undefined) return;
    const labels = [...new Set(app.map((l) => l.label))];
    const listed = card.summary.replace('NPC decision support needs more data: ', '').replace(/ and more$/, '').split(', ');
    expect(labels.slice(0, listed.length)).toEqual(listed);
  });
});
