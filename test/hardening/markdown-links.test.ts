/**
 * Nothing from a FHIR record becomes a link in card text (issue 19, item 1). Every card of every scenario
 * fixture, with strings of the fuzz arbitraries and known autolink shapes injected into the records' ids,
 * statuses, displays, texts and units, is rendered as an EHR renders CDS Hooks Markdown (markdown-it with
 * `linkify: true`); the only links in the HTML are the project's own. The GFM autolink extension (cmark-gfm)
 * finds links in runs of unescaped text, so the escaped text must hold no run with a character its autolinks
 * need.
 */
import { randomUUID } from 'node:crypto';
import type { Bundle, FhirResource } from 'fhir/r4';
import fc from 'fast-check';
import MarkdownIt from 'markdown-it';
import { INJECTIONS, NASTY_UNITS, unicodeString } from '../../bench/fuzz-arbitraries';
import type { Card } from '../../src/cds/card-schema';
import { orderCheckCards, patientViewCards, type CardContext } from '../../src/cds/cards';
import { text } from '../../src/cds/markdown';
import { CardTemplates } from '../../src/cds/templates';
import { assessPatient, CITATIONS, DEFAULT_THRESHOLDS } from '../../src/core';
import { extractInputs } from '../../src/fhir/extract';
import { reviewDraftOrders } from '../../src/fhir/orders';
import { draftOrdersFor } from '../support/app';
import { loadBundle, recordFromBundle, scenarios, type Scenario } from '../support/scenarios';

const md = new MarkdownIt({ linkify: true });
const templates = CardTemplates.load();
const SMART_APP_URL = 'https://ehr.example/npc-cds/app/launch';

/** The links the card code writes itself: the DOIs (detail and source), the trial, the SMART app. */
const OUR_URLS = new Set([...Object.values(CITATIONS).map((c) => c.url), 'https://clinicaltrials.gov/study/NCT01245959', SMART_APP_URL]);

/** Autolink shapes of GFM (extended www, URL, email and protocol autolinks) and linkify-it (fuzzy links, emails, `//`). */
const SHAPES: readonly string[] = [
  'npc contact-radiology@evil.com',
  'contact-radiology@evil.com',
  'mailto:x@evil.com',
  'MAILTO:x@evil.com',
  'xmpp:x@evil.com',
  'xmpp:x@evil.com/resource',
  'www.evil.com',
  'WWW.evil.com/a?b=c',
  'http://evil.com',
  'https://evil.com/a_(b)',
  'ftp://evil.com',
  'ftp:evil.com',
  '//evil.com/x',
  '//localhost/x',
  'evil.com',
  'evil.co.uk',
  'sub.evil.museum',
  'évil.com',
  'xn--80ak6aa92e.com',
  'пример.рф',
  'user.name+tag@évil.org',
  'x@evil.com.',
  'evil.com:8080/path',
  'https://127.0.0.1/x',
];
const AROUND: readonly (readonly [string, string])[] = [
  ['', ''],
  ['(', ')'],
  ['<', '>'],
  ['"', '".'],
  ['see ', ', then'],
  ['*', '*'],
  ['_', '_'],
  ['~', '~'],
  ['[', '](x)'],
  ['\u00a0', '\u200b'],
  ['\u9f3b ', '\u3002'],
];
const shaped = fc.tuple(fc.constantFrom(...SHAPES), fc.constantFrom(...AROUND)).map(([s, [before, after]]) => `${before}${s}${after}`);

/** Strings of the fuzz arbitraries, the fuzz corpus's injections and nasty units, and the autolink shapes. */
const recordString = fc.oneof(
  { arbitrary: shaped, weight: 4 },
  { arbitrary: unicodeString(40), weight: 2 },
  { arbitrary: fc.constantFrom(...INJECTIONS, ...NASTY_UNITS), weight: 1 },
  { arbitrary: fc.tuple(unicodeString(8), shaped, unicodeString(8)).map((parts) => parts.join('')), weight: 2 },
);

/** Every href of the rendered HTML. */
function hrefs(html: string): string[] {
  return [...html.matchAll(/<a\b[^>]*\bhref="([^"]*)"/g)].map((m) => m[1] ?? '');
}

const decode = (html: string): string =>
  html
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');

/** What text() promises to show: the text, each run of control characters as one space. */
// eslint-disable-next-line no-control-regex
const visible = (s: string): string => s.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ');

/** What every autolink needs: `.` (www., domains), `@` (emails), `:` (schemes), `//` (linkify's protocol-relative links). */
const AUTOLINK_PUNCTUATION = /[.@:]|\/\//;

