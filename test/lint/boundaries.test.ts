/**
 * The module boundaries of .dependency-cruiser.cjs (docs/decisions/0011-one-home.md) reject a probe import
 * of each forbidden kind and accept the allowed ones. The probes live in a scratch tree shaped like src/
 * (the imported modules exist there as empty files, node_modules is the project's), so the check runs on
 * the real configuration without touching the real source.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');

/** Each probe file, what it imports, and the rule that must reject it (undefined: allowed). */
const PROBES: readonly { file: string; code: string; rule: string | undefined }[] = [
  { file: 'src/core/p-package.ts', code: "import { z } from 'zod';\nexport const a = z;\n", rule: 'core-is-pure' },
  { file: 'src/core/p-builtin.ts', code: "import { readFileSync } from 'node:fs';\nexport const a = readFileSync;\n", rule: 'core-is-pure' },
  { file: 'src/core/p-upward.ts', code: "import { b } from '../fhir/codes';\nexport const a = b;\n", rule: 'core-is-pure' },
  { file: 'src/fhir/p-adapter.ts', code: "import { b } from '../cds/hooks';\nexport const a = b;\n", rule: 'fhir-only-down-to-core' },
  { file: 'src/fhir/p-root.ts', code: "import { b } from '../config';\nexport const a = b;\n", rule: 'fhir-only-down-to-core' },
  { file: 'src/fhir/p-explain.ts', code: "import { b } from '../explain/messages';\nexport const a = b;\n", rule: 'fhir-only-down-to-core' },
  { file: 'src/explain/p-adapter.ts', code: "import { b } from '../cds/cards';\nexport const a = b;\n", rule: 'explain-only-down' },
  { file: 'src/app/p-service.ts', code: "import { b } from '../cds/cards';\nexport const a = b;\n", rule: 'app-not-into-service' },
  { file: 'src/app/p-server.ts', code: "import { b } from '../config';\nexport const a = b;\n", rule: 'app-not-into-service' },
  { file: 'src/cds/p-app.ts', code: "import { b } from '../app/view-model';\nexport const a = b;\n", rule: 'cds-not-into-app' },
  { file: 'src/store/p-adapter.ts', code: "import { b } from '../cds/hooks';\nexport const a = b;\n", rule: 'store-stands-alone' },
  { file: 'src/calibration/p-adapter.ts', code: "import { b } from '../cds/hooks';\nexport const a = b;\n", rule: 'calibration-tool' },
  { file: 'src/config.ts', code: "import { b } from './cds/jwt';\nexport const a = b;\n", rule: 'root-modules-not-into-adapters' },
  { file: 'src/report.ts', code: "import { b } from './demo/index';\nexport const a = b;\n", rule: 'demo-only-from-server' },
  { file: 'src/app/p-fhir-types.ts', code: "import type { Observation } from 'fhir/r4';\nexport type A = Observation;\n", rule: 'fhir-resources-in-src-fhir' },
  { file: 'src/cds/p-medplum.ts', code: "import { b } from '@medplum/core';\nexport const a = b;\n", rule: 'fhir-resources-in-src-fhir' },
  { file: 'src/cds/p-dynamic.ts', code: "export const a = () => import('../fhir/codes');\n", rule: 'no-dynamic-import' },
  { file: 'src/core/p-cycle-a.ts', code: "import { b } from './p-cycle-b';\nexport const a = b;\n", rule: 'no-circular' },
  // Allowed
  { file: 'src/fhir/p-ok.ts', code: "import { b } from '../core/index';\nimport type { Observation } from 'fhir/r4';\nexport const a = b;\nexport type O = Observation;\n", rule: undefined },
  { file: 'src/explain/p-ok.ts', code: "import { b } from '../fhir/codes';\nexport const a = b;\n", rule: undefined },
  { file: 'src/cds/p-ok.ts', code: "import { b } from '../explain/messages';\nimport { c } from '../store/store';\nimport { d } from '../config';\nexport const a = [b, c, d];\n", rule: undefined },
  { file: 'src/app/p-ok.ts', code: "import { b } from '../explain/messages';\nimport { c } from '../site-profiles';\nexport const a = [b, c];\n", rule: undefined },
  { file: 'src/server.ts', code: "import { b } from './demo/index';\nexport const a = b;\n", rule: undefined },
];

/** The other half of the cycle probe (src/core/p-cycle-a.ts): the check reports a cycle once, from either side. */
const CYCLE_PARTNER = { file: 'src/core/p-cycle-b.ts', code: "import { a } from './p-cycle-a';\nexport const b = a;\n" };

/** Empty modules the probes import. */
const TARGETS = ['src/fhir/codes.ts', 'src/cds/hooks.ts', 'src/cds/cards.ts', 'src/cds/jwt.ts', 'src/explain/messages.ts', 'src/app/view-model.ts', 'src/store/store.ts', 'src/demo/index.ts', 'src/core/index.ts', 'src/site-profiles.ts'];

interface Violation {
  readonly from: string;
  readonly rule: { readonly name: string };
}

let violations: Violation[] = [];
let scratch = '';

beforeAll(() => {
  scratch = mkdtempSync(path.join(tmpdir(), 'npc-cds-boundaries-'));
  const write = (file: string, code: string) => {
    mkdirSync(path.dirname(path.join(scratch, file)), { recursive: true });
    writeFileSync(path.join(scratch, file), code);
  };
  for (const t of TARGETS) write(t, 'export const b = 1;\nexport const c = 1;\nexport const d = 1;\n');
  write('src/config.ts', 'export const b = 1;\nexport const d = 1;\n');
  for (const p of [...PROBES, CYCLE_PARTNER]) write(p.file, p.code);
  write('tsconfig.json', JSON.stringify({ compilerOptions: { module: 'node16', moduleResolution: 'node16', strict: true }, include: ['src'] }));
  symlinkSync(path.join(root, 'node_modules'), path.join(scratch, 'node_modules'), 'dir');
  const run = spawnSync(path.join(root, 'node_modules', '.bin', 'depcruise'), ['src', '--config', path.join(root, '.dependency-cruiser.cjs'), '--output-type', 'json'], {
    cwd: scratch,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const out = JSON.parse(run.stdout) as { summary: { violations: Violation[] } };
  violations = out.summary.violations;
}, 60_000);

afterAll(() => {
  if (scratch !== '') rmSync(scratch, { recursive: true, force: true });
});

describe('the boundary check rejects each forbidden kind of import and accepts the allowed ones', () => {
  test.each(PROBES.filter((p) => p.rule !== undefined))('$file importing ($code) breaks $rule', ({ file, rule }) => {
    const from = file === 'src/core/p-cycle-a.ts' ? [file, CYCLE_PARTNER.file] : [file];
    expect(violations.filter((v) => from.includes(v.from)).map((v) => v.rule.name)).toContain(rule);
  });

  test.each(PROBES.filter((p) => p.rule === undefined))('$file importing ($code) is allowed', ({ file }) => {
    expect(violations.filter((v) => v.from === file)).toEqual([]);
  });
});
