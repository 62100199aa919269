/**
 * The PostgreSQL store against a real server (test/support/postgres.ts: a throwaway cluster of this file,
 * or TEST_DATABASE_URL): the store contract, then what only a shared server brings: instances migrating
 * at once, a read-only open, bounded connections, and bounded waits when the database is slow, hung or
 * stopped.
 */
import net from 'node:net';
import { Client } from 'pg';
import { main, type ReportIo } from '../../src/report';
import { MIGRATIONS, SchemaVersionError, type Migration } from '../../src/store/migrations';
import { openStore } from '../../src/store/open';
import { openPostgresStore, redactDatabaseUrl, type PostgresStoreOptions } from '../../src/store/postgres';
import type { Store } from '../../src/store/store';
import { findPostgresBin, freshSchema, sql, startTestPostgres, type TestPostgres } from '../support/postgres';
import { card, storeContract, type ContractBackend, type ContractDatabase } from './contract';

let server: TestPostgres;
/** This file's database; each test works in a fresh schema of it. */
let database: string;
beforeAll(async () => {
  server = await startTestPostgres();
  database = await server.createDatabase();
}, 60_000);
const fresh = () => freshSchema(database);
afterAll(async () => {
  await server?.close();
});

const names = async (url: string, text: string): Promise<string[]> => (await sql<{ name: string }>(url, text)).map((r) => r.name).sort();

function postgresDatabase(url: string): ContractDatabase {
  return {
    open: (options) => openPostgresStore(url, options?.migrations !== undefined ? { migrations: options.migrations } : {}),
    query: (text) => sql(url, text),
    tables: () => names(url, 'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()'),
    indices: () => names(url, "SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema() AND indexname NOT LIKE '%\\_pkey'"),
    columnTypes: () => names(url, 'SELECT DISTINCT upper(data_type) AS name FROM information_schema.columns WHERE table_schema = current_schema()'),
    env: { DATABASE_URL: url },
  };
}

const backend: ContractBackend = { kind: 'postgres', database: async () => postgresDatabase(await fresh()) };

describe('the store contract on PostgreSQL', () => {
  storeContract(() => backend);
});

