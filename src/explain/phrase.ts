/**
 * A sentence of the catalogue as segments, so that each side escapes it its own way: the project's own
 * words (a string), a word to emphasise, and a value that came from the configuration or a record (a
 * threshold set's id, a site's name), which the cards escape as Markdown text and the app as HTML. The app
 * prints a phrase as plain text; the cards render it with `phraseMd` (src/cds/markdown.ts).
 */
export type Segment = string | { readonly strong: string } | { readonly value: string };
export type Phrase = readonly Segment[];

/** An emphasised word of the project's own ("**high**" on a card). */
export const strong = (s: string): Segment => ({ strong: s });

/** Text from the configuration or a record: escaped by every renderer. */
export const value = (s: string): Segment => ({ value: s });

/** The phrase as plain text (the app's templates escape it into HTML). */
export function plainText(p: Phrase): string {
  return p.map((s) => (typeof s === 'string' ? s : 'strong' in s ? s.strong : s.value)).join('');
}
