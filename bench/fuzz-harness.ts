/**
 * The fuzz harness shared by the fuzz test and `npm run fuzz`: sending a case, judging the answer, and a
 * stand-in FHIR server. A case must get, within the time limit, a status of the service's contract (never
 * a 5xx: no input of these families is meant to cause one), a JSON body of the one error contract or, for
 * a 200, cards that pass our card schema, and no stack trace or file path anywhere.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import MarkdownIt from 'markdown-it';
import { responseSchema, type Card } from '../src/cds/card-schema';
import { EVIL_HOST, type Endpoint, type FuzzRequest } from './fuzz-arbitraries';

/**
 * The statuses each endpoint may answer a fuzz case with (the service runs without JWT, and with no
 * FHIR server allowed, so 401 and the FHIR-call failures cannot occur):
 * 400 bad request or malformed body, 412 required data missing (hook calls only), 413 over the body
 * limit, 415 not JSON or an unsupported encoding. No 5xx is intended.
 */
export const ALLOWED_STATUSES: Readonly<Record<Endpoint, readonly number[]>> = {
  hook: [200, 400, 412, 413, 415],
  feedback: [200, 400, 413, 415],
};

/** Error bodies name a field and up to 20 issues; anything bigger echoes the request. */
export const MAX_ERROR_BODY_BYTES = 16 * 1024;

export type FuzzOutcome =
  | { readonly kind: 'answer'; readonly status: number; readonly contentType: string; readonly text: string; readonly ms: number }
  | { readonly kind: 'hang'; readonly ms: number }
  | { readonly kind: 'network-error'; readonly message: string; readonly ms: number };

const causeOf = (e: unknown): string => {
  if (!(e instanceof Error)) return String(e);
  const cause = (e as Error & { cause?: unknown }).cause;
  return cause instanceof Error ? `${e.message}: ${cause.message}` : e.message;
};

/** Sends one case with fetch; a case without an answer (headers and body) within `timeoutMs` is a hang. */
export async function send(baseUrl: string, req: FuzzRequest, timeoutMs: number): Promise<FuzzOutcome> {
  const start = performance.now();
  try {
    const res = await fetch(`${baseUrl}${req.path}`, { method: 'POST', headers: req.headers, body: req.body, signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    return { kind: 'answer', status: res.status, contentType: res.headers.get('content-type') ?? '', text, ms: performance.now() - start };
  } catch (e) {
    const ms = performance.now() - start;
    if (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError')) return { kind: 'hang', ms };
    return { kind: 'network-error', message: causeOf(e), ms };
  }
}

/** Every string in a JSON value, member names included. */
function stringsOf(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) stringsOf(v, out);
  else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      stringsOf(v, out);
    }
  }
  return out;
}

const STACK_FRAME = /\bat (?:[^\s()]+ \()?(?:node:[\w/]+|[^\s()]*\.(?:ts|js|mjs|cjs)|<anonymous>):\d+:\d+\)?/;
const FILE_POSITION = /[\w.-]+\.(ts|js|mjs|cjs):\d+/;

/** Internals that must never reach a client: stack frames, source positions, the checkout's path, node_modules. */
export function internalsIn(text: string, repoRoot: string): string[] {
  const found: string[] = [];
  let strings: string[] = [];
  try {
    strings = stringsOf(JSON.parse(text));
  } catch {
    strings = [text];
  }
  for (const s of strings) {
    if (STACK_FRAME.test(s)) found.push(`a stack frame: ${JSON.stringify(s.slice(0, 200))}`);
    if (FILE_POSITION.test(s)) found.push(`a source position: ${JSON.stringify(s.slice(0, 200))}`);
  }
  if (text.includes(repoRoot)) found.push('the checkout path');
  if (text.includes('node_modules')) found.push('node_modules');
  if (/"stack"\s*:/.test(text)) found.push('a "stack" member');
  return found;
}

/** Card detail rendered as an EHR renders it: markdown-it with GFM autolinks (`linkify`), raw HTML off. */
const ehrMarkdown = new MarkdownIt({ linkify: true });

/** The only links a card's detail may have: the DOIs of its citations (src/core/evidence.ts). */
const OUR_DETAIL_LINK = /^https:\/\/doi\.org\/10\.\d{4,9}\/[\w.()-]+$/;

/**
 * Markdown or HTML from the request that reached a card unescaped: a link, image or autolink to the
 * fuzzer's host, raw HTML, a link of any shape other than ours once the detail is rendered with linkify
 * (an email, `mailto:`, a bare domain), or a URL member pointing to the fuzzer's host (conventions.md, habit 6).
 */
