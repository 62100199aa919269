/**
 * fast-check arbitraries of hostile requests to the CDS Hooks endpoints (POST /cds-services/{id} and
 * POST /cds-services/{id}/feedback), shared by the fuzz test (test/hardening/fuzz.test.ts) and the long
 * run (bench/fuzz.ts). They live under bench/ because `npm run fuzz` compiles only src/ and bench/, and
 * they use no jest globals so that both can import them.
 *
 * Four families, each an arbitrary of {@link FuzzRequest}:
 *   - random JSON: any JSON value (unicode strings with emoji, RTL marks, NUL, lone surrogates), and
 *     random values shaped like a hook call or a feedback body, to any service and endpoint;
 *   - mutated hook calls: valid request bodies (the seeds) with one to four mutations at random places
 *     (delete, wrong type, ~1 MB strings, thousands of levels of nesting, huge arrays and objects,
 *     duplicate keys, numbers JSON.stringify cannot write, `__proto__` / `constructor` keys, unicode,
 *     Markdown and HTML); a string mutation goes to a string, a member-name mutation to a member;
 *   - mutated feedback: the same mutations on valid feedback bodies about cards the service issued;
 *   - raw bodies: truncated JSON, invalid UTF-8, wrong or odd Content-Type and Content-Encoding, empty
 *     bodies, and bodies above the body limit (with the status each must get, where the case decides it).
 * And {@link stringSweep}: every string of every seed with each of a few nasty texts inserted, in order.
 *
 * The seeds are valid hook calls built from the scenario fixtures ({@link fixtureSeeds}, the same bodies
 * as test/support/app.ts builds) and valid feedback about cards the service issued ({@link feedbackSeeds}).
 *
 * A mutated body is a tree of {@link Node}s written to text by {@link toJsonText}, so that it can hold
 * what a JavaScript object cannot (duplicate keys, `1e309`, `-0`) and nesting far deeper than
 * JSON.stringify could write.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync, deflateSync, brotliCompressSync } from 'node:zlib';
import fc from 'fast-check';
import type { Card } from '../src/cds/card-schema';

// ---- the requests -----------------------------------------------------------------------------------

export type Hook = 'patient-view' | 'order-select' | 'order-sign';
export type Endpoint = 'hook' | 'feedback';
/** The four random families; `string-sweep` is the deterministic sweep of {@link stringSweep}. */
export type Family = 'random-json' | 'mutated-hook' | 'mutated-feedback' | 'raw-body';
export type CaseFamily = Family | 'string-sweep';

export const SERVICE_OF_HOOK: Readonly<Record<Hook, string>> = {
  'patient-view': 'npc-treatment-guidance',
  'order-select': 'npc-induction-order-check-select',
  'order-sign': 'npc-induction-order-check-sign',
};
export const SERVICE_IDS: readonly string[] = Object.values(SERVICE_OF_HOOK);

/** Bytes over a plain ArrayBuffer, as fetch takes them. */
export type Bytes = Uint8Array<ArrayBuffer>;

/** One fuzz case: where it goes, its headers and its bytes, and a short account of how it was made. */
export class FuzzRequest {
  constructor(
    readonly family: CaseFamily,
    readonly service: string,
    readonly endpoint: Endpoint,
    readonly headers: Readonly<Record<string, string>>,
    readonly body: Bytes,
    /** How the case was made ("mutated order-sign seed 3: huge-string at context.patientId"). */
    readonly label: string,
    /** The one status the case must get, when the mutation decides it (413 over the limit, 415 not JSON). */
    readonly expected?: number,
  ) {}

  get path(): string {
    return this.endpoint === 'hook' ? `/cds-services/${this.service}` : `/cds-services/${this.service}/feedback`;
  }

  /** What fast-check prints for a counterexample: never the whole body (it can be megabytes). */
  [fc.toStringMethod](): string {
    const text = Buffer.from(this.body).toString('utf8');
    const head = text.length > 400 ? `${text.slice(0, 300)}…(${text.length - 400} more)…${text.slice(-100)}` : text;
    return `POST ${this.path} ${JSON.stringify(this.headers)} ${this.body.byteLength} bytes [${this.label}] ${JSON.stringify(head)}`;
  }
}

// ---- JSON trees -------------------------------------------------------------------------------------

/** An object as written: its members in order, duplicates allowed. */
export class ObjectNode {
  constructor(readonly entries: readonly (readonly [string, Node])[]) {}
}
/** A fragment written verbatim (a number JSON.stringify cannot write, `-0`). */
export class RawNode {
  constructor(readonly text: string) {}
}
/** `inner` wrapped in `depth` arrays or objects, written without recursion. */
export class NestNode {
  constructor(
    readonly depth: number,
    readonly style: 'array' | 'object',
    readonly inner: Node,
  ) {}
}
/** An array of `count` copies of `item`, cut so that the array stays under `maxBytes` of text. */
export class RepeatNode {
  constructor(
    readonly count: number,
    readonly item: Node,
    readonly maxBytes: number,
  ) {}
}
/** An object of `count` members `k0`, `k1`, ... all `item`, cut so that it stays under `maxBytes` of text. */
export class WideNode {
  constructor(
    readonly count: number,
    readonly item: Node,
    readonly maxBytes: number,
  ) {}
}
export type Node = null | boolean | number | string | readonly Node[] | ObjectNode | RawNode | NestNode | RepeatNode | WideNode;

/** A JSON value (as JSON.parse returns it) as a tree. */
export function toNode(value: unknown): Node {
  if (value === null || typeof value === 'boolean' || typeof value === 'number' || typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(toNode);
  if (typeof value === 'object') return new ObjectNode(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, toNode(v)] as const));
  return null;
}

