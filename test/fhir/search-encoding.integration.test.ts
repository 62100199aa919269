/**
 * How the percent-encoded prefetch queries are read by a real FHIR server (the in-process
 * @medplum/fhir-router server of src/demo), and by a client that re-encodes templates as the CDS Hooks
 * Sandbox does. FHIR R4 search, "Escaping Search Parameters": the `\` escapes are "at a different level
 * to the % encoding that applies to all URL parameters": the server undoes the % encoding first, then
 * splits on unescaped `,` and `|`.
 */
import type { Bundle, FhirResource } from 'fhir/r4';
import { DEFAULT_CODE_LISTS, SYSTEMS, withCodeListOverrides } from '../../src/fhir/codes';
import { PREFETCH_KEYS, prefetchQueries, prefetchTemplates } from '../../src/fhir/prefetch';
import { startFhirServer, type FhirTestServer } from '../support/fhir-server';

const PATIENT = 'enc-1';
const obs = (id: string, system: string, code: string): FhirResource => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  subject: { reference: `Patient/${PATIENT}` },
  code: { coding: [{ system, code }] },
});

const RESOURCES: FhirResource[] = [
  { resourceType: 'Patient', id: PATIENT },
  { resourceType: 'Condition', id: 'enc-cond', subject: { reference: `Patient/${PATIENT}` }, code: { coding: [{ system: SYSTEMS.icd10cm, code: 'C11.9' }] } },
  obs('t', SYSTEMS.loinc, '21905-5'),
  obs('stage', SYSTEMS.snomed, '399537006'),
  obs('comma', 'urn:x', 'a,b'),
  obs('a', 'urn:x', 'a'),
  obs('b', 'urn:x', 'b'),
  obs('dollar', 'urn:x', 'a$b'),
  obs('backslash', 'urn:x', 'a\\b'),
  obs('space', 'urn:x', 'a b+c'),
  { resourceType: 'Procedure', id: 'enc-rt', status: 'completed', subject: { reference: `Patient/${PATIENT}` }, code: { coding: [{ system: SYSTEMS.snomed, code: '1217123003' }] } },
  { resourceType: 'Procedure', id: 'enc-other', status: 'completed', subject: { reference: `Patient/${PATIENT}` }, code: { coding: [{ system: SYSTEMS.snomed, code: '80146002' }] } },
  { resourceType: 'MedicationAdministration', id: 'enc-cis', status: 'completed', subject: { reference: `Patient/${PATIENT}` }, medicationCodeableConcept: { coding: [{ system: SYSTEMS.rxnorm, code: '2555' }] } },
];

let server: FhirTestServer;
beforeAll(async () => {
  server = await startFhirServer();
  await server.seed(RESOURCES);
});
afterAll(() => server.close());

async function ids(relative: string): Promise<string[]> {
  const res = await fetch(`${server.baseUrl}/${relative}`);
  expect(res.status).toBe(200);
  const body = (await res.json()) as Bundle | FhirResource;
  if (body.resourceType !== 'Bundle') return [body.id ?? ''];
  return (body.entry ?? []).map((e) => e.resource?.id ?? '').sort();
}

describe('the in-process FHIR server reads percent-encoded token searches', () => {
  test.each<[string, string, string[]]>([
    ['two encoded tokens joined by a literal comma are OR', 'code=http%3A%2F%2Floinc.org%7C21905-5,http%3A%2F%2Fsnomed.info%2Fsct%7C399537006', ['stage', 't']],
    ['an encoded comma between tokens is OR too (R4: standard % escaping still applies)', 'code=urn%3Ax%7Ca%2Curn%3Ax%7Cb', ['a', 'b']],
    ['an escaped comma, percent-encoded, is one code', 'code=urn%3Ax%7Ca%5C%2Cb', ['comma']],
    ['an escaped dollar sign, percent-encoded, is one code', 'code=urn%3Ax%7Ca%5C%24b', ['dollar']],
    ['an escaped backslash, percent-encoded, is one code', 'code=urn%3Ax%7Ca%5C%5Cb', ['backslash']],
    ['a space sent as + and a plus sent as %2B', 'code=urn%3Ax%7Ca+b%2Bc', ['space']],
    ['an unencoded system URL still works when nothing rewrites the URL', 'code=http://loinc.org|21905-5', ['t']],
  ])('%s', async (_name, query, expected) => {
    expect(await ids(`Observation?patient=${PATIENT}&${query}`)).toEqual(expected);
  });

  test.each<[string, string, string[]]>([
    ['a comma', 'a,b', ['comma']],
    ['a dollar sign', 'a$b', ['dollar']],
    ['a backslash', 'a\\b', ['backslash']],
    ['a space and a plus', 'a b+c', ['space']],
  ])('a configured code with %s is found, and only it, by the observations query', async (_name, code, expected) => {
    const codes = withCodeListOverrides({ tCategory: [], stageGroup: [], ebvDna: [{ system: 'urn:x', code }] });
    expect(await ids(prefetchQueries(PATIENT, codes).observations)).toEqual(expected);
  });

  test('the procedures and medication queries return every record of the patient, whatever its code', async () => {
    expect(await ids(prefetchQueries(PATIENT).procedures)).toEqual(['enc-other', 'enc-rt']);
    expect(await ids(prefetchQueries(PATIENT).medicationAdministrations)).toEqual(['enc-cis']);
  });
});

/**
 * A template filled in as the CDS Hooks Sandbox does (src/retrieve-data-helpers/service-exchange.js,
 * read for its behaviour): the token replaced by the raw patient id; each query value decoded and
 * encoded again with encodeURIComponent (so the separating commas become %2C); then parsed and
 * serialized with URLSearchParams for its POST `_search` body or its GET fallback. Written here with
 * the platform's own functions.
 */
function asTheSandboxSends(template: string, patientId: string): string {
  const filled = template.replaceAll('{{context.patientId}}', patientId);
  const [path, query] = filled.split('?');
  if (query === undefined) return filled;
  const reencoded = [...new URLSearchParams(query)].map(([name, value]) => `${name}=${encodeURIComponent(value)}`).join('&');
  return `${path ?? ''}?${new URLSearchParams(reencoded).toString()}`;
}

describe('a client that re-encodes the templates as the CDS Hooks Sandbox does', () => {
  test.each(PREFETCH_KEYS)('gets the same %s as the service\u2019s own query', async (key) => {
    const sent = asTheSandboxSends(prefetchTemplates(DEFAULT_CODE_LISTS)[key], PATIENT);
    const ours = await ids(prefetchQueries(PATIENT)[key]);
    expect(ours.length).toBeGreaterThan(0);
    expect(await ids(sent)).toEqual(ours);
  });

  test('decodes our encoded values back to the FHIR tokens, not to a double-encoded text', () => {
    const sent = asTheSandboxSends(prefetchTemplates(DEFAULT_CODE_LISTS).observations, PATIENT);
    const code = new URLSearchParams(sent.split('?')[1]).get('code') ?? '';
    expect(code.split(',')).toContain(`${SYSTEMS.loinc}|21905-5`);
    expect(code).not.toContain('%');
  });
});