describe('PostgreSQL only', () => {
  const opened: Store[] = [];
  const open = async (url: string, options: PostgresStoreOptions = {}): Promise<Store> => {
    const store = await openPostgresStore(url, options);
    opened.push(store);
    return store;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });

  test('without the server binaries the tests fail with a message saying what to install, rather than being skipped', () => {
    expect(() => findPostgresBin({ PG_BIN: '/nonexistent/bin' }, '/nonexistent/postgresql')).toThrow(/install Debian's PostgreSQL \(sudo apt-get install --no-install-recommends postgresql/);
  });

  test('four instances starting together on a new database apply each migration once, one after the other', async () => {
    const url = await fresh();
    // Slow enough that the four opens overlap; without the lock the second CREATE TABLE would fail.
    const slow: Migration = { version: MIGRATIONS.length + 1, name: 'slow', statements: ['CREATE TABLE slow_marker (id TEXT PRIMARY KEY)', 'SELECT pg_sleep(0.3)'] };
    const stores = await Promise.all([1, 2, 3, 4].map(() => open(url, { migrations: [...MIGRATIONS, slow] })));
    expect(await sql(url, 'SELECT version FROM schema_migrations ORDER BY version')).toEqual([...MIGRATIONS, slow].map((m) => ({ version: m.version })));
    expect(await Promise.all(stores.map((s) => s.ping()))).toEqual([true, true, true, true]);
  });

  test('opened through openStore when DATABASE_URL is set, it is the PostgreSQL store', async () => {
    const store = await openStore({ databaseUrl: await fresh(), databasePath: '/nonexistent/never-created.sqlite' });
    opened.push(store);
    expect(store.kind).toBe('postgres');
  });

  test('without migrating, a database with no schema is refused and left as it was; a current one is read', async () => {
    const url = await fresh();
    const refused = openPostgresStore(url, { migrate: false });
    await expect(refused).rejects.toBeInstanceOf(SchemaVersionError);
    await expect(refused).rejects.toThrow(/no npc-cds schema/);
    expect(await names(url, 'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()')).toEqual([]);
    await (await open(url)).close();
    const reader = await open(url, { migrate: false });
    expect((await reader.report()).cardsIssued).toBe(0);
  });

  test('without migrating, a schema older than the code is refused', async () => {
    const url = await fresh();
    await (await open(url)).close();
    const next: Migration = { version: MIGRATIONS.length + 1, name: 'next', statements: ['CREATE TABLE next_one (id TEXT PRIMARY KEY)'] };
    await expect(openPostgresStore(url, { migrate: false, migrations: [...MIGRATIONS, next] })).rejects.toThrow(/older than this code's/);
  });

  describe('the report command with DATABASE_URL', () => {
    let out: string;
    let err: string;
    const io: ReportIo = { out: (t) => void (out += t), err: (t) => void (err += t) };
    beforeEach(() => {
      out = '';
      err = '';
    });

    test('it reads PostgreSQL rather than DATABASE_PATH, and does not create a schema in an empty database', async () => {
      const url = await fresh();
      expect(await main([], { DATABASE_URL: url, DATABASE_PATH: '/nonexistent/npc-cds.sqlite' }, io)).toBe(1);
      expect(err).toContain('no npc-cds schema');
      expect(out).toBe('');
      expect(await sql(url, 'SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()')).toEqual([]);
    });

    test('a database it cannot reach is an error that names the URL without its password', async () => {
      const port = await closedPort();
      const url = `postgresql://npc_cds:hunter2-secret@127.0.0.1:${port}/npc_cds?sslpassword=other-secret`;
      expect(await main([], { DATABASE_URL: url }, io)).toBe(1);
      expect(err).toContain(`Cannot read the database at postgresql://npc_cds:***@127.0.0.1:${port}/npc_cds?sslpassword=***`);
      expect(err).not.toMatch(/hunter2|other-secret/);
      expect(redactDatabaseUrl('not a url with password hunter2')).not.toContain('hunter2');
    });

    test('a DATABASE_URL that is not a PostgreSQL URL is refused', async () => {
      expect(await main([], { DATABASE_URL: 'mysql://root:hunter2@db/x' }, io)).toBe(1);
      expect(err).toContain('must be a postgres:// or postgresql:// URL');
      expect(err).not.toContain('hunter2');
    });
  });

  test('the store opens at most maxConnections connections, however many calls wait', async () => {
    const url = await fresh();
    // The URL's application_name wins over the store's own, so that this store's connections can be counted.
    const store = await open(`${url}&application_name=npc-cds-pool-test`, { maxConnections: 2 });
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.recordCards([card(`c${i}`, [['ictos', 'high']])])));
    expect((await store.report()).cardsIssued).toBe(20);
    const [row] = await sql<{ n: number }>(url, "SELECT CAST(COUNT(*) AS INTEGER) AS n FROM pg_stat_activity WHERE application_name = 'npc-cds-pool-test'");
    expect(row?.n).toBeGreaterThan(0);
    expect(row?.n).toBeLessThanOrEqual(2);
  });

  test('two instances recording the same cards at once, in opposite orders, store each card once and do not deadlock', async () => {
    const url = await fresh();
    const [a, b] = [await open(url), await open(url)];
    for (let round = 0; round < 10; round++) {
      const cards = Array.from({ length: 1000 }, (_, i) => card(`r${round}-c${String(i).padStart(4, '0')}`, [['ictos', 'high']]));
      await Promise.all([a?.recordCards(cards), b?.recordCards([...cards].reverse())]);
    }
    expect(await sql(url, 'SELECT CAST(COUNT(*) AS INTEGER) AS n FROM card_findings')).toEqual([{ n: 10_000 }]);
  });

  test('a statement blocked by another transaction is cancelled after the statement timeout, and the store stays usable', async () => {
    const url = await fresh();
    const store = await open(url, { statementTimeoutMs: 300 });
    const locker = await lockTable(url, 'issued_cards');
    try {
      const started = performance.now();
      await expect(store.recordCards([card('c1', [])])).rejects.toThrow(/statement timeout/);
      expect(performance.now() - started).toBeLessThan(2000);
    } finally {
      await locker.release();
    }
    await store.recordCards([card('c1', [])]);
    expect((await store.report()).cardsIssued).toBe(1);
  });

  test('the report has a timeout of its own: it outwaits a lock that writes give up on, and is cancelled after reportTimeoutMs', async () => {
    const url = await fresh();
    const store = await open(url, { statementTimeoutMs: 200, reportTimeoutMs: 5000 });
    let locker = await lockTable(url, 'issued_cards');
    const report = store.report();
    await expect(store.recordCards([card('c1', [])])).rejects.toThrow(/statement timeout/);
    await locker.release();
    await expect(report).resolves.toMatchObject({ cardsIssued: 0 });

    const impatient = await open(url, { reportTimeoutMs: 200 });
    locker = await lockTable(url, 'issued_cards');
    try {
      await expect(impatient.report()).rejects.toThrow(/statement timeout/);
    } finally {
      await locker.release();
    }
  });

  describe('a database that stops answering (a hung host behind a frozen connection)', () => {
    let proxy: FreezableProxy;
    let url: string;
    beforeEach(async () => {
      const direct = new URL(await fresh());
      proxy = await FreezableProxy.start(Number(direct.port));
      url = Object.assign(new URL(direct.href), { port: String(proxy.port) }).href;
    });
    afterEach(async () => {
      await proxy.close();
    });
    const bounded: PostgresStoreOptions = { pingTimeoutMs: 300, statementTimeoutMs: 500, connectionTimeoutMs: 500 };

    test('ping answers false within its bound, calls fail instead of hanging, and the store recovers when it answers again', async () => {
      const store = await open(url, bounded);
      expect(await store.ping()).toBe(true);
      proxy.freeze();
      let started = performance.now();
      expect(await store.ping()).toBe(false);
      expect(performance.now() - started).toBeLessThan(1000);
      started = performance.now();
      await expect(store.recordCards([card('c1', [])])).rejects.toThrow();
      expect(performance.now() - started).toBeLessThan(3000);
      proxy.thaw();
      await expect(eventually(() => store.ping(), 5000)).resolves.toBe(true);
      await store.recordCards([card('c2', [])]);
    });

    test('an instance starting meanwhile gives up after the connection timeout', async () => {
      proxy.freeze();
      const started = performance.now();
      await expect(openPostgresStore(url, bounded)).rejects.toThrow(/timeout/i);
      expect(performance.now() - started).toBeLessThan(2000);
    });
  });

  test('when the server is stopped, ping answers false at once and calls fail; when it is back, the store recovers', async () => {
    if (!server.ownCluster) return; // A TEST_DATABASE_URL server is not ours to stop.
    const errors: Error[] = [];
    const store = await open(await fresh(), { pingTimeoutMs: 1000, onError: (e) => errors.push(e) });
    expect(await store.ping()).toBe(true);
    await server.stop();
    try {
      const started = performance.now();
      expect(await store.ping()).toBe(false);
      await expect(store.recordCards([card('c1', [])])).rejects.toThrow();
      expect(performance.now() - started).toBeLessThan(1500);
      // The idle connection the server closed was reported and dropped, not thrown.
      expect(errors.length).toBeGreaterThan(0);
    } finally {
      await server.start();
    }
    await expect(eventually(() => store.ping(), 5000)).resolves.toBe(true);
    await store.recordCards([card('c1', [['ictos', 'high']])]);
    expect((await store.report()).cardsIssued).toBe(1);
  }, 30_000);
});