function write(node: Node, out: string[]): void {
  if (node === null || typeof node === 'boolean') out.push(String(node));
  else if (typeof node === 'number') out.push(Number.isFinite(node) ? JSON.stringify(node) : 'null');
  else if (typeof node === 'string') out.push(JSON.stringify(node));
  else if (node instanceof RawNode) out.push(node.text);
  else if (node instanceof ObjectNode) {
    out.push('{');
    node.entries.forEach(([k, v], i) => {
      if (i > 0) out.push(',');
      out.push(JSON.stringify(k), ':');
      write(v, out);
    });
    out.push('}');
  } else if (node instanceof NestNode) {
    out.push(node.style === 'array' ? '['.repeat(node.depth) : '{"a":'.repeat(node.depth));
    write(node.inner, out);
    out.push((node.style === 'array' ? ']' : '}').repeat(node.depth));
  } else if (node instanceof RepeatNode) {
    const item = toJsonText(node.item);
    const count = Math.max(1, Math.min(node.count, Math.floor(node.maxBytes / (item.length + 1))));
    out.push('[', `${item},`.repeat(count - 1), item, ']');
  } else if (node instanceof WideNode) {
    const item = toJsonText(node.item);
    const count = Math.max(1, Math.min(node.count, Math.floor(node.maxBytes / (item.length + 12))));
    out.push('{', Array.from({ length: count }, (_, i) => `"k${i}":${item}`).join(','), '}');
  } else {
    out.push('[');
    node.forEach((v, i) => {
      if (i > 0) out.push(',');
      write(v, out);
    });
    out.push(']');
  }
}

/** The JSON text of a tree. */
export function toJsonText(node: Node): string {
  const out: string[] = [];
  write(node, out);
  return out.join('');
}

type Step = number;
/** A place in a tree: child indices from the root, whether it holds a string, whether it is an object member. */
export interface Place {
  readonly at: readonly Step[];
  readonly string: boolean;
  readonly member: boolean;
}

/** Every place in a tree, the root first; `maxDepth` bounds the walk. */
export function placesOf(node: Node, maxDepth = 64): Place[] {
  const places: Place[] = [];
  const walk = (n: Node, at: Step[], member: boolean) => {
    places.push({ at, string: typeof n === 'string', member });
    if (at.length >= maxDepth) return;
    if (n instanceof ObjectNode) n.entries.forEach(([, v], i) => walk(v, [...at, i], true));
    else if (Array.isArray(n)) (n as readonly Node[]).forEach((v, i) => walk(v, [...at, i], false));
  };
  walk(node, [], false);
  return places;
}

/** A member name as a label shows it: plain names as they are, others quoted, short and in printable ASCII. */
const printable = (key: string) =>
  /^[\w$@:/+-]{1,40}$/.test(key) ? key : JSON.stringify(key.slice(0, 16)).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** The member names and indices of a place, for labels ("context.draftOrders.entry.0"). */
export function nameOf(root: Node, at: readonly Step[]): string {
  const names: string[] = [];
  let n: Node = root;
  for (const i of at) {
    if (n instanceof ObjectNode) {
      const e = n.entries[i];
      names.push(printable(e?.[0] ?? '?'));
      n = e?.[1] ?? null;
    } else if (Array.isArray(n)) {
      names.push(String(i));
      n = (n as readonly Node[])[i] ?? null;
    }
  }
  const name = names.join('.') || '(body)';
  return name.length > 80 ? `${name.slice(0, 80)}…` : name;
}

/** What replaces one member or element: nothing (deleted), itself changed, or several (duplicates). */
type Splice = (key: string | undefined, node: Node) => readonly (readonly [string | undefined, Node])[];

function spliceAt(root: Node, at: readonly Step[], splice: Splice): Node {
  if (at.length === 0) return splice(undefined, root)[0]?.[1] ?? null;
  const [i, ...rest] = at as [Step, ...Step[]];
  if (root instanceof ObjectNode) {
    const entry = root.entries[i];
    if (entry === undefined) return root;
    const replaced: (readonly [string, Node])[] =
      rest.length > 0 ? [[entry[0], spliceAt(entry[1], rest, splice)]] : splice(entry[0], entry[1]).map(([k, v]) => [k ?? entry[0], v] as const);
    return new ObjectNode([...root.entries.slice(0, i), ...replaced, ...root.entries.slice(i + 1)]);
  }
  if (Array.isArray(root)) {
    const items = root as readonly Node[];
    const item = items[i];
    if (item === undefined) return root;
    const replaced = rest.length > 0 ? [spliceAt(item, rest, splice)] : splice(undefined, item).map(([, v]) => v);
    return [...items.slice(0, i), ...replaced, ...items.slice(i + 1)];
  }
  return root;
}

// ---- strings ----------------------------------------------------------------------------------------

/** Markdown and HTML that must never reach a card's detail unescaped (see {@link EVIL_HOST}). */
export const EVIL_HOST = 'evil.example';
export const INJECTIONS: readonly string[] = [
  `[click](https://${EVIL_HOST}/a)`,
  `![img](https://${EVIL_HOST}/i.png)`,
  `<img src=x onerror=alert(1)>`,
  `https://${EVIL_HOST}/b`,
  `www.${EVIL_HOST}`,
  '\n# heading\n',
  '| a | b |',
  // Autolinks GFM and linkify find without a scheme (issue 19): an email, mailto:, a bare domain of a known TLD.
  'npc contact-radiology@evil.com',
  'mailto:x@evil.com',
  '(evil.com)',
];

/** Characters that break naive code: NUL, bidi controls, BOM, line separators, lone surrogates, emoji, combining marks, RTL text. */
export const NASTY_UNITS: readonly string[] = [
  '\u0000', '\u0001', '\u001f', '\u007f', '\u0085', '\u00a0', '\u00ad',
  '\u200b', '\u200d', '\u200e', '\u200f', '\u202a', '\u202e', '\u2066', '\u2069', '\u061c',
  '\ufeff', '\ufffd', '\uffff', '\u2028', '\u2029',
  '\ud800', '\udbff', '\udc00', '\udfff',
  '\ud83e\uddec', '\ud83d\udc69\ud83c\udffd\u200d\u2695\ufe0f', '\ud83c\uddfa\ud83c\uddf3',
  'e\u0301', 'Z\u0351\u0360\u0337', '\u0645\u0631\u062d\u0628\u0627', '\u05e9\u05dc\u05d5\u05dd', '\u9f3b\u54bd\u764c', '\ud835\udd73',
  ' ', '"', '\\', '/', '\n', '\r', '\t', '{{', '}}', '()', '[', ']', '(', ')', '*', '_', '#', '|', '<', '>', '&', '%s', '%n', '$', '\'', '`',
  ...INJECTIONS,
];

