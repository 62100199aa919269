import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');

interface LintCase {
  readonly file: string;
  readonly code: string;
}

/**
 * Lints each case's `code` as if it were its `file`, with the project's own configuration, all in one child
 * process (ESLint's API, as `eslint --stdin --stdin-filename <file>` does for one): ESLint loads its
 * configuration with a dynamic import, which Jest's module sandbox does not run. The messages of each case.
 */
function lintAll(cases: readonly LintCase[]): { ruleId: string | null; message: string }[][] {
  const script = `
    const { ESLint } = require('eslint');
    (async () => {
      const cases = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
      const eslint = new ESLint({ cwd: process.cwd() });
      const out = [];
      for (const c of cases) {
        const [result] = await eslint.lintText(c.code, { filePath: c.file });
        out.push(result ? result.messages : []);
      }
      process.stdout.write(JSON.stringify(out));
    })().catch((e) => { console.error(e); process.exit(2); });`;
  const run = spawnSync(process.execPath, ['-e', script], { cwd: root, input: JSON.stringify(cases), encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`eslint failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as { ruleId: string | null; message: string }[][];
}

const WRONG_WAY: readonly LintCase[] = [
  { file: 'src/core/x.ts', code: "import { readFileSync } from 'node:fs';\nexport const a = readFileSync;\n" },
  { file: 'src/core/x.ts', code: "import { z } from 'zod';\nexport const a = z;\n" },
  { file: 'src/core/x.ts', code: "import { DEFAULT_CODE_LISTS } from '../fhir/codes';\nexport const a = DEFAULT_CODE_LISTS;\n" },
  { file: 'src/fhir/x.ts', code: "import { a } from '../cds/routes';\nexport const b = a;\n" },
  { file: 'src/fhir/x.ts', code: "import { a } from '../store/db';\nexport const b = a;\n" },
];
const RIGHT_WAY: readonly LintCase[] = [
  { file: 'src/core/x.ts', code: "import { LIU_2022 } from './thresholds';\nexport const a = LIU_2022;\n" },
  { file: 'src/fhir/x.ts', code: "import { LIU_2022 } from '../core';\nexport const a = LIU_2022;\n" },
  { file: 'src/fhir/x.ts', code: "import type { Observation } from 'fhir/r4';\nexport type A = Observation;\n" },
];

/** The no-restricted-imports messages of every case, by case (one ESLint run for all). */
let restricted: Map<LintCase, string[]>;
beforeAll(() => {
  const cases = [...WRONG_WAY, ...RIGHT_WAY];
  const messages = lintAll(cases);
  restricted = new Map(cases.map((c, i) => [c, (messages[i] ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message)]));
}, 60_000);

describe('the one-way import direction is enforced by the linter (conventions.md)', () => {
  test.each(WRONG_WAY)('an import in $file that goes the wrong way is an error: $code', (c) => {
    expect(restricted.get(c)).toHaveLength(1);
  });

  test.each(RIGHT_WAY)('an import in $file that goes the right way is allowed: $code', (c) => {
    expect(restricted.get(c)).toHaveLength(0);
  });
});
