/**
 * A site's CODE_LISTS_FILE, with no other change: the configuration is read from the environment, the
 * app is built from it, and discovery's prefetch templates and the service's own FHIR queries follow
 * the site's code lists (the templates are built from the code lists at start-up, never copied).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FhirResource } from 'fhir/r4';
import request from 'supertest';
import type { Card } from '../../src/cds/card-schema';
import { loadConfig, type Config } from '../../src/config';
import { PROJECT_CODE_SYSTEM } from '../../src/fhir/codes';
import { findingsOf } from '../support/card-expectations';
import { NO_EVENT_LOOP_SHEDDING, REPO_ROOT, scenario, scenarioClock, SERVICE_IDS, TEST_FHIR_DEADLINE_MS, testApp } from '../support/app';
import { startFhirServer, type FhirTestServer } from '../support/fhir-server';
import { loadBundle, resourcesOf } from '../support/scenarios';

const SITE_SYSTEM = 'https://hospital.example/fhir/CodeSystem/npc';
const SITE_EBV = { system: 'http://hospital.example/fhir/lab', code: 'EBV DNA,plasma$PCR' };
const FIXTURE = 'complete-pre-treatment-high-ictos';
const TOKEN = 'site-token';

/** The fixture as the site records it: the project codes under the site's CodeSystem, EBV DNA under its own lab code. */
function siteRecord(): FhirResource[] {
  const text = JSON.stringify(resourcesOf(loadBundle(`${FIXTURE}.bundle.json`)))
    .replaceAll(JSON.stringify(PROJECT_CODE_SYSTEM), JSON.stringify(SITE_SYSTEM))
    .replaceAll('{"system":"http://loinc.org","code":"47982-4"', `{"system":${JSON.stringify(SITE_EBV.system)},"code":${JSON.stringify(SITE_EBV.code)}`);
  return JSON.parse(text) as FhirResource[];
}

function siteConfig(): Config {
  const dir = mkdtempSync(path.join(tmpdir(), 'npc-cds-site-'));
  const file = path.join(dir, 'code-lists.json');
  writeFileSync(file, JSON.stringify({ projectSystem: SITE_SYSTEM, ebvDna: [SITE_EBV] }));
  return { ...loadConfig({ DEMO: 'off', CODE_LISTS_FILE: file, ...NO_EVENT_LOOP_SHEDDING }, REPO_ROOT), fhirDeadlineMs: TEST_FHIR_DEADLINE_MS };
}

const conclusions = (cards: Card[]) => cards.map((c) => ({ summary: c.summary, findings: findingsOf(c).map(({ rule, outcome, value }) => ({ rule, outcome, value })) }));

let fhir: FhirTestServer;
let siteFhir: FhirTestServer;
beforeAll(async () => {
  fhir = await startFhirServer({ bearerToken: TOKEN });
  await fhir.seed(resourcesOf(loadBundle(`${FIXTURE}.bundle.json`)));
  siteFhir = await startFhirServer({ bearerToken: TOKEN });
  await siteFhir.seed(siteRecord());
});
afterAll(async () => {
  await fhir.close();
  await siteFhir.close();
});

describe('a site CODE_LISTS_FILE and nothing else', () => {
  test('the service starts, and discovery\u2019s observations prefetch asks for the site\u2019s codes instead of the defaults', async () => {
    const t = await testApp({ config: siteConfig() });
    const res = await request(t.app).get('/cds-services');
    expect(res.status).toBe(200);
    const services = res.body.services as { id: string; prefetch: Record<string, string> }[];
    expect(services).toHaveLength(3);
    for (const s of services) {
      const code = new URLSearchParams(s.prefetch['observations']?.split('?')[1]).get('code') ?? '';
      expect(code).toContain(`${SITE_SYSTEM}|tumor-blood-flow`);
      expect(code).toContain('http://hospital.example/fhir/lab|EBV DNA\\,plasma\\$PCR');
      expect(code).not.toContain(PROJECT_CODE_SYSTEM);
      expect(code).not.toContain('47982-4');
    }
    await t.close();
  });

  test('with no prefetch, the service reads the site\u2019s codes from its FHIR server and concludes as the default lists do on the default codes', async () => {
    const call = async (config: Partial<Config>, server: FhirTestServer) => {
      const t = await testApp({ config: { ...config, allowedFhirServers: [server.baseUrl] }, now: scenarioClock(FIXTURE) });
      const res = await request(t.app)
        .post(`/cds-services/${SERVICE_IDS['patient-view']}`)
        .send({
          hook: 'patient-view',
          hookInstance: 'b8c5e3f0-7d1a-4c2e-9f3b-2a6d5e8c1f40',
          context: { userId: 'Practitioner/site', patientId: scenario(FIXTURE).patientId },
          fhirServer: server.baseUrl,
          fhirAuthorization: { access_token: TOKEN, token_type: 'Bearer', expires_in: 300, scope: 'patient/*.read', subject: 'npc-cds' },
        });
      await t.close();
      expect(res.status).toBe(200);
      return res.body.cards as Card[];
    };
    const site = await call(siteConfig(), siteFhir);
    const defaults = await call({}, fhir);
    expect(site.length).toBeGreaterThan(0);
    expect(conclusions(site)).toEqual(conclusions(defaults));
    const inputs = site.flatMap((c) => findingsOf(c).flatMap((f) => f.inputs.map((i) => i.name)));
    expect(inputs).toEqual(expect.arrayContaining(['ictos', 'pre-tbf', 'ebv-dna']));
  });
});