const unit = fc.oneof(
  { arbitrary: fc.constantFrom(...NASTY_UNITS), weight: 3 },
  { arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), weight: 1 },
  { arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)), weight: 1 },
  { arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }), weight: 3 },
);

/** Short strings of unicode, with the nasty characters often. */
export const unicodeString = (maxLength = 24): fc.Arbitrary<string> => fc.string({ unit, maxLength });

/** The characters a huge string is made of. */
const HUGE_UNITS = ['A', ' ', '\u0000', '\ud83e\uddec', '\u05e9', '\u202e', '\ud800', 'e\u0301', '"', '\\'] as const;

// ---- mutations --------------------------------------------------------------------------------------

const SPECIAL_NUMBERS = [
  '1e309', '-1e309', '-0', '-0.0', '0e0', '1E-400', '5e-324', '1.7976931348623157e308', '9007199254740993', '-9007199254740993',
  '123456789012345678901234567890', '0.30000000000000004', '1.0000000000000000000000001', '1e+21', '1e-7', '100000000000000000000000e-3',
] as const;
const NUMBER_STRINGS = ['NaN', 'Infinity', '-Infinity', '1e309', '-0', '0x10', '1_000', ' 42 ', '', '٣', '\uff11'] as const;
const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__', 'toJSON', 'then'] as const;

const smallJson: fc.Arbitrary<Node> = fc.jsonValue({ maxDepth: 4, stringUnit: unit }).map(toNode);

type Mutation =
  | { readonly kind: 'delete' }
  | { readonly kind: 'wrong-type'; readonly value: Node }
  | { readonly kind: 'swap-type' }
  | { readonly kind: 'huge-string'; readonly length: number; readonly unit: string }
  | { readonly kind: 'deep-nesting'; readonly depth: number; readonly style: 'array' | 'object'; readonly keep: boolean }
  | { readonly kind: 'huge-array'; readonly count: number; readonly of: 'itself' | 'zero' | 'null' | 'empty-object' }
  | { readonly kind: 'wide-object'; readonly count: number; readonly of: 'itself' | 'zero' | 'null' }
  | { readonly kind: 'number'; readonly raw: string }
  | { readonly kind: 'number-string'; readonly text: string }
  | { readonly kind: 'prototype-key'; readonly key: string; readonly value: Node; readonly rename: boolean }
  | { readonly kind: 'duplicate-key'; readonly value: Node; readonly before: boolean }
  | { readonly kind: 'rename-key'; readonly key: string; readonly spoil: Node | undefined }
  | { readonly kind: 'unicode'; readonly text: string; readonly mode: 'replace' | 'insert' | 'append' }
  | { readonly kind: 'truncate-string'; readonly keep: number };

const wrongTypes: fc.Arbitrary<Node> = fc.oneof(
  fc.constantFrom<Node>(null, true, false, 0, -1, 1.5, '', 'x', [], [null], new ObjectNode([]), new ObjectNode([['resourceType', 'Bundle']]), new ObjectNode([['resourceType', 'OperationOutcome']])),
  smallJson,
);

/** Mutations by kind, the expensive ones (megabytes of text) rarer. */
export function mutation(): fc.Arbitrary<Mutation> {
  return fc.oneof(
    { arbitrary: fc.constant<Mutation>({ kind: 'delete' }), weight: 12 },
    { arbitrary: wrongTypes.map((value): Mutation => ({ kind: 'wrong-type', value })), weight: 12 },
    { arbitrary: fc.constant<Mutation>({ kind: 'swap-type' }), weight: 6 },
    {
      arbitrary: fc
        .record({ length: fc.oneof(fc.integer({ min: 1000, max: 70_000 }), fc.constantFrom(1 << 20, (1 << 20) + 1, 2 << 20)), unit: fc.constantFrom(...HUGE_UNITS) })
        .map((r): Mutation => ({ kind: 'huge-string', length: r.length, unit: r.unit })),
      weight: 2,
    },
    {
      arbitrary: fc
        .record({ depth: fc.oneof(fc.integer({ min: 100, max: 5000 }), fc.constantFrom(10_000, 100_000, 400_000)), style: fc.constantFrom('array' as const, 'object' as const), keep: fc.boolean() })
        .map((r): Mutation => ({ kind: 'deep-nesting', ...r })),
      weight: 2,
    },
    {
      arbitrary: fc
        .record({ count: fc.oneof(fc.integer({ min: 1001, max: 20_000 }), fc.constantFrom(100_000, 1_000_000)), of: fc.constantFrom('itself' as const, 'zero' as const, 'null' as const, 'empty-object' as const) })
        .map((r): Mutation => ({ kind: 'huge-array', ...r })),
      weight: 2,
    },
    {
      arbitrary: fc
        .record({ count: fc.oneof(fc.integer({ min: 100, max: 20_000 }), fc.constant(400_000)), of: fc.constantFrom('itself' as const, 'zero' as const, 'null' as const) })
        .map((r): Mutation => ({ kind: 'wide-object', ...r })),
      weight: 2,
    },
    { arbitrary: fc.constantFrom(...SPECIAL_NUMBERS).map((raw): Mutation => ({ kind: 'number', raw })), weight: 5 },
    { arbitrary: fc.constantFrom(...NUMBER_STRINGS).map((text): Mutation => ({ kind: 'number-string', text })), weight: 3 },
    {
      arbitrary: fc
        .record({ key: fc.constantFrom(...PROTOTYPE_KEYS), value: fc.oneof(wrongTypes, fc.constant<Node>(new ObjectNode([['polluted', true], ['resourceType', 'Bundle']]))), rename: fc.boolean() })
        .map((r): Mutation => ({ kind: 'prototype-key', ...r })),
      weight: 6,
    },
    { arbitrary: fc.record({ value: wrongTypes, before: fc.boolean() }).map((r): Mutation => ({ kind: 'duplicate-key', ...r })), weight: 5 },
    {
      arbitrary: fc
        .record({
          key: fc.oneof(unicodeString(12), fc.constantFrom('', ' ', 'resourceType', 'hook', 'entry', 'resource', 'id'), fc.integer({ min: 256, max: 70_000 }).map((n) => 'k'.repeat(n))),
          spoil: fc.option(wrongTypes, { nil: undefined }),
        })
        .map((r): Mutation => ({ kind: 'rename-key', ...r })),
      weight: 4,
    },
    {
      arbitrary: fc.record({ text: unicodeString(16), mode: fc.constantFrom('replace' as const, 'insert' as const, 'append' as const) }).map((r): Mutation => ({ kind: 'unicode', ...r })),
      weight: 8,
    },
    { arbitrary: fc.nat(40).map((keep): Mutation => ({ kind: 'truncate-string', keep })), weight: 3 },
  );
}

