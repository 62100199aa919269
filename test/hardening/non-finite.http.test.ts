/**
 * A number beyond the double range (`1e999`) is valid JSON that `JSON.parse` reads as Infinity (issue 19,
 * item 8). It used to make its prefetch key unreadable, and with no fhirServer to fall back on the caller got
 * a misleading 412 "data unobtainable". Now it is a 400 that names where the number is.
 */
import request from 'supertest';
import { nonFiniteNumberPath } from '../../src/cds/errors';
import { patientViewRequest, scenarioClock, testApp, type TestApp } from '../support/app';

const FIXTURE = 'complete-pre-treatment-high-ictos';
const HOOK = '/cds-services/npc-treatment-guidance';

let t: TestApp;
beforeAll(async () => {
  t = await testApp({ now: scenarioClock(FIXTURE) });
});
afterAll(() => t.close());

/** The fixture's patient-view request as JSON text, with the first Quantity value replaced by `literal`. */
function withFirstQuantity(literal: string): { text: string; key: string } {
  const body = patientViewRequest(FIXTURE) as unknown as { prefetch: Record<string, unknown> };
  const key = Object.keys(body.prefetch).find((k) => /"valueQuantity":\{"value":-?[\d.]+/.test(JSON.stringify(body.prefetch[k])));
  if (key === undefined) throw new Error('the fixture has no Quantity in its prefetch');
  const text = JSON.stringify(body).replace(/("valueQuantity":\{"value":)-?[\d.]+/, `$1${literal}`);
  return { text, key };
}

describe('numbers too large to represent', () => {
  test.each([
    ['a finite body', { a: [1, 2, { b: 3 }] }, undefined],
    ['Infinity at the top', Infinity, []],
    ['-Infinity in an array', { a: [1, -Infinity] }, ['a', 1]],
    ['NaN deep inside', { a: { b: [{ c: 'x' }, { d: NaN }] } }, ['a', 'b', 1, 'd']],
    ['the first of two, in document order', { x: [Infinity], y: Infinity }, ['x', 0]],
    ['a string that reads "Infinity" is not a number', { a: 'Infinity' }, undefined],
  ])('%s: nonFiniteNumberPath gives the path to it, or undefined', (_case, body, path) => {
    expect(nonFiniteNumberPath(body)).toEqual(path);
  });

  test('a nesting deeper than the call stack is walked without overflowing it', () => {
    let deep: unknown = Infinity;
    for (let i = 0; i < 200_000; i += 1) deep = [deep];
    expect(nonFiniteNumberPath(deep)).toHaveLength(200_000);
  });

  test.each([
    ['an array', (inner: unknown) => [1, inner]],
    ['an object', (inner: unknown) => ({ n: 1, inner })],
  ])('a body nested 200,000 levels deep in %s is finite when it is, and its Infinity is found at the bottom', (_kind, wrap) => {
    let finite: unknown = 1;
    let infinite: unknown = Infinity;
    for (let i = 0; i < 200_000; i += 1) {
      finite = wrap(finite);
      infinite = wrap(infinite);
    }
    expect(nonFiniteNumberPath(finite)).toBeUndefined();
    expect(nonFiniteNumberPath(infinite)).toHaveLength(200_000);
  });

  test.each(['1e999', '-1e999', '123e400'])('a Quantity value of %s in the prefetch is a 400 naming the prefetch member, not a 412', async (literal) => {
    const { text, key } = withFirstQuantity(literal);
    const res = await request(t.app).post(HOOK).set('Content-Type', 'application/json').send(text);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ status: 400, code: 'number-out-of-range' });
    expect(res.body.error.field).toMatch(new RegExp(`^prefetch\\.${key}\\.`));
    expect(res.body.error.field).toMatch(/valueQuantity\.value$/);
    expect(res.body.error.message).toMatch(/too large to represent/);
  });

  test('the largest finite double is still read as a number, and the request is answered', async () => {
    const { text } = withFirstQuantity('1.7976931348623157e308');
    const res = await request(t.app).post(HOOK).set('Content-Type', 'application/json').send(text);
    expect(res.status).toBe(200);
  });

  test('feedback with an Infinity is a 400 naming the member', async () => {
    const text = '{"feedback":[{"card":"c","outcome":"accepted","outcomeTimestamp":"2026-03-02T00:00:00Z","extra":1e999}]}';
    const res = await request(t.app).post(`${HOOK}/feedback`).set('Content-Type', 'application/json').send(text);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'number-out-of-range', field: 'feedback.0.extra' });
  });
});
