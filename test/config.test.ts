import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { availableParallelism } from 'node:os';
import { ConfigError, demoDecision, loadConfig, PRODUCTION_SETTINGS } from '../src/config';
import { DEFAULT_SELECTION } from '../src/fhir/selection';
import { DEFAULT_THRESHOLDS } from '../src/core';

const dir = mkdtempSync(path.join(tmpdir(), 'npc-cds-config-'));
const file = (name: string, content: unknown) => {
  writeFileSync(path.join(dir, name), JSON.stringify(content));
  return name;
};

describe('configuration from the environment', () => {
  test('with nothing set, the service runs on 3000, open, with the papers\u2019 thresholds', () => {
    const c = loadConfig({}, dir);
    expect(c).toMatchObject({ port: 3000, host: '127.0.0.1', publicBaseUrl: 'http://localhost:3000', trustedIssuers: [], corsOrigins: [], allowedFhirServers: [], bodyLimitBytes: 5 * 1024 * 1024, fhirDeadlineMs: 3000 });
    expect(c.thresholds).toEqual({ ...DEFAULT_THRESHOLDS, selection: DEFAULT_SELECTION });
    expect(c.smartAppUrl).toBeUndefined();
  });

  test('settings are read and normalised', () => {
    const c = loadConfig({ PORT: '8080', PUBLIC_BASE_URL: 'https://cds.example.org/npc/', CORS_ORIGINS: 'https://ehr.example, https://sandbox.example', BODY_LIMIT: '512kb', ALLOWED_FHIR_SERVERS: 'https://fhir.example/r4', SMART_APP_URL: 'https://cds.example.org/app/launch' }, dir);
    expect(c).toMatchObject({ port: 8080, publicBaseUrl: 'https://cds.example.org/npc', corsOrigins: ['https://ehr.example', 'https://sandbox.example'], bodyLimitBytes: 512 * 1024, allowedFhirServers: ['https://fhir.example/r4'], smartAppUrl: 'https://cds.example.org/app/launch' });
    expect(loadConfig({ CORS_ORIGINS: '*' }, dir).corsOrigins).toBe('*');
  });

  test('with nothing set, a FHIR answer is read up to 20 MiB and a request up to 50 MiB', () => {
    expect(loadConfig({}, dir)).toMatchObject({ fhirMaxResponseBytes: 20 * 1024 * 1024, fhirMaxRequestBytes: 50 * 1024 * 1024 });
  });

  test.each([
    { env: { FHIR_MAX_RESPONSE_BYTES: '8mb', FHIR_MAX_REQUEST_BYTES: '30mb' }, response: 8 * 1024 * 1024, request: 30 * 1024 * 1024 },
    { env: { FHIR_MAX_RESPONSE_BYTES: '512kb' }, response: 512 * 1024, request: 50 * 1024 * 1024 },
    { env: { FHIR_MAX_RESPONSE_BYTES: '100mb' }, response: 100 * 1024 * 1024, request: 100 * 1024 * 1024 },
    { env: { FHIR_MAX_REQUEST_BYTES: '20mb' }, response: 20 * 1024 * 1024, request: 20 * 1024 * 1024 },
    { env: { FHIR_MAX_RESPONSE_BYTES: '65536' }, response: 65536, request: 50 * 1024 * 1024 },
  ])('FHIR_MAX_RESPONSE_BYTES and FHIR_MAX_REQUEST_BYTES $env are read as $response and $request bytes (the request cap defaults to at least the answer cap)', ({ env, response, request }) => {
    expect(loadConfig(env, dir)).toMatchObject({ fhirMaxResponseBytes: response, fhirMaxRequestBytes: request });
  });

  test.each([
    [{ FHIR_MAX_RESPONSE_BYTES: 'lots' }, /FHIR_MAX_RESPONSE_BYTES: "lots" is not a size/],
    [{ FHIR_MAX_RESPONSE_BYTES: '65535' }, /FHIR_MAX_RESPONSE_BYTES: "65535" must be from 65536/],
    [{ FHIR_MAX_RESPONSE_BYTES: '1025mb' }, /FHIR_MAX_RESPONSE_BYTES/],
    [{ FHIR_MAX_REQUEST_BYTES: '1kb' }, /FHIR_MAX_REQUEST_BYTES/],
    [{ FHIR_MAX_RESPONSE_BYTES: '30mb', FHIR_MAX_REQUEST_BYTES: '20mb' }, /FHIR_MAX_REQUEST_BYTES: .* is below FHIR_MAX_RESPONSE_BYTES/],
  ])('%j stops start-up with a message naming the setting', (env, message) => {
    expect(() => loadConfig(env, dir)).toThrow(ConfigError);
    expect(() => loadConfig(env, dir)).toThrow(message);
  });

  test.each([
    ['https://ehr.example', 'https://ehr.example'],
    ['https://ehr.example/', 'https://ehr.example'],
    ['https://EHR.Example:443', 'https://ehr.example'],
    ['http://localhost:8080/', 'http://localhost:8080'],
  ])('the CORS origin %s is compared as %s, the form of the Origin header', (value, origin) => {
    expect(loadConfig({ CORS_ORIGINS: value }, dir).corsOrigins).toEqual([origin]);
  });

  test.each(['https://ehr.example/app', 'https://ehr.example?x=1', 'https://user@ehr.example'])('the CORS origin %s, which no browser sends, stops start-up', (value) => {
    expect(() => loadConfig({ CORS_ORIGINS: value }, dir)).toThrow(/^CORS_ORIGINS: .* is not an origin/);
  });

  test('the SMART app registration defaults to the public base URL and the read + create-Observation scopes', () => {
    const c = loadConfig({ PUBLIC_BASE_URL: 'https://cds.example.org/npc' }, dir);
    expect(c.smartApp).toMatchObject({ clientId: 'npc-cds', redirectUrl: 'https://cds.example.org/npc/app/index.html', fhirDeadlineMs: 15_000 });
    expect(c.smartApp.scope.split(' ')).toEqual(expect.arrayContaining(['openid', 'fhirUser', 'online_access', 'patient/Observation.rs', 'patient/Observation.c']));
    expect(c.smartApp.standaloneIss).toBeUndefined();
  });

  test('the SMART app settings are read; launch and launch/patient are left to the launch page', () => {
    const c = loadConfig(
      { SMART_CLIENT_ID: 'npc-app', SMART_SCOPES: 'launch launch/patient patient/Observation.read patient/Observation.write', SMART_REDIRECT_URL: 'https://apps.example/npc/', SMART_STANDALONE_ISS: 'https://fhir.example/r4', SMART_APP_DIR: 'public-app' },
      dir,
    );
    expect(c.smartApp).toMatchObject({ clientId: 'npc-app', scope: 'patient/Observation.read patient/Observation.write', redirectUrl: 'https://apps.example/npc/', standaloneIss: 'https://fhir.example/r4', dir: path.join(dir, 'public-app') });
  });

  test.each([
    { name: 'nothing', env: {}, allowed: [] },
    { name: 'ALLOWED_FHIR_SERVERS only', env: { ALLOWED_FHIR_SERVERS: 'https://ehr.example/fhir' }, allowed: ['https://ehr.example/fhir'] },
    { name: 'SMART_STANDALONE_ISS only', env: { SMART_STANDALONE_ISS: 'https://fhir.example/r4' }, allowed: ['https://fhir.example/r4'] },
    { name: 'ALLOWED_FHIR_SERVERS and SMART_STANDALONE_ISS', env: { ALLOWED_FHIR_SERVERS: 'https://ehr.example/fhir', SMART_STANDALONE_ISS: 'https://fhir.example/r4' }, allowed: ['https://ehr.example/fhir', 'https://fhir.example/r4'] },
    {
      name: 'SMART_ALLOWED_ISS, which replaces ALLOWED_FHIR_SERVERS but keeps SMART_STANDALONE_ISS',
      env: { ALLOWED_FHIR_SERVERS: 'https://ehr.example/fhir', SMART_STANDALONE_ISS: 'https://fhir.example/r4', SMART_ALLOWED_ISS: 'https://other.example/fhir' },
      allowed: ['https://other.example/fhir', 'https://fhir.example/r4'],
    },
    { name: 'SMART_ALLOWED_ISS naming SMART_STANDALONE_ISS again', env: { SMART_STANDALONE_ISS: 'https://fhir.example/r4', SMART_ALLOWED_ISS: 'https://fhir.example/r4, https://other.example/fhir' }, allowed: ['https://fhir.example/r4', 'https://other.example/fhir'] },
    { name: 'an empty SMART_ALLOWED_ISS and SMART_STANDALONE_ISS', env: { ALLOWED_FHIR_SERVERS: 'https://ehr.example/fhir', SMART_STANDALONE_ISS: 'https://fhir.example/r4', SMART_ALLOWED_ISS: '' }, allowed: ['https://fhir.example/r4'] },
  ])('with $name set, the app may be launched against $allowed', ({ env, allowed }) => {
    expect(loadConfig(env, dir).smartApp.allowedIss).toEqual(allowed);
  });

  test.each(
    (['ALLOWED_FHIR_SERVERS', 'SMART_ALLOWED_ISS', 'SMART_STANDALONE_ISS'] as const).flatMap((name) =>
      [
        { what: 'http to a host that is not loopback', value: 'http://fhir.example/r4' },
        { what: 'http to [::1], which the matcher does not count as loopback', value: 'http://[::1]:8080/fhir' },
        { what: 'a user and password', value: 'https://user:secret@fhir.example/r4' },
        { what: 'a query', value: 'https://fhir.example/r4?tenant=a' },
        { what: 'a fragment', value: 'https://fhir.example/r4#x' },
      ].map((row) => ({ name, ...row })),
    ),
  )('$name with $what can never match a server, and stops start-up', ({ name, value }) => {
    expect(() => loadConfig({ DEMO: 'off', [name]: value }, dir)).toThrow(new RegExp(`^${name}: .* can never match a FHIR server`));
  });

  test.each(['https://fhir.example/r4', 'https://fhir.example', 'http://127.0.0.1:8080/fhir', 'http://localhost:8080/fhir'])('%s is a usable allow list entry', (value) => {
    expect(loadConfig({ DEMO: 'off', ALLOWED_FHIR_SERVERS: value, SMART_ALLOWED_ISS: value, SMART_STANDALONE_ISS: value }, dir).smartApp.allowedIss).toEqual([value]);
  });

  test.each([
    ['SMART_ALLOWED_ISS', 'javascript:alert(1)'],
    ['SMART_CLIENT_ID', ' '],
    ['SMART_SCOPES', ''],
    ['SMART_REDIRECT_URL', 'not a url'],
    ['SMART_STANDALONE_ISS', 'ftp://fhir.example'],
    ['SMART_FHIR_DEADLINE_MS', '10'],
  ])('%s=%j is refused at start-up', (name, value) => {
    expect(() => loadConfig({ [name]: value }, dir)).toThrow(ConfigError);
  });

  test('trusted issuers come from a file, with their JWKS inline or by URL', () => {
    const jwks = file('jwks.json', { keys: [{ kty: 'EC', crv: 'P-384', x: 'x', y: 'y', kid: 'k1' }] });
    const issuers = file('issuers.json', [
      { iss: 'https://ehr.example', jwksFile: jwks },
      { iss: 'https://other.example', jwksUrl: 'https://other.example/jwks', allowedJku: ['https://other.example/jwks2'] },
    ]);
    const c = loadConfig({ TRUSTED_ISSUERS_FILE: issuers }, dir);
    expect(c.trustedIssuers).toEqual([
      { iss: 'https://ehr.example', jwks: { keys: [expect.objectContaining({ kid: 'k1' })] } },
      { iss: 'https://other.example', jwksUrl: 'https://other.example/jwks', allowedJku: ['https://other.example/jwks2'] },
    ]);
  });

  test('an issuer may give its JWK Set inline, or trust only allowedJku key sets', () => {
    const jwks = { keys: [{ kty: 'EC', crv: 'P-384', x: 'x', y: 'y', kid: 'k1', use: 'sig', alg: 'ES384' }] };
    const c = loadConfig({ TRUSTED_ISSUERS: JSON.stringify([{ iss: 'https://sandbox.example', jwks }, { iss: 'https://jku.example', allowedJku: ['https://jku.example/jwks'] }]) }, dir);
    expect(c.trustedIssuers).toEqual([
      { iss: 'https://sandbox.example', jwks },
      { iss: 'https://jku.example', allowedJku: ['https://jku.example/jwks'] },
    ]);
  });

  test.each([
    { name: 'no keys at all', issuer: { iss: 'https://ehr.example' }, message: /needs its keys/ },
    { name: 'an empty allowedJku and no pinned key set', issuer: { iss: 'https://ehr.example', allowedJku: [] }, message: /needs its keys/ },
    { name: 'both jwksUrl and jwksFile', issuer: { iss: 'https://ehr.example', jwksUrl: 'https://ehr.example/jwks', jwksFile: 'jwks.json' }, message: /at most one of jwksFile, jwks or jwksUrl/ },
    { name: 'both jwks and jwksUrl', issuer: { iss: 'https://ehr.example', jwksUrl: 'https://ehr.example/jwks', jwks: { keys: [{ kty: 'EC' }] } }, message: /at most one/ },
    { name: 'an inline jwks without keys', issuer: { iss: 'https://ehr.example', jwks: { keys: [] } }, message: /TRUSTED_ISSUERS/ },
  ])('a trusted issuer with $name stops start-up', ({ issuer, message }) => {
    expect(() => loadConfig({ TRUSTED_ISSUERS: JSON.stringify([issuer]) }, dir)).toThrow(message);
  });

  test('a site threshold set replaces the default and is named', () => {
    const tbf = { ...DEFAULT_THRESHOLDS.tbf, id: 'site-2026', version: '2', cutoffs: { ...DEFAULT_THRESHOLDS.tbf.cutoffs, 'pre-tbf-response': 130 } };
    const c = loadConfig({ THRESHOLDS_FILE: file('thresholds.json', { tbf }) }, dir);
    expect(c.thresholds.tbf).toEqual(tbf);
    expect(c.thresholds.ictos).toEqual(DEFAULT_THRESHOLDS.ictos);
  });

  test('site data-selection settings (clinical-spec.md section 4, v2) replace only the parts given', () => {
    const selection = { recencyDays: { mri: 14 }, plausible: { tbf: { min: 5, max: 400 } }, postWindowCloseDay: 40 };
    const c = loadConfig({ THRESHOLDS_FILE: file('selection.json', { selection }) }, dir);
    expect(c.thresholds.selection).toEqual({
      ...DEFAULT_SELECTION,
      recencyDays: { ...DEFAULT_SELECTION.recencyDays, mri: 14 },
      plausible: { ...DEFAULT_SELECTION.plausible, tbf: { min: 5, max: 400 } },
      postWindowCloseDay: 40,
    });
  });

  test.each([
    ['a range whose min exceeds its max', { plausible: { tbf: { min: 600, max: 1 } } }],
    ['a negative recency window', { recencyDays: { ebvDna: -1 } }],
    ['an unknown setting', { recency: { mri: 14 } }],
  ])('THRESHOLDS_FILE with %s in its selection stops start-up', (_, selection) => {
    expect(() => loadConfig({ THRESHOLDS_FILE: file('bad-selection.json', { selection }) }, dir)).toThrow('THRESHOLDS_FILE');
  });

  test.each([
    ['PORT', { PORT: 'eighty' }],
    ['PUBLIC_BASE_URL', { PUBLIC_BASE_URL: 'ftp://x' }],
    ['BODY_LIMIT', { BODY_LIMIT: 'lots' }],
    ['CORS_ORIGINS', { CORS_ORIGINS: 'not a url' }],
    ['TRUSTED_ISSUERS', { TRUSTED_ISSUERS: '[{"iss":"x"}]' }],
    ['TRUSTED_ISSUERS', { TRUSTED_ISSUERS: '{not json' }],
    ['THRESHOLDS_FILE', { THRESHOLDS_FILE: 'missing.json' }],
    ['PATIENT_HASH_SALT', { PATIENT_HASH_SALT: 'short' }],
    ['ADMIN_TOKEN', { ADMIN_TOKEN: 'short' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
  ])('a wrong %s stops start-up with a message naming it', (name, env) => {
    expect(() => loadConfig(env, dir)).toThrow(ConfigError);
    expect(() => loadConfig(env, dir)).toThrow(name);
  });
});

describe('the demo, the store and cluster mode', () => {
  test('with nothing set the demo runs, in one process, on the SQLite file', () => {
    expect(loadConfig({}, dir)).toMatchObject({ demo: true, workers: 1, databaseUrl: undefined, databasePath: path.join('data', 'npc-cds.sqlite') });
  });

  test.each(PRODUCTION_SETTINGS.map((name) => [name]))('with %s set the demo does not run', (name) => {
    const value = name === 'TRUSTED_ISSUERS' ? '[]' : name === 'TRUSTED_ISSUERS_FILE' ? file('issuers-empty.json', []) : name === 'DATABASE_URL' ? 'postgres://npc@db.example/npc' : 'https://fhir.example.org/r4';
    expect(demoDecision({ [name]: value })).toBe(false);
  });

  test('NODE_ENV=production or DEMO=off turns the demo off; DEMO=on turns it on only without production settings', () => {
    expect(demoDecision({ NODE_ENV: 'production' })).toBe(false);
    expect(demoDecision({ DEMO: 'off' })).toBe(false);
    expect(demoDecision({ DEMO: 'on', NODE_ENV: 'production' })).toBe(true);
    expect(() => demoDecision({ DEMO: 'on', ALLOWED_FHIR_SERVERS: 'https://fhir.example.org/r4' })).toThrow(/DEMO=on cannot be combined with production settings \(ALLOWED_FHIR_SERVERS\)/);
    expect(() => demoDecision({ DEMO: 'maybe' })).toThrow(ConfigError);
  });

  test('DATABASE_URL must be a PostgreSQL URL', () => {
    expect(loadConfig({ DATABASE_URL: 'postgresql://npc:secret@db.example:5432/npc' }, dir).databaseUrl).toBe('postgresql://npc:secret@db.example:5432/npc');
    expect(() => loadConfig({ DATABASE_URL: 'mysql://db.example/npc' }, dir)).toThrow(/DATABASE_URL/);
  });

  test('WORKERS is a count or auto (one per core), and the demo refuses more than one', () => {
    expect(loadConfig({ WORKERS: '4', DEMO: 'off' }, dir).workers).toBe(4);
    expect(loadConfig({ WORKERS: 'auto', DEMO: 'off' }, dir).workers).toBe(availableParallelism());
    expect(() => loadConfig({ WORKERS: '0', DEMO: 'off' }, dir)).toThrow(/WORKERS/);
    expect(() => loadConfig({ WORKERS: '2' }, dir)).toThrow(/the demo runs in one process/);
  });
});

describe('server limits and load shedding', () => {
  test('with nothing set, requests have 30 s, bodies 10 s, a process serves 1,000 sockets and 64 hook calls at once, and sheds when its event loop runs 200 ms late or is busy 98 % of the time', () => {
    const c = loadConfig({}, dir);
    expect(c.lifecycle).toEqual({ requestTimeoutMs: 30_000, headersTimeoutMs: 15_000, bodyTimeoutMs: 10_000, maxConnections: 1000, shutdownTimeoutMs: 10_000 });
    expect(c.loadShed).toEqual({ maxInFlight: 64, maxEventLoopDelayMs: 200, maxEventLoopUtilization: 0.98, retryAfterSeconds: 1 });
  });

  test('the load-shedding settings are read, and MAX_EVENT_LOOP_DELAY_MS 0 and MAX_EVENT_LOOP_UTILIZATION 0 turn the event-loop bounds off', () => {
    expect(loadConfig({ MAX_IN_FLIGHT: '8', MAX_EVENT_LOOP_DELAY_MS: '0', MAX_EVENT_LOOP_UTILIZATION: '0', SHED_RETRY_AFTER_SECONDS: '5' }, dir).loadShed).toEqual({
      maxInFlight: 8,
      maxEventLoopDelayMs: 0,
      maxEventLoopUtilization: 0,
      retryAfterSeconds: 5,
    });
    expect(loadConfig({ MAX_EVENT_LOOP_UTILIZATION: '0.9' }, dir).loadShed.maxEventLoopUtilization).toBe(0.9);
  });

  test.each(['-0.1', '1.01', 'busy', ' ', 'NaN', 'Infinity'])('MAX_EVENT_LOOP_UTILIZATION=%j stops start-up with a message naming the setting and its range', (value) => {
    expect(() => loadConfig({ MAX_EVENT_LOOP_UTILIZATION: value }, dir)).toThrow(/^MAX_EVENT_LOOP_UTILIZATION: ".*" must be a number from 0 to 1$/);
  });

  test.each([
    ['MAX_IN_FLIGHT', '0'],
    ['MAX_IN_FLIGHT', 'many'],
    ['MAX_IN_FLIGHT', '2.5'],
    ['MAX_EVENT_LOOP_DELAY_MS', '-1'],
    ['MAX_EVENT_LOOP_DELAY_MS', '60001'],
    ['SHED_RETRY_AFTER_SECONDS', '0'],
    ['SHED_RETRY_AFTER_SECONDS', '3601'],
    ['REQUEST_TIMEOUT_MS', '499'],
    ['MAX_CONNECTIONS', '0'],
  ])('%s=%s stops start-up with a message naming the setting and its range', (name, value) => {
    expect(() => loadConfig({ [name]: value }, dir)).toThrow(new RegExp(`^${name}: "${value.replace('.', '\\.')}" must be an integer from`));
  });

  test('HEADERS_TIMEOUT_MS above REQUEST_TIMEOUT_MS stops start-up', () => {
    expect(() => loadConfig({ REQUEST_TIMEOUT_MS: '5000', HEADERS_TIMEOUT_MS: '6000' }, dir)).toThrow(/HEADERS_TIMEOUT_MS: must not exceed REQUEST_TIMEOUT_MS/);
  });
});