/** The runs of text between backslash escapes, as a GFM parser sees them when it looks for autolinks. */
function unescapedRuns(markdown: string): string[] {
  return markdown.split(/\\[!-/:-@[-`{-~]/);
}

describe('record text escaped for card Markdown', () => {
  test.each(SHAPES)('"%s" renders as itself and as no link', (shape) => {
    const html = md.renderInline(text(shape));
    expect(hrefs(html)).toEqual([]);
    expect(html).not.toMatch(/<a\b/);
    expect(decode(html)).toBe(shape);
  });

  test('any record string renders as the same visible text, with no link, no HTML and no run a GFM autolink can use', () => {
    fc.assert(
      fc.property(recordString, (s) => {
        const escaped = text(s, 400);
        const html = md.renderInline(escaped);
        expect(html).not.toMatch(/<(?!br)[a-z]/i);
        expect(decode(html)).toBe(visible(s.slice(0, 400)));
        for (const run of unescapedRuns(escaped)) expect(run).not.toMatch(AUTOLINK_PUNCTUATION);
      }),
      { numRuns: 2000 },
    );
  });

  test('block-level rendering of a record string alone makes no link either (a detail whose line starts with it)', () => {
    fc.assert(
      fc.property(recordString, (s) => {
        expect(hrefs(md.render(text(s)))).toEqual([]);
      }),
      { numRuns: 1000 },
    );
  });
});

// ---- every card of every fixture, with record strings injected -----------------------------------------------

const FIELDS = ['id', 'status', 'display', 'text', 'unit'] as const;
type Field = (typeof FIELDS)[number];

/**
 * A copy of the bundle with `value` in every member named in `fields`, at any depth (`code.coding[].display`,
 * `valueQuantity.unit`, `code.text`...). The Patient keeps its id, so that the record stays this patient's.
 */
function inject(bundle: Bundle<FhirResource>, fields: readonly Field[], value: string): Bundle<FhirResource> {
  const walk = (node: unknown, isPatient: boolean): unknown => {
    if (Array.isArray(node)) return node.map((n) => walk(n, isPatient));
    if (typeof node !== 'object' || node === null) return node;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) {
      if ((fields as readonly string[]).includes(k) && typeof v === 'string' && !(k === 'id' && isPatient)) out[k] = value;
      else out[k] = walk(v, false);
    }
    return out;
  };
  return {
    ...bundle,
    entry: (bundle.entry ?? []).map((e) => (e.resource === undefined ? e : { ...e, resource: walk(e.resource, e.resource.resourceType === 'Patient') as FhirResource })),
  };
}

function cardsOf(s: Scenario, bundle: Bundle<FhirResource>): Card[] {
  const extraction = extractInputs(recordFromBundle(bundle, s.patientId), s.now);
  const assessment = assessPatient(extraction.inputs, DEFAULT_THRESHOLDS, s.normalization);
  const ctx: CardContext = { serviceId: 'test', patientId: s.patientId, extraction, assessment, thresholds: DEFAULT_THRESHOLDS, templates, newUuid: randomUUID, smartAppUrl: SMART_APP_URL };
  const cards = patientViewCards(ctx).map((b) => b.card);
  if (s.expected.orderCheck !== undefined) cards.push(...orderCheckCards(ctx, reviewDraftOrders(draftOrdersFor(s.file))).map((b) => b.card));
  return cards;
}

/** Every URL a card would show as a link: in its detail as an EHR renders it, its links, its source. */
function linksOf(card: Card): string[] {
  return [...hrefs(md.render(card.detail ?? '')), ...(card.links ?? []).map((l) => l.url), ...(card.source.url !== undefined ? [card.source.url] : [])];
}

test.each(SHAPES.slice(0, 6))('"%s" injected into the records shows in the text of some card of the fixtures (the injection reaches the Markdown)', (shape) => {
  const shown = scenarios.some((s) => cardsOf(s, inject(loadBundle(s.file), FIELDS, shape)).some((card) => decode(md.render(card.detail ?? '')).includes(shape)));
  expect(shown).toBe(true);
});

describe.each(scenarios.map((s) => ({ s, name: s.file.replace('.bundle.json', '') })))('scenario $name', ({ s }) => {
  const bundle = loadBundle(s.file);

  test('as it is, its cards link only to the project\u2019s URLs, and its detail to the DOIs', () => {
    const cards = cardsOf(s, bundle);
    for (const card of cards) {
      for (const url of linksOf(card)) expect(OUR_URLS).toContain(url);
      for (const url of hrefs(md.render(card.detail ?? ''))) expect(url).toMatch(/^https:\/\/doi\.org\//);
    }
  });

  test('with record strings in ids, statuses, displays, texts and units, its cards link only to the project\u2019s URLs', () => {
    fc.assert(
      fc.property(recordString, fc.subarray([...FIELDS], { minLength: 1 }), (value, fields) => {
        for (const card of cardsOf(s, inject(bundle, fields, value))) {
          for (const url of linksOf(card)) expect(OUR_URLS).toContain(url);
        }
      }),
      { numRuns: 25 },
    );
  });

  test.each(SHAPES.slice(0, 6))('with "%s" in every id, status, display, text and unit, its cards link only to the project\u2019s URLs', (shape) => {
    for (const card of cardsOf(s, inject(bundle, FIELDS, shape))) {
      for (const url of linksOf(card)) expect(OUR_URLS).toContain(url);
    }
  });
});
