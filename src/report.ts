/**
 * `npm run report`: the acceptance / override report of the cards this service issued, from the store.
 *
 *   DATABASE_PATH=data/npc-cds.sqlite npm run report -- [--since 2026-01-01] [--json]
 *   DATABASE_URL=postgres://npc_cds@db.example.org/npc_cds npm run report
 *
 * The store is chosen as the service chooses it (src/store/open.ts): PostgreSQL when DATABASE_URL is set,
 * else the SQLite file. Exits 0 after printing the report, 1 when the database does not exist or cannot be
 * read, 2 on a usage error. It never creates a database or a schema: a report on nothing is a mistake
 * worth saying so.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { describeStore, openStore, usesPostgres, type StoreConfig } from './store/open';
import { formatReport } from './store/report';
import { parseSince, SINCE_FORMAT } from './store/since';

/** Where the report's output goes (stdout and stderr of the process by default). */
export interface ReportIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

/** The database path used when `DATABASE_PATH` is not set, relative to the working directory. */
export const DEFAULT_DATABASE_PATH = 'data/npc-cds.sqlite';

const USAGE =
  'usage: npm run report -- [--since <ISO 8601 date or date-time with zone>] [--json]   (database: DATABASE_URL for PostgreSQL, else DATABASE_PATH, default data/npc-cds.sqlite)\n';

/** The message of a thrown value (errors from the native SQLite module are not always `instanceof Error`). */
function messageOf(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'message' in error && typeof error.message === 'string') return error.message;
  return String(error);
}

const processIo: ReportIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/**
 * Runs the report CLI with `argv` (the arguments after the script) and `env`, writing to `io`;
 * resolves to the exit code.
 */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv, io: ReportIo = processIo): Promise<number> {
  let values: { since?: string | undefined; json?: boolean | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { since: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    io.err(`${messageOf(error)}\n${USAGE}`);
    return 2;
  }
  if (values.help === true) {
    io.out(USAGE);
    return 0;
  }
  const since = values.since === undefined ? undefined : parseSince(values.since);
  if (values.since !== undefined && since === undefined) {
    io.err(`--since ${JSON.stringify(values.since)} is not ${SINCE_FORMAT}\n${USAGE}`);
    return 2;
  }

  const config = storeConfig(env);
  if (usesPostgres(config) && !/^postgres(ql)?:\/\//i.test(config.databaseUrl)) {
    io.err(`DATABASE_URL must be a postgres:// or postgresql:// URL, not ${describeStore(config)}\n`);
    return 1;
  }
  if (!usesPostgres(config) && !existsSync(config.databasePath)) {
    io.err(`No database at ${path.resolve(config.databasePath)}: nothing to report. Set DATABASE_PATH (or DATABASE_URL) to the service's database.\n`);
    return 1;
  }
  try {
    const store = await openStore(config, { sqlite: { fileMustExist: true }, postgres: { migrate: false, maxConnections: 1 } });
    try {
      const report = await store.report(since !== undefined ? { since } : {});
      io.out(values.json === true ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
      return 0;
    } finally {
      await store.close();
    }
  } catch (error) {
    io.err(`Cannot read the database at ${describeStore(config)}: ${messageOf(error)}\n`);
    return 1;
  }
}

/** The store settings from the environment, as the service reads them (the URL wins over the path). */
function storeConfig(env: NodeJS.ProcessEnv): StoreConfig {
  const url = env['DATABASE_URL'];
  const file = env['DATABASE_PATH'];
  return {
    databaseUrl: url !== undefined && url !== '' ? url : undefined,
    databasePath: file !== undefined && file !== '' ? file : DEFAULT_DATABASE_PATH,
  };
}

if (require.main === module) {
  void main(process.argv.slice(2), process.env).then((code) => {
    process.exitCode = code;
  });
}
