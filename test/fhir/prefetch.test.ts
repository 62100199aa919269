import { DEFAULT_CODE_LISTS, PROJECT_CODE_SYSTEM, SYSTEMS, withCodeListOverrides } from '../../src/fhir/codes';
import {
  PATIENT_ID_TOKEN,
  PREFETCH_KEYS,
  PREFETCH_RESOURCE_TYPES,
  prefetchQueries,
  prefetchTemplates,
} from '../../src/fhir/prefetch';

/** The code parameter's tokens, split on unescaped commas. */
function codeTokens(template: string): string[] {
  const code = new URLSearchParams(template.split('?')[1]).get('code') ?? '';
  return code.split(/(?<!\\),/);
}

describe('prefetch templates', () => {
  const templates = prefetchTemplates();

  test('the patient template is an instance read of the patient in context', () => {
    expect(templates.patient).toBe(`Patient/${PATIENT_ID_TOKEN}`);
  });

  test.each(PREFETCH_KEYS.filter((k) => k !== 'patient'))(
    'the %s template is a type search by patient with token equality only (CDS Hooks 2.0 prefetch query restrictions)',
    (key) => {
      const [path, query] = templates[key].split('?');
      expect(path).toBe(PREFETCH_RESOURCE_TYPES[key]);
      const names = [...new URLSearchParams(query).keys()];
      expect(names.every((n) => n === 'patient' || n === 'code')).toBe(true);
      expect(new URLSearchParams(query).get('patient')).toBe(PATIENT_ID_TOKEN);
    },
  );

  test('the observations template asks for staging, EBV DNA, every project code and mCODE tumor size', () => {
    const tokens = codeTokens(templates.observations);
    expect(tokens).toEqual(
      expect.arrayContaining([
        `${SYSTEMS.loinc}|21905-5`,
        `${SYSTEMS.snomed}|399504009`,
        `${SYSTEMS.loinc}|21908-9`,
        `${SYSTEMS.loinc}|47982-4`,
        `${SYSTEMS.loinc}|21889-1`,
        ...Object.values(DEFAULT_CODE_LISTS.project).map((code) => `${PROJECT_CODE_SYSTEM}|${code}`),
      ]),
    );
    expect(new Set(tokens).size).toBe(tokens.length);
  });

  test('the procedures and medication templates ask for the radiotherapy and chemotherapy codes', () => {
    expect(codeTokens(templates.procedures)).toEqual(DEFAULT_CODE_LISTS.radiotherapy.map((c) => `${c.system}|${c.code}`));
    expect(codeTokens(templates.medicationAdministrations)).toEqual(
      DEFAULT_CODE_LISTS.chemotherapy.map((c) => `${c.system}|${c.code}`),
    );
  });

  test('a configured project CodeSystem URL is used in the observations template', () => {
    const site = prefetchTemplates(withCodeListOverrides({ projectSystem: 'https://hospital.example/cs/npc' }));
    expect(codeTokens(site.observations)).toContain('https://hospital.example/cs/npc|tumor-blood-flow');
  });

  test('a configured code with FHIR search special characters is escaped, not split', () => {
    const odd = withCodeListOverrides({ radiotherapy: [{ system: 'urn:x&y', code: 'a,b|c' }] });
    expect(codeTokens(prefetchTemplates(odd).procedures)).toEqual(['urn:x&y|a\\,b\\|c']);
  });
});

describe('prefetch queries', () => {
  test('the queries are the templates with the patient id filled in', () => {
    const queries = prefetchQueries('abc-123.x');
    for (const key of PREFETCH_KEYS) {
      expect(queries[key]).toBe(prefetchTemplates()[key].replaceAll(PATIENT_ID_TOKEN, 'abc-123.x'));
    }
  });

  test.each(['', 'a/b', 'a&code=x', 'x'.repeat(65)])('the patient id %j is not a FHIR id and is refused', (id) => {
    expect(() => prefetchQueries(id)).toThrow(RangeError);
  });
});
