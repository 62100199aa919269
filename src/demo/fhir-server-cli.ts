/**
 * `npm run fhir-server -- [--port N] [--host H] [--base /fhir] [--seed bundle.json ...] [--demo-patients] [--cors-origins list]`:
 * the embedded in-memory FHIR R4 server (src/demo/fhir-server.ts) on its own, for browser clients such as the CDS
 * Hooks Sandbox and smart-launcher-v2. Seeds are read and checked before it listens; it prints its base URL once
 * seeded, and stops on SIGTERM or SIGINT with exit code 0. Synthetic data only: nothing is persisted.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Bundle, FhirResource } from 'fhir/r4';
import { startFhirServer, type FhirTestServer } from './fhir-server';
import { demoResources } from './patients';

/** What the command line asks for. */
export interface CliOptions {
  readonly port: number;
  readonly host: string;
  readonly basePath: string;
  readonly seeds: readonly string[];
  readonly demoPatients: boolean;
  readonly corsOrigins: '*' | readonly string[];
}

/** A wrong command line (exit code 2). */
export class UsageError extends Error {}

/** A seed file that cannot be used (exit code 1). */
export class SeedError extends Error {}

export const USAGE = `Usage: npm run fhir-server -- [options]

  --port N             TCP port (default 0: a free port; the URL printed says which)
  --host H             address to listen on (default 127.0.0.1)
  --base PATH          base path of the FHIR endpoints (default /fhir)
  --seed FILE          a FHIR Bundle (transaction, batch, collection or searchset) to load; repeatable
  --demo-patients      load the demo's ten synthetic patients (dated relative to today)
  --cors-origins LIST  comma-separated browser origins allowed to call it, or * (default *: synthetic data only)
  -h, --help           this text`;

const SEED_TYPES = new Set(['transaction', 'batch', 'collection', 'searchset']);

/** `--cors-origins` value: `*`, or origins (scheme://host[:port]) separated by commas. */
function parseOrigins(value: string): '*' | string[] {
  if (value.trim() === '*') return '*';
  const origins = value
    .split(',')
    .map((o) => o.trim())
    .filter((o) => o !== '');
  if (origins.length === 0) throw new UsageError('--cors-origins: give * or at least one origin');
  for (const origin of origins) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    if (parsed === undefined || parsed.origin !== origin) throw new UsageError(`--cors-origins: "${origin}" is not an origin (scheme://host[:port], no path)`);
  }
  return origins;
}

/** Parses the arguments after `--` (throws UsageError); `undefined` when help was asked for. */
export function parseCliArguments(argv: readonly string[]): CliOptions | undefined {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        base: { type: 'string' },
        seed: { type: 'string', multiple: true },
        'demo-patients': { type: 'boolean' },
        'cors-origins': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help === true) return undefined;
  const portText = values.port ?? '0';
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : Number.NaN;
  if (!Number.isInteger(port) || port > 65535) throw new UsageError(`--port: "${portText}" is not a port number (0-65535)`);
  const basePath = values.base ?? '/fhir';
  if (!/^\/?[A-Za-z0-9._~\-/]*$/.test(basePath)) throw new UsageError(`--base: "${basePath}" is not a URL path`);
  const host = values.host ?? '127.0.0.1';
  if (host === '') throw new UsageError('--host: empty');
  return {
    port,
    host,
    basePath,
    seeds: values.seed ?? [],
    demoPatients: values['demo-patients'] === true,
    corsOrigins: values['cors-origins'] !== undefined ? parseOrigins(values['cors-origins']) : '*',
  };
}

