import fc from 'fast-check';
import { link, num, plain, text } from '../../src/cds/markdown';

/** The escaping as first written, one pass per rule: the shortcut for text with nothing to escape must agree with it. */
function escapedRuleByRule(value: string, max = 200): string {
  return value
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ')
    .slice(0, max)
    .replace(/[\\`*_[\]()!|<>~&]/g, (c) => `\\${c}`)
    .replace(/[.@:]/g, (c) => `\\${c}`)
    .replace(/\/(?=\/)/g, '/\\')
    .replace(/^(\s*)([#+\-=>])/, '$1\\$2');
}

describe('escaping text from records for card Markdown', () => {
  test.each([
    ['a link', '[click here](https://evil.example/x)', '\\[click here\\]\\(https\\:/\\/evil\\.example/x\\)'],
    ['an image', '![x](https://evil.example/p.png)', '\\!\\[x\\]\\(https\\:/\\/evil\\.example/p\\.png\\)'],
    ['a bare URL that GFM would autolink', 'see https://evil.example', 'see https\\:/\\/evil\\.example'],
    ['a www autolink', 'www.evil.example', 'www\\.evil\\.example'],
    ['emphasis and code', '*bold* _it_ `code` ~~del~~', '\\*bold\\* \\_it\\_ \\`code\\` \\~\\~del\\~\\~'],
    ['a table pipe', 'a | b', 'a \\| b'],
    ['HTML', '<script>alert(1)</script>', '\\<script\\>alert\\(1\\)\\</script\\>'],
    ['an entity', '&lt;', '\\&lt;'],
    ['a heading at the start', '# Title', '\\# Title'],
    ['a list marker at the start', '- item', '\\- item'],
    ['an ordered-list marker at the start', '1. item', '1\\. item'],
    ['a block quote at the start', '> quote', '\\> quote'],
    ['line breaks, which would start new blocks', 'one\n# two\r\n- three', 'one # two - three'],
    ['a backslash', 'a\\b', 'a\\\\b'],
    ['plain clinical text', 'Observation/abc-1.2 (final)', 'Observation/abc-1\\.2 \\(final\\)'],
    ['an email, which GFM autolinks', 'npc contact-radiology@evil.com', 'npc contact-radiology\\@evil\\.com'],
    ['a mailto: link', 'mailto:x@evil.com', 'mailto\\:x\\@evil\\.com'],
    ['a bare domain, which linkify links', 'evil.com', 'evil\\.com'],
    ['a protocol-relative link', '//localhost/x', '/\\/localhost/x'],
  ])('%s is rendered as itself', (_name, input, escaped) => {
    expect(text(input)).toBe(escaped);
  });

  test('long text is cut at the limit', () => {
    expect(text('x'.repeat(500), 10)).toBe('x'.repeat(10));
  });

  test('numbers of ours are formatted without escaping and without float noise', () => {
    expect(num(57.52000000000001)).toBe('57.52');
    expect(num(-0.1502)).toBe('-0.1502');
    expect(num(Number.NaN)).toBe('NaN');
  });

  test('links are only to plain https URLs of the project, with an escaped label', () => {
    expect(link('doi 10.1/x', 'https://doi.org/10.1/x')).toBe('[doi 10\\.1/x](https://doi.org/10.1/x)');
    expect(() => link('x', 'javascript:alert(1)')).toThrow();
    expect(() => link('x', 'https://a.example/(x)')).toThrow();
  });

  test('plain summaries lose control characters and repeated whitespace', () => {
    expect(plain(' a\n\tb   c ')).toBe('a b c');
  });
});

describe('escaping agrees with the rules applied one by one', () => {
  const pieces = ['a', 'Z', '0', ' ', '\t', '\n', '\u2028', '#', '+', '-', '=', '>', '/', '.', '@', ':', '\\', '`', '*', '_', '[', ']', '(', ')', '!', '|', '<', '~', '&', 'é', '中', '\u00a0'];
  test('for any text made of Markdown punctuation, blanks, control characters and letters, and any cut', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 40 }), fc.integer({ min: 1, max: 50 }), (parts, max) => {
        const value = parts.join('');
        expect(text(value, max)).toBe(escapedRuleByRule(value, max));
      }),
      { numRuns: 3000 },
    );
  });
});