function injectionsIn(cards: readonly Card[]): string[] {
  const found: string[] = [];
  const host = EVIL_HOST.replace('.', '\\.');
  const markdown = [
    [new RegExp(`(?<!\\\\)\\]\\((?:https?:)?//${host}`), 'a Markdown link or image to the fuzzer\'s host'],
    [new RegExp(`https?://${host}|(?<!\\\\)www\\.${host}`), 'an autolink to the fuzzer\'s host'],
    [/(?<!\\)<img/i, 'raw HTML'],
  ] as const;
  cards.forEach((card, i) => {
    for (const [re, what] of markdown) if (re.test(card.detail ?? '')) found.push(`card ${i} detail has ${what}`);
    const hrefs = [...ehrMarkdown.render(card.detail ?? '').matchAll(/<a\b[^>]*\bhref="([^"]*)"/g)].map((m) => m[1] ?? '');
    if (hrefs.some((h) => !OUR_DETAIL_LINK.test(h))) found.push(`card ${i} detail renders a link that is not ours`);
    const urls = [card.source.url, card.source.icon, ...(card.links ?? []).map((l) => l.url)];
    if (urls.some((u) => u?.includes(EVIL_HOST) === true)) found.push(`card ${i} has a URL to the fuzzer's host`);
  });
  return found;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const ERROR_KEYS = new Set(['status', 'code', 'message', 'field', 'issues']);

/** The violations of one case's outcome; empty when the service behaved. */
export function violations(req: FuzzRequest, outcome: FuzzOutcome, repoRoot: string): string[] {
  if (outcome.kind === 'hang') return [`no answer within ${Math.round(outcome.ms)} ms (hang)`];
  if (outcome.kind === 'network-error') return [`no HTTP answer: ${outcome.message}`];
  const { status, contentType, text } = outcome;
  const v: string[] = [];
  if (status >= 500) v.push(`status ${status} (server error)`);
  else if (!ALLOWED_STATUSES[req.endpoint].includes(status)) v.push(`status ${status} is not one of ${ALLOWED_STATUSES[req.endpoint].join(', ')}`);
  else if (req.expected !== undefined && status !== req.expected) v.push(`status ${status}, where this case must get ${req.expected}`);
  if (!/^application\/json(;|$)/.test(contentType)) v.push(`content-type ${JSON.stringify(contentType)} is not JSON`);
  v.push(...internalsIn(text, repoRoot).map((i) => `the body shows ${i}`));
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    v.push(`the body is not JSON: ${JSON.stringify(text.slice(0, 200))}`);
    return v;
  }
  if (status >= 400) {
    const error = isObject(body) ? body['error'] : undefined;
    if (!isObject(body) || Object.keys(body).join() !== 'error' || !isObject(error)) v.push('an error body is not {"error": {...}}');
    else {
      if (error['status'] !== status) v.push(`error.status ${String(error['status'])} differs from the HTTP status ${status}`);
      if (typeof error['code'] !== 'string' || typeof error['message'] !== 'string') v.push('error.code or error.message is not a string');
      if (error['field'] !== undefined && typeof error['field'] !== 'string') v.push('error.field is not a string');
      if (error['issues'] !== undefined && !Array.isArray(error['issues'])) v.push('error.issues is not an array');
      const extra = Object.keys(error).filter((k) => !ERROR_KEYS.has(k));
      if (extra.length > 0) v.push(`error has members outside the contract: ${extra.join(', ')}`);
    }
    const bytes = Buffer.byteLength(text);
    if (bytes > MAX_ERROR_BODY_BYTES) v.push(`the error body is ${bytes} bytes (over ${MAX_ERROR_BODY_BYTES}: it echoes the request)`);
  } else if (status === 200 && req.endpoint === 'hook') {
    const parsed = responseSchema.safeParse(body);
    if (!parsed.success) v.push(`the 200 response fails the card schema: ${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    else v.push(...injectionsIn(parsed.data.cards));
  } else if (status === 200 && req.endpoint === 'feedback') {
    const ok =
      isObject(body) &&
      Object.keys(body).sort().join() === 'duplicates,stored,unknownCards' &&
      Object.values(body).every((n) => Number.isInteger(n) && (n as number) >= 0) &&
      (body['stored'] as number) + (body['duplicates'] as number) >= 1;
    if (!ok) v.push(`the 200 feedback answer is not {stored, duplicates, unknownCards}: ${text.slice(0, 200)}`);
  }
  return v;
}

/** A stand-in FHIR server on loopback, the only one the fuzzed service may call. */
export interface FhirStub {
  /** Its base URL (`http://127.0.0.1:<port>/fhir`), for ALLOWED_FHIR_SERVERS and the seeds' fhirServer. */
  readonly url: string;
  /** Requests it received so far. */
  requests(): number;
  close(): Promise<void>;
}

/**
 * Starts the stand-in FHIR server: a read of `Patient/{id}` gets that Patient, any search an empty
 * searchset Bundle, anything else a 404 OperationOutcome. So a hook call whose prefetch lost a key
 * fetches it, with the fuzzed patient id and bearer token, and gets data that lead to no finding.
 */
export async function startFhirStub(): Promise<FhirStub> {
  let count = 0;
  const server: Server = createServer((req, res) => {
    count += 1;
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const read = /^\/fhir\/Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(url.pathname);
    const search = /^\/fhir\/[A-Za-z]+$/.test(url.pathname) && req.method === 'GET';
    const body = read !== null
      ? { resourceType: 'Patient', id: read[1] }
      : search
        ? { resourceType: 'Bundle', type: 'searchset', total: 0, entry: [] }
        : { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found' }] };
    req.resume();
    res.writeHead(read !== null || search ? 200 : 404, { 'content-type': 'application/fhir+json' }).end(JSON.stringify(body));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/fhir`,
    requests: () => count,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
