/**
 * The SQLite store: the store contract on SQLite files, then what only SQLite does (a file and its
 * directory created on open, WAL mode, in-memory databases, read-only tools that must not create a file).
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS } from '../../src/store/migrations';
import { openSqliteStore } from '../../src/store/sqlite';
import type { IssuedCard, Store } from '../../src/store/store';
import { card, storeContract, type ContractBackend, type ContractDatabase } from './contract';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'npc-cds-store-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Reads a database file directly, outside the store, and closes it again. With `create` a missing file is
 * created, as a database that no store has opened yet (for SQL run on it before any store).
 */
function inspect<T>(file: string, read: (db: Database.Database) => T, create = false): T {
  const db = new Database(file, { fileMustExist: !create });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

const tables = (db: Database.Database): string[] =>
  db
    .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    .all()
    .map((r) => r.name);

/** A SQLite file of its own in the test directory. */
function sqliteDatabase(): ContractDatabase {
  const file = path.join(dir, `${randomUUID()}.sqlite`);
  return {
    open: (options) => openSqliteStore(file, options?.migrations !== undefined ? { migrations: options.migrations } : {}),
    query: async <T,>(sql: string) =>
      inspect(
        file,
        (db) => {
          const statement = db.prepare(sql);
          if (statement.reader) return statement.all() as T[];
          statement.run();
          return [];
        },
        true,
      ),
    tables: async () => inspect(file, tables),
    indices: async () =>
      inspect(file, (db) =>
        db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name").all().map((r) => r.name),
      ),
    columnTypes: async () =>
      inspect(file, (db) => {
        const types = tables(db).flatMap((t) => db.prepare<[], { type: string }>(`PRAGMA table_info(${t})`).all().map((c) => c.type.toUpperCase()));
        return [...new Set(types)].sort();
      }),
    env: { DATABASE_PATH: file },
  };
}

const backend: ContractBackend = { kind: 'sqlite', database: async () => sqliteDatabase() };

describe('the store contract on SQLite', () => {
  storeContract(() => backend);
});

describe('SQLite only', () => {
  const opened: Store[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });
  const open = async (file: string): Promise<Store> => {
    const store = await openSqliteStore(file);
    opened.push(store);
    return store;
  };

  test('a new database file, in a directory that does not exist yet, is created with every table', async () => {
    const file = path.join(dir, 'nested', 'deeper', 'npc-cds.sqlite');
    await (await open(file)).close();
    expect(inspect(file, tables)).toEqual(['card_findings', 'feedback', 'issued_cards', 'meta', 'schema_migrations']);
    expect(inspect(file, (db) => db.prepare('SELECT version FROM schema_migrations ORDER BY version').all())).toEqual(MIGRATIONS.map((m) => ({ version: m.version })));
  });

  test('a file database is in WAL mode, so that several processes on one host can share it', async () => {
    const file = path.join(dir, 'wal.sqlite');
    await open(file);
    inspect(file, (db) => expect(db.pragma('journal_mode', { simple: true })).toBe('wal'));
  });

  test('a new file that another process is still writing (a cluster worker switching it to WAL) is opened once its lock is released, not refused as busy', async () => {
    const file = path.join(dir, 'contended.sqlite');
    // Another process holds the write lock of a new file in rollback mode: SQLite refuses the switch to WAL
    // at once (SQLITE_BUSY) instead of waiting through the busy timeout, as when two workers start together.
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const D = require('better-sqlite3'); const db = new D(process.argv[1]);
         db.exec('BEGIN IMMEDIATE'); db.exec('CREATE TABLE other (a)'); process.stdout.write('locked\\n');
         setTimeout(() => { db.exec('COMMIT'); db.close(); }, 300);`,
        file,
      ],
      { cwd: path.resolve(__dirname, '../..'), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise((resolve) => holder.once('exit', resolve));
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
    const store = await open(file);
    expect(await store.ping()).toBe(true);
    await exited;
    inspect(file, (db) => expect(db.pragma('journal_mode', { simple: true })).toBe('wal'));
  });

  const storedUuids = (file: string): string[] =>
    inspect(file, (db) => db.prepare<[], { uuid: string }>('SELECT uuid FROM issued_cards ORDER BY uuid').all().map((r) => r.uuid));

  test('the cards of requests served in one turn of the event loop are committed together, and no request is answered before its cards are on disk', async () => {
    const file = path.join(dir, 'group-commit.sqlite');
    const store = await open(file);
    const recorded = ['g1', 'g2', 'g3', 'g4', 'g5'].map((uuid) => store.recordCards([card(uuid, [['rule', 'outcome']])]));
    let settled = 0;
    recorded.forEach((p) => void p.then(() => (settled += 1)));
    await Promise.resolve();
    // Still in the same turn: nothing is committed and no promise has settled.
    expect(storedUuids(file)).toEqual([]);
    expect(settled).toBe(0);
    await Promise.all(recorded);
    expect(storedUuids(file)).toEqual(['g1', 'g2', 'g3', 'g4', 'g5']);
    expect(inspect(file, (db) => db.prepare('SELECT COUNT(*) AS n FROM card_findings').get())).toEqual({ n: 5 });
  });

  test('a card that cannot be written fails only its own request: the other requests of the same group commit are stored', async () => {
    const file = path.join(dir, 'group-commit-failure.sqlite');
    const store = await open(file);
    // A finding without a rule passes the checks made at the call and fails inside the transaction.
    const unwritable = card('bad', []);
    const broken = { ...unwritable, findings: [{ outcome: 'x' } as unknown as IssuedCard['findings'][number]] };
    const results = await Promise.allSettled([
      store.recordCards([card('ok1', [['rule', 'a']])]),
      store.recordCards([broken]),
      store.recordCards([card('ok2', [['rule', 'b']])]),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(storedUuids(file)).toEqual(['ok1', 'ok2']);
  });

  test('closing the store writes the cards still waiting for the group commit (a SIGTERM loses none)', async () => {
    const file = path.join(dir, 'group-commit-close.sqlite');
    const store = await openSqliteStore(file);
    const recorded = store.recordCards([card('last', [['rule', 'outcome']])]);
    await store.close();
    await expect(recorded).resolves.toBeUndefined();
    expect(storedUuids(file)).toEqual(['last']);
    await expect(store.recordCards([card('after', [])])).rejects.toThrow('not open');
  });

  test('an in-memory store works without a file, and two of them have different salts', async () => {
    const a = await open(':memory:');
    await a.recordCards([{ uuid: 'c1', service: 's', hookInstance: 'h', cardKind: 'k', issuedAt: '2026-03-02T00:00:00Z', patientHash: 'x', findings: [], thresholdSet: 'default' }]);
    expect((await a.report()).cardsIssued).toBe(1);
    expect(await a.patientHashSalt()).not.toBe(await (await open(':memory:')).patientHashSalt());
  });

  test('a migration that fails is reported with the SQLite error', async () => {
    const broken = { version: MIGRATIONS.length + 1, name: 'broken', statements: ['CREATE TABLE oops (id TEXT PRIMARY KEY'] };
    // SqliteError comes from the native module's realm, which Jest's toThrow does not always recognise.
    await expect(openSqliteStore(':memory:', { migrations: [...MIGRATIONS, broken] })).rejects.toMatchObject({ name: 'SqliteError' });
  });

  test('closing a file store keeps the file', async () => {
    const file = path.join(dir, 'kept.sqlite');
    const store = await openSqliteStore(file);
    await store.close();
    expect(existsSync(file)).toBe(true);
  });

  test('a store opened with fileMustExist does not create a missing file', async () => {
    const file = path.join(dir, 'missing', 'none.sqlite');
    await expect(openSqliteStore(file, { fileMustExist: true })).rejects.toThrow(/directory does not exist/);
    expect(existsSync(path.dirname(file))).toBe(false);
  });
});
