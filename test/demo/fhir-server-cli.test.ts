/**
 * `npm run fhir-server`: the argument and seed checks, then the entry point itself as a child process
 * (bundled from src/ with esbuild into node_modules/.cache, so that the test needs no `npm run build`),
 * reached over real HTTP on loopback.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import type { Bundle, CapabilityStatement, Observation, Patient } from 'fhir/r4';
import { parseCliArguments, readSeed, SeedError, UsageError } from '../../src/demo/fhir-server-cli';
import { DEMO_PATIENTS } from '../../src/demo/patients';

jest.setTimeout(60_000);

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'node_modules', '.cache', 'npc-cds-tests', 'fhir-server-cli.js');
const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'low-ictos-low-risk.bundle.json');
const LISTENING = /FHIR server listening at (http:\/\/\S+)/;

let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'fhir-server-cli-'));
  // Inside the project, so that the bundle finds package.json (paths.ts) and node_modules above it.
  await build({ entryPoints: [path.join(ROOT, 'src/demo/fhir-server-cli.ts')], outfile: CLI, bundle: true, platform: 'node', format: 'cjs', packages: 'external', logLevel: 'silent' });
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const file = (name: string, content: unknown): string => {
  const p = path.join(dir, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
};

describe('the fhir-server command line', () => {
  test('with no arguments it listens on a free port of 127.0.0.1 under /fhir, empty, open to any origin', () => {
    expect(parseCliArguments([])).toEqual({ port: 0, host: '127.0.0.1', basePath: '/fhir', seeds: [], demoPatients: false, corsOrigins: '*' });
  });

  test('every option is read, and --seed may be given several times', () => {
    const argv = ['--port', '8090', '--host', '::1', '--base', '/r4', '--seed', 'a.json', '--seed', 'b.json', '--demo-patients', '--cors-origins', 'http://localhost:3000, https://sandbox.example.org'];
    expect(parseCliArguments(argv)).toEqual({
      port: 8090,
      host: '::1',
      basePath: '/r4',
      seeds: ['a.json', 'b.json'],
      demoPatients: true,
      corsOrigins: ['http://localhost:3000', 'https://sandbox.example.org'],
    });
  });

  test('--help asks for the usage text', () => {
    expect(parseCliArguments(['--help'])).toBeUndefined();
  });

  test.each([
    [['--port', 'abc'], /--port: "abc" is not a port number/],
    [['--port', '-1'], /--port/],
    [['--port', '65536'], /--port: "65536"/],
    [['--port', '80.5'], /--port/],
    [['--base', '/fhir?x=1'], /--base/],
    [['--cors-origins', 'http://localhost:3000/app'], /"http:\/\/localhost:3000\/app" is not an origin/],
    [['--cors-origins', ' , '], /--cors-origins/],
    [['--seeds', 'a.json'], /seeds/],
    [['extra'], /extra/],
  ])('%j is a usage error', (argv, message) => {
    expect(() => parseCliArguments(argv)).toThrow(UsageError);
    expect(() => parseCliArguments(argv)).toThrow(message);
  });
});

describe('a seed file', () => {
  test.each([
    ['that does not exist', () => path.join(dir, 'missing.json'), /cannot be read \(ENOENT\)/],
    ['that is not JSON', () => file('not-json.json', '{"resourceType": "Bundle",'), /not valid JSON/],
    ['that is a resource, not a Bundle', () => file('patient.json', { resourceType: 'Patient', id: 'p' }), /not a FHIR Bundle/],
    ['that is a document Bundle', () => file('document.json', { resourceType: 'Bundle', type: 'document', entry: [] }), /Bundle.type "document" cannot be loaded/],
    ['whose collection entry has no resource', () => file('no-resource.json', { resourceType: 'Bundle', type: 'collection', entry: [{ fullUrl: 'x' }] }), /entry 0 has no resource/],
    ['whose transaction entry has no request', () => file('no-request.json', { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: { resourceType: 'Patient' } }] }), /entry 0 of a transaction has no request/],
  ])('%s is refused with a message naming the file', (_label, make, message) => {
    const p = make();
    expect(() => readSeed(p)).toThrow(SeedError);
    expect(() => readSeed(p)).toThrow(message);
    expect(() => readSeed(p)).toThrow(p);
  });

  test('a scenario fixture (a collection) is accepted', () => {
    expect(readSeed(FIXTURE).type).toBe('collection');
  });
});

interface Run {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  output(): string;
}

function run(args: readonly string[]): Run {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env['PATH'] ?? '' } });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

/** The base URL the process prints once it is seeded and listening. */
async function baseUrlOf(r: Run): Promise<string> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const match = LISTENING.exec(r.output());
    if (match?.[1] !== undefined) return match[1];
    if (r.child.exitCode !== null) throw new Error(`exited with ${r.child.exitCode}:\n${r.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no URL within 30 s:\n${r.output()}`);
}

