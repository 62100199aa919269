/**
 * Builds the SMART app (src/app) for the browser with esbuild: the entry points, the same src/core and
 * src/fhir code the service runs, and the Handlebars templates of templates/app precompiled (strict
 * mode, HTML escaping on) so the page needs neither the template compiler nor `eval`. The static shells
 * in src/app/public are copied beside the bundles.
 *
 * `npm run build` runs this after tsc; the end-to-end tests call `bundleSmartApp` into a folder of their own.
 */
import { cp, mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { build, type Metafile, type Plugin } from 'esbuild';
import Handlebars from 'handlebars';
import { DEFAULT_APP_DIR, DEFAULT_DEMO_DIR, PROJECT_ROOT } from './paths';

const ENTRY_POINTS = {
  launch: path.join(PROJECT_ROOT, 'src', 'app', 'browser', 'launch.ts'),
  main: path.join(PROJECT_ROOT, 'src', 'app', 'browser', 'main.ts'),
};

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

/** Bundles the app into `outDir` (emptied first). Minified, with linked source maps. */
export function bundleSmartApp(outDir: string = DEFAULT_APP_DIR): Promise<BundleResult> {
  return bundle(ENTRY_POINTS, path.join(PROJECT_ROOT, 'src', 'app', 'public'), outDir);
}

/** Bundles the embedded demo's EHR page (src/demo/browser, src/demo/public) into `outDir` (emptied first). */
export function bundleDemoEhr(outDir: string = DEFAULT_DEMO_DIR): Promise<BundleResult> {
  return bundle({ ehr: path.join(PROJECT_ROOT, 'src', 'demo', 'browser', 'ehr.ts') }, path.join(PROJECT_ROOT, 'src', 'demo', 'public'), outDir);
}

async function bundle(entryPoints: Record<string, string>, publicDir: string, outDir: string): Promise<BundleResult> {
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
    define: { 'process.env.NODE_ENV': '"production"' },
    plugins: [precompiledTemplates],
  });
  await cp(publicDir, outDir, { recursive: true });
  return { outDir, outputs: sizes(result.metafile, outDir) };
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
