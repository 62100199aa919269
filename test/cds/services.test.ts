import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadServices, SERVICES_DIR } from '../../src/cds/services';
import { DEFAULT_CODE_LISTS, withCodeListOverrides } from '../../src/fhir/codes';
import { prefetchTemplates } from '../../src/fhir/prefetch';

const copyWith = (mutate: (s: Record<string, unknown>) => void) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'npc-cds-services-'));
  for (const f of readdirSync(SERVICES_DIR)) {
    const s = JSON.parse(readFileSync(path.join(SERVICES_DIR, f), 'utf8'));
    if (f === 'npc-treatment-guidance.json') mutate(s);
    writeFileSync(path.join(dir, f), JSON.stringify(s));
  }
  return dir;
};

describe('the CDS service definitions in cds-hooks/', () => {
  test('define the patient-view service and the order check on order-select and order-sign', () => {
    expect(loadServices(DEFAULT_CODE_LISTS).map((s) => [s.id, s.hook])).toEqual([
      ['npc-induction-order-check-select', 'order-select'],
      ['npc-induction-order-check-sign', 'order-sign'],
      ['npc-treatment-guidance', 'patient-view'],
    ]);
  });

  test('the files hold no prefetch: it is not written twice', () => {
    for (const f of readdirSync(SERVICES_DIR)) {
      expect(Object.keys(JSON.parse(readFileSync(path.join(SERVICES_DIR, f), 'utf8')))).not.toContain('prefetch');
    }
  });

  test.each<[string, (s: Record<string, unknown>) => void, string]>([
    ['an unsupported hook', (s) => (s['hook'] = 'encounter-start'), 'hook'],
    ['a missing title', (s) => delete s['title'], 'title'],
    ['an id that is not URL-safe', (s) => (s['id'] = 'NPC Guidance'), 'id'],
    ['a prefetch of its own', (s) => (s['prefetch'] = { conditions: 'Condition?patient={{context.patientId}}' }), 'remove "prefetch"'],
  ])('a definition with %s stops start-up', (_name, mutate, word) => {
    expect(() => loadServices(DEFAULT_CODE_LISTS, copyWith(mutate))).toThrow(word);
  });

  test('every service gets the prefetch templates built from the code lists it is given', () => {
    const codes = withCodeListOverrides({ ebvDna: [{ system: 'http://loinc.org', code: '00000-0' }] });
    for (const service of loadServices(codes)) {
      expect(service.prefetch).toEqual(prefetchTemplates(codes));
      expect(service.prefetch.observations).toContain('http%3A%2F%2Floinc.org%7C00000-0');
    }
  });
});