const typeSwap = (n: Node): Node => {
  if (typeof n === 'string') return Number.isNaN(Number(n)) ? n.length : Number(n);
  if (typeof n === 'number') return String(n);
  if (typeof n === 'boolean') return n ? 'true' : 'false';
  if (n === null) return 'null';
  if (n instanceof ObjectNode) return n.entries.map(([, v]) => v);
  if (Array.isArray(n)) return new ObjectNode((n as readonly Node[]).map((v, i) => [String(i), v] as const));
  return null;
};

/** Applies one mutation at one place; returns the new tree. */
export function applyMutation(root: Node, at: readonly Step[], m: Mutation, bodyLimitBytes: number): Node {
  const budget = Math.floor(bodyLimitBytes * 0.8);
  switch (m.kind) {
    case 'delete':
      return spliceAt(root, at, () => []);
    case 'wrong-type':
      return spliceAt(root, at, (k) => [[k, m.value]]);
    case 'swap-type':
      return spliceAt(root, at, (k, n) => [[k, typeSwap(n)]]);
    case 'huge-string': {
      const length = Math.min(m.length, Math.floor(budget / Math.max(1, Buffer.byteLength(JSON.stringify(m.unit)))));
      return spliceAt(root, at, (k) => [[k, m.unit.repeat(Math.max(1, Math.floor(length / m.unit.length)))]]);
    }
    case 'deep-nesting':
      return spliceAt(root, at, (k, n) => [[k, new NestNode(m.depth, m.style, m.keep ? n : 0)]]);
    case 'huge-array': {
      const item = (n: Node): Node => (m.of === 'itself' ? n : m.of === 'zero' ? 0 : m.of === 'null' ? null : new ObjectNode([]));
      return spliceAt(root, at, (k, n) => [[k, new RepeatNode(m.count, item(n), budget)]]);
    }
    case 'wide-object':
      return spliceAt(root, at, (k, n) => [[k, new WideNode(m.count, m.of === 'itself' ? n : m.of === 'zero' ? 0 : null, budget)]]);
    case 'number':
      return spliceAt(root, at, (k) => [[k, new RawNode(m.raw)]]);
    case 'number-string':
      return spliceAt(root, at, (k) => [[k, m.text]]);
    case 'prototype-key':
      return spliceAt(root, at, (k, n) => {
        if (m.rename && k !== undefined) return [[m.key, n]];
        if (n instanceof ObjectNode) return [[k, new ObjectNode([[m.key, m.value], ...n.entries])]];
        return [[k, new ObjectNode([[m.key, n]])]];
      });
    case 'duplicate-key':
      return spliceAt(root, at, (k, n) => (k === undefined ? [[k, n]] : m.before ? [[k, m.value], [k, n]] : [[k, n], [k, m.value]]));
    case 'rename-key':
      return spliceAt(root, at, (k, n) => [[k === undefined ? k : m.key, m.spoil ?? n]]);
    case 'unicode':
      return spliceAt(root, at, (k, n) => {
        if (typeof n !== 'string' || m.mode === 'replace') return [[k, m.text]];
        const middle = Math.floor(n.length / 2);
        return [[k, m.mode === 'insert' ? `${n.slice(0, middle)}${m.text}${n.slice(middle)}` : `${n}${m.text}`]];
      });
    case 'truncate-string':
      return spliceAt(root, at, (k, n) => [[k, typeof n === 'string' ? n.slice(0, Math.min(m.keep, Math.max(0, n.length - 1))) : n]]);
  }
}

/** Where a mutation goes: often near the top (hook, hookInstance, context, feedback items), else anywhere. */
const place = fc.record({ shallow: fc.boolean(), index: fc.nat() });

/** Mutations of a string go to strings, mutations of a member name to object members, the others anywhere. */
const STRING_KINDS = new Set<Mutation['kind']>(['unicode', 'truncate-string', 'number-string']);
const MEMBER_KINDS = new Set<Mutation['kind']>(['rename-key', 'duplicate-key']);

function pickPlace(root: Node, where: { shallow: boolean; index: number }, kind: Mutation['kind']): readonly Step[] {
  const all = placesOf(root);
  const fit = all.filter((p) => (!STRING_KINDS.has(kind) || p.string) && (!MEMBER_KINDS.has(kind) || p.member) && (!where.shallow || p.at.length <= 3));
  const list = fit.length > 0 ? fit : all;
  return list[where.index % list.length]?.at ?? [];
}

/** A seed with one to four mutations, as text, and a label naming each mutation and where it went. */
function mutated(seedNodes: readonly Node[], seedName: (i: number) => string, bodyLimitBytes: number) {
  const step = fc.record({ where: place, m: mutation() });
  return fc
    .record({
      seed: fc.nat(seedNodes.length - 1),
      steps: fc.oneof({ arbitrary: fc.array(step, { minLength: 1, maxLength: 1 }), weight: 3 }, { arbitrary: fc.array(step, { minLength: 2, maxLength: 4 }), weight: 1 }),
    })
    .map(({ seed, steps }) => {
      let tree = seedNodes[seed] ?? null;
      const labels: string[] = [];
      for (const s of steps) {
        const at = pickPlace(tree, s.where, s.m.kind);
        labels.push(`${s.m.kind} at ${nameOf(tree, at)}`);
        tree = applyMutation(tree, at, s.m, bodyLimitBytes);
      }
      return { seed, text: toJsonText(tree), label: `${seedName(seed)}: ${labels.join('; ')}` };
    });
}

// ---- seeds ------------------------------------------------------------------------------------------

/** A valid hook call for one service. */
export interface HookSeed {
  readonly hook: Hook;
  readonly fixture: string;
  readonly body: unknown;
}
/** A valid feedback body for one service. */
export interface FeedbackSeed {
  readonly service: string;
  readonly body: unknown;
}
export interface Seeds {
  readonly hooks: readonly HookSeed[];
  readonly feedback: readonly FeedbackSeed[];
}

