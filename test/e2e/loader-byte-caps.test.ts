/**
 * The SMART app runs the service's loader in the browser: its byte caps must hold there too (issue 19,
 * item 2). The loader as esbuild bundles it for the browser runs in Chromium, in a page served by a
 * node:http stub on 127.0.0.1 that is also the FHIR server (same origin), and reads answers of 100 MiB,
 * plain and gzip, a declared 1 GiB, and one under the caps. The stub tells whether the browser closed the
 * connection before the end.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../support/browser';
import { writePieces } from '../support/streaming';

const MiB = 1024 * 1024;
const PATIENT = 'npc-browser-size';
const ROOT = path.resolve(__dirname, '../..');

jest.setTimeout(120_000);

const entry = (i: number) =>
  `{"resource":{"resourceType":"Observation","id":"b-${i}","status":"final","subject":{"reference":"Patient/${PATIENT}"},"code":{"coding":[{"system":"http://loinc.org","code":"718-7"}]}}}`;
const CHUNK = Buffer.from(
  Array.from({ length: 400 }, (_, i) => `${entry(i)},`).join(''),
);
const HEAD = Buffer.from('{"resourceType":"Bundle","type":"searchset","entry":[');
const TAIL = Buffer.from(`${entry(-1)}]}`);

/** A valid searchset of about `total` bytes, as pieces. */
function* pieces(total: number): Generator<Buffer> {
  yield HEAD;
  for (let n = HEAD.length + TAIL.length; n < total; n += CHUNK.length) yield CHUNK;
  yield TAIL;
}

interface Sent {
  bytes: number;
  closedEarly: boolean;
  finished: boolean;
}

type Observations = (res: ServerResponse, sent: Sent) => Promise<void> | void;

/** Writes the pieces with backpressure, counting the bytes handed to the socket. */
const writeAll = (res: ServerResponse, sent: Sent, body: Iterable<Buffer>, paceMs = 0): Promise<void> =>
  writePieces(res, body, (piece) => {
    sent.bytes += piece.length;
  }, paceMs);

let server: Server;
let origin: string;
let script: string;
let browser: Browser;
let page: Page;
let observations: Observations;
let sent: Sent[] = [];

