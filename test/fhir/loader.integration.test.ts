import type { FhirResource } from 'fhir/r4';
import { DEFAULT_CODE_LISTS, PROJECT_CODE_SYSTEM, SYSTEMS } from '../../src/fhir/codes';
import { FhirServerFaultError } from '../../src/fhir/errors';
import { extractInputs } from '../../src/fhir/extract';
import type { LoadRequest } from '../../src/fhir/loader';
import { loadPatientRecord } from '../../src/fhir/loader';
import type { PrefetchKey } from '../../src/fhir/prefetch';
import { PREFETCH_KEYS, prefetchQueries } from '../../src/fhir/prefetch';
import type { FhirTestServer } from '../support/fhir-server';
import { startFhirServer } from '../support/fhir-server';

const TOKEN = 'integration-token';
const PATIENT = 'npc-int-1';
const OTHER = 'npc-int-2';

const subject = (id: string) => ({ reference: `Patient/${id}` });
const obs = (id: string, patientId: string, system: string, code: string): FhirResource => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  subject: subject(patientId),
  code: { coding: [{ system, code }] },
  effectiveDateTime: '2026-01-10',
});

/** Small synthetic record: what the queries must return, and what they must leave out. */
const RESOURCES: FhirResource[] = [
  { resourceType: 'Patient', id: PATIENT, gender: 'male', birthDate: '1970-01-01' },
  { resourceType: 'Patient', id: OTHER },
  {
    resourceType: 'Condition',
    id: 'cond-npc',
    subject: subject(PATIENT),
    code: { coding: [{ system: SYSTEMS.icd10cm, code: 'C11.9' }] },
  },
  obs('obs-t', PATIENT, SYSTEMS.loinc, '21905-5'),
  obs('obs-stage', PATIENT, SYSTEMS.snomed, '399537006'),
  obs('obs-ebv', PATIENT, SYSTEMS.loinc, '47982-4'),
  obs('obs-tbf', PATIENT, PROJECT_CODE_SYSTEM, 'tumor-blood-flow'),
  obs('obs-size', PATIENT, SYSTEMS.loinc, '21889-1'),
  obs('obs-unrelated-code', PATIENT, SYSTEMS.loinc, '718-7'),
  obs('obs-other-patient', OTHER, SYSTEMS.loinc, '21905-5'),
  {
    resourceType: 'Procedure',
    id: 'proc-rt',
    status: 'completed',
    subject: subject(PATIENT),
    code: { coding: [{ system: SYSTEMS.snomed, code: '1217123003' }] },
    performedPeriod: { start: '2026-02-01' },
  },
  {
    resourceType: 'Procedure',
    id: 'proc-unrelated',
    status: 'completed',
    subject: subject(PATIENT),
    code: { coding: [{ system: SYSTEMS.snomed, code: '80146002' }] },
    performedDateTime: '2025-12-01',
  },
  {
    resourceType: 'MedicationAdministration',
    id: 'medadmin-ondansetron',
    status: 'completed',
    subject: subject(PATIENT),
    medicationCodeableConcept: { coding: [{ system: SYSTEMS.rxnorm, code: '26225' }] },
    effectiveDateTime: '2025-12-15',
  },
  {
    resourceType: 'MedicationAdministration',
    id: 'medadmin-cisplatin',
    status: 'completed',
    subject: subject(PATIENT),
    medicationCodeableConcept: { coding: [{ system: SYSTEMS.rxnorm, code: '2555' }] },
    effectiveDateTime: '2026-01-20',
  },
];

const ids = (resources: readonly { id?: string | undefined }[]): (string | undefined)[] => resources.map((r) => r.id).sort();