/** Fixtures whose hook calls seed the mutations: varied records, every card kind, and the four order scenarios. */
export const PATIENT_VIEW_FIXTURES = [
  'complete-pre-treatment-high-ictos',
  'low-ictos-three-risk-factors',
  'tbf-liu-fig4-patient',
  'tbf-liu-fig3-patient',
  'ebv-dna-above-1e6-comparator',
  'staging-plain-text',
  'out-of-scope-distant-metastasis',
  'observation-status-variants',
  'tumor-volume-in-cm3',
] as const;
export const ORDER_FIXTURES = ['order-induction-low-ictos', 'order-induction-high-ictos', 'order-platinum-alone', 'order-explicit-induction-marker'] as const;
/** Seeds that also carry fhirServer and fhirAuthorization: a mutation that spoils a prefetch key makes the service fetch it. */
export const FHIR_SERVER_SEEDS = [
  ['patient-view', 'complete-pre-treatment-high-ictos'],
  ['order-sign', 'order-induction-low-ictos'],
] as const;

/** The members that let the service fetch from `fhirServer` (CDS Hooks 2.0 "FHIR Resource Access"). */
export const fhirAccess = (fhirServer: string) => ({
  fhirServer,
  fhirAuthorization: { access_token: 'fuzz-access-token', token_type: 'Bearer', expires_in: 300, scope: 'patient/*.read', subject: 'npc-cds' },
});

/** A fixed hookInstance for the seeds read from the fixtures (the fuzz cases need no fresh one). */
export const SEED_HOOK_INSTANCE = '6f1a1c2e-8d4b-4f7a-9c3e-2b5d8e9f0a1b';

interface FixtureResource {
  readonly resourceType: string;
  readonly id?: string;
}
interface ScenarioEntry {
  readonly file: string;
  readonly patientId: string;
  readonly draftOrders?: readonly string[];
}

/**
 * The seeds as test/support/app.ts builds them (patientViewRequest, orderRequest), read straight from
 * test/fixtures: bench/ cannot import test/support, whose paths are relative to the sources. The fuzz
 * test checks that both give the same bodies.
 */
export function fixtureSeeds(repoRoot: string, fhirServer: string): HookSeed[] {
  const dir = path.join(repoRoot, 'test', 'fixtures');
  const manifest = JSON.parse(readFileSync(path.join(dir, 'scenarios.json'), 'utf8')) as ScenarioEntry[];
  const load = (name: string) => {
    const s = manifest.find((m) => m.file === `${name}.bundle.json`);
    if (s === undefined) throw new Error(`no scenario ${name}`);
    const bundle = JSON.parse(readFileSync(path.join(dir, s.file), 'utf8')) as { entry?: { resource?: FixtureResource }[] };
    const resources = (bundle.entry ?? []).flatMap((e) => (e.resource !== undefined ? [e.resource] : []));
    const searchset = (type: string) => ({ resourceType: 'Bundle', type: 'searchset', entry: resources.filter((r) => r.resourceType === type).map((resource) => ({ resource })) });
    const prefetch = {
      patient: resources.find((r) => r.resourceType === 'Patient' && r.id === s.patientId) ?? { resourceType: 'Patient', id: s.patientId },
      conditions: searchset('Condition'),
      observations: searchset('Observation'),
      procedures: searchset('Procedure'),
      medicationAdministrations: searchset('MedicationAdministration'),
    };
    const byRef = new Map(resources.map((r) => [`${r.resourceType}/${r.id ?? ''}`, r]));
    const draftOrders = { resourceType: 'Bundle', entry: (s.draftOrders ?? []).map((ref) => ({ resource: byRef.get(ref) })) };
    return { s, prefetch, draftOrders };
  };
  const body = (hook: Hook, name: string, extra: object = {}) => {
    const { s, prefetch, draftOrders } = load(name);
    const selections = draftOrders.entry.map((e) => `${e.resource?.resourceType ?? ''}/${e.resource?.id ?? ''}`);
    const orderContext = hook === 'patient-view' ? {} : { draftOrders, ...(hook === 'order-select' ? { selections } : {}) };
    return { hook, hookInstance: SEED_HOOK_INSTANCE, context: { userId: 'Practitioner/test', patientId: s.patientId, ...orderContext }, prefetch, ...extra };
  };
  return [
    ...PATIENT_VIEW_FIXTURES.map((fixture) => ({ hook: 'patient-view' as const, fixture, body: body('patient-view', fixture) })),
    ...(['order-sign', 'order-select'] as const).flatMap((hook) => ORDER_FIXTURES.map((fixture) => ({ hook, fixture, body: body(hook, fixture) }))),
    ...FHIR_SERVER_SEEDS.map(([hook, fixture]) => ({ hook, fixture: `${fixture} with fhirServer`, body: body(hook, fixture, fhirAccess(fhirServer)) })),
  ];
}

/**
 * Valid feedback bodies about cards the service issued: an override with a reason and a comment, an
 * acceptance of a suggestion (cards with suggestions), and one body with an item per card.
 */
export function feedbackSeeds(issued: readonly { readonly service: string; readonly cards: readonly Card[] }[], outcomeTimestamp = '2026-06-01T09:30:00+08:00'): FeedbackSeed[] {
  const seeds: FeedbackSeed[] = [];
  for (const { service, cards } of issued) {
    for (const card of cards) {
      const reason = card.overrideReasons?.[0] ?? { code: 'tumor-board', display: 'Decided by the tumor board' };
      seeds.push({ service, body: { feedback: [{ card: card.uuid, outcome: 'overridden', overrideReason: { reason, userComment: 'Discussed with the patient' }, outcomeTimestamp }] } });
      const suggestion = card.suggestions?.find((s) => s.uuid !== undefined);
      if (suggestion?.uuid !== undefined) {
        seeds.push({ service, body: { feedback: [{ card: card.uuid, outcome: 'accepted', acceptedSuggestions: [{ id: suggestion.uuid }], outcomeTimestamp }] } });
      }
    }
    if (cards.length > 1) {
      seeds.push({ service, body: { feedback: cards.map((c) => ({ card: c.uuid, outcome: 'overridden', outcomeTimestamp: '2026-06-01T01:30:00Z' })) } });
    }
  }
  if (seeds.length === 0) throw new Error('feedback seeds: no cards were issued');
  return seeds;
}

