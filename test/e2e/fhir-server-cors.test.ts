/// <reference lib="dom" />
/**
 * CORS as a browser enforces it (Node's fetch does not): a page on one origin, in headless Chromium, calls the
 * embedded FHIR server on another origin the way the CDS Hooks Sandbox does: GET /metadata, a form POST to
 * _search with an Authorization header (so a preflight), and a create whose Location header it reads.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { startFhirServer, type FhirTestServer } from '../../src/demo/fhir-server';
import { inFreshPage, launchChromium } from '../support/browser';

jest.setTimeout(60_000);

const TOKEN = 'browser-token';

let browser: Browser;
let page: Server;
let pageOrigin: string;

beforeAll(async () => {
  browser = await launchChromium();
  page = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>client</title><p>a browser client on its own origin</p>');
  });
  await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
  pageOrigin = `http://127.0.0.1:${(page.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await browser.close();
  await new Promise<void>((resolve) => page.close(() => resolve()));
});

interface Seen {
  readonly fhirVersion?: string | undefined;
  readonly searchIds?: string[];
  readonly location?: string | null;
  readonly error?: string;
}

/** What a page on `pageOrigin` gets from the FHIR server at `baseUrl`, or the error the browser raised. */
function callFromPage(baseUrl: string): Promise<Seen> {
  return inFreshPage(browser, 'fhir-server-cors', async (p) => {
    await p.goto(`${pageOrigin}/`);
    return p.evaluate(
      async ({ base, token }): Promise<Seen> => {
        try {
          const auth = { authorization: `Bearer ${token}`, accept: 'application/fhir+json' };
          const metadata = (await (await fetch(`${base}/metadata`, { headers: auth })).json()) as { fhirVersion?: string };
          const search = await fetch(`${base}/Observation/_search`, {
            method: 'POST',
            headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({ patient: 'pat-1', code: 'http://loinc.org|21905-5' }).toString(),
          });
          const bundle = (await search.json()) as { entry?: { resource?: { id?: string } }[] };
          const created = await fetch(`${base}/Patient`, { method: 'POST', headers: { ...auth, 'content-type': 'application/fhir+json' }, body: '{"resourceType":"Patient"}' });
          return { fhirVersion: metadata.fhirVersion, searchIds: (bundle.entry ?? []).map((e) => e.resource?.id ?? ''), location: created.headers.get('location') };
        } catch (error) {
          return { error: String(error) };
        }
      },
      { base: baseUrl, token: TOKEN },
    );
  });
}

async function seeded(options: Parameters<typeof startFhirServer>[0]): Promise<FhirTestServer> {
  const server = await startFhirServer({ bearerToken: TOKEN, ...options });
  await server.seed([
    { resourceType: 'Patient', id: 'pat-1' },
    { resourceType: 'Observation', id: 'obs-t', status: 'final', subject: { reference: 'Patient/pat-1' }, code: { coding: [{ system: 'http://loinc.org', code: '21905-5' }] } },
  ]);
  return server;
}

test('a page on another origin reads metadata, searches by form POST with a token and reads a created resource’s Location', async () => {
  const server = await seeded({});
  try {
    const seen = await callFromPage(server.baseUrl);
    expect(seen).toEqual({ fhirVersion: '4.0.1', searchIds: ['obs-t'], location: expect.stringMatching(new RegExp(`^${server.baseUrl}/Patient/[\\w-]+/_history/[\\w-]+$`)) as unknown });
  } finally {
    await server.close();
  }
});

test('a page on an origin not in corsOrigins is stopped by the browser', async () => {
  const server = await seeded({ corsOrigins: ['http://127.0.0.1:1'] });
  try {
    const seen = await callFromPage(server.baseUrl);
    expect(seen.error).toMatch(/Failed to fetch/);
  } finally {
    await server.close();
  }
});
