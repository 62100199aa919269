import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { CodeSystem } from 'fhir/r4';
import { CARD_TOPIC_SYSTEM, CARD_TOPICS, OVERRIDE_REASON_SYSTEM, OVERRIDE_REASONS, PATIENT_VIEW_OVERRIDE_REASONS } from '../../src/cds/vocabulary';
import { ORDERABLE_CODES, ORDERABLE_SYSTEM } from '../../src/fhir/suggested-orders';

const read = (file: string) => JSON.parse(readFileSync(path.resolve(__dirname, '../../fhir', file), 'utf8')) as CodeSystem;
const concepts = (cs: CodeSystem) => (cs.concept ?? []).map((c) => ({ code: c.code, display: c.display }));

describe('the published CodeSystems of the card vocabulary', () => {
  test.each([
    ['CodeSystem-card-topic.json', CARD_TOPIC_SYSTEM, Object.values(CARD_TOPICS)],
    ['CodeSystem-override-reason.json', OVERRIDE_REASON_SYSTEM, [...OVERRIDE_REASONS, ...PATIENT_VIEW_OVERRIDE_REASONS.filter((r) => !OVERRIDE_REASONS.some((o) => o.code === r.code))]],
    ['CodeSystem-npc-orderables.json', ORDERABLE_SYSTEM, Object.values(ORDERABLE_CODES).filter((c) => c.system === ORDERABLE_SYSTEM)],
  ])('%s defines exactly the codes and displays the cards use', (file, url, codings) => {
    const cs = read(file);
    expect(cs).toMatchObject({ resourceType: 'CodeSystem', url, content: 'complete', count: codings.length });
    expect(concepts(cs)).toEqual(codings.map((c) => ({ code: c.code, display: c.display })));
    for (const c of cs.concept ?? []) expect(c.definition?.length).toBeGreaterThan(20);
  });
});