// ---- the four families ------------------------------------------------------------------------------

const JSON_TYPE = { 'content-type': 'application/json' } as const;
const utf8 = (text: string): Bytes => new Uint8Array(Buffer.from(text, 'utf8'));
const target = fc.record({ service: fc.constantFrom(...SERVICE_IDS), endpoint: fc.constantFrom<Endpoint>('hook', 'feedback') });

const hookShaped = fc.record(
  {
    hook: fc.oneof(fc.constantFrom<string>('patient-view', 'order-select', 'order-sign'), unicodeString()),
    hookInstance: fc.oneof(fc.uuid(), unicodeString(40)),
    fhirServer: fc.oneof(fc.webUrl(), unicodeString(), fc.constantFrom('http://127.0.0.1:1/fhir', 'file:///etc/passwd', 'javascript:alert(1)')),
    fhirAuthorization: fc.record({ access_token: unicodeString(), token_type: fc.constantFrom('Bearer', 'bearer', 'MAC'), expires_in: fc.oneof(fc.integer(), fc.double()), scope: unicodeString(), subject: unicodeString() }, { requiredKeys: [] }),
    context: fc.record(
      {
        userId: fc.oneof(fc.constant('Practitioner/test'), unicodeString()),
        patientId: fc.oneof(fc.stringMatching(/^[A-Za-z0-9\-.]{1,64}$/), unicodeString()),
        encounterId: unicodeString(),
        selections: fc.array(fc.oneof(fc.constant('MedicationRequest/x'), unicodeString()), { maxLength: 5 }),
        draftOrders: fc.oneof(
          fc.record({ resourceType: fc.constantFrom('Bundle', 'Patient', ''), entry: fc.array(fc.record({ resource: fc.record({ resourceType: fc.constantFrom('MedicationRequest', 'ServiceRequest', 'Bundle'), id: unicodeString(8), status: fc.constantFrom('draft', 'active', '') }, { requiredKeys: [] }) }, { requiredKeys: [] }), { maxLength: 4 }) }, { requiredKeys: [] }),
          fc.jsonValue({ maxDepth: 3 }),
        ),
      },
      { requiredKeys: [] },
    ),
    prefetch: fc.dictionary(
      fc.oneof(fc.constantFrom('patient', 'conditions', 'observations', 'procedures', 'medicationAdministrations', '__proto__', 'constructor'), unicodeString(8)),
      fc.oneof(fc.constant(null), fc.record({ resourceType: fc.constantFrom('Patient', 'Bundle', 'OperationOutcome', ''), id: unicodeString(8), entry: fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 3 }) }, { requiredKeys: [] }), fc.jsonValue({ maxDepth: 3 })),
      { maxKeys: 6 },
    ),
  },
  { requiredKeys: [] },
);

