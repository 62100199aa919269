import { createHmac } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS, SchemaVersionError, latestVersion, pendingMigrations, type Migration } from '../../src/store/migrations';
import { openSqliteStore } from '../../src/store/sqlite';
import { feedbackKey, hashPatientId, type FeedbackItem, type IssuedCard, type Store } from '../../src/store/store';

const card = (uuid: string, findings: [string, string][], extra: Partial<IssuedCard> = {}): IssuedCard => ({
  uuid,
  service: 'npc-treatment-selection',
  hookInstance: `hook-${uuid}`,
  cardKind: 'treatment-selection',
  issuedAt: '2026-03-02T08:00:00.000Z',
  patientHash: 'a'.repeat(64),
  findings: findings.map(([rule, outcome]) => ({ rule, outcome })),
  ...extra,
});

const feedback = (cardUuid: string, outcome: FeedbackItem['outcome'], outcomeTimestamp: string, extra: Partial<FeedbackItem> = {}): FeedbackItem => ({
  service: 'npc-treatment-selection',
  card: cardUuid,
  outcome,
  acceptedSuggestions: [],
  outcomeTimestamp,
  receivedAt: '2026-03-05T00:00:00.000Z',
  ...extra,
});

const override = (code: string, display?: string) => ({
  system: 'https://npc-cds.org/fhir/CodeSystem/override-reasons',
  code,
  ...(display !== undefined ? { display } : {}),
});

let dir: string;
const opened: Store[] = [];
const open = async (file: string, migrations?: readonly Migration[]): Promise<Store> => {
  const store = await openSqliteStore(file, migrations !== undefined ? { migrations } : {});
  opened.push(store);
  return store;
};

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'npc-cds-store-'));
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

