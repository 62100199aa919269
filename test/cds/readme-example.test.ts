/** The request the README's curl sends (examples/) gets cards back, so that the README stays true. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { buildApp } from '../../src/express-app';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { exampleRequest } from '../../src/example-request';
import { openSqliteStore } from '../../src/store/sqlite';
import { NO_EVENT_LOOP_SHEDDING } from '../support/app';


test('the README example request gets a treatment-selection card and a response-prediction card', async () => {
  const root = path.resolve(__dirname, '../..');
  const store = await openSqliteStore(':memory:');
  // Today, on the real clock, as the README's curl sends it: the example dated by `npm run example-request`.
  const app = await buildApp({ config: loadConfig({ ...NO_EVENT_LOOP_SHEDDING }, root), store, logger: createLogger('silent') });
  const body = exampleRequest();
  const res = await request(app).post('/cds-services/npc-treatment-guidance').send(body);
  expect(res.status).toBe(200);
  expect(res.body.cards.map((c: { source: { topic: { code: string } } }) => c.source.topic.code)).toEqual(['treatment-selection', 'response-prediction']);
  await store.close();
});

test('the example as stored is stale today: sent undated, its ICTOS is too old for the recommendation', async () => {
  const root = path.resolve(__dirname, '../..');
  const store = await openSqliteStore(':memory:');
  const app = await buildApp({ config: loadConfig({ ...NO_EVENT_LOOP_SHEDDING }, root), store, logger: createLogger('silent'), now: () => new Date('2026-12-02T00:00:00Z') });
  const body = JSON.parse(readFileSync(path.join(root, 'examples/patient-view-request.json'), 'utf8'));
  const res = await request(app).post('/cds-services/npc-treatment-guidance').send(body);
  expect(res.body.cards.map((c: { source: { topic: { code: string } } }) => c.source.topic.code)).not.toContain('treatment-selection');
  await store.close();
});