const feedbackShaped = fc.record(
  {
    feedback: fc.oneof(
      fc.array(
        fc.record(
          {
            card: fc.oneof(fc.uuid(), unicodeString()),
            outcome: fc.oneof(fc.constantFrom('accepted', 'overridden'), unicodeString(10)),
            acceptedSuggestions: fc.array(fc.record({ id: fc.oneof(fc.uuid(), unicodeString()) }, { requiredKeys: [] }), { maxLength: 3 }),
            overrideReason: fc.record({ reason: fc.record({ system: unicodeString(), code: unicodeString(), display: unicodeString() }, { requiredKeys: [] }), userComment: unicodeString(40) }, { requiredKeys: [] }),
            outcomeTimestamp: fc.oneof(
              fc.date({ min: new Date('0000-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }).map((d) => d.toISOString()),
              fc.constantFrom('2026-06-01T09:00:00Z', '2026-06-01T09:00:00+14:00', '9999-12-31T23:59:59-23:59', '0000-01-01T00:00:00+23:59', '2026-02-29T00:00:00Z', '2026-06-01T24:00:00Z', '2026-06-01', ''),
              unicodeString(),
            ),
          },
          { requiredKeys: [] },
        ),
        { maxLength: 4 },
      ),
      fc.jsonValue({ maxDepth: 3 }),
    ),
  },
  { requiredKeys: [] },
);

/** Any JSON value, or a random body shaped like a hook call or a feedback, to any service and endpoint. */
export function randomJson(): fc.Arbitrary<FuzzRequest> {
  const value = fc.oneof(
    { arbitrary: fc.jsonValue({ maxDepth: 6, stringUnit: unit }).map((v) => ({ v, kind: 'any JSON value' })), weight: 2 },
    { arbitrary: hookShaped.map((v) => ({ v, kind: 'hook-shaped' })), weight: 2 },
    { arbitrary: feedbackShaped.map((v) => ({ v, kind: 'feedback-shaped' })), weight: 1 },
  );
  return fc.record({ t: target, value }).map(({ t, value: { v, kind } }) => new FuzzRequest('random-json', t.service, t.endpoint, JSON_TYPE, utf8(JSON.stringify(v)), `random ${kind}`));
}

/** Valid hook calls, mutated, mostly to their own service (sometimes to another, or to its feedback endpoint). */
export function mutatedHook(seeds: readonly HookSeed[], bodyLimitBytes: number): fc.Arbitrary<FuzzRequest> {
  const nodes = seeds.map((s) => toNode(s.body));
  const name = (i: number) => `${seeds[i]?.hook ?? '?'} seed ${seeds[i]?.fixture ?? '?'}`;
  return fc
    .record({
      body: mutated(nodes, name, bodyLimitBytes),
      elsewhere: fc.oneof({ arbitrary: fc.constant(undefined), weight: 9 }, { arbitrary: target, weight: 1 }),
    })
    .map(({ body, elsewhere }) => {
      const own = SERVICE_OF_HOOK[seeds[body.seed]?.hook ?? 'patient-view'];
      const t = elsewhere ?? { service: own, endpoint: 'hook' as const };
      return new FuzzRequest('mutated-hook', t.service, t.endpoint, JSON_TYPE, utf8(body.text), elsewhere === undefined ? body.label : `${body.label} (to ${t.service} ${t.endpoint})`);
    });
}

/** Valid feedback bodies, mutated, to the feedback endpoint of the service that issued the card (sometimes another). */
export function mutatedFeedback(seeds: readonly FeedbackSeed[], bodyLimitBytes: number): fc.Arbitrary<FuzzRequest> {
  const nodes = seeds.map((s) => toNode(s.body));
  return fc
    .record({ body: mutated(nodes, (i) => `feedback seed ${i}`, bodyLimitBytes), other: fc.oneof({ arbitrary: fc.constant(undefined), weight: 9 }, { arbitrary: fc.constantFrom(...SERVICE_IDS), weight: 1 }) })
    .map(({ body, other }) => new FuzzRequest('mutated-feedback', other ?? seeds[body.seed]?.service ?? SERVICE_IDS[0] ?? '', 'feedback', JSON_TYPE, utf8(body.text), body.label));
}

/** Bytes that are not UTF-8: lone continuation bytes, overlong forms, encoded surrogates, truncated sequences, BOMs. */
export const INVALID_UTF8: readonly (readonly number[])[] = [
  [0xff], [0xfe], [0x80], [0xbf], [0xc0, 0x80], [0xc1, 0xbf], [0xe0, 0x80, 0x80], [0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf], [0xe2, 0x82],
  [0xf0, 0x9f, 0xa7], [0xf4, 0x90, 0x80, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xfe, 0xff], [0xff, 0xfe], [0xef, 0xbb, 0xbf], [0x00],
];

const CONTENT_TYPES = [
  undefined, '', 'text/plain', 'text/plain; charset=utf-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml',
  'application/json; charset=latin1', 'application/json; charset=iso-8859-1', 'application/json; charset=utf-16', 'application/json; charset=utf-16le',
  'application/json; charset=utf-32', 'application/json; charset=bogus', 'application/json; charset="utf-8"', 'application/json;charset=UTF-8', 'APPLICATION/JSON',
  'application/fhir+json', 'application/vnd.api+json', 'application/json+fhir', 'application/json, text/plain', 'application/json; q=0.1; x="\\"', '*/*', 'application/*',
  'a/b/c;;', 'application/json; charset=utf-8; charset=utf-16', 'application/jsonx', 'json',
] as const;

type RawOp =
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'invalid-utf8'; readonly at: number; readonly bytes: readonly number[] }
  | { readonly kind: 'random-bytes'; readonly at: number; readonly bytes: Bytes }
  | { readonly kind: 'content-type'; readonly type: (typeof CONTENT_TYPES)[number] }
  | { readonly kind: 'empty'; readonly text: string }
  | { readonly kind: 'over-limit'; readonly extra: number; readonly how: 'whitespace' | 'string' | 'array' }
  | { readonly kind: 'encoding'; readonly encoding: string; readonly how: 'valid' | 'garbage' | 'bomb' }
  | { readonly kind: 'top-level'; readonly text: string };

const rawOp = (bodyLimitBytes: number): fc.Arbitrary<RawOp> =>
  fc.oneof(
    { arbitrary: fc.nat().map((at): RawOp => ({ kind: 'truncate', at })), weight: 6 },
    { arbitrary: fc.record({ at: fc.nat(), bytes: fc.constantFrom(...INVALID_UTF8) }).map((r): RawOp => ({ kind: 'invalid-utf8', ...r })), weight: 6 },
    { arbitrary: fc.record({ at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }).map((b): Bytes => new Uint8Array(b)) }).map((r): RawOp => ({ kind: 'random-bytes', ...r })), weight: 3 },
    { arbitrary: fc.constantFrom(...CONTENT_TYPES).map((type): RawOp => ({ kind: 'content-type', type })), weight: 6 },
    { arbitrary: fc.constantFrom('', ' ', '\n', '\ufeff', '\u0000').map((text): RawOp => ({ kind: 'empty', text })), weight: 2 },
    {
      arbitrary: fc.record({ extra: fc.integer({ min: 1, max: Math.max(1, Math.floor(bodyLimitBytes / 4)) }), how: fc.constantFrom('whitespace' as const, 'string' as const, 'array' as const) }).map((r): RawOp => ({ kind: 'over-limit', ...r })),
      weight: 1,
    },
    {
      arbitrary: fc
        .record({ encoding: fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'GZIP', 'gzip, gzip', 'compress', 'x-bogus', ''), how: fc.constantFrom('valid' as const, 'garbage' as const, 'bomb' as const) })
        .map((r): RawOp => ({ kind: 'encoding', ...r })),
      weight: 3,
    },
    { arbitrary: fc.constantFrom('null', '0', '-0', '1e309', '"patient-view"', 'true', '[]', '{}', '[{}]', '{"hook":', '{}}', '{"a":1}{"b":2}', '{"hook":"patient-view",}', "{'hook':'patient-view'}", '{"__proto__":{"hook":"patient-view"}}', 'NaN', '/*c*/{}').map((text): RawOp => ({ kind: 'top-level', text })), weight: 3 },
  );

function compress(encoding: string, data: Bytes): Bytes {
  const e = encoding.toLowerCase();
  if (e.startsWith('gzip')) return new Uint8Array(gzipSync(data));
  if (e === 'deflate') return new Uint8Array(deflateSync(data));
  if (e === 'br') return new Uint8Array(brotliCompressSync(data));
  return data;
}

const bombs = new Map<string, Bytes>();
/** Twice the body limit of spaces, compressed (kilobytes on the wire); made once per encoding and limit. */
function bomb(encoding: string, bodyLimitBytes: number): Bytes {
  const key = `${encoding.toLowerCase()} ${bodyLimitBytes}`;
  let b = bombs.get(key);
  if (b === undefined) {
    b = compress(encoding, new Uint8Array(bodyLimitBytes * 2).fill(0x20));
    bombs.set(key, b);
  }
  return b;
}

/** Content types that are not JSON, or a charset body-parser cannot decode: 415 whatever the body. */
const NOT_JSON = new Set<string | undefined>([undefined, '', 'text/plain', 'text/plain; charset=utf-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/json; charset=latin1', 'application/json; charset=iso-8859-1', 'application/json; charset=bogus']);

