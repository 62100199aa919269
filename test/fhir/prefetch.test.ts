import { DEFAULT_CODE_LISTS, PROJECT_CODE_SYSTEM, SYSTEMS, withCodeListOverrides } from '../../src/fhir/codes';
import {
  encodeSearchValue,
  escapeSearchLiteral,
  PATIENT_ID_TOKEN,
  PREFETCH_KEYS,
  PREFETCH_RESOURCE_TYPES,
  prefetchQueries,
  prefetchTemplates,
  resolvePrefetchTemplate,
} from '../../src/fhir/prefetch';

/** The raw (percent-encoded) value of the `code` parameter of a template. */
const rawCode = (template: string): string => /[?&]code=([^&]*)/.exec(template)?.[1] ?? '';

/** The code parameter's tokens as a server reads them: split on the literal commas, then each percent-decoded. */
function codeTokens(template: string): string[] {
  return rawCode(template)
    .split(',')
    .map((t) => decodeURIComponent(t.replace(/\+/g, ' ')));
}

/** What URLSearchParams makes of one value. */
const urlSearchParamsEncoded = (value: string): string => new URLSearchParams({ v: value }).toString().slice(2);

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

  test.each([
    ['procedures', 'Procedure?patient={{context.patientId}}'],
    ['medicationAdministrations', 'MedicationAdministration?patient={{context.patientId}}'],
  ] as const)('the %s template asks for every record of the patient, not only the short code lists (clinical-spec section 4, v2)', (key, expected) => {
    expect(templates[key]).toBe(expected);
  });

  test('every token of the observations template is percent-encoded exactly as URLSearchParams encodes it, the separating commas literal', () => {
    const raw = rawCode(templates.observations);
    expect(raw.split(',')).toEqual(codeTokens(templates.observations).map(urlSearchParamsEncoded));
    expect(raw.startsWith('http%3A%2F%2Floinc.org%7C21905-5,')).toBe(true);
  });

  test.each(PREFETCH_KEYS)('the %s template has no "/", ":" or "|" in its query, so a proxy that collapses "//" cannot change it', (key) => {
    const query = templates[key].split('?')[1] ?? '';
    expect(query).not.toMatch(/[/:|]/);
  });

  test('a configured project CodeSystem URL is used in the observations template', () => {
    const site = prefetchTemplates(withCodeListOverrides({ projectSystem: 'https://hospital.example/cs/npc' }));
    expect(codeTokens(site.observations)).toContain('https://hospital.example/cs/npc|tumor-blood-flow');
  });

  test.each<[string, string, string]>([
    ['a comma', 'a,b', 'urn:x|a\\,b'],
    ['a vertical bar', 'a|b', 'urn:x|a\\|b'],
    ['a dollar sign', 'a$b', 'urn:x|a\\$b'],
    ['a backslash', 'a\\b', 'urn:x|a\\\\b'],
    ['a space and an ampersand', 'a b&c', 'urn:x|a b&c'],
  ])('a configured code with %s is FHIR-escaped, then percent-encoded, and not split', (_name, code, token) => {
    const odd = withCodeListOverrides({ ebvDna: [{ system: 'urn:x', code }] });
    const tokens = codeTokens(prefetchTemplates(odd).observations);
    expect(tokens).toContain(token);
    expect(tokens).toHaveLength(codeTokens(templates.observations).length);
  });
});

describe('encoding search values', () => {
  test.each<[string, string]>([
    ['http://loinc.org|21905-5', 'http%3A%2F%2Floinc.org%7C21905-5'],
    ['a,b', 'a,b'],
    ['a\\,b', 'a%5C%2Cb'],
    ['a\\\\,b', 'a%5C%5C,b'],
    ['x y+z', 'x+y%2Bz'],
    ["!'()~*", '%21%27%28%29%7E*'],
  ])('the FHIR search value %j is sent as %j', (value, encoded) => {
    expect(encodeSearchValue(value)).toBe(encoded);
  });

  test('escapeSearchLiteral puts a backslash before each of \\ , | and $', () => {
    expect(escapeSearchLiteral('a\\b,c|d$e')).toBe('a\\\\b\\,c\\|d\\$e');
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

describe('resolving a prefetch template as an EHR does', () => {
  test.each(PREFETCH_KEYS)('our %s template comes out as the query the service itself would run', (key) => {
    expect(resolvePrefetchTemplate(prefetchTemplates()[key], { patientId: 'pat-1' })).toBe(prefetchQueries('pat-1')[key]);
  });

  test.each<[string, string, Record<string, unknown>, string]>([
    ['an unencoded template is encoded, the commas kept', 'Observation?patient={{context.patientId}}&code=http://loinc.org|1-8,http://loinc.org|2-6', { patientId: 'p' }, 'Observation?patient=p&code=http%3A%2F%2Floinc.org%7C1-8,http%3A%2F%2Floinc.org%7C2-6'],
    ['a FHIR-escaped comma stays one value', 'Observation?code=urn:x|a\\,b', {}, 'Observation?code=urn%3Ax%7Ca%5C%2Cb'],
    ['a context value is escaped as a literal', 'Observation?performer={{context.userId}}', { userId: 'Practitioner/a,b' }, 'Observation?performer=Practitioner%2Fa%5C%2Cb'],
    ['a path token is percent-encoded', 'Encounter/{{context.encounterId}}', { encounterId: 'e 1' }, 'Encounter/e%201'],
    ['a token without a value becomes empty', 'Encounter?patient={{context.missing}}', {}, 'Encounter?patient='],
  ])('%s', (_name, template, context, expected) => {
    expect(resolvePrefetchTemplate(template, context)).toBe(expected);
  });
});
