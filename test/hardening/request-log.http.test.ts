/**
 * The request log names a request by its route template, never by its path or query (issue 19, item 6):
 * a path outside the CDS services may carry a patient's id or name.
 */
import request from 'supertest';
import { testApp, type TestApp } from '../support/app';

const PHI = ['MRN-998877', 'Jane', 'Doe', '998877'];

let t: TestApp;

beforeAll(async () => {
  t = await testApp({ logs: true, config: { adminToken: 'admin-secret-token-0123456789' } });
});

afterAll(() => t.close());

interface LogLine {
  readonly msg: string;
  readonly route?: string;
  readonly status?: number;
}

/** The lines logged while `send` runs, parsed. */
async function linesOf(send: () => PromiseLike<unknown>): Promise<{ raw: string[]; parsed: LogLine[] }> {
  const before = t.logs().length;
  await send();
  const raw = t.logs().slice(before);
  return { raw, parsed: raw.map((l) => JSON.parse(l) as LogLine) };
}

describe('the request log line', () => {
  test.each([
    ['an unmatched path naming a patient', 'get', '/fhir/Patient/MRN-998877-Jane-Doe', '(unmatched)', 404],
    ['an unmatched path with a query naming a patient', 'get', '/fhir/Patient?identifier=MRN-998877&name=Jane%20Doe', '(unmatched)', 404],
    ['an unmatched percent-encoded path', 'get', '/Jane%20Doe/MRN-998877', '(unmatched)', 404],
    ['an unmatched POST', 'post', '/fhir/Patient/MRN-998877-Jane-Doe/_history', '(unmatched)', 404],
    ['an unknown CDS service named after a patient', 'post', '/cds-services/MRN-998877-Jane-Doe', '/cds-services/:id', 404],
    ['feedback to an unknown CDS service named after a patient', 'post', '/cds-services/MRN-998877-Jane-Doe/feedback', '/cds-services/:id/feedback', 404],
    ['a wrong method on a service, with a query', 'get', '/cds-services/npc-treatment-guidance?patient=MRN-998877-Jane-Doe', '/cds-services/:id', 405],
    ['discovery with a query', 'get', '/cds-services?patient=Jane-Doe', '/cds-services', 200],
    ['health with a query', 'get', '/health?patient=MRN-998877-Jane-Doe', '/health', 200],
    ['the admin report with a query', 'get', '/admin/report?since=MRN-998877-Jane-Doe', '/admin/report', 401],
    ['a file of the SMART app that does not exist', 'get', '/app/MRN-998877-Jane-Doe.html', '/app/*', 404],
    ['the SMART app configuration', 'get', '/app/config.json?patient=Jane-Doe', '/app/config.json', 200],
    ['the SMART app root with a launch query', 'get', '/app/?iss=https://ehr.example/fhir&launch=MRN-998877-Jane-Doe', '/app', 302],
  ] as const)('for %s (%s %s) names the route %s and none of the path\u2019s text', async (_case, method, url, route, status) => {
    const { raw, parsed } = await linesOf(() => request(t.app)[method](url).set('content-type', 'application/json').send(method === 'post' ? '{}' : undefined));
    const line = parsed.find((l) => l.msg === 'request');
    expect(line).toMatchObject({ route, status });
    for (const text of raw) for (const phi of PHI) expect(text).not.toContain(phi);
  });
});