/** Reads one seed file and checks that it is a Bundle this server can load (throws SeedError naming the file). */
export function readSeed(file: string): Bundle<FhirResource> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new SeedError(`seed ${file}: cannot be read (${code ?? 'error'})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text) as unknown;
  } catch {
    throw new SeedError(`seed ${file}: not valid JSON`);
  }
  if (typeof json !== 'object' || json === null || (json as { resourceType?: unknown }).resourceType !== 'Bundle') {
    throw new SeedError(`seed ${file}: not a FHIR Bundle (resourceType must be "Bundle")`);
  }
  const bundle = json as Bundle<FhirResource>;
  if (!SEED_TYPES.has(bundle.type)) {
    throw new SeedError(`seed ${file}: Bundle.type "${String(bundle.type)}" cannot be loaded (use transaction, batch, collection or searchset)`);
  }
  if (bundle.entry !== undefined && !Array.isArray(bundle.entry)) throw new SeedError(`seed ${file}: Bundle.entry is not an array`);
  (bundle.entry ?? []).forEach((entry, index) => {
    const resource = entry.resource as { resourceType?: unknown } | undefined;
    const executes = bundle.type === 'transaction' || bundle.type === 'batch';
    // A transaction or batch entry may have no resource (DELETE, GET); any resource must say its type.
    const typed = resource !== undefined && typeof resource.resourceType === 'string' && /^[A-Z][A-Za-z]+$/.test(resource.resourceType);
    if (resource !== undefined ? !typed : !executes) {
      throw new SeedError(`seed ${file}: entry ${index} has no resource with a resourceType`);
    }
    if (executes && (typeof entry.request?.method !== 'string' || typeof entry.request.url !== 'string')) {
      throw new SeedError(`seed ${file}: entry ${index} of a ${bundle.type} has no request.method and request.url`);
    }
  });
  return bundle;
}

/** Resources per type, for the start-up line (counts only, no content). */
function summary(counts: ReadonlyMap<string, number>): string {
  return [...counts].map(([type, n]) => `${type} ${n}`).join(', ');
}

function count(counts: Map<string, number>, resources: readonly { readonly resourceType: string }[]): void {
  for (const r of resources) counts.set(r.resourceType, (counts.get(r.resourceType) ?? 0) + 1);
}

/** Starts the server as the options say and seeds it; resolves with the running server (throws SeedError on a seed that fails to load). */
export async function runFhirServer(options: CliOptions, log: (line: string) => void): Promise<FhirTestServer> {
  const bundles = options.seeds.map((file) => ({ file, bundle: readSeed(file) }));
  const server = await startFhirServer({ port: options.port, host: options.host, basePath: options.basePath, corsOrigins: options.corsOrigins, recordRequests: false });
  try {
    const counts = new Map<string, number>();
    if (options.demoPatients) {
      const resources = demoResources(new Date());
      await server.seed(resources);
      count(counts, resources);
    }
    for (const { file, bundle } of bundles) {
      try {
        await server.seed(bundle);
      } catch (error) {
        throw new SeedError(`seed ${file}: ${error instanceof Error ? error.message : String(error)}`);
      }
      count(counts, (bundle.entry ?? []).flatMap((e) => (e.resource !== undefined ? [e.resource] : [])));
    }
    log(counts.size === 0 ? 'No resources loaded (empty server).' : `Loaded ${summary(counts)}.`);
    log(`CORS: ${options.corsOrigins === '*' ? 'any origin (synthetic data only)' : options.corsOrigins.join(', ')}`);
    log(`FHIR server listening at ${server.baseUrl}`);
    return server;
  } catch (error) {
    await server.close();
    throw error;
  }
}

/** A clear line for an error from listening (EADDRINUSE and the like) or from a seed. */
export function describeStartError(error: unknown, options: CliOptions): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const where = `${options.host}:${options.port}`;
  if (code === 'EADDRINUSE') return `cannot listen on ${where}: the port is in use`;
  if (code === 'EACCES') return `cannot listen on ${where}: permission denied (ports below 1024 need privileges)`;
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `cannot listen on ${where}: no such local address`;
  if (error instanceof SeedError) return error.message;
  return `cannot start: ${error instanceof Error ? error.message : String(error)}`;
}

async function main(argv: readonly string[]): Promise<number> {
  let options: CliOptions | undefined;
  try {
    options = parseCliArguments(argv);
  } catch (error) {
    process.stderr.write(`fhir-server: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}\n`);
    return 2;
  }
  if (options === undefined) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let server: FhirTestServer;
  try {
    server = await runFhirServer(options, (line) => process.stdout.write(`${line}\n`));
  } catch (error) {
    process.stderr.write(`fhir-server: ${describeStartError(error, options)}\n`);
    return 1;
  }
  const running = server;
  return new Promise<number>((resolve) => {
    const stop = (): void => {
      running.close().then(
        () => resolve(0),
        () => resolve(1),
      );
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`fhir-server: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
