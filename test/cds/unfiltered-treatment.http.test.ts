/**
 * The Procedure and MedicationAdministration prefetch and queries are no longer filtered by the short
 * code lists (clinical-spec section 4, v2), so their bundles hold every procedure and every medication
 * administration of the patient: a hospital medication administration record runs to hundreds of
 * entries. Such a record, as prefetch and from the FHIR server, gives the cards of the same patient
 * without the unrelated records: extraction selects treatment by code itself.
 */
import type { FhirResource, MedicationAdministration, Procedure } from 'fhir/r4';
import request from 'supertest';
import type { Card } from '../../src/cds/card-schema';
import { SYSTEMS } from '../../src/fhir/codes';
import { expectPatientViewCards, findingsOf } from '../support/card-expectations';
import { patientViewRequest, scenario, scenarioClock, SERVICE_IDS, testApp } from '../support/app';
import { startFhirServer, type FhirTestServer } from '../support/fhir-server';
import { loadBundle, resourcesOf } from '../support/scenarios';

jest.setTimeout(30_000);

const TOKEN = 'unfiltered-token';
/** In the prefetch: a year of an inpatient's record. */
const IN_PREFETCH = { procedures: 400, administrations: 1200 };
/**
 * On the in-process FHIR server, fewer: its MemoryRepository searches by scanning every stored resource
 * (about 1 ms each on this machine), which says nothing of an indexed server; the deadline is raised for the same reason.
 */
const ON_SERVER = { procedures: 30, administrations: 90 };
const FIXTURES = ['complete-pre-treatment-high-ictos', 'treatment-started-radiotherapy', 'induction-chemotherapy-before-rt'] as const;

/** Procedures and administrations no code list names (venous access, imaging, antiemetics, fluids, analgesics), before and after the fixture's dates. */
function unrelated(patientId: string, counts: { procedures: number; administrations: number }): { procedures: Procedure[]; administrations: MedicationAdministration[] } {
  const subject = { reference: `Patient/${patientId}` };
  const day = (i: number) => new Date(Date.UTC(2025, 9, 1) + (i % 240) * 86_400_000).toISOString();
  const procedureCodes = ['80146002', '392230005', '241615005', '14768001'];
  const drugCodes = ['26225', '3264', '161', '7052', '9863'];
  return {
    procedures: Array.from({ length: counts.procedures }, (_, i) => ({
      resourceType: 'Procedure',
      id: `${patientId}-other-proc-${i}`,
      status: 'completed',
      subject,
      code: { coding: [{ system: SYSTEMS.snomed, code: procedureCodes[i % procedureCodes.length] ?? '80146002' }], text: 'unrelated procedure' },
      performedDateTime: day(i),
    })),
    administrations: Array.from({ length: counts.administrations }, (_, i) => ({
      resourceType: 'MedicationAdministration',
      id: `${patientId}-other-mar-${i}`,
      status: 'completed',
      subject,
      medicationCodeableConcept: { coding: [{ system: SYSTEMS.rxnorm, code: drugCodes[i % drugCodes.length] ?? '26225' }], text: 'unrelated medication' },
      effectiveDateTime: day(i),
      dosage: { route: { text: 'intravenous' }, dose: { value: 8, unit: 'mg', system: SYSTEMS.ucum, code: 'mg' } },
    })),
  };
}

const searchset = (resources: readonly FhirResource[]) => ({ resourceType: 'Bundle', type: 'searchset', entry: resources.map((resource) => ({ resource })) });
const conclusions = (cards: Card[]) => cards.map((c) => ({ summary: c.summary, findings: findingsOf(c) }));

let fhir: FhirTestServer;
beforeAll(async () => {
  fhir = await startFhirServer({ bearerToken: TOKEN });
  for (const file of FIXTURES) {
    const extra = unrelated(scenario(file).patientId, ON_SERVER);
    await fhir.seed([...resourcesOf(loadBundle(`${file}.bundle.json`)).filter((r) => r.resourceType !== 'MedicationRequest'), ...extra.procedures, ...extra.administrations]);
  }
});
afterAll(() => fhir.close());

describe.each(FIXTURES)('%s with many unrelated procedures and administrations', (file) => {
  test('as prefetch, within the default body limit, gives the cards of the record without them', async () => {
    const t = await testApp({ now: scenarioClock(file) });
    const plain = await request(t.app).post(`/cds-services/${SERVICE_IDS['patient-view']}`).send(patientViewRequest(file));
    const body = patientViewRequest(file);
    const extra = unrelated(scenario(file).patientId, IN_PREFETCH);
    const prefetch = body.prefetch as Record<string, { entry: { resource: FhirResource }[] }>;
    body.prefetch = {
      ...prefetch,
      procedures: searchset([...(prefetch['procedures']?.entry ?? []).map((e) => e.resource), ...extra.procedures]),
      medicationAdministrations: searchset([...(prefetch['medicationAdministrations']?.entry ?? []).map((e) => e.resource), ...extra.administrations]),
    };
    const size = Buffer.byteLength(JSON.stringify(body));
    expect(size).toBeGreaterThan(300 * 1024);
    expect(size).toBeLessThan(t.config.bodyLimitBytes);
    const big = await request(t.app).post(`/cds-services/${SERVICE_IDS['patient-view']}`).send(body);
    await t.close();
    expect(big.status).toBe(200);
    expectPatientViewCards(big.body.cards, scenario(file));
    expect(conclusions(big.body.cards)).toEqual(conclusions(plain.body.cards));
  });

  test('from the FHIR server, with no prefetch, gives the manifest\u2019s cards', async () => {
    const t = await testApp({ now: scenarioClock(file), config: { allowedFhirServers: [fhir.baseUrl], fhirDeadlineMs: 15_000 } });
    const res = await request(t.app)
      .post(`/cds-services/${SERVICE_IDS['patient-view']}`)
      .send(patientViewRequest(file, { prefetch: false, extra: { fhirServer: fhir.baseUrl, fhirAuthorization: { access_token: TOKEN, token_type: 'Bearer', expires_in: 300, scope: 'patient/*.read', subject: 'npc-cds' } } }));
    await t.close();
    expect(res.status).toBe(200);
    expectPatientViewCards(res.body.cards, scenario(file));
  });
});
