/**
 * The admin report reads its Authorization header by scheme and its `since` as ISO 8601 only (issue 19,
 * item 7): a bare token is refused, and `since=0` is a 400, not the year 2000.
 */
import request from 'supertest';
import { bearerToken } from '../../src/cds/admin-auth';
import { parseSince } from '../../src/store/since';
import { testApp, type TestApp } from '../support/app';

const ADMIN = 'admin-token-for-tests-0123456789';
let t: TestApp;

beforeAll(async () => {
  t = await testApp({ config: { adminToken: ADMIN }, logs: true });
});

afterAll(() => t.close());

/** The request line of the last request (written on `finish`, which may follow the client's read). */
async function lastRequestLine(): Promise<Record<string, unknown>> {
  for (let waited = 0; waited < 10_000; waited += 10) {
    const lines = t.logs().map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l['msg'] === 'request');
    const last = lines.at(-1);
    if (last !== undefined) return last;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('no request line');
}

describe('the admin report\u2019s Authorization header', () => {
  test.each([
    ['the bare token, without a scheme', ADMIN, 'missing-scheme'],
    ['another scheme', `Basic ${ADMIN}`, 'wrong-scheme'],
    ['a scheme that only starts like Bearer', `Bearerx ${ADMIN}`, 'wrong-scheme'],
    ['Bearer and nothing', 'Bearer', 'malformed-credentials'],
    ['two spaces before the token', `Bearer  ${ADMIN}`, 'malformed-credentials'],
    ['a tab before the token', `Bearer\t${ADMIN}`, 'missing-scheme'],
    ['two credentials', `Bearer ${ADMIN} ${ADMIN}`, 'malformed-credentials'],
    ['the right token after a wrong one', `Bearer x, Bearer ${ADMIN}`, 'malformed-credentials'],
    ['a wrong token', `Bearer ${ADMIN.slice(0, -1)}8`, 'wrong-admin-token'],
  ])('with %s, GET /admin/report is a 401 with a clear reason, logged without the token', async (_case, authorization, reason) => {
    const res = await request(t.app).get('/admin/report').set('Authorization', authorization);
    expect(res.status).toBe(401);
    expect(res.body.error).toMatchObject({ code: 'unauthorized', field: 'Authorization' });
    expect(res.body.error.message).toMatch(/Bearer|admin token/);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(await lastRequestLine()).toMatchObject({ status: 401, refused: { reason } });
    expect(JSON.stringify(res.body)).not.toContain(ADMIN);
    expect(t.logs().join('')).not.toContain('admin-token-for-tests');
  });

  test.each([
    ['Bearer', `Bearer ${ADMIN}`],
    ['bearer in lower case', `bearer ${ADMIN}`],
    ['BEARER in upper case', `BEARER ${ADMIN}`],
  ])('with the scheme written as %s, the right token gets the report', async (_case, authorization) => {
    const res = await request(t.app).get('/admin/report').set('Authorization', authorization);
    expect(res.status).toBe(200);
    expect(res.body.totals).toBeDefined();
  });

  // HTTP strips the whitespace around a header value before the service sees it; the parser refuses it anyway.
  test.each([
    ['the bare token', ADMIN, 'missing-scheme'],
    ['Bearer and a space', 'Bearer ', 'malformed-credentials'],
    ['a trailing space', `Bearer ${ADMIN} `, 'malformed-credentials'],
    ['a leading space', ` Bearer ${ADMIN}`, 'wrong-scheme'],
    ['a line break in the token', `Bearer ${ADMIN}\n`, 'malformed-credentials'],
  ])('the header parser refuses %s with %s', (_case, header, refused) => {
    expect(bearerToken(header)).toEqual(expect.objectContaining({ refused }));
  });

  test('the header parser returns the one credential after "Bearer "', () => {
    expect(bearerToken(`Bearer ${ADMIN}`)).toEqual({ token: ADMIN });
  });
});

describe('the admin report\u2019s since', () => {
  test.each([
    ['0', '0'],
    ['1', '1'],
    ['a number of milliseconds', '1767225600000'],
    ['a negative number', '-1'],
    ['words', 'yesterday'],
    ['an English date', 'March 1, 2026'],
    ['a date without leading zeros', '2026-1-1'],
    ['a day not on the calendar', '2026-02-30'],
    ['month 13', '2026-13-01'],
    ['a date-time without a zone', '2026-01-01T08:00:00'],
    ['hour 24', '2026-01-01T24:00:00Z'],
    ['an RFC 2822 date', 'Thu, 01 Jan 2026 00:00:00 GMT'],
    ['a week date', '2026-W01'],
    ['a year alone', '2026'],
    ['empty', ''],
  ])('%s (%s) is a 400 naming since', async (_case, since) => {
    const res = await request(t.app).get('/admin/report').query({ since }).set('Authorization', `Bearer ${ADMIN}`);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'bad-request', field: 'since' });
    expect(res.body.error.message).toMatch(/^since: must be an ISO 8601 date/);
  });

  test('since given twice is a 400 naming since', async () => {
    const res = await request(t.app).get('/admin/report?since=2026-01-01&since=2026-02-01').set('Authorization', `Bearer ${ADMIN}`);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ field: 'since' });
  });

  test.each([
    ['a date', '2026-01-01', '2026-01-01T00:00:00.000Z'],
    ['a date-time in UTC', '2026-01-01T08:30:00Z', '2026-01-01T08:30:00.000Z'],
    ['a date-time with an offset', '2026-01-01T08:30+08:00', '2026-01-01T00:30:00.000Z'],
    ['a date-time with a fraction', '2026-01-01T08:30:00.123456Z', '2026-01-01T08:30:00.123Z'],
    ['a leap day', '2028-02-29', '2028-02-29T00:00:00.000Z'],
  ])('%s (%s) is accepted and reported from %s', async (_case, since, instant) => {
    expect(parseSince(since)).toBe(instant);
    const res = await request(t.app).get('/admin/report').query({ since }).set('Authorization', `Bearer ${ADMIN}`);
    expect(res.status).toBe(200);
    expect(res.body.since).toBe(instant);
  });
});