/** A port of 127.0.0.1 where nothing listens. */
async function closedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** Resolves with `check()` once it is true, or with false after `ms`. */
async function eventually(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

/** Holds an exclusive lock on `table` in an open transaction until `release()`. */
async function lockTable(url: string, table: string): Promise<{ release(): Promise<void> }> {
  const client = new Client({ connectionString: url });
  await client.connect();
  await client.query('BEGIN');
  await client.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
  return {
    release: async () => {
      await client.query('ROLLBACK');
      await client.end();
    },
  };
}

/**
 * A TCP proxy to the server that can freeze: it keeps accepting connections and bytes but forwards
 * nothing, as a hung host or a network partition would, until it thaws.
 */
class FreezableProxy {
  private frozen = false;
  private readonly sockets = new Set<net.Socket>();
  private readonly held: (() => void)[] = [];

  private readonly server: net.Server;
  port = 0;

  private constructor(targetPort: number) {
    this.server = net.createServer((client) => this.accept(client, targetPort));
  }

  static async start(targetPort: number): Promise<FreezableProxy> {
    const proxy = new FreezableProxy(targetPort);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    proxy.port = (proxy.server.address() as net.AddressInfo).port;
    return proxy;
  }

  private accept(client: net.Socket, targetPort: number): void {
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.sockets.add(from);
      from.on('data', (chunk) => (this.frozen ? this.held.push(() => to.write(chunk)) : to.write(chunk)));
      from.on('error', () => to.destroy());
      from.on('close', () => {
        this.sockets.delete(from);
        to.destroy();
      });
    }
  }

  freeze(): void {
    this.frozen = true;
  }

  thaw(): void {
    this.frozen = false;
    for (const forward of this.held.splice(0)) forward();
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
