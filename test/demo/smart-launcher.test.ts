import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import type { Bundle, BundleEntry, CapabilityStatement, Observation, OperationOutcome, Patient } from 'fhir/r4';
import type { FhirTestServer } from '../../src/demo/fhir-server';
import { startFhirServer } from '../../src/demo/fhir-server';
import type { LaunchContext, SmartLauncher, SmartLauncherOptions } from '../../src/demo/smart-launcher';
import { startSmartLauncher } from '../../src/demo/smart-launcher';

const CLIENT_ID = 'npc-app';
const REDIRECT_URI = 'http://127.0.0.1:5173/app/';
const APP_ORIGIN = 'http://127.0.0.1:5173';
const PATIENT = 'pat-1';
const OTHER_PATIENT = 'pat-2';
const READ_SCOPE = 'launch openid fhirUser patient/*.read';
const WRITE_SCOPE = 'launch patient/*.read patient/Observation.write';

interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope: string;
  patient: string;
  encounter?: string;
  need_patient_banner: boolean;
  appContext?: string;
  id_token?: string;
  refresh_token?: string;
  error?: string;
}

interface Answer<T> {
  status: number;
  headers: Headers;
  body: T;
}

const newObservation = (patient: string): Observation => ({
  resourceType: 'Observation',
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '21905-5' }] },
  subject: { reference: `Patient/${patient}` },
});

const observation = (id: string, patient: string, extra: Partial<Observation> = {}): Observation => ({ ...newObservation(patient), id, ...extra });

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(64).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/**
 * A request with its target sent as written, byte for byte, over a plain socket: fetch would resolve dot
 * segments itself, and node:http may be wrapped by an interceptor that parses the target first. HTTP/1.0
 * with `Connection: close`: the answer is not chunked and the server closes the socket after it (the
 * request is written, not ended: a half-closed socket would be dropped before a proxied answer).
 */
function rawRequest(origin: string, method: string, target: string): Promise<{ status: number; contentType: string | undefined; body: string }> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => {
      socket.write(`${method} ${target} HTTP/1.0\r\nHost: ${hostname}:${port}\r\nConnection: close\r\n\r\n`);
    });
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString();
      const headEnd = text.indexOf('\r\n\r\n');
      const [statusLine = '', ...headerLines] = text.slice(0, headEnd).split('\r\n');
      const header = (name: string): string | undefined =>
        headerLines.find((line) => line.toLowerCase().startsWith(`${name}:`))?.slice(name.length + 1).trim();
      resolve({ status: Number(statusLine.split(' ')[1]), contentType: header('content-type'), body: text.slice(headEnd + 4) });
    });
  });
}

async function answer<T>(res: Response): Promise<Answer<T>> {
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text === '' ? undefined : JSON.parse(text)) as T };
}