describe('loading the patient record from a real FHIR server', () => {
  let server: FhirTestServer;
  let fetchRequest: LoadRequest;
  // A generous deadline instead of the production one (3 s): these tests are about what is read, not how fast.
  const options = () => ({ allowedFhirServers: [server.baseUrl], deadlineMs: 30_000 });

  /** What a CDS client does to satisfy the prefetch templates: run each query against its FHIR server. */
  async function prefetchFromServer(keys: readonly PrefetchKey[]): Promise<Record<string, unknown>> {
    const queries = prefetchQueries(PATIENT, DEFAULT_CODE_LISTS);
    const prefetch: Record<string, unknown> = {};
    for (const key of keys) {
      const res = await fetch(`${server.baseUrl}/${queries[key]}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      prefetch[key] = await res.json();
    }
    server.requests.length = 0;
    return prefetch;
  }

  beforeEach(async () => {
    server = await startFhirServer({ bearerToken: TOKEN });
    await server.seed(RESOURCES);
    fetchRequest = {
      patientId: PATIENT,
      fhirServer: server.baseUrl,
      fhirAuthorization: { access_token: TOKEN, token_type: 'Bearer', expires_in: 300, scope: 'patient/*.read', subject: 'npc-cds' },
    };
  });

  afterEach(async () => {
    await server.close();
  });

  test('with no prefetch, every key is fetched: the patient’s Observations with the listed codes, and all of the patient’s Procedures and MedicationAdministrations (clinical-spec section 4, v2)', async () => {
    const { record, sources } = await loadPatientRecord(fetchRequest, options());

    expect(record.patient?.id).toBe(PATIENT);
    expect(ids(record.conditions)).toEqual(['cond-npc']);
    expect(ids(record.observations)).toEqual(['obs-ebv', 'obs-size', 'obs-stage', 'obs-t', 'obs-tbf']);
    expect(ids(record.procedures)).toEqual(['proc-rt', 'proc-unrelated']);
    expect(ids(record.medicationAdministrations)).toEqual(['medadmin-cisplatin', 'medadmin-ondansetron']);
    for (const key of PREFETCH_KEYS) {
      expect(sources[key]).toMatchObject({ from: 'fhir-server', pages: 1 });
    }
    expect(sources.observations.count).toBe(5);
  });

  test('fetching with no prefetch gives exactly the record that the same data given as prefetch gives', async () => {
    const prefetch = await prefetchFromServer(PREFETCH_KEYS);

    const fromPrefetch = await loadPatientRecord({ patientId: PATIENT, prefetch }, { allowedFhirServers: [] });
    expect(server.requests).toEqual([]);
    const fetched = await loadPatientRecord(fetchRequest, options());

    expect(fetched.record).toEqual(fromPrefetch.record);
    for (const key of PREFETCH_KEYS) {
      expect(fromPrefetch.sources[key].from).toBe('prefetch');
      expect(fromPrefetch.sources[key].count).toBe(fetched.sources[key].count);
    }
  });

  test('the bearer token of fhirAuthorization is sent: the server, which requires it, answers every query', async () => {
    await loadPatientRecord(fetchRequest, options());
    expect(server.requests).toHaveLength(PREFETCH_KEYS.length);
  });

  test('with a token the server refuses, every key is a server fault with HTTP 401', async () => {
    const request = { ...fetchRequest, fhirAuthorization: { access_token: 'wrong', token_type: 'Bearer' } };
    const error: unknown = await loadPatientRecord(request, options()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FhirServerFaultError);
    const failures = (error as FhirServerFaultError).failures;
    expect(failures.map((f) => f.key).sort()).toEqual([...PREFETCH_KEYS].sort());
    expect(failures.every((f) => f.reason === 'http-error' && f.status === 401)).toBe(true);
  });

  test('with a partial prefetch, only the missing keys are fetched', async () => {
    const prefetch = await prefetchFromServer(['patient', 'conditions', 'observations']);

    const { record, sources } = await loadPatientRecord({ ...fetchRequest, prefetch }, options());

    expect(server.requests.map((r) => r.split('?')[0]).sort()).toEqual(['/fhir/MedicationAdministration', '/fhir/Procedure']);
    expect(sources.patient.from).toBe('prefetch');
    expect(sources.observations.from).toBe('prefetch');
    expect(sources.procedures.from).toBe('fhir-server');
    expect(sources.medicationAdministrations.from).toBe('fhir-server');
    expect(ids(record.procedures)).toEqual(['proc-rt', 'proc-unrelated']);
  });

  test('extraction still selects treatment by code: the earlier unrelated procedure and medication fetched with them do not start treatment', async () => {
    const { record } = await loadPatientRecord(fetchRequest, options());
    const { treatment } = extractInputs(record, '2026-03-01T00:00:00Z', { codes: DEFAULT_CODE_LISTS });
    expect(treatment.rtStart?.reference).toBe('Procedure/proc-rt');
    expect(treatment.start?.reference).toBe('MedicationAdministration/medadmin-cisplatin');
  });

  test('when the prefetch holds null for observations, nothing is fetched for them and the record has none', async () => {
    const prefetch = { ...(await prefetchFromServer(PREFETCH_KEYS)), observations: null };

    const { record, sources } = await loadPatientRecord({ ...fetchRequest, prefetch }, options());

    expect(server.requests).toEqual([]);
    expect(record.observations).toEqual([]);
    expect(sources.observations).toEqual({ from: 'prefetch-null', count: 0 });
  });

  test('a prefetch value that is an OperationOutcome is fetched from the server instead', async () => {
    const prefetch = {
      ...(await prefetchFromServer(PREFETCH_KEYS)),
      conditions: { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'timeout' }] },
    };

    const { record, sources } = await loadPatientRecord({ ...fetchRequest, prefetch }, options());

    expect(server.requests.map((r) => r.split('?')[0])).toEqual(['/fhir/Condition']);
    expect(sources.conditions.from).toBe('fhir-server');
    expect(ids(record.conditions)).toEqual(['cond-npc']);
  });

  test('a prefetch Bundle holding another patient’s resource is not used; the key is fetched instead', async () => {
    const prefetch = await prefetchFromServer(PREFETCH_KEYS);
    prefetch['observations'] = {
      resourceType: 'Bundle',
      type: 'searchset',
      entry: [{ resource: RESOURCES.find((r) => r.id === 'obs-other-patient') }],
    };

    const { record, sources } = await loadPatientRecord({ ...fetchRequest, prefetch }, options());

    expect(sources.observations.from).toBe('fhir-server');
    expect(ids(record.observations)).not.toContain('obs-other-patient');
  });

  test('a patient the server does not know is a server fault with HTTP 404 for the patient key', async () => {
    const error: unknown = await loadPatientRecord({ ...fetchRequest, patientId: 'unknown-patient' }, options()).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(FhirServerFaultError);
    expect((error as FhirServerFaultError).failures).toEqual([{ key: 'patient', reason: 'http-error', status: 404 }]);
  });
});