/** Reads a database file directly, outside the store, and closes it again. */
function inspect<T>(file: string, read: (db: Database.Database) => T): T {
  const db = new Database(file, { readonly: true, fileMustExist: true });
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

const versions = (db: Database.Database) =>
  db.prepare<[], { version: number; name: string; applied_at: string }>('SELECT version, name, applied_at FROM schema_migrations ORDER BY version').all();

describe('migrations', () => {
  test('the migrations are numbered 1, 2, 3, ... in order', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    expect(latestVersion()).toBe(MIGRATIONS.length);
  });

  test('a new database file, in a directory that does not exist yet, has every table and records each version once', async () => {
    const file = path.join(dir, 'nested', 'deeper', 'npc-cds.sqlite');
    await (await open(file)).close();
    inspect(file, (db) => {
      expect(tables(db)).toEqual(['card_findings', 'feedback', 'issued_cards', 'meta', 'schema_migrations']);
      const rows = versions(db);
      expect(rows.map((r) => [r.version, r.name])).toEqual(MIGRATIONS.map((m) => [m.version, m.name]));
      for (const r of rows) expect(r.applied_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    });
  });

  test('a file database is in WAL mode', async () => {
    const file = path.join(dir, 'wal.sqlite');
    await open(file);
    inspect(file, (db) => expect(db.pragma('journal_mode', { simple: true })).toBe('wal'));
  });

  test('the schema declares only TEXT and INTEGER columns, portable to PostgreSQL', async () => {
    const file = path.join(dir, 'types.sqlite');
    await (await open(file)).close();
    inspect(file, (db) => {
      const types = new Set(
        tables(db).flatMap((t) => db.prepare<[], { type: string }>(`PRAGMA table_info(${t})`).all().map((c) => c.type)),
      );
      expect([...types].sort()).toEqual(['INTEGER', 'TEXT']);
    });
  });

  test('the report has the indices it joins and filters on', async () => {
    const file = path.join(dir, 'indices.sqlite');
    await (await open(file)).close();
    const indices = inspect(file, (db) =>
      db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name").all().map((r) => r.name),
    );
    expect(indices).toEqual(['card_findings_rule_outcome', 'feedback_card_outcome_at', 'feedback_received_at', 'issued_cards_issued_at']);
  });

  test('reopening a migrated database applies nothing a second time', async () => {
    const file = path.join(dir, 'reopen.sqlite');
    await (await open(file)).close();
    const first = inspect(file, versions);
    await (await open(file)).close();
    await (await open(file)).close();
    expect(inspect(file, versions)).toEqual(first);
  });

  test('a migration added later is applied on the next open, after the ones already applied', async () => {
    const file = path.join(dir, 'later.sqlite');
    await (await open(file)).close();
    const next: Migration = { version: MIGRATIONS.length + 1, name: 'audit note', statements: ['CREATE TABLE audit_note (id TEXT PRIMARY KEY, note TEXT NOT NULL)'] };
    await (await open(file, [...MIGRATIONS, next])).close();
    inspect(file, (db) => {
      expect(versions(db).map((r) => r.version)).toEqual([...MIGRATIONS.map((m) => m.version), next.version]);
      expect(tables(db)).toContain('audit_note');
    });
  });

  test('a migration that fails leaves the database as it was, and the open is refused', async () => {
    const file = path.join(dir, 'failing.sqlite');
    await (await open(file)).close();
    const broken: Migration = {
      version: MIGRATIONS.length + 1,
      name: 'broken',
      statements: ['CREATE TABLE half_done (id TEXT PRIMARY KEY)', 'CREATE TABLE oops (id TEXT PRIMARY KEY'],
    };
    // SqliteError comes from the native module's realm, which Jest's toThrow does not always recognise.
    await expect(openSqliteStore(file, { migrations: [...MIGRATIONS, broken] })).rejects.toMatchObject({ name: 'SqliteError', message: expect.stringMatching(/syntax error|incomplete input/) });
    inspect(file, (db) => {
      expect(versions(db).map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
      expect(tables(db)).not.toContain('half_done');
    });
  });

  test('a database migrated by newer code is refused with an error that says so', async () => {
    const file = path.join(dir, 'newer.sqlite');
    await (await open(file)).close();
    const db = new Database(file);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(latestVersion() + 1, 'from the future', new Date().toISOString());
    db.close();
    const opening = openSqliteStore(file);
    await expect(opening).rejects.toBeInstanceOf(SchemaVersionError);
    await expect(opening).rejects.toThrow(`schema is at version ${latestVersion() + 1}, newer than this code knows (${latestVersion()})`);
  });

  test('a list of migrations out of order is a programming error', () => {
    const m = (version: number): Migration => ({ version, name: `m${version}`, statements: [] });
    expect(() => pendingMigrations([], [m(1), m(3)])).toThrow(RangeError);
  });

  test('a recorded version that the code does not know, below its newest, is refused too', () => {
    expect(() => pendingMigrations([0], MIGRATIONS)).toThrow(/does not know: 0/);
  });

  test('only the migrations not yet recorded are pending', () => {
    const m = (version: number): Migration => ({ version, name: `m${version}`, statements: [] });
    expect(pendingMigrations([1, 2], [m(1), m(2), m(3)]).map((x) => x.version)).toEqual([3]);
  });
});

describe('issued cards', () => {
  test('recording the same card twice stores it once, with the findings of the first record', async () => {
    const file = path.join(dir, 'cards.sqlite');
    const store = await open(file);
    await store.recordCards([card('c1', [['ictos', 'high'], ['risk', 'high']])]);
    await store.recordCards([card('c1', [['ictos', 'low']]), card('c1', [['ictos', 'low']])]);
    inspect(file, (db) => {
      expect(db.prepare('SELECT COUNT(*) AS n FROM issued_cards').get()).toEqual({ n: 1 });
      expect(db.prepare('SELECT rule, outcome FROM card_findings ORDER BY position').all()).toEqual([
        { rule: 'ictos', outcome: 'high' },
        { rule: 'risk', outcome: 'high' },
      ]);
    });
    expect((await store.report()).cardsIssued).toBe(1);
  });

  test('an issue time with an offset is stored as the same instant in UTC', async () => {
    const file = path.join(dir, 'utc.sqlite');
    const store = await open(file);
    await store.recordCards([card('c1', [], { issuedAt: '2026-03-02T16:00:00+08:00' })]);
    expect(inspect(file, (db) => db.prepare('SELECT issued_at FROM issued_cards').get())).toEqual({ issued_at: '2026-03-02T08:00:00.000Z' });
  });

  test('a card whose issue time is not a date is refused and nothing of the batch is stored', async () => {
    const store = await open(':memory:');
    await expect(store.recordCards([card('c1', []), card('c2', [], { issuedAt: 'yesterday' })])).rejects.toThrow(RangeError);
    expect((await store.report()).cardsIssued).toBe(0);
  });
});

describe('feedback (CDS Hooks 2.0)', () => {
  let store: Store;
  beforeEach(async () => {
    store = await open(':memory:');
    await store.recordCards([card('c1', [['ictos', 'high']]), card('c2', [['ictos', 'high']])]);
  });

  test('the same item sent twice is stored once and counted as a duplicate the second time', async () => {
    const item = feedback('c1', 'overridden', '2026-03-03T09:00:00Z', { overrideReason: override('patient-preference') });
    expect(await store.recordFeedback([item])).toEqual({ stored: 1, duplicates: 0, unknownCards: 0 });
    expect(await store.recordFeedback([{ ...item, receivedAt: '2026-03-06T00:00:00Z', userComment: 'sent again' }])).toEqual({
      stored: 0,
      duplicates: 1,
      unknownCards: 0,
    });
  });

  test('a repeat within one request is a duplicate', async () => {
    const item = feedback('c1', 'accepted', '2026-03-03T09:00:00Z', { acceptedSuggestions: ['s1'] });
    expect(await store.recordFeedback([item, item])).toEqual({ stored: 1, duplicates: 1, unknownCards: 0 });
  });

  test('the same instant written with another offset, and the accepted suggestions in another order, is the same item', async () => {
    const a = feedback('c1', 'accepted', '2026-03-03T09:00:00Z', { acceptedSuggestions: ['s1', 's2'] });
    const b = feedback('c1', 'accepted', '2026-03-03T17:00:00.000+08:00', { acceptedSuggestions: ['s2', 's1'] });
    expect(feedbackKey(a)).toBe(feedbackKey(b));
    expect(await store.recordFeedback([a, b])).toEqual({ stored: 1, duplicates: 1, unknownCards: 0 });
  });

  test.each([
    { label: 'another card', change: { card: 'c2' } },
    { label: 'another outcome', change: { outcome: 'accepted' as const, overrideReason: undefined } },
    { label: 'another outcome timestamp', change: { outcomeTimestamp: '2026-03-03T09:00:01Z' } },
    { label: 'other accepted suggestions', change: { acceptedSuggestions: ['s9'] } },
    { label: 'another override reason code', change: { overrideReason: override('contraindicated') } },
  ])('an item that differs by $label is not a duplicate', async ({ change }) => {
    const item = feedback('c1', 'overridden', '2026-03-03T09:00:00Z', { overrideReason: override('patient-preference') });
    expect(await store.recordFeedback([item, { ...item, ...change }])).toEqual({ stored: 2, duplicates: 0, unknownCards: 0 });
  });

  test('feedback for a card never issued here is stored and counted as for an unknown card', async () => {
    const ghost = feedback('ghost', 'accepted', '2026-03-03T09:00:00Z');
    expect(await store.recordFeedback([ghost, feedback('c1', 'accepted', '2026-03-03T09:00:00Z')])).toEqual({
      stored: 2,
      duplicates: 0,
      unknownCards: 1,
    });
    expect(await store.recordFeedback([ghost])).toEqual({ stored: 0, duplicates: 1, unknownCards: 1 });
    expect((await store.report()).feedbackForUnknownCards).toBe(1);
  });

  test('feedback that arrived before its card was recorded counts for the card once the card is recorded', async () => {
    await store.recordFeedback([feedback('c3', 'accepted', '2026-03-03T09:00:00Z')]);
    expect((await store.report()).feedbackForUnknownCards).toBe(1);
    await store.recordCards([card('c3', [['risk', 'low']])]);
    const report = await store.report();
    expect(report.feedbackForUnknownCards).toBe(0);
    expect(report.rows.find((r) => r.rule === 'risk')).toMatchObject({ cardsWithFeedback: 1, accepted: 1 });
  });

  test('an item whose outcome timestamp is not a date is refused and nothing of the request is stored', async () => {
    const good = feedback('c1', 'accepted', '2026-03-03T09:00:00Z');
    await expect(store.recordFeedback([good, feedback('c2', 'accepted', 'not a date')])).rejects.toThrow(/outcomeTimestamp/);
    expect(await store.recordFeedback([good])).toEqual({ stored: 1, duplicates: 0, unknownCards: 0 });
  });
});

describe('the report per rule and outcome', () => {
  /**
   * Six cards. c1: overridden (10:00 +08:00 = 02:00Z), then accepted (03:00Z): latest is accepted even though
   * its text sorts first. c2: overridden, contraindicated. c3: overridden at T3 received before its accepted
   * at T2: latest is the override. c4: accepted. c5: no feedback. c6: overridden. And one item for an unknown card.
   */
  async function workedExample(store: Store): Promise<void> {
    await store.recordCards([
      card('c1', [['ictos', 'high'], ['recommendation', 'ict-ccrt']]),
      card('c2', [['ictos', 'high'], ['recommendation', 'ict-ccrt']]),
      card('c3', [['ictos', 'high'], ['recommendation', 'ict-ccrt']]),
      card('c4', [['ictos', 'low'], ['recommendation', 'ccrt-alone']]),
      card('c5', [['pre-tbf-response', 'favorable']], { cardKind: 'response-prediction' }),
      card('c6', [['ictos', 'high']]),
    ]);
    await store.recordFeedback([
      feedback('c1', 'overridden', '2026-03-02T10:00:00+08:00', { overrideReason: override('patient-preference', 'Patient preference') }),
      feedback('c1', 'accepted', '2026-03-02T03:00:00Z'),
      feedback('c2', 'overridden', '2026-03-02T09:00:00Z', { overrideReason: override('contraindicated') }),
      feedback('c3', 'overridden', '2026-03-04T09:00:00Z', { overrideReason: override('patient-preference', 'Patient preference') }),
      feedback('c3', 'accepted', '2026-03-03T09:00:00Z', { receivedAt: '2026-03-06T00:00:00Z' }),
      feedback('c4', 'accepted', '2026-03-02T09:00:00Z'),
      feedback('c6', 'overridden', '2026-03-02T09:00:00Z', { overrideReason: override('patient-preference', 'Patient preference') }),
      feedback('ghost', 'accepted', '2026-03-02T09:00:00Z'),
    ]);
  }

  test('each card counts once, by its latest feedback, and rates are accepted or overridden over cards with feedback', async () => {
    const store = await open(':memory:');
    await workedExample(store);
    const report = await store.report({ now: '2026-03-07T12:00:00Z' });
    expect(report).toEqual({
      generatedAt: '2026-03-07T12:00:00.000Z',
      rows: [
        {
          rule: 'ictos', outcome: 'high', cardsIssued: 4, cardsWithFeedback: 4, accepted: 1, overridden: 3,
          acceptanceRate: 0.25, overrideRate: 0.75,
          overrideReasons: [{ code: 'patient-preference', display: 'Patient preference', count: 2 }, { code: 'contraindicated', count: 1 }],
        },
        {
          rule: 'ictos', outcome: 'low', cardsIssued: 1, cardsWithFeedback: 1, accepted: 1, overridden: 0,
          acceptanceRate: 1, overrideRate: 0, overrideReasons: [],
        },
        {
          rule: 'pre-tbf-response', outcome: 'favorable', cardsIssued: 1, cardsWithFeedback: 0, accepted: 0, overridden: 0,
          acceptanceRate: null, overrideRate: null, overrideReasons: [],
        },
        {
          rule: 'recommendation', outcome: 'ccrt-alone', cardsIssued: 1, cardsWithFeedback: 1, accepted: 1, overridden: 0,
          acceptanceRate: 1, overrideRate: 0, overrideReasons: [],
        },
        {
          rule: 'recommendation', outcome: 'ict-ccrt', cardsIssued: 3, cardsWithFeedback: 3, accepted: 1, overridden: 2,
          acceptanceRate: 1 / 3, overrideRate: 2 / 3,
          overrideReasons: [{ code: 'contraindicated', count: 1 }, { code: 'patient-preference', display: 'Patient preference', count: 1 }],
        },
      ],
      feedbackForUnknownCards: 1,
      cardsIssued: 6,
      totals: { cardsIssued: 6, cardsWithFeedback: 5, accepted: 2, overridden: 3, acceptanceRate: 0.4, overrideRate: 0.6 },
    });
  });

  test('with since, only cards issued at or after it are reported, with all their feedback', async () => {
    const store = await open(':memory:');
    await store.recordCards([
      card('old', [['ictos', 'high']], { issuedAt: '2026-02-28T23:59:59.999Z' }),
      card('edge', [['ictos', 'high']], { issuedAt: '2026-03-01T00:00:00Z' }),
      card('new', [['ictos', 'low']], { issuedAt: '2026-03-05T00:00:00Z' }),
    ]);
    await store.recordFeedback([
      feedback('old', 'overridden', '2026-03-02T00:00:00Z', { overrideReason: override('other') }),
      feedback('edge', 'accepted', '2026-02-01T00:00:00Z'),
      feedback('ghost-before', 'accepted', '2026-02-01T00:00:00Z', { receivedAt: '2026-02-01T00:00:00Z' }),
      feedback('ghost-after', 'accepted', '2026-03-02T00:00:00Z', { receivedAt: '2026-03-02T00:00:00Z' }),
    ]);
    const report = await store.report({ since: '2026-03-01' });
    expect(report.since).toBe('2026-03-01T00:00:00.000Z');
    expect(report.cardsIssued).toBe(2);
    expect(report.feedbackForUnknownCards).toBe(1);
    expect(report.rows.map((r) => [r.rule, r.outcome, r.cardsIssued, r.accepted, r.overridden])).toEqual([
      ['ictos', 'high', 1, 1, 0],
      ['ictos', 'low', 1, 0, 0],
    ]);
    expect((await store.report()).since).toBeUndefined();
  });

  test('a since that is not a date is refused', async () => {
    const store = await open(':memory:');
    await expect(store.report({ since: 'last week' })).rejects.toThrow(/since is not an ISO-8601 date/);
  });

  test('an empty store reports no rows, zero cards and no rates', async () => {
    const store = await open(':memory:');
    const report = await store.report();
    expect(report).toMatchObject({ rows: [], cardsIssued: 0, feedbackForUnknownCards: 0, totals: { acceptanceRate: null, overrideRate: null } });
    expect(Date.parse(report.generatedAt)).not.toBeNaN();
  });
});

describe('patient pseudonyms', () => {
  test('the salt is created once and is the same after the file is reopened', async () => {
    const file = path.join(dir, 'salt.sqlite');
    const first = await open(file);
    const salt = await first.patientHashSalt();
    expect(salt).toMatch(/^[0-9a-f]{64}$/);
    expect(await first.patientHashSalt()).toBe(salt);
    await first.close();
    expect(await (await open(file)).patientHashSalt()).toBe(salt);
  });

  test('two stores have different salts', async () => {
    const a = await (await open(path.join(dir, 'a.sqlite'))).patientHashSalt();
    const b = await (await open(':memory:')).patientHashSalt();
    expect(a).not.toBe(b);
  });

  test('the hash is HMAC-SHA256 of the id keyed with the salt, and never the id itself', () => {
    const hash = hashPatientId('salt-1', 'Patient/123');
    expect(hash).toBe(createHmac('sha256', 'salt-1').update('Patient/123').digest('hex'));
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).not.toContain('123');
    expect(hashPatientId('salt-1', 'Patient/123')).toBe(hash);
    expect(hashPatientId('salt-2', 'Patient/123')).not.toBe(hash);
    expect(hashPatientId('salt-1', 'Patient/124')).not.toBe(hash);
  });

  test('an empty salt is refused', () => {
    expect(() => hashPatientId('', 'Patient/123')).toThrow(RangeError);
  });
});

describe('liveness and closing', () => {
  test('an open store answers a ping, a closed one does not, and closing twice is harmless', async () => {
    const file = path.join(dir, 'ping.sqlite');
    const store = await openSqliteStore(file);
    expect(store.kind).toBe('sqlite');
    expect(await store.ping()).toBe(true);
    await store.close();
    expect(await store.ping()).toBe(false);
    await expect(store.close()).resolves.toBeUndefined();
    expect(existsSync(file)).toBe(true);
  });

  test('a store opened with fileMustExist does not create a missing file', async () => {
    const file = path.join(dir, 'missing', 'none.sqlite');
    await expect(openSqliteStore(file, { fileMustExist: true })).rejects.toThrow(/directory does not exist/);
    expect(existsSync(path.dirname(file))).toBe(false);
  });
});