const getJson = async <T,>(url: string): Promise<T> => (await (await fetch(url)).json()) as T;
const ids = (bundle: Bundle): (string | undefined)[] => (bundle.entry ?? []).map((e) => e.resource?.id);

describe('npm run fhir-server, as a child process', () => {
  const running: Run[] = [];
  afterEach(() => {
    for (const r of running.splice(0)) if (r.child.exitCode === null) r.child.kill('SIGKILL');
  });
  const start = (args: readonly string[]): Run => {
    const r = run(args);
    running.push(r);
    return r;
  };

  test('seeded with a fixture and a transaction, it prints its URL, serves both, answers CORS and metadata, and exits 0 on SIGTERM', async () => {
    const transaction = file('transaction.json', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [{ resource: { resourceType: 'Observation', id: 'extra-obs', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/llr-patient' } }, request: { method: 'PUT', url: 'Observation/extra-obs' } }],
    });
    const r = start(['--port', '0', '--base', '/fhir', '--seed', FIXTURE, '--seed', transaction]);
    const baseUrl = await baseUrlOf(r);
    expect(baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/fhir$/);
    expect(r.output()).toMatch(/Loaded Patient 1, .*Observation \d+/);

    const tCategory = await getJson<Bundle>(`${baseUrl}/Observation?${new URLSearchParams({ patient: 'llr-patient', code: 'http://loinc.org|21905-5' }).toString()}`);
    expect(ids(tCategory)).toEqual(['llr-t']);
    expect((await getJson<Observation>(`${baseUrl}/Observation/extra-obs`)).subject?.reference).toBe('Patient/llr-patient');
    const metadata = await getJson<CapabilityStatement>(`${baseUrl}/metadata`);
    expect(metadata).toMatchObject({ resourceType: 'CapabilityStatement', fhirVersion: '4.0.1' });
    const preflight = await fetch(`${baseUrl}/Observation/_search`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');

    r.child.kill('SIGTERM');
    expect(await r.exited).toBe(0);
    await expect(fetch(`${baseUrl}/metadata`)).rejects.toThrow();
  });

  test('--demo-patients under another base path serves the ten synthetic patients', async () => {
    const r = start(['--demo-patients', '--base', '/r4']);
    const baseUrl = await baseUrlOf(r);
    expect(baseUrl).toMatch(/\/r4$/);
    const patients = await getJson<Bundle<Patient>>(`${baseUrl}/Patient?_count=50`);
    expect(ids(patients).sort()).toEqual(DEMO_PATIENTS.map((p) => p.id).sort());
    r.child.kill('SIGTERM');
    expect(await r.exited).toBe(0);
  });

  test('a bad seed file ends it with exit code 1 and a message naming the file, before it listens', async () => {
    const bad = file('bad-seed.json', { resourceType: 'Patient', id: 'p' });
    const r = start(['--seed', FIXTURE, '--seed', bad]);
    expect(await r.exited).toBe(1);
    expect(r.output()).toContain(`fhir-server: seed ${bad}: not a FHIR Bundle`);
    expect(r.output()).not.toMatch(LISTENING);
  });

  test('a seed whose transaction fails ends it with exit code 1, naming the file and the entry', async () => {
    const failing = file('failing.json', { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: { resourceType: 'Patient', id: 'a' }, request: { method: 'PUT', url: 'Patient/b' } }] });
    const r = start(['--seed', failing]);
    expect(await r.exited).toBe(1);
    expect(r.output()).toContain(`fhir-server: seed ${failing}: `);
    expect(r.output()).not.toMatch(LISTENING);
  });

  test('a port in use ends it with exit code 1 and says so', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as AddressInfo;
    try {
      const r = start(['--port', String(port)]);
      expect(await r.exited).toBe(1);
      expect(r.output()).toContain(`fhir-server: cannot listen on 127.0.0.1:${port}: the port is in use`);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  test('a bad port ends it with exit code 2 and the usage text', async () => {
    const r = start(['--port', 'http']);
    expect(await r.exited).toBe(2);
    expect(r.output()).toContain('--port: "http" is not a port number');
    expect(r.output()).toContain('Usage: npm run fhir-server');
  });
});
