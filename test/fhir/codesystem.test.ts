import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { CodeSystem } from 'fhir/r4';
import { DEFAULT_CODE_LISTS, PROJECT_CODE_SYSTEM } from '../../src/fhir/codes';

const codeSystem = JSON.parse(
  readFileSync(path.resolve(__dirname, '../../fhir/CodeSystem-npc-biomarkers.json'), 'utf8'),
) as CodeSystem;

describe('the published project CodeSystem', () => {
  test('has the canonical URL the code lists use', () => {
    expect(codeSystem).toMatchObject({ resourceType: 'CodeSystem', url: PROJECT_CODE_SYSTEM, content: 'complete' });
  });

  test('defines exactly the project codes of the code lists (measurements and calibration outcomes), each with a display and a definition', () => {
    const concepts = codeSystem.concept ?? [];
    const listed = [...Object.values(DEFAULT_CODE_LISTS.project), ...Object.values(DEFAULT_CODE_LISTS.calibrationOutcomes)];
    expect(concepts.map((c) => c.code).sort()).toEqual(listed.sort());
    expect(codeSystem.count).toBe(concepts.length);
    for (const c of concepts) {
      expect(c.display?.length).toBeGreaterThan(0);
      expect(c.definition?.length).toBeGreaterThan(20);
    }
  });

  test('marks every SNOMED CT code in the code lists for verification before clinical use', () => {
    const all = Object.values(DEFAULT_CODE_LISTS).flatMap((v) => (Array.isArray(v) ? v : typeof v === 'object' ? Object.values(v).flat() : []));
    const snomed = all.filter((c): c is { system: string; verify?: true } => typeof c === 'object' && c !== null && (c as { system?: string }).system === 'http://snomed.info/sct');
    expect(snomed.length).toBeGreaterThan(20);
    expect(snomed.every((c) => c.verify === true)).toBe(true);
  });
});
