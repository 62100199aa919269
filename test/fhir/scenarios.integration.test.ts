/**
 * Every scenario fixture, fetched from a real in-process FHIR R4 server exactly as in production (no
 * prefetch), must give the same rule inputs as the same scenario handed over as prefetch. The server holds
 * other patients' data too (test/support/scenario-servers.ts).
 */
import type { Bundle, FhirResource } from 'fhir/r4';
import { assessPatient } from '../../src/core';
import { extractInputs } from '../../src/fhir/extract';
import { loadPatientRecord } from '../../src/fhir/loader';
import { startScenarioServers, type ScenarioServers } from '../support/scenario-servers';
import { loadBundle, resourcesOf, scenarios } from '../support/scenarios';

/** The in-process server scans every stored resource per search: a generous deadline, this test is about equality, not speed. */
const DEADLINE_MS = 30_000;
// Above the deadline: a slow fetch fails as the loader's error, not as a test timeout.
jest.setTimeout(2 * DEADLINE_MS);

const TOKEN = 'scenario-token';
let servers: ScenarioServers;

beforeAll(async () => {
  servers = await startScenarioServers({ bearerToken: TOKEN });
});
afterAll(() => servers.close());

/** The scenario as a CDS Hooks prefetch: one searchset Bundle per key, the Patient as a resource. */
function asPrefetch(resources: FhirResource[], patientId: string): Record<string, unknown> {
  const searchset = (type: FhirResource['resourceType']): Bundle => ({
    resourceType: 'Bundle',
    type: 'searchset',
    entry: resources.filter((r) => r.resourceType === type).map((resource) => ({ resource })),
  });
  return {
    patient: resources.find((r) => r.resourceType === 'Patient' && r.id === patientId) ?? null,
    conditions: searchset('Condition'),
    observations: searchset('Observation'),
    procedures: searchset('Procedure'),
    medicationAdministrations: searchset('MedicationAdministration'),
  };
}

describe.each(scenarios.map((s) => ({ s, name: s.file.replace('.bundle.json', '') })))('scenario $name', ({ s }) => {
  test('fetched from the FHIR server, it gives exactly the inputs and conclusions it gives as prefetch', async () => {
    const server = servers.serverFor(s);
    const options = { allowedFhirServers: [server.baseUrl], deadlineMs: DEADLINE_MS };
    const fetched = await loadPatientRecord(
      { patientId: s.patientId, fhirServer: server.baseUrl, fhirAuthorization: { access_token: TOKEN, token_type: 'Bearer' } },
      options,
    );
    const given = await loadPatientRecord({ patientId: s.patientId, prefetch: asPrefetch(resourcesOf(loadBundle(s.file)), s.patientId) }, options);

    expect(Object.values(fetched.sources).every((src) => src.from === 'fhir-server')).toBe(true);
    expect(Object.values(given.sources).every((src) => src.from === 'prefetch')).toBe(true);

    // The same resources arrived both ways (the fixtures hold only resources the queries select).
    for (const key of ['conditions', 'observations', 'procedures', 'medicationAdministrations'] as const) {
      expect({ key, count: fetched.sources[key].count }).toEqual({ key, count: given.sources[key].count });
    }
    expect(fetched.record.patient?.id).toBe(s.patientId);

    const viaServer = extractInputs(fetched.record, s.now);
    const viaPrefetch = extractInputs(given.record, s.now);
    expect(viaServer.inputs).toEqual(viaPrefetch.inputs);
    expect(viaServer.found).toEqual(viaPrefetch.found);
    expect(assessPatient(viaServer.inputs, undefined, s.normalization)).toEqual(
      assessPatient(viaPrefetch.inputs, undefined, s.normalization),
    );
  });
});
