/**
 * Builds the SMART app (src/app) for the browser with esbuild: the entry points, the same src/core and
 * src/fhir code the service runs, and the Handlebars templates of templates/app precompiled (strict
 * mode, HTML escaping on) so the page needs neither the template compiler nor `eval`. The static shells
 * in src/app/public are copied beside the bundles, and so are ucum-lhc's unit definitions, which the
 * app's main page fetches instead of carrying them in main.js. Each script has a size budget
 * ({@link BUNDLE_BUDGETS}); a bundle over it fails the build (docs/decisions/0006-smart-app.md, "Bundle budget").
 *
 * `npm run build` runs this after tsc; the end-to-end tests call `bundleSmartApp` into a folder of their own.
 */
import { copyFile, cp, mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { build, type Metafile, type Plugin } from 'esbuild';
import Handlebars from 'handlebars';
import { DEFAULT_APP_DIR, DEFAULT_DEMO_DIR, PROJECT_ROOT } from './paths';

const ENTRY_POINTS = {
  launch: path.join(PROJECT_ROOT, 'src', 'app', 'browser', 'launch.ts'),
  main: path.join(PROJECT_ROOT, 'src', 'app', 'browser', 'main.ts'),
};

const KIB = 1024;

/**
 * The most each script may weigh, in bytes (minified, before compression). The launch page only
 * redirects; the main page carries fhirclient, the rules, the loader and the templates. A script
 * without a budget fails the build too.
 */
export const BUNDLE_BUDGETS: Readonly<Record<string, number>> = {
  'launch.js': 120 * KIB,
  'main.js': 450 * KIB,
  'ehr.js': 300 * KIB,
};

/** ucum-lhc's unit definitions (about 230 KB of JSON), which its tables are built from on first use. */
const UCUM_DEFINITIONS = require.resolve('@lhncbc/ucum-lhc/data/ucumDefs.min.json');
/** Where the app finds them beside its scripts (src/app/browser/ucum-definitions.ts fetches this name). */
export const UCUM_DEFINITIONS_FILE = 'ucum-definitions.json';

/** `import page from '.../page.html.hbs'` yields the precompiled template function. */
const precompiledTemplates: Plugin = {
  name: 'handlebars-precompile',
  setup(b) {
    b.onLoad({ filter: /\.hbs$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const spec = Handlebars.precompile(source, { strict: true });
      return {
        contents: `import Handlebars from 'handlebars/runtime';\nexport default Handlebars.template(${String(spec)});\n`,
        loader: 'js',
        resolveDir: PROJECT_ROOT,
      };
    });
  },
};

/**
 * ucum-lhc reads its definitions with `require('../data/ucumDefs.min.json')` when its tables are first
 * built. In the app's bundle that require returns what the page has fetched (ucum-definitions.ts), so the
 * JSON is not in main.js; its conversions are unchanged.
 */
const ucumDefinitionsFetched: Plugin = {
  name: 'ucum-definitions-fetched',
  setup(b) {
    b.onResolve({ filter: /ucumDefs\.min\.json$/ }, (args) =>
      path.resolve(args.resolveDir, args.path) === UCUM_DEFINITIONS ? { path: UCUM_DEFINITIONS, namespace: 'ucum-definitions' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'ucum-definitions' }, () => ({
      contents: `module.exports = require(${JSON.stringify(path.join(PROJECT_ROOT, 'src', 'app', 'browser', 'ucum-definitions.ts'))}).loadedUcumDefinitions();\n`,
      loader: 'js',
      resolveDir: PROJECT_ROOT,
    }));
  },
};

const formatKib = (bytes: number): string => `${(bytes / KIB).toFixed(1)} KiB`;

/**
 * What is wrong with the scripts' sizes: one sentence per script over its budget (or without one), naming
 * the file, its size and its budget; empty when every script fits. Only `.js` outputs are checked.
 */
export function budgetOverruns(outputs: Readonly<Record<string, number>>, budgets: Readonly<Record<string, number>> = BUNDLE_BUDGETS): string[] {
  return Object.entries(outputs)
    .filter(([file]) => file.endsWith('.js'))
    .flatMap(([file, bytes]) => {
      const budget = budgets[path.basename(file)];
      if (budget === undefined) return [`${file} is ${formatKib(bytes)} (${bytes} bytes) and has no size budget in src/bundle.ts.`];
      return bytes > budget ? [`${file} is ${formatKib(bytes)} (${bytes} bytes), over its budget of ${formatKib(budget)} (${budget} bytes).`] : [];
    });
}

/** Throws when {@link budgetOverruns} finds anything, with every overrun in the message. */
export function checkBudgets(outputs: Readonly<Record<string, number>>, budgets: Readonly<Record<string, number>> = BUNDLE_BUDGETS): void {
  const overruns = budgetOverruns(outputs, budgets);
  if (overruns.length > 0) {
    throw new Error(`Bundle size budget exceeded: ${overruns.join(' ')} See docs/decisions/0006-smart-app.md, "Bundle budget", for what to look at.`);
  }
}

export interface BundleResult {
  readonly outDir: string;
  /** Output files and their sizes in bytes. */
  readonly outputs: Readonly<Record<string, number>>;
}

function sizes(metafile: Metafile, outDir: string): Record<string, number> {
  return Object.fromEntries(
    Object.entries(metafile.outputs).map(([file, output]) => [path.relative(outDir, path.resolve(PROJECT_ROOT, file)), output.bytes]),
  );
}

/**
 * Bundles the app into `outDir` (emptied first), with ucum-lhc's definitions as a file beside the scripts.
 * Minified, with linked source maps. Rejects when a script is over its budget.
 */
export async function bundleSmartApp(outDir: string = DEFAULT_APP_DIR): Promise<BundleResult> {
  const result = await bundle(ENTRY_POINTS, path.join(PROJECT_ROOT, 'src', 'app', 'public'), outDir, [ucumDefinitionsFetched]);
  await copyFile(UCUM_DEFINITIONS, path.join(outDir, UCUM_DEFINITIONS_FILE));
  return result;
}

/** Bundles the embedded demo's EHR page (src/demo/browser, src/demo/public) into `outDir` (emptied first). Rejects when over budget. */
export function bundleDemoEhr(outDir: string = DEFAULT_DEMO_DIR): Promise<BundleResult> {
  return bundle({ ehr: path.join(PROJECT_ROOT, 'src', 'demo', 'browser', 'ehr.ts') }, path.join(PROJECT_ROOT, 'src', 'demo', 'public'), outDir);
}

async function bundle(entryPoints: Record<string, string>, publicDir: string, outDir: string, plugins: readonly Plugin[] = []): Promise<BundleResult> {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const result = await build({
    absWorkingDir: PROJECT_ROOT,
    entryPoints,
    outdir: outDir,
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: ['es2022'],
    minify: true,
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'silent',
    legalComments: 'linked',
    // FHIRCLIENT_PURE: fhirclient's build for browsers with fetch and AbortController (every es2022 one),
    // without its fetch and AbortController polyfills, which it would not use there anyway.
    define: { 'process.env.NODE_ENV': '"production"', FHIRCLIENT_PURE: 'true' },
    plugins: [precompiledTemplates, ...plugins],
  });
  const outputs = sizes(result.metafile, outDir);
  checkBudgets(outputs);
  await cp(publicDir, outDir, { recursive: true });
  return { outDir, outputs };
}

if (require.main === module) {
  const kb = (result: BundleResult) =>
    Object.entries(result.outputs)
      .filter(([f]) => f.endsWith('.js'))
      .map(([f, b]) => `${f} ${(b / 1024).toFixed(0)} KiB`)
      .join(', ');
  Promise.all([bundleSmartApp(), bundleDemoEhr()]).then(
    ([app, demo]) => {
      process.stdout.write(`SMART app bundled into ${app.outDir}: ${kb(app)}\nDemo EHR bundled into ${demo.outDir}: ${kb(demo)}\n`);
    },
    (error: unknown) => {
      process.stderr.write(`Browser bundle failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
