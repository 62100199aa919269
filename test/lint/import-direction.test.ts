import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');
const eslintBin = path.join(root, 'node_modules', '.bin', 'eslint');

/** Lints `code` as if it were `file`, with the project's own configuration, in a child process. */
function restrictedImports(file: string, code: string): string[] {
  const run = spawnSync(eslintBin, ['--stdin', '--stdin-filename', file, '--format', 'json'], {
    cwd: root,
    input: code,
    encoding: 'utf8',
  });
  const [result] = JSON.parse(run.stdout) as { messages: { ruleId: string | null; message: string }[] }[];
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('the one-way import direction is enforced by the linter (conventions.md)', () => {
  test.each([
    { file: 'src/core/x.ts', code: "import { readFileSync } from 'node:fs';\nexport const a = readFileSync;\n" },
    { file: 'src/core/x.ts', code: "import { z } from 'zod';\nexport const a = z;\n" },
    { file: 'src/core/x.ts', code: "import { DEFAULT_CODE_LISTS } from '../fhir/codes';\nexport const a = DEFAULT_CODE_LISTS;\n" },
    { file: 'src/fhir/x.ts', code: "import { a } from '../cds/routes';\nexport const b = a;\n" },
    { file: 'src/fhir/x.ts', code: "import { a } from '../store/db';\nexport const b = a;\n" },
  ])('an import in $file that goes the wrong way is an error: $code', ({ file, code }) => {
    expect(restrictedImports(file, code)).toHaveLength(1);
  });

  test.each([
    { file: 'src/core/x.ts', code: "import { LIU_2022 } from './thresholds';\nexport const a = LIU_2022;\n" },
    { file: 'src/fhir/x.ts', code: "import { LIU_2022 } from '../core';\nexport const a = LIU_2022;\n" },
    { file: 'src/fhir/x.ts', code: "import type { Observation } from 'fhir/r4';\nexport type A = Observation;\n" },
  ])('an import in $file that goes the right way is allowed: $code', ({ file, code }) => {
    expect(restrictedImports(file, code)).toHaveLength(0);
  });
});