describe('the SMART launcher', () => {
  let upstream: FhirTestServer;
  let launcher: SmartLauncher;
  let launchId: string;
  const ehrContext: LaunchContext = { patient: PATIENT, encounter: 'enc-1', appContext: 'plan=ict-ccrt', needPatientBanner: false };

  const start = async (overrides: Partial<SmartLauncherOptions> = {}): Promise<SmartLauncher> =>
    startSmartLauncher({
      fhirBaseUrl: upstream.baseUrl,
      clients: [{ clientId: CLIENT_ID, redirectUris: [REDIRECT_URI] }],
      standalonePatient: OTHER_PATIENT,
      fhirUser: 'Practitioner/dr-lee',
      ...overrides,
    });

  /** GET /authorize without following the redirect. */
  async function authorize(params: Record<string, string | undefined>, on: SmartLauncher = launcher): Promise<{ status: number; location: URL | undefined; text: string }> {
    const url = new URL(`${on.origin}/authorize`);
    for (const [name, value] of Object.entries(params)) {
      if (value !== undefined) {
        url.searchParams.set(name, value);
      }
    }
    const res = await fetch(url, { redirect: 'manual' });
    const location = res.headers.get('location');
    return { status: res.status, location: location === null ? undefined : new URL(location), text: await res.text() };
  }

  const authorizeParams = (challenge: string, overrides: Record<string, string | undefined> = {}, on: SmartLauncher = launcher): Record<string, string | undefined> => ({
    response_type: 'code',
    client_id: CLIENT_ID,
    redirect_uri: REDIRECT_URI,
    scope: READ_SCOPE,
    state: 'state-1',
    aud: on.issuer,
    launch: launchId,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...overrides,
  });

  async function exchange(form: Record<string, string>, on: SmartLauncher = launcher): Promise<Answer<TokenResponse>> {
    const res = await fetch(`${on.origin}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams(form).toString(),
    });
    return answer<TokenResponse>(res);
  }

  /** An authorization code for these authorize parameters, with its verifier. */
  async function codeFor(overrides: Record<string, string | undefined> = {}, on: SmartLauncher = launcher): Promise<{ code: string; verifier: string }> {
    const { verifier, challenge } = pkce();
    const { location } = await authorize(authorizeParams(challenge, overrides, on), on);
    const code = location?.searchParams.get('code');
    if (code === null || code === undefined) {
      throw new Error(`no code: ${location?.href ?? 'no redirect'}`);
    }
    return { code, verifier };
  }

  const tokenForm = (code: string, verifier: string): Record<string, string> => ({
    grant_type: 'authorization_code',
    code,
    redirect_uri: REDIRECT_URI,
    client_id: CLIENT_ID,
    code_verifier: verifier,
  });

  /** A complete launch; the token response. */
  async function launch(overrides: Record<string, string | undefined> = {}, on: SmartLauncher = launcher): Promise<TokenResponse> {
    const { code, verifier } = await codeFor(overrides, on);
    const { status, body } = await exchange(tokenForm(code, verifier), on);
    expect(status).toBe(200);
    return body;
  }

  async function fhir<T>(method: string, path: string, token: string | undefined, body?: unknown, on: SmartLauncher = launcher): Promise<Answer<T>> {
    const headers: Record<string, string> = { accept: 'application/fhir+json' };
    if (token !== undefined) {
      headers['authorization'] = `Bearer ${token}`;
    }
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
    }
    const res = await fetch(`${on.issuer}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return answer<T>(res);
  }

  const tokenWith = async (scope: string): Promise<string> => (await launch({ scope })).access_token;

  beforeEach(async () => {
    upstream = await startFhirServer();
    await upstream.seed([
      { resourceType: 'Patient', id: PATIENT },
      { resourceType: 'Patient', id: OTHER_PATIENT },
      { resourceType: 'Practitioner', id: 'dr-lee' },
      { resourceType: 'Encounter', id: 'enc-1', status: 'in-progress', class: { code: 'AMB' }, subject: { reference: `Patient/${PATIENT}` } },
      observation('obs-1', PATIENT),
      observation('obs-2', OTHER_PATIENT),
    ]);
    launcher = await start();
    launchId = launcher.registerLaunch(ehrContext);
  });

  afterEach(async () => {
    await launcher.close();
    await upstream.close();
  });

  describe('discovery', () => {
    test('the smart-configuration names the endpoints, PKCE S256, public clients and the launch capabilities', async () => {
      const res = await fetch(`${launcher.issuer}/.well-known/smart-configuration`, { headers: { origin: APP_ORIGIN } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).toMatchObject({
        issuer: launcher.issuer,
        authorization_endpoint: `${launcher.origin}/authorize`,
        token_endpoint: `${launcher.origin}/token`,
        grant_types_supported: ['authorization_code', 'refresh_token'],
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['S256'],
        token_endpoint_auth_methods_supported: ['none'],
      });
      expect(body['capabilities']).toEqual(
        expect.arrayContaining(['launch-ehr', 'launch-standalone', 'client-public', 'context-ehr-patient', 'context-ehr-encounter', 'context-standalone-patient', 'context-banner', 'sso-openid-connect', 'permission-patient', 'permission-v1', 'permission-v2']),
      );
      expect(body['scopes_supported']).toEqual(expect.arrayContaining(['openid', 'fhirUser', 'launch', 'launch/patient']));
    });

    test('metadata is answered without a token and carries the OAuth endpoints for clients that fall back to it', async () => {
      const { status, headers, body } = await fhir<CapabilityStatement>('GET', '/metadata', undefined);
      expect(status).toBe(200);
      expect(headers.get('content-type')).toBe('application/fhir+json');
      expect(body.resourceType).toBe('CapabilityStatement');
      const uris = body.rest?.[0]?.security?.extension?.[0]?.extension;
      expect(uris).toEqual([
        { url: 'authorize', valueUri: `${launcher.origin}/authorize` },
        { url: 'token', valueUri: `${launcher.origin}/token` },
      ]);
      expect(upstream.requests).toEqual(['/fhir/metadata']);
    });

    test('the EHR launch URL carries the issuer and the launch id, URL-encoded', () => {
      const url = new URL(launcher.ehrLaunchUrl(`${APP_ORIGIN}/app/launch.html`, launchId));
      expect(url.origin + url.pathname).toBe(`${APP_ORIGIN}/app/launch.html`);
      expect(url.searchParams.get('iss')).toBe(launcher.issuer);
      expect(url.searchParams.get('launch')).toBe(launchId);
      expect(url.search).toContain(`iss=${encodeURIComponent(launcher.issuer)}`);
    });
  });

  describe('EHR launch', () => {
    test('a full EHR launch with PKCE gives a token with the launch context, and the patient’s Observations can be searched', async () => {
      const config = (await (await fetch(`${launcher.issuer}/.well-known/smart-configuration`)).json()) as { authorization_endpoint: string; token_endpoint: string };
      const launchUrl = new URL(launcher.ehrLaunchUrl(`${APP_ORIGIN}/app/launch.html`, launchId));
      const { verifier, challenge } = pkce();
      const authorizeUrl = new URL(config.authorization_endpoint);
      authorizeUrl.search = new URLSearchParams({
        response_type: 'code',
        client_id: CLIENT_ID,
        scope: READ_SCOPE,
        redirect_uri: REDIRECT_URI,
        aud: launchUrl.searchParams.get('iss') ?? '',
        state: 'state-1',
        launch: launchUrl.searchParams.get('launch') ?? '',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      }).toString();
      const redirect = await fetch(authorizeUrl, { redirect: 'manual' });
      expect(redirect.status).toBe(302);
      const back = new URL(redirect.headers.get('location') ?? '');
      expect(back.origin + back.pathname).toBe(REDIRECT_URI);
      expect(back.searchParams.get('state')).toBe('state-1');

      const tokenRes = await fetch(config.token_endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `code=${back.searchParams.get('code') ?? ''}&grant_type=authorization_code&redirect_uri=${encodeURIComponent(REDIRECT_URI)}&client_id=${CLIENT_ID}&code_verifier=${verifier}`,
      });
      expect(tokenRes.status).toBe(200);
      expect(tokenRes.headers.get('cache-control')).toBe('no-store');
      expect(tokenRes.headers.get('content-type')).toMatch(/^application\/json/);
      const token = (await tokenRes.json()) as TokenResponse;
      expect(token).toMatchObject({
        token_type: 'Bearer',
        expires_in: 3600,
        scope: READ_SCOPE,
        patient: PATIENT,
        encounter: 'enc-1',
        appContext: 'plan=ict-ccrt',
        need_patient_banner: false,
      });

      const { status, body } = await fhir<Bundle>('GET', `/Observation?patient=${PATIENT}`, token.access_token);
      expect(status).toBe(200);
      expect(body.entry?.map((e) => e.resource?.id)).toEqual(['obs-1']);
      expect(launcher.grants).toEqual([{ clientId: CLIENT_ID, scope: READ_SCOPE, patient: PATIENT, encounter: 'enc-1' }]);
    });

    test('the launch-context fields the launch did not have are left out, and the banner defaults to needed', async () => {
      const bare = launcher.registerLaunch({ patient: PATIENT });
      const token = await launch({ launch: bare });
      expect(token.need_patient_banner).toBe(true);
      expect(token).not.toHaveProperty('encounter');
      expect(token).not.toHaveProperty('appContext');
      expect(launcher.grants.at(-1)).toEqual({ clientId: CLIENT_ID, scope: READ_SCOPE, patient: PATIENT });
    });

    test('a launch parameter without the launch scope still gets its context (fhirclient omits launch when launch/patient is asked)', async () => {
      const token = await launch({ scope: 'launch/patient patient/*.read' });
      expect(token.patient).toBe(PATIENT);
      expect(token.encounter).toBe('enc-1');
    });

    test('only the scopes the server understands are granted', async () => {
      const token = await launch({ scope: 'launch openid fhirUser offline_access profile patient/Observation.rs patient/Observation.read system/*.read user/Observation?x patient/Observation.srx' });
      expect(token.scope).toBe('launch openid fhirUser offline_access patient/Observation.rs patient/Observation.read');
    });

    test('a wrong code_verifier is refused with invalid_grant', async () => {
      const { code } = await codeFor();
      const { status, body } = await exchange(tokenForm(code, pkce().verifier));
      expect(status).toBe(400);
      expect(body.error).toBe('invalid_grant');
      expect(launcher.grants).toEqual([]);
    });

    test('a code is single use: exchanging it again is refused with invalid_grant', async () => {
      const { code, verifier } = await codeFor();
      expect((await exchange(tokenForm(code, verifier))).status).toBe(200);
      const again = await exchange(tokenForm(code, verifier));
      expect(again.status).toBe(400);
      expect(again.body.error).toBe('invalid_grant');
    });

    test('a code older than 60 seconds is refused with invalid_grant', async () => {
      const { code, verifier } = await codeFor();
      const now = Date.now();
      const clock = jest.spyOn(Date, 'now').mockReturnValue(now + 61_000);
      try {
        const { status, body } = await exchange(tokenForm(code, verifier));
        expect(status).toBe(400);
        expect(body.error).toBe('invalid_grant');
      } finally {
        clock.mockRestore();
      }
    });

    test.each([
      ['another redirect_uri', { redirect_uri: `${APP_ORIGIN}/other/` }, 'invalid_grant'],
      ['another client_id', { client_id: 'someone-else' }, 'invalid_grant'],
      ['no code_verifier', { code_verifier: '' }, 'invalid_request'],
      ['another grant_type', { grant_type: 'client_credentials' }, 'unsupported_grant_type'],
    ])('a token request with %s is refused', async (_name, change, error) => {
      const { code, verifier } = await codeFor();
      const { status, body } = await exchange({ ...tokenForm(code, verifier), ...change });
      expect(status).toBe(400);
      expect(body.error).toBe(error);
    });

    test.each([
      ['code_challenge_method=plain', { code_challenge_method: 'plain' }],
      ['no code_challenge_method', { code_challenge_method: undefined }],
      ['no code_challenge', { code_challenge: undefined }],
    ])('PKCE is required: %s is refused by a redirect with invalid_request', async (_name, change) => {
      const { status, location } = await authorize(authorizeParams(pkce().challenge, change));
      expect(status).toBe(302);
      expect(location?.origin).toBe(APP_ORIGIN);
      expect(location?.searchParams.get('error')).toBe('invalid_request');
      expect(location?.searchParams.get('state')).toBe('state-1');
      expect(location?.searchParams.has('code')).toBe(false);
    });

    test.each([
      ['an unknown client', { client_id: 'unknown-app' }],
      ['an unregistered redirect_uri', { redirect_uri: `${APP_ORIGIN}/evil/` }],
      ['a redirect_uri that only starts like a registered one', { redirect_uri: `${REDIRECT_URI}callback` }],
    ])('%s gets a 400 page and no redirect', async (_name, change) => {
      const { status, location, text } = await authorize(authorizeParams(pkce().challenge, change));
      expect(status).toBe(400);
      expect(location).toBeUndefined();
      expect(text).not.toBe('');
    });

    test('an aud that is not the issuer is refused; the issuer with a trailing slash is accepted', async () => {
      const wrong = await authorize(authorizeParams(pkce().challenge, { aud: `${launcher.origin}/other-fhir` }));
      expect(wrong.location?.searchParams.get('error')).toBe('invalid_request');
      const slash = await authorize(authorizeParams(pkce().challenge, { aud: `${launcher.issuer}/` }));
      expect(slash.location?.searchParams.has('code')).toBe(true);
    });

    test.each([
      ['an unknown launch id', 'invalid_request', { launch: 'not-a-launch' }],
      ['the launch scope without a launch id', 'invalid_request', { launch: undefined }],
      ['neither launch nor launch/patient', 'invalid_scope', { launch: undefined, scope: 'openid fhirUser patient/*.read' }],
      ['a response_type other than code', 'unsupported_response_type', { response_type: 'token' }],
      ['no state', 'invalid_request', { state: undefined }],
    ])('%s is refused by a redirect with %s', async (_name, error, change) => {
      const { status, location } = await authorize(authorizeParams(pkce().challenge, change));
      expect(status).toBe(302);
      expect(location?.searchParams.get('error')).toBe(error);
      expect(location?.searchParams.get('state')).toBe('state' in change ? null : 'state-1');
    });
  });

  describe('token lifetime and refresh', () => {
    const refreshForm = (refreshToken: string, extra: Record<string, string> = {}): Record<string, string> => ({ grant_type: 'refresh_token', refresh_token: refreshToken, ...extra });

    test.each([
      ['with online_access gets a', ' online_access', true],
      ['with offline_access gets a', ' offline_access', true],
      ['with neither online_access nor offline_access gets no', '', false],
    ])('a launch %s refresh token', async (_name, extra, expected) => {
      const token = await launch({ scope: `${READ_SCOPE}${extra}` });
      expect(typeof token.refresh_token === 'string' && token.refresh_token.length >= 43).toBe(expected);
    });

    test('the access-token lifetime is configurable: expires_in says it and the proxy refuses the token after it', async () => {
      const short = await start({ accessTokenLifetimeS: 5 });
      try {
        const token = await launch({ launch: short.registerLaunch({ patient: PATIENT }) }, short);
        expect(token.expires_in).toBe(5);
        expect((await fhir('GET', `/Patient/${PATIENT}`, token.access_token, undefined, short)).status).toBe(200);
        const now = Date.now();
        const clock = jest.spyOn(Date, 'now').mockReturnValue(now + 5_001);
        try {
          expect((await fhir('GET', `/Patient/${PATIENT}`, token.access_token, undefined, short)).status).toBe(401);
        } finally {
          clock.mockRestore();
        }
      } finally {
        await short.close();
      }
    });

    test.each([0, -1, 1.5])('an access-token lifetime of %s seconds is refused at start', async (seconds) => {
      await expect(start({ accessTokenLifetimeS: seconds })).rejects.toThrow(RangeError);
    });

    test('the refresh_token grant gives a new access token with the same scope and context, and the refresh token again', async () => {
      const first = await launch({ scope: `${READ_SCOPE} online_access` });
      launcher.expireAccessTokens();
      expect((await fhir('GET', `/Patient/${PATIENT}`, first.access_token)).status).toBe(401);
      const { status, headers, body } = await exchange(refreshForm(first.refresh_token ?? ''));
      expect(status).toBe(200);
      expect(headers.get('cache-control')).toBe('no-store');
      expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: `${READ_SCOPE} online_access`, refresh_token: first.refresh_token, patient: PATIENT, encounter: 'enc-1' });
      expect(body.access_token).not.toBe(first.access_token);
      expect(body).not.toHaveProperty('id_token');
      expect((await fhir('GET', `/Patient/${PATIENT}`, body.access_token)).status).toBe(200);
      expect(launcher.grants.at(-1)).toEqual({ clientId: CLIENT_ID, scope: `${READ_SCOPE} online_access`, patient: PATIENT, encounter: 'enc-1', refreshed: true });
    });

    test('expireAccessTokens ends every access token issued so far but not the ones issued after', async () => {
      const before = await tokenWith(READ_SCOPE);
      launcher.expireAccessTokens();
      const after = await tokenWith(READ_SCOPE);
      expect((await fhir('GET', `/Patient/${PATIENT}`, before)).status).toBe(401);
      expect((await fhir('GET', `/Patient/${PATIENT}`, after)).status).toBe(200);
    });

    test('a refresh may narrow the scope but not widen it', async () => {
      const first = await launch({ scope: `${READ_SCOPE} offline_access` });
      const narrower = await exchange(refreshForm(first.refresh_token ?? '', { scope: 'patient/*.read offline_access' }));
      expect(narrower.status).toBe(200);
      expect(narrower.body.scope).toBe('patient/*.read offline_access');
      const wider = await exchange(refreshForm(first.refresh_token ?? '', { scope: `${READ_SCOPE} patient/Observation.write` }));
      expect(wider.status).toBe(400);
      expect(wider.body.error).toBe('invalid_scope');
    });

    test.each<[string, (refreshToken: string) => Record<string, string>, string]>([
      ['an unknown refresh token', () => ({ grant_type: 'refresh_token', refresh_token: 'not-issued-here' }), 'invalid_grant'],
      ['a refresh token of another client', (t) => ({ grant_type: 'refresh_token', refresh_token: t, client_id: 'another-app' }), 'invalid_grant'],
      ['no refresh token', () => ({ grant_type: 'refresh_token' }), 'invalid_request'],
      ['an empty refresh token', () => ({ grant_type: 'refresh_token', refresh_token: '' }), 'invalid_request'],
    ])('a refresh with %s is refused', async (_name, form, error) => {
      const first = await launch({ scope: `${READ_SCOPE} online_access` });
      const grants = launcher.grants.length;
      const { status, body } = await exchange(form(first.refresh_token ?? ''));
      expect(status).toBe(400);
      expect(body.error).toBe(error);
      expect(launcher.grants.length).toBe(grants);
    });

    test('a refresh token older than 12 hours is refused with invalid_grant', async () => {
      const first = await launch({ scope: `${READ_SCOPE} online_access` });
      const now = Date.now();
      const clock = jest.spyOn(Date, 'now').mockReturnValue(now + 12 * 3600_000 + 1);
      try {
        const { status, body } = await exchange(refreshForm(first.refresh_token ?? ''));
        expect(status).toBe(400);
        expect(body.error).toBe('invalid_grant');
      } finally {
        clock.mockRestore();
      }
    });

    test('refuseRefresh(true) refuses every refresh with invalid_grant, and refuseRefresh(false) allows them again', async () => {
      const first = await launch({ scope: `${READ_SCOPE} online_access` });
      launcher.refuseRefresh(true);
      const refused = await exchange(refreshForm(first.refresh_token ?? ''));
      expect(refused.status).toBe(400);
      expect(refused.body.error).toBe('invalid_grant');
      launcher.refuseRefresh(false);
      expect((await exchange(refreshForm(first.refresh_token ?? ''))).status).toBe(200);
    });
  });

  describe('standalone launch', () => {
    test('a standalone launch gets the standalone patient and no encounter', async () => {
      const token = await launch({ launch: undefined, scope: 'launch/patient patient/*.read' });
      expect(token.patient).toBe(OTHER_PATIENT);
      expect(token.need_patient_banner).toBe(true);
      expect(token).not.toHaveProperty('encounter');
      const { status, body } = await fhir<Patient>('GET', `/Patient/${OTHER_PATIENT}`, token.access_token);
      expect(status).toBe(200);
      expect(body.id).toBe(OTHER_PATIENT);
    });

    test('a standalone launch is denied when no patient can be picked', async () => {
      const noPicker = await startSmartLauncher({ fhirBaseUrl: upstream.baseUrl, clients: [{ clientId: CLIENT_ID, redirectUris: [REDIRECT_URI] }] });
      try {
        const { location } = await authorize(authorizeParams(pkce().challenge, { launch: undefined, scope: 'launch/patient patient/*.read' }, noPicker), noPicker);
        expect(location?.searchParams.get('error')).toBe('access_denied');
      } finally {
        await noPicker.close();
      }
    });
  });

  describe('the id_token', () => {
    test('carries fhirUser, the issuer and the client, signed HS256, when openid and fhirUser are granted', async () => {
      const { id_token: idToken } = await launch();
      expect(idToken).toBeDefined();
      expect(decodeProtectedHeader(idToken ?? '').alg).toBe('HS256');
      const claims = decodeJwt(idToken ?? '');
      expect(claims).toMatchObject({ iss: launcher.issuer, aud: CLIENT_ID, fhirUser: 'Practitioner/dr-lee', sub: 'Practitioner/dr-lee' });
      expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(3600);
    });

    test.each([['launch fhirUser patient/*.read'], ['launch openid patient/*.read']])('is not issued for the scope "%s"', async (scope) => {
      expect(await launch({ scope })).not.toHaveProperty('id_token');
    });
  });

  describe('the FHIR proxy', () => {
    test.each([
      ['no token', undefined],
      ['an unknown token', 'not-issued-here'],
    ])('answers 401 with WWW-Authenticate and an OperationOutcome to a request with %s', async (_name, token) => {
      const { status, headers, body } = await fhir<OperationOutcome>('GET', `/Patient/${PATIENT}`, token);
      expect(status).toBe(401);
      expect(headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(headers.get('content-type')).toBe('application/fhir+json');
      expect(body.resourceType).toBe('OperationOutcome');
      expect(upstream.requests).toEqual([]);
      expect(launcher.requests.at(-1)).toMatchObject({ method: 'GET', path: `/fhir/Patient/${PATIENT}`, status: 401, authorized: false });
    });

    test('answers 401 to a token that has expired', async () => {
      const token = await tokenWith(READ_SCOPE);
      const now = Date.now();
      const clock = jest.spyOn(Date, 'now').mockReturnValue(now + 3601_000);
      try {
        expect((await fhir('GET', `/Patient/${PATIENT}`, token)).status).toBe(401);
      } finally {
        clock.mockRestore();
      }
    });

    test('forwards a permitted read and records it as authorized', async () => {
      const token = await tokenWith(READ_SCOPE);
      const { status, body } = await fhir<Patient>('GET', `/Patient/${PATIENT}`, token);
      expect(status).toBe(200);
      expect(body.id).toBe(PATIENT);
      expect(launcher.requests.at(-1)).toEqual({ method: 'GET', path: `/fhir/Patient/${PATIENT}`, status: 200, authorized: true });
      expect(JSON.stringify(launcher.requests)).not.toContain(token);
    });

    test.each([
      ['the other patient', `/Patient/${OTHER_PATIENT}`],
      ['an Observation of the other patient', '/Observation/obs-2'],
      ['a search for the other patient', `/Observation?patient=${OTHER_PATIENT}`],
      ['a search for the other patient as subject=Patient/id', `/Observation?subject=Patient/${OTHER_PATIENT}`],
      ['a search for both patients', `/Observation?patient=${PATIENT},${OTHER_PATIENT}`],
      ['a search without a patient', '/Observation'],
      ['a search for the other patient that would find nothing', `/Encounter?patient=${OTHER_PATIENT}`],
      ['a search without a patient that would find nothing', '/Condition'],
      ['a Patient search by another id', `/Patient?_id=${OTHER_PATIENT}`],
    ])('answers 403 with an OperationOutcome to a patient-scoped read of %s', async (_name, path) => {
      const token = await tokenWith(READ_SCOPE);
      const { status, body } = await fhir<OperationOutcome>('GET', path, token);
      expect(status).toBe(403);
      expect(body.resourceType).toBe('OperationOutcome');
    });

    test.each([
      ['subject=Patient/id', `/Observation?subject=Patient/${PATIENT}`],
      ['the Encounter of the launch', '/Encounter/enc-1'],
      ['a Practitioner, which belongs to no patient', '/Practitioner/dr-lee'],
      ['Patient?_id=', `/Patient?_id=${PATIENT}`],
    ])('allows a patient-scoped read of %s', async (_name, path) => {
      const token = await tokenWith(READ_SCOPE);
      expect((await fhir('GET', path, token)).status).toBe(200);
    });

    test.each([
      ['patient/Observation.rs', `/Observation?patient=${PATIENT}`, 200],
      ['patient/Observation.rs', '/Observation/obs-1', 200],
      ['patient/Observation.s', `/Observation?patient=${PATIENT}`, 200],
      ['patient/Observation.s', '/Observation/obs-1', 403],
      ['patient/Observation.r', `/Observation?patient=${PATIENT}`, 403],
      ['patient/Observation.read', '/Observation/obs-1', 200],
      ['patient/Condition.read', '/Observation/obs-1', 403],
      ['patient/Observation.rs', `/Patient/${PATIENT}`, 403],
      ['user/Observation.rs', '/Observation/obs-2', 200],
      ['user/Observation.rs', '/Observation', 200],
    ])('with %s, GET %s answers %i', async (scope, path, expected) => {
      const token = await tokenWith(`launch ${scope}`);
      expect((await fhir('GET', path, token)).status).toBe(expected);
    });

    test('answers 403 to a write without a write scope, and nothing reaches the upstream', async () => {
      const token = await tokenWith(READ_SCOPE);
      const { status, body } = await fhir<OperationOutcome>('POST', '/Observation', token, newObservation(PATIENT));
      expect(status).toBe(403);
      expect(body.resourceType).toBe('OperationOutcome');
      expect(upstream.requests.filter((r) => r.startsWith('/fhir/Observation'))).toEqual([]);
    });

    test.each([
      ['v1 .write', 'patient/Observation.write'],
      ['v1 .*', 'patient/Observation.*'],
      ['v2 c', 'patient/Observation.c'],
    ])('a create with a %s scope lands in the upstream, with a Location on the proxy', async (_name, scope) => {
      const token = await tokenWith(`launch ${scope}`);
      const { status, headers, body } = await fhir<Observation>('POST', '/Observation', token, newObservation(PATIENT));
      expect(status).toBe(201);
      expect(headers.get('location')).toMatch(new RegExp(`^${launcher.issuer}/Observation/${body.id ?? 'missing'}(/_history/[^/]+)?$`));
      const stored = (await (await fetch(`${upstream.baseUrl}/Observation/${body.id ?? ''}`)).json()) as Observation;
      expect(stored.subject?.reference).toBe(`Patient/${PATIENT}`);
    });

    test.each([
      ['for another patient', newObservation(OTHER_PATIENT)],
      ['without a subject', { ...newObservation(PATIENT), subject: undefined }],
    ])('answers 403 to a create %s, and nothing reaches the upstream', async (_name, resource) => {
      const token = await tokenWith(WRITE_SCOPE);
      expect((await fhir('POST', '/Observation', token, resource)).status).toBe(403);
      expect(upstream.requests.filter((r) => r.startsWith('/fhir/Observation'))).toEqual([]);
    });

    test('an update needs u and keeps to the patient: the own Observation is updated, another patient’s is refused', async () => {
      const token = await tokenWith('launch patient/Observation.ru');
      const own = await fhir('PUT', '/Observation/obs-1', token, observation('obs-1', PATIENT, { status: 'amended' }));
      expect(own.status).toBe(200);
      const moved = await fhir('PUT', '/Observation/obs-2', token, observation('obs-2', PATIENT, { status: 'amended' }));
      expect(moved.status).toBe(403);
      const stored = (await (await fetch(`${upstream.baseUrl}/Observation/obs-2`)).json()) as Observation;
      expect(stored.status).toBe('final');
    });

    test('absolute upstream URLs in a response body are rewritten to the proxy', async () => {
      await upstream.seed(observation('obs-linked', PATIENT, { derivedFrom: [{ reference: `${upstream.baseUrl}/Observation/obs-1` }] }));
      const token = await tokenWith(READ_SCOPE);
      const { body } = await fhir<Observation>('GET', '/Observation/obs-linked', token);
      expect(body.derivedFrom?.[0]?.reference).toBe(`${launcher.issuer}/Observation/obs-1`);
    });

    test('a Location sent by the upstream is rewritten to the proxy', async () => {
      const base = await new Promise<{ url: string; close: () => void }>((resolve) => {
        const server = createServer((req, res) => {
          req.resume();
          const { port } = server.address() as AddressInfo;
          res.writeHead(201, { 'content-type': 'application/fhir+json', location: `http://127.0.0.1:${port}/fhir/Observation/new-1/_history/1` });
          res.end();
        });
        server.listen(0, '127.0.0.1', () => {
          const { port } = server.address() as AddressInfo;
          resolve({ url: `http://127.0.0.1:${port}/fhir`, close: () => server.close() });
        });
      });
      const proxy = await start({ fhirBaseUrl: base.url });
      try {
        const token = (await launch({ scope: WRITE_SCOPE, launch: proxy.registerLaunch({ patient: PATIENT }) }, proxy)).access_token;
        const { status, headers } = await fhir('POST', '/Observation', token, newObservation(PATIENT), proxy);
        expect(status).toBe(201);
        expect(headers.get('location')).toBe(`${proxy.issuer}/Observation/new-1/_history/1`);
      } finally {
        await proxy.close();
        base.close();
      }
    });

    describe('a transaction Bundle', () => {
      const entry = (resource: Observation): BundleEntry => ({ resource, request: { method: 'POST', url: resource.resourceType } });
      const transaction = (...entries: BundleEntry[]): Bundle => ({ resourceType: 'Bundle', type: 'transaction', entry: entries });
      const storedObservations = async (): Promise<number> => {
        const bundle = (await (await fetch(`${upstream.baseUrl}/Observation`)).json()) as Bundle;
        return bundle.entry?.length ?? 0;
      };

      test('whose entries are all allowed is forwarded and its resources land in the upstream', async () => {
        const token = await tokenWith(WRITE_SCOPE);
        const { status, body } = await fhir<Bundle>('POST', '', token, transaction(entry(newObservation(PATIENT)), entry(newObservation(PATIENT))));
        expect(status).toBe(200);
        expect(body.type).toBe('transaction-response');
        expect(await storedObservations()).toBe(4);
      });

      test('with one entry for another patient is refused whole, naming the entry', async () => {
        const token = await tokenWith(WRITE_SCOPE);
        const { status, body } = await fhir<OperationOutcome>('POST', '', token, transaction(entry(newObservation(PATIENT)), entry(newObservation(OTHER_PATIENT))));
        expect(status).toBe(403);
        expect(body.issue[0]?.diagnostics).toMatch(/^Bundle entry 1:/);
        expect(await storedObservations()).toBe(2);
      });

      test('with an entry of a resource type the scopes cannot write is refused', async () => {
        const token = await tokenWith(WRITE_SCOPE);
        const condition = { resourceType: 'Condition', subject: { reference: `Patient/${PATIENT}` } };
        const bundle = transaction(entry(newObservation(PATIENT)), { resource: condition as BundleEntry['resource'], request: { method: 'POST', url: 'Condition' } });
        const { status, body } = await fhir<OperationOutcome>('POST', '', token, bundle);
        expect(status).toBe(403);
        expect(body.issue[0]?.diagnostics).toMatch(/^Bundle entry 1:.*Condition/);
      });

      test('with an entry that updates another patient’s resource is refused', async () => {
        const token = await tokenWith('launch patient/Observation.cru');
        const update: BundleEntry = { resource: observation('obs-2', PATIENT), request: { method: 'PUT', url: 'Observation/obs-2' } };
        expect((await fhir('POST', '', token, transaction(update))).status).toBe(403);
      });
    });

    test('failWrites makes writes answer that status without reaching the upstream, reads still work, and undefined restores writes', async () => {
      const token = await tokenWith(WRITE_SCOPE);
      launcher.failWrites(503);
      const failed = await fhir<OperationOutcome>('POST', '/Observation', token, newObservation(PATIENT));
      expect(failed.status).toBe(503);
      expect(failed.body.resourceType).toBe('OperationOutcome');
      const failedUpdate = await fhir('PUT', '/Observation/obs-1', token, observation('obs-1', PATIENT));
      expect(failedUpdate.status).toBe(503);
      expect(upstream.requests).toEqual([]);
      expect((await fhir('GET', `/Observation?patient=${PATIENT}`, token)).status).toBe(200);
      launcher.failWrites(undefined);
      expect((await fhir('POST', '/Observation', token, newObservation(PATIENT))).status).toBe(201);
    });

    test('failWrites refuses a value that is not an HTTP status', () => {
      expect(() => launcher.failWrites(42)).toThrow(RangeError);
    });

    test('forwards the upstream bearer token when the upstream requires one', async () => {
      const guarded = await startFhirServer({ bearerToken: 'upstream-secret' });
      await guarded.seed({ resourceType: 'Patient', id: PATIENT });
      const proxy = await start({ fhirBaseUrl: guarded.baseUrl, upstreamBearerToken: 'upstream-secret' });
      try {
        const token = (await launch({ launch: proxy.registerLaunch({ patient: PATIENT }) }, proxy)).access_token;
        expect((await fhir('GET', `/Patient/${PATIENT}`, token, undefined, proxy)).status).toBe(200);
      } finally {
        await proxy.close();
        await guarded.close();
      }
    });
  });

  describe('routing', () => {
    test.each([
      ['a path in another case', 'GET', '/Authorize'],
      ['a path with a trailing slash', 'GET', '/authorize/'],
      ['the token endpoint with a trailing slash', 'POST', '/token/'],
      ['a preflight to the token endpoint with a trailing slash', 'OPTIONS', '/token/'],
      ['a preflight outside the token endpoint and the FHIR proxy', 'OPTIONS', '/authorize'],
      ['HEAD on the authorize endpoint', 'HEAD', '/authorize'],
      ['GET on the token endpoint', 'GET', '/token'],
      ['a path that only starts like the FHIR base', 'GET', '/fhirx/metadata'],
      ['a target that resolves to a path outside the FHIR base', 'GET', '/x/..//fhir/metadata'],
    ])('%s (%s %s) is a JSON 404', async (_name, method, target) => {
      const { status, contentType, body } = await rawRequest(launcher.origin, method, target);
      expect(status).toBe(404);
      expect(contentType).toMatch(/^application\/json/);
      if (method !== 'HEAD') expect(JSON.parse(body)).toEqual({ error: 'not_found' });
    });

    test.each([
      ['HEAD on metadata', 'HEAD', '/fhir/metadata'],
      ['metadata with a trailing slash', 'GET', '/fhir/metadata/'],
      ['the smart-configuration in POST', 'POST', '/fhir/.well-known/smart-configuration'],
      ['a path that is not valid percent-encoding', 'GET', '/fhir/%E0'],
    ])('%s (%s %s) goes to the FHIR proxy, which asks for a token', async (_name, method, target) => {
      const { status, contentType } = await rawRequest(launcher.origin, method, target);
      expect(status).toBe(401);
      expect(contentType).toBe('application/fhir+json');
    });

    test('a target with dot segments is routed as it resolves, and recorded so', async () => {
      const { status } = await rawRequest(launcher.origin, 'GET', '/x/../fhir/metadata?_format=json');
      expect(status).toBe(200);
      expect(launcher.requests.at(-1)).toEqual({ method: 'GET', path: '/fhir/metadata?_format=json', status: 200, authorized: false });
    });

    test('a failure of the stand-in itself answers 500 with a generic OperationOutcome', async () => {
      const unreachable = await start({ fhirBaseUrl: 'http://127.0.0.1:9/fhir' });
      try {
        const { status, body } = await fhir<OperationOutcome>('GET', '/metadata', undefined, undefined, unreachable);
        expect(status).toBe(500);
        expect(body.issue).toEqual([{ severity: 'error', code: 'exception', diagnostics: 'The SMART stand-in failed to answer.' }]);
      } finally {
        await unreachable.close();
      }
    });

    test('a request target that cannot be resolved answers 500 and is recorded as sent', async () => {
      const { status } = await rawRequest(launcher.origin, 'GET', 'http://[bad');
      expect(status).toBe(500);
      expect(launcher.requests.at(-1)).toEqual({ method: 'GET', path: 'http://[bad', status: 500, authorized: false });
    });
  });

  describe('CORS', () => {
    test.each([
      ['the FHIR proxy', '/fhir/Observation', 'POST'],
      ['the token endpoint', '/token', 'POST'],
    ])('a preflight to %s answers with the allowed methods and headers', async (_name, path, method) => {
      const res = await fetch(`${launcher.origin}${path}`, {
        method: 'OPTIONS',
        headers: { origin: APP_ORIGIN, 'access-control-request-method': method, 'access-control-request-headers': 'authorization,content-type' },
      });
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
      expect(res.headers.get('access-control-allow-methods')).toEqual(expect.stringContaining(method));
      const allowed = (res.headers.get('access-control-allow-headers') ?? '').toLowerCase().split(/,\s*/);
      expect(allowed).toEqual(expect.arrayContaining(['authorization', 'content-type', 'accept', 'prefer', 'if-match']));
    });

    test('token and FHIR responses allow the app origin and expose Location and ETag', async () => {
      const { code, verifier } = await codeFor();
      const tokenRes = await fetch(`${launcher.origin}/token`, {
        method: 'POST',
        headers: { origin: APP_ORIGIN, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(tokenForm(code, verifier)).toString(),
      });
      expect(tokenRes.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
      const { access_token: token } = (await tokenRes.json()) as TokenResponse;
      const fhirRes = await fetch(`${launcher.issuer}/Patient/${PATIENT}`, { headers: { origin: APP_ORIGIN, authorization: `Bearer ${token}` } });
      expect(fhirRes.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
      expect(fhirRes.headers.get('access-control-expose-headers')).toMatch(/Location.*ETag|ETag.*Location/);
    });
  });
});
