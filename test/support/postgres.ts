/**
 * A real PostgreSQL server for the store's integration tests. With TEST_DATABASE_URL, the server it
 * names (the user needs CREATEDB); otherwise a throwaway cluster of this test file: Debian's server
 * binaries (/usr/lib/postgresql/<version>/bin, or PG_BIN) initialise a cluster in a temporary directory
 * and start it on a free port of 127.0.0.1, with its socket in that directory and durability off (fsync,
 * full-page writes: nothing here must survive a crash). PostgreSQL refuses to run as root, so as root the
 * binaries run as the `postgres` system user, which owns the directory. Each `createDatabase()` is a new,
 * empty database with a random name (one per test file), and `freshSchema()` a new schema in it (one per
 * test). `close()` stops the server and deletes the directory.
 *
 * Missing binaries fail the tests with a message saying what to install; they are never skipped.
 */
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';

const run = promisify(execFile);

export const MISSING_POSTGRES =
  'PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found under /usr/lib/postgresql/*/bin or PG_BIN. ' +
  "The store's integration tests need a real server: install Debian's PostgreSQL " +
  '(sudo apt-get install --no-install-recommends postgresql; .ci/run does this), ' +
  'or set TEST_DATABASE_URL to a PostgreSQL server where the tests may create databases.';

export interface TestPostgres {
  /** Where the server came from. */
  readonly source: 'TEST_DATABASE_URL' | 'throwaway cluster';
  /** Milliseconds from nothing to a server accepting connections (initdb and start for a cluster). */
  readonly startMs: number;
  /** Whether {@link stop} and {@link start} can be used (only for a cluster of this test file). */
  readonly ownCluster: boolean;
  /** Creates a new, empty database and returns its URL. */
  createDatabase(): Promise<string>;
  /** Stops the server (fast shutdown: sessions are ended), keeping its data. */
  stop(): Promise<void>;
  /** Starts the stopped server again, on the same port. */
  start(): Promise<void>;
  /** Drops the databases created (TEST_DATABASE_URL) or stops the cluster and deletes its directory. */
  close(): Promise<void>;
}

/**
 * The directory with initdb, pg_ctl and postgres: PG_BIN, else the newest `<root>/<version>/bin` (Debian's
 * layout). Throws {@link MISSING_POSTGRES} when there is none.
 */
export function findPostgresBin(env: NodeJS.ProcessEnv = process.env, root = '/usr/lib/postgresql'): string {
  const complete = (dir: string) => ['initdb', 'pg_ctl', 'postgres'].every((b) => existsSync(path.join(dir, b)));
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+(\.\d+)?$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  const candidates = [...(env['PG_BIN'] !== undefined && env['PG_BIN'] !== '' ? [env['PG_BIN']] : []), ...versions.map((v) => path.join(root, v, 'bin'))];
  const found = candidates.find(complete);
  if (found === undefined) throw new Error(MISSING_POSTGRES);
  return found;
}

/** A database's URL on the server of `url`. */
export function databaseUrl(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.href;
}

/**
 * A new, empty schema in the database at `url`, and the URL that makes it the connection's schema
 * (`options=-c search_path=<schema>`): a fresh namespace for one test at a fraction of a new database's cost.
 */
export async function freshSchema(url: string): Promise<string> {
  const name = `s_${randomBytes(6).toString('hex')}`;
  await sql(url, `CREATE SCHEMA ${name}`);
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${name}`);
  return u.href;
}

/** Runs `sql` on the database at `url` on a connection of its own, and returns the rows. */
export async function sql<T extends Record<string, unknown>>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** A TCP port of 127.0.0.1 that nothing listens on right now. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

/** The uid and gid of the `postgres` system user (for running the server when we are root). */
function postgresUser(): { uid: number; gid: number } {
  const id = (flag: string) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  const uid = id('-u');
  const gid = id('-g');
  if (uid.status !== 0 || gid.status !== 0) {
    throw new Error(`${MISSING_POSTGRES} (Running as root, the server must run as the "postgres" system user, which does not exist.)`);
  }
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/**
 * The server for this test file: TEST_DATABASE_URL's, or a new throwaway cluster. Call it in `beforeAll`
 * (allow it about 30 seconds) and `close()` it in `afterAll`.
 */
export async function startTestPostgres(env: NodeJS.ProcessEnv = process.env): Promise<TestPostgres> {
  const external = env['TEST_DATABASE_URL'];
  const started = performance.now();
  const created: string[] = [];
  const create = async (adminUrl: string) => {
    const name = `npc_cds_test_${randomBytes(6).toString('hex')}`;
    await sql(adminUrl, `CREATE DATABASE ${name}`);
    created.push(name);
    return databaseUrl(adminUrl, name);
  };

  if (external !== undefined && external !== '') {
    await sql(external, 'SELECT 1');
    const notOwn = async () => {
      throw new Error('stopping the server needs a throwaway cluster of the test (unset TEST_DATABASE_URL)');
    };
    return {
      source: 'TEST_DATABASE_URL',
      startMs: performance.now() - started,
      ownCluster: false,
      createDatabase: () => create(external),
      stop: notOwn,
      start: notOwn,
      close: async () => {
        for (const name of created.splice(0)) await sql(external, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      },
    };
  }

  const bin = findPostgresBin(env);
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? postgresUser() : undefined;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'npc-cds-pg-'));
  const data = path.join(dir, 'data');
  const log = path.join(dir, 'server.log');
  const pg = async (tool: string, args: readonly string[]) => {
    const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', path.join(bin, tool), ...args]] : [path.join(bin, tool), [...args]];
    try {
      await run(file, argv, { cwd: dir, timeout: 60_000, env: { ...process.env, LC_ALL: 'C.UTF-8', LANG: 'C.UTF-8' } });
    } catch (error) {
      const tail = existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-15).join('\n') : '';
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(`${tool} ${args.join(' ')} failed: ${message}${tail !== '' ? `\nserver log:\n${tail}` : ''}`);
    }
  };
  const start = () => pg('pg_ctl', ['-D', data, '-l', log, '-w', '-t', '60', 'start']);
  const stop = (mode: 'fast' | 'immediate') => pg('pg_ctl', ['-D', data, '-m', mode, '-w', 'stop']);

  let port = 0;
  try {
    if (owner !== undefined) chownSync(dir, owner.uid, owner.gid);
    await pg('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C.UTF-8', '--no-sync', '--no-instructions']);
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      const settings = {
        listen_addresses: "'127.0.0.1'",
        port: String(port),
        unix_socket_directories: `'${dir}'`,
        fsync: 'off',
        synchronous_commit: 'off',
        full_page_writes: 'off',
      };
      appendFileSync(path.join(data, 'postgresql.conf'), `\n${Object.entries(settings).map(([k, v]) => `${k} = ${v}`).join('\n')}\n`);
      try {
        await start();
        break;
      } catch (error) {
        // Another process may have taken the port between the probe and the start: try another one.
        if (attempt >= 3) throw error;
      }
    }
  } catch (error) {
    await stop('immediate').catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const adminUrl = `postgresql://postgres@127.0.0.1:${port}/postgres`;
  return {
    source: 'throwaway cluster',
    startMs: performance.now() - started,
    ownCluster: true,
    createDatabase: () => create(adminUrl),
    stop: () => stop('fast'),
    start,
    close: async () => {
      await stop('immediate').catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
