/** The request the README's curl sends (examples/) gets cards back, so that the README stays true. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { buildApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { openSqliteStore } from '../../src/store/sqlite';

/** The example's data are dated February 2026: sent within their recency windows (clinical-spec.md section 4, v2). */
const EXAMPLE_DAY = new Date('2026-03-01T00:00:00Z');

test('the README example request gets a treatment-selection card and a response-prediction card', async () => {
  const root = path.resolve(__dirname, '../..');
  const store = await openSqliteStore(':memory:');
  const app = await buildApp({ config: loadConfig({}, root), store, logger: createLogger('silent'), now: () => EXAMPLE_DAY });
  const body = JSON.parse(readFileSync(path.join(root, 'examples/patient-view-request.json'), 'utf8'));
  const res = await request(app).post('/cds-services/npc-treatment-guidance').send(body);
  expect(res.status).toBe(200);
  expect(res.body.cards.map((c: { source: { topic: { code: string } } }) => c.source.topic.code)).toEqual(['treatment-selection', 'response-prediction']);
  await store.close();
});
