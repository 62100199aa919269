import { parseSmartAppConfig } from '../../src/app/app-config-schema';

const VALID = {
  clientId: 'npc-cds',
  scope: 'openid fhirUser',
  redirectUri: 'https://cds.example/app/index.html',
  allowedIss: ['https://ehr.example/fhir'],
  fhirDeadlineMs: 3000,
  thresholds: { tbf: { id: 'liu-2022' }, ictos: { id: 'dong-2019' } },
  codes: { projectSystem: 'https://npc-cds.example/CodeSystem/npc-cds' },
};

// This file loads only the app's check (zod/mini), as the launch page does: the messages must still be English.
describe("the app's check of its configuration, on its own as on the launch page", () => {
  test('a complete configuration is accepted as it came', () => {
    expect(parseSmartAppConfig(VALID)).toEqual({ ok: true, config: VALID });
  });

  test.each([
    { name: 'a missing client id', change: { clientId: undefined }, message: '✖ Invalid input: expected string, received undefined;   → at clientId' },
    { name: 'an empty scope', change: { scope: '' }, message: '✖ Too small: expected string to have >=1 characters;   → at scope' },
    { name: 'a redirect URI that is not a URL', change: { redirectUri: 'index.html' }, message: '✖ Invalid URL;   → at redirectUri' },
    { name: 'a fractional deadline', change: { fhirDeadlineMs: 1.5 }, message: '✖ Invalid input: expected int, received number;   → at fhirDeadlineMs' },
    { name: 'a deadline of 0', change: { fhirDeadlineMs: 0 }, message: '✖ Too small: expected number to be >0;   → at fhirDeadlineMs' },
  ])('$name is refused with an English message naming the field', ({ change, message }) => {
    expect(parseSmartAppConfig({ ...VALID, ...change })).toEqual({ ok: false, message: `The app's configuration is invalid: ${message}` });
  });
});
