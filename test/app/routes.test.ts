/**
 * The SMART app's routes on the service (/app/): its configuration, the security headers of its pages,
 * the redirect from /app to the launch page, and static files only from the app's folder.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { parseSmartAppConfig } from '../../src/app/app-config-schema';
import { DEFAULT_THRESHOLDS } from '../../src/core';
import { DEFAULT_SELECTION } from '../../src/fhir/selection';
import { TEST_SMART_FHIR_DEADLINE_MS, testApp, testConfig } from '../support/app';

const dir = mkdtempSync(path.join(tmpdir(), 'npc-cds-app-routes-'));
writeFileSync(path.join(dir, 'launch.html'), '<!doctype html><title>launch</title>');
writeFileSync(path.join(dir, 'main.js'), 'console.log(1)');
const base = testConfig();
const smartApp = { ...base.smartApp, clientId: 'npc-test', redirectUrl: 'https://cds.example/app/index.html', standaloneIss: 'https://fhir.example/r4', allowedIss: ['https://fhir.example/r4'], dir };

describe('the SMART app under /app/', () => {
  test('/app/config.json gives the app its registration and the service\u2019s own thresholds and code lists, and the app accepts it', async () => {
    const { app, close } = await testApp({ config: { smartApp } });
    const res = await request(app).get('/app/config.json').expect(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toMatchObject({ clientId: 'npc-test', redirectUri: 'https://cds.example/app/index.html', standaloneIss: 'https://fhir.example/r4', allowedIss: ['https://fhir.example/r4'], fhirDeadlineMs: TEST_SMART_FHIR_DEADLINE_MS });
    // (v2) with the data-selection settings, so that the app selects the data as the service does.
    expect(res.body.thresholds).toEqual(JSON.parse(JSON.stringify({ ...DEFAULT_THRESHOLDS, selection: DEFAULT_SELECTION })));
    expect(res.body.codes.projectSystem).toBe('https://npc-cds.org/fhir/CodeSystem/npc-biomarkers');
    expect(parseSmartAppConfig(res.body).ok).toBe(true);
    await close();
  });

  test('/favicon.ico is a 16 × 16 icon, for the app and the demo page alike', async () => {
    const { app, close } = await testApp({ config: { smartApp } });
    const res = await request(app).get('/favicon.ico').buffer(true).parse((r, done) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => done(null, Buffer.concat(chunks)));
    }).expect(200);
    expect(res.headers['content-type']).toBe('image/x-icon');
    const ico = res.body as Buffer;
    expect([ico.readUInt16LE(0), ico.readUInt16LE(2), ico.readUInt16LE(4), ico.readUInt8(6), ico.readUInt8(7)]).toEqual([0, 1, 1, 16, 16]);
    expect(ico.length).toBe(22 + ico.readUInt32LE(14));
    await close();
  });

  test('the app refuses a configuration without its client id', () => {
    const parsed = parseSmartAppConfig({ scope: 'x', redirectUri: 'https://a.example/', fhirDeadlineMs: 1, thresholds: {}, codes: {} });
    expect(parsed).toMatchObject({ ok: false, message: expect.stringContaining('clientId') });
  });

  test('pages are served with a content security policy that forbids inline script, and no referrer', async () => {
    const { app, close } = await testApp({ config: { smartApp } });
    const res = await request(app).get('/app/launch.html').expect(200);
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.headers['content-security-policy']).not.toContain('unsafe');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['cache-control']).toBe('no-store');
    await close();
  });

  test('/app and /app/ lead to the launch page with the EHR\u2019s launch parameters kept', async () => {
    const { app, close } = await testApp({ config: { smartApp } });
    const res = await request(app).get('/app?iss=https%3A%2F%2Ffhir.example%2Fr4&launch=abc').expect(302);
    expect(res.headers['location']).toBe('/app/launch.html?iss=https%3A%2F%2Ffhir.example%2Fr4&launch=abc');
    await request(app).get('/app/').expect(302).expect('Location', '/app/launch.html');
    await close();
  });

  test('nothing outside the app folder is served, and an unknown file is a JSON 404', async () => {
    const { app, close } = await testApp({ config: { smartApp } });
    await request(app).get('/app/main.js').expect(200);
    const res = await request(app).get('/app/..%2Fpackage.json').expect(404);
    expect(res.body).toMatchObject({ error: { code: 'not-found', status: 404 } });
    await request(app).get('/app/nope.js').expect(404);
    await close();
  });
});
