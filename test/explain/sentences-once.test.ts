/**
 * Issue 14: each sentence NPC-CDS says is written once. Every string and template-literal fragment of
 * src/ (read with the TypeScript parser, so comments and code do not count) of eight words or more is
 * collected; no fragment may appear twice, in one file or across files. A sentence needed in two places
 * is a catalogue entry (src/explain) that both call.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const ROOT = join(__dirname, '..', '..');
const MIN_WORDS = 8;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const path = join(dir, d.name);
    if (d.isDirectory()) return sourceFiles(path);
    return d.name.endsWith('.ts') ? [path] : [];
  });
}

/** The literal text of every string and template fragment of one file, with where it is. */
export function literalFragments(file: string, text: string): { text: string; at: string }[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const out: { text: string; at: string }[] = [];
  const add = (node: ts.Node, value: string) => {
    const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
    for (const part of value.split(/(?<=[.:;])\s+/)) {
      const t = part.trim();
      if (t.split(/\s+/).length >= MIN_WORDS) out.push({ text: t, at: `${relative(ROOT, file)}:${line + 1}` });
    }
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) return;
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) add(node, node.text);
    else if (ts.isTemplateHead(node) || ts.isTemplateMiddle(node) || ts.isTemplateTail(node)) add(node, node.text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

describe('each sentence is written once', () => {
  const fragments = sourceFiles(join(ROOT, 'src')).flatMap((f) => literalFragments(f, readFileSync(f, 'utf8')));

  test('the scan finds the sentences of the catalogue, the cards and the app', () => {
    expect(fragments.length).toBeGreaterThan(200);
    expect(fragments.some((f) => f.at.startsWith('src/explain/en.ts'))).toBe(true);
  });

  test('no sentence of eight words or more appears twice in src', () => {
    const seen = new Map<string, string[]>();
    for (const f of fragments) seen.set(f.text, [...(seen.get(f.text) ?? []), f.at]);
    const twice = [...seen].filter(([, at]) => at.length > 1).map(([text, at]) => `${text}\n    at ${at.join(', ')}`);
    expect(twice).toEqual([]);
  });

  test('the scan would see a sentence written twice', () => {
    const copy = "const a = 'The clinical risk is not assessed (see the population above).';\nconst b = `The clinical risk is not assessed (see the population above).`;\n";
    const found = literalFragments(join(ROOT, 'src', 'probe.ts'), copy).map((f) => f.text);
    expect(found).toHaveLength(2);
    expect(new Set(found).size).toBe(1);
  });
});