beforeAll(async () => {
  const bundled = await build({
    stdin: { contents: "export { loadPatientRecord } from './src/fhir/loader';", resolveDir: ROOT, loader: 'ts' },
    bundle: true,
    format: 'iife',
    globalName: 'npcLoader',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  script = bundled.outputFiles[0]?.text ?? '';
  server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (url === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><title>loader</title><script src="/loader.js"></script>');
      return;
    }
    if (url === '/loader.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
      res.end(script);
      return;
    }
    const record: Sent = { bytes: 0, closedEarly: false, finished: false };
    res.on('finish', () => (record.finished = true));
    res.on('close', () => (record.closedEarly = !res.writableFinished));
    if (url.startsWith('/fhir/Observation')) {
      sent.push(record);
      Promise.resolve(observations(res, record)).catch(() => res.destroy());
      return;
    }
    res.writeHead(200, { 'content-type': 'application/fhir+json' });
    res.end(url.startsWith('/fhir/Patient/') ? JSON.stringify({ resourceType: 'Patient', id: PATIENT }) : '{"resourceType":"Bundle","type":"searchset","entry":[]}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchChromium();
  page = await browser.newPage();
  await page.goto(`${origin}/`);
});

afterAll(async () => {
  await browser?.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  sent = [];
});

/** Runs the bundled loader in the page: `loaded` with the Observation count, or the failures. */
function loadInBrowser(): Promise<{ loaded?: number; failures?: { key: string; reason: string; limitBytes?: number }[]; error?: string }> {
  return page.evaluate(async (base) => {
    const w = window as unknown as { npcLoader: { loadPatientRecord: (r: unknown, o: unknown) => Promise<{ record: { observations: unknown[] } }> } };
    try {
      const result = await w.npcLoader.loadPatientRecord(
        { patientId: 'npc-browser-size', fhirServer: base, fhirAuthorization: { access_token: 'browser-token', token_type: 'Bearer' } },
        { allowedFhirServers: [base], deadlineMs: 60_000 },
      );
      return { loaded: result.record.observations.length };
    } catch (e) {
      const failures = (e as { failures?: { key: string; reason: string; limitBytes?: number }[] }).failures;
      return failures === undefined ? { error: String(e) } : { failures: failures.map((f) => ({ key: f.key, reason: f.reason, ...(f.limitBytes === undefined ? {} : { limitBytes: f.limitBytes }) })) };
    }
  }, `${origin}/fhir`);
}

async function settled(): Promise<Sent> {
  for (let waited = 0; waited < 5000; waited += 10) {
    const s = sent[0];
    if (s !== undefined && (s.finished || s.closedEarly)) return s;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('the Observation answer neither finished nor closed');
}

const TOO_LARGE = [{ key: 'observations', reason: 'too-large', limitBytes: 20 * MiB }];

describe('the loader in the browser (the SMART app’s) stops at the byte caps', () => {
  test('an Observation search streaming 100 MiB of plain JSON is too-large and the browser closes the connection after less than 60 MiB', async () => {
    observations = (res, record) => {
      res.writeHead(200, { 'content-type': 'application/fhir+json' });
      return writeAll(res, record, pieces(100 * MiB));
    };

    expect(await loadInBrowser()).toEqual({ failures: TOO_LARGE });
    const s = await settled();
    expect({ closedEarly: s.closedEarly, finished: s.finished }).toEqual({ closedEarly: true, finished: false });
    // How much the stub writes before the hang-up reaches it depends on machine load (45.8 MB seen in CI).
    expect(s.bytes).toBeLessThan(60 * MiB);
  });

  test('a gzip answer that inflates to 100 MiB is counted decoded: too-large, and the connection is closed before half of it', async () => {
    const compressed = gzipSync(Buffer.concat([...pieces(100 * MiB)]));
    const encoded = compressed.length;
    expect(encoded).toBeLessThan(2 * MiB);
    // In slices of 8 KiB, paced, so that the stub sees where the browser hung up (the whole small body
    // would otherwise sit in the socket buffers before the browser had inflated any of it).
    const slices: Buffer[] = [];
    for (let at = 0; at < encoded; at += 8 * 1024) slices.push(compressed.subarray(at, at + 8 * 1024));
    observations = (res, record) => {
      res.writeHead(200, { 'content-type': 'application/fhir+json', 'content-encoding': 'gzip', 'content-length': String(encoded) });
      return writeAll(res, record, slices, 10);
    };

    expect(await loadInBrowser()).toEqual({ failures: TOO_LARGE });
    const s = await settled();
    expect({ closedEarly: s.closedEarly, finished: s.finished }).toEqual({ closedEarly: true, finished: false });
    expect(s.bytes).toBeLessThan(encoded / 2);
  });

  test('a declared Content-Length of 1 GiB is refused before the body is read', async () => {
    observations = (res, record) => {
      res.writeHead(200, { 'content-type': 'application/fhir+json', 'content-length': String(1024 * MiB) });
      return writeAll(res, record, pieces(1024 * MiB), 5);
    };

    expect(await loadInBrowser()).toEqual({ failures: TOO_LARGE });
    const s = await settled();
    expect(s.closedEarly).toBe(true);
    expect(s.bytes).toBeLessThan(4 * MiB);
  });

  test('an Observation search of 5 MiB, gzip, under the caps, is read whole', async () => {
    const body = gzipSync(Buffer.concat([...pieces(5 * MiB)]));
    observations = (res, record) => {
      res.writeHead(200, { 'content-type': 'application/fhir+json', 'content-encoding': 'gzip', 'content-length': String(body.length) });
      record.bytes = body.length;
      res.end(body);
    };

    const result = await loadInBrowser();

    expect(result.loaded).toBeGreaterThan(20_000);
    expect((await settled()).finished).toBe(true);
  });
});
