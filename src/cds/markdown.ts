/**
 * Markdown for card details (CDS Hooks 2.0: `detail` is GitHub-flavoured Markdown). Everything that
 * reaches a template is an `Md` value: either text escaped here, or the project's own Markdown marked
 * as such. The brand makes an unescaped FHIR string a type error rather than an injection.
 */
import { decimalText } from '../core';
import type { Phrase } from '../explain/phrase';

declare const MD: unique symbol;
export type Md = string & { readonly [MD]: true };

/**
 * Characters with a meaning anywhere in a GFM line (escapes, code, emphasis, links, images, tables, HTML,
 * strikethrough, entities), and what every autolink needs: `.` (`www.`, a domain), `@` (an email), `:` (a
 * scheme: `https:`, `mailto:`, `xmpp:`, `ftp:`). Each is ASCII punctuation, which CommonMark lets be
 * backslash-escaped and renders as itself.
 */
const ESCAPED = /[\\`*_[\]()!|<>~&.@:]/g;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f\u2028\u2029]+/g;
/** Whether `text` has anything to do: a character to escape or replace, a `/`, or a leading block marker. */
// eslint-disable-next-line no-control-regex
const SPECIAL = /[\u0000-\u001f\u007f\u2028\u2029\\`*_[\]()!|<>~&.@:/]|^\s*[#+\-=]/;

/**
 * Escapes text from a record (a display, a unit, an id, a date) so that it renders as itself and never as
 * Markdown, HTML or a link. Every character with an inline meaning is backslash-escaped, and so is a leading
 * character that would start a heading, a list or a block quote. No autolink can form: a GFM renderer
 * (cmark-gfm's autolink extension, markdown-it with `linkify`) finds autolinks within runs of unescaped
 * text, and each escaped character is a run of its own, so every `.`, `@` and `:` is escaped and `//` is
 * broken (`/\/`, linkify's protocol-relative links). Emails, `mailto:` and other schemes, `www.` and bare
 * domains (`evil.com`, IDN included) all need one of them. Line breaks and other control characters become
 * spaces; the text is cut at `max` characters before escaping. Text with none of these (most ids and
 * dates) is returned as it is, without a copy.
 */
export function text(value: string | number, max = 200): Md {
  const given = String(value);
  if (!SPECIAL.test(given)) return (given.length > max ? given.slice(0, max) : given) as Md;
  return given
    .replace(CONTROL, ' ')
    .slice(0, max)
    .replace(ESCAPED, '\\$&')
    .replace(/\/(?=\/)/g, '/\\')
    .replace(/^(\s*)([#+\-=>])/, '$1\\$2') as Md;
}

/** The project's own Markdown (template constants, evidence wording): trusted, not escaped. */
export function trusted(markdown: string): Md {
  return markdown as Md;
}

/** A Markdown link to a URL the project controls (a DOI); the label is escaped. */
export function link(label: string, url: string): Md {
  if (!/^https:\/\/[^\s()<>]+$/.test(url)) throw new Error('link(): only plain https URLs of the project');
  return `[${text(label)}](${url})` as Md;
}

/**
 * A phrase of the message catalogue (src/explain/phrase.ts) as Markdown: the project's own words as they
 * are, an emphasised word in bold, a value from the configuration or a record escaped as text.
 */
export function phraseMd(p: Phrase): Md {
  return p.map((s) => (typeof s === 'string' ? s : 'strong' in s ? `**${s.strong}**` : text(s.value, 600))).join('') as Md;
}

/** Plain text for a card summary: control characters removed, whitespace collapsed. */
export function plain(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').replace(/\s+/g, ' ').trim();
}

/**
 * A number formatted by us (never text from a record): up to `maxDecimals` decimals, no trailing zeros.
 * Safe in Markdown as it is: digits, a sign and a point, never at the start of a line in our templates.
 */
export function num(value: number, maxDecimals = 4): Md {
  if (!Number.isFinite(value)) return text(String(value));
  return decimalText(value, maxDecimals) as Md;
}