/** The raw case, and the status it must get when the operation alone decides it. */
function applyRaw(base: Bytes, op: RawOp, bodyLimitBytes: number): { headers: Record<string, string>; body: Bytes; expected?: number } {
  const json: Record<string, string> = { 'content-type': 'application/json' };
  const splice = (at: number, insert: Bytes): Bytes => {
    const i = base.length === 0 ? 0 : at % (base.length + 1);
    const out = new Uint8Array(base.length + insert.length);
    out.set(base.subarray(0, i), 0);
    out.set(insert, i);
    out.set(base.subarray(i), i + insert.length);
    return out;
  };
  switch (op.kind) {
    case 'truncate':
      // A JSON object or array cut short never parses; the strict parser takes nothing else.
      return { headers: json, body: base.subarray(0, base.length === 0 ? 0 : op.at % base.length), expected: 400 };
    case 'invalid-utf8':
      return { headers: json, body: splice(op.at, Uint8Array.from(op.bytes)) };
    case 'random-bytes':
      return { headers: json, body: splice(op.at, op.bytes) };
    case 'content-type':
      return { headers: op.type === undefined ? {} : { 'content-type': op.type }, body: base, ...(NOT_JSON.has(op.type) ? { expected: 415 } : {}) };
    case 'empty':
      return { headers: json, body: utf8(op.text), expected: 400 };
    case 'over-limit': {
      const size = bodyLimitBytes + op.extra;
      if (op.how === 'whitespace') return { headers: json, body: splice(1, new Uint8Array(Math.max(1, size - base.length)).fill(0x20)), expected: 413 };
      const text = op.how === 'string' ? `{"padding":"${'x'.repeat(size)}"}` : `[${'0,'.repeat(Math.ceil(size / 2))}0]`;
      return { headers: json, body: utf8(text), expected: 413 };
    }
    case 'encoding': {
      const known = /^(gzip|deflate|br|identity)$/i.test(op.encoding) || op.encoding === '';
      const compressing = /^(gzip|deflate|br)$/i.test(op.encoding);
      const body =
        op.how === 'garbage' ? utf8('this is not compressed') : op.how === 'bomb' && compressing ? bomb(op.encoding, bodyLimitBytes) : compress(op.encoding, base);
      const expected = !known ? 415 : compressing && op.how === 'bomb' ? 413 : compressing && op.how === 'garbage' ? 400 : undefined;
      return { headers: { ...json, ...(op.encoding === '' ? {} : { 'content-encoding': op.encoding }) }, body, ...(expected !== undefined ? { expected } : {}) };
    }
    case 'top-level':
      return { headers: json, body: utf8(op.text), expected: 400 };
  }
}

/** Raw-body mutations of the seeds' text (or of a random JSON text), to any service and endpoint. */
export function rawBody(seeds: Seeds, bodyLimitBytes: number): fc.Arbitrary<FuzzRequest> {
  const texts = [
    ...seeds.hooks.map((s) => ({ text: JSON.stringify(s.body), name: `${s.hook} seed ${s.fixture}`, service: SERVICE_OF_HOOK[s.hook], endpoint: 'hook' as const })),
    ...seeds.feedback.map((s, i) => ({ text: JSON.stringify(s.body), name: `feedback seed ${i}`, service: s.service, endpoint: 'feedback' as const })),
  ];
  const base = fc.oneof(
    { arbitrary: fc.nat(texts.length - 1).map((i) => texts[i] ?? { text: '{}', name: 'empty object', service: SERVICE_IDS[0] ?? '', endpoint: 'hook' as const }), weight: 4 },
    {
      arbitrary: fc.record({ v: fc.jsonValue({ maxDepth: 4, stringUnit: unit }), t: target }).map(({ v, t }) => ({ text: JSON.stringify(v), name: 'random JSON', service: t.service, endpoint: t.endpoint })),
      weight: 1,
    },
  );
  return fc.record({ base, op: rawOp(bodyLimitBytes) }).map(({ base: b, op }) => {
    const { headers, body, expected } = applyRaw(utf8(b.text), op, bodyLimitBytes);
    const detail = op.kind === 'content-type' ? `content-type ${String(op.type)}` : op.kind === 'encoding' ? `content-encoding "${op.encoding}" ${op.how}` : op.kind;
    return new FuzzRequest('raw-body', b.service, b.endpoint, headers, body, `${b.name}: ${detail}`, expected);
  });
}

/** The four families over the same seeds. */
export function fuzzFamilies(seeds: Seeds, bodyLimitBytes: number): Readonly<Record<Family, fc.Arbitrary<FuzzRequest>>> {
  return {
    'random-json': randomJson(),
    'mutated-hook': mutatedHook(seeds.hooks, bodyLimitBytes),
    'mutated-feedback': mutatedFeedback(seeds.feedback, bodyLimitBytes),
    'raw-body': rawBody(seeds, bodyLimitBytes),
  };
}

/**
 * What the sweep puts into every string: a space, empty parentheses (both make ucum-lhc's parser throw),
 * NUL, a lone surrogate, a bidi override, a Markdown link, HTML.
 */
export const SWEEP_TEXTS: readonly string[] = [' ', '()', '\u0000', '\ud800', '\u202e', INJECTIONS[0] ?? '', INJECTIONS[2] ?? ''];

/**
 * The deterministic sweep: every string of every seed (hook calls and feedback) with each of
 * {@link SWEEP_TEXTS} inserted in its middle, one request each. Random mutations reach a given string
 * (a unit code, a draft order id) rarely; the sweep reaches each one.
 */
export function* stringSweep(seeds: Seeds): Generator<FuzzRequest> {
  const all = [
    ...seeds.hooks.map((s) => ({ body: s.body, name: `${s.hook} seed ${s.fixture}`, service: SERVICE_OF_HOOK[s.hook], endpoint: 'hook' as const })),
    ...seeds.feedback.map((s, i) => ({ body: s.body, name: `feedback seed ${i}`, service: s.service, endpoint: 'feedback' as const })),
  ];
  for (const seed of all) {
    const root = toNode(seed.body);
    for (const place of placesOf(root).filter((p) => p.string)) {
      for (const text of SWEEP_TEXTS) {
        const tree = applyMutation(root, place.at, { kind: 'unicode', text, mode: 'insert' }, Number.POSITIVE_INFINITY);
        const label = `${seed.name}: insert ${JSON.stringify(text).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)} into ${nameOf(root, place.at)}`;
        yield new FuzzRequest('string-sweep', seed.service, seed.endpoint, JSON_TYPE, utf8(toJsonText(tree)), label);
      }
    }
  }
}
