/**
 * The store contract: what every backend (SQLite, PostgreSQL) does the same way, as one suite that each
 * backend's test file runs against its own databases (`storeContract(() => backend)`). Only the catalog
 * queries that inspect a database from outside differ, and the backend provides them.
 */
import { MIGRATIONS, SchemaVersionError, latestVersion, type Migration } from '../../src/store/migrations';
import { main, type ReportIo } from '../../src/report';
import { feedbackKey, type FeedbackItem, type IssuedCard, type Report, type Store } from '../../src/store/store';

/** One empty database of a backend, opened by stores and inspected from outside them. */
export interface ContractDatabase {
  /** Opens a store on this database (again), as one instance of the service does. */
  open(options?: { readonly migrations?: readonly Migration[] }): Promise<Store>;
  /** Runs SQL on a connection of its own, outside any store; values are written as literals. */
  query<T extends Record<string, unknown>>(sql: string): Promise<T[]>;
  /** The names of the tables, sorted. */
  tables(): Promise<string[]>;
  /** The names of the indices the schema creates (not those behind primary keys), sorted. */
  indices(): Promise<string[]>;
  /** The distinct declared column types, upper case, sorted. */
  columnTypes(): Promise<string[]>;
  /** The environment under which `npm run report` reads this database. */
  readonly env: Readonly<Record<string, string>>;
}

export interface ContractBackend {
  readonly kind: Store['kind'];
  /** A new, empty database. */
  database(): Promise<ContractDatabase>;
}

export const card = (uuid: string, findings: [string, string][], extra: Partial<IssuedCard> = {}): IssuedCard => ({
  uuid,
  service: 'npc-treatment-selection',
  hookInstance: `hook-${uuid}`,
  cardKind: 'treatment-selection',
  issuedAt: '2026-03-02T08:00:00.000Z',
  patientHash: 'a'.repeat(64),
  findings: findings.map(([rule, outcome]) => ({ rule, outcome })),
  ...extra,
});

export const feedback = (cardUuid: string, outcome: FeedbackItem['outcome'], outcomeTimestamp: string, extra: Partial<FeedbackItem> = {}): FeedbackItem => ({
  service: 'npc-treatment-selection',
  card: cardUuid,
  outcome,
  acceptedSuggestions: [],
  outcomeTimestamp,
  receivedAt: '2026-03-05T00:00:00.000Z',
  ...extra,
});

export const override = (code: string, display?: string) => ({
  system: 'https://npc-cds.org/fhir/CodeSystem/override-reasons',
  code,
  ...(display !== undefined ? { display } : {}),
});

/** The report command's exit code and output. */
async function reportCommand(argv: string[], env: Readonly<Record<string, string>>): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: ReportIo = { out: (t) => void (out += t), err: (t) => void (err += t) };
  const code = await main(argv, { ...env }, io);
  return { code, out, err };
}

/** Registers the contract's tests for the backend that `backend()` returns once `beforeAll` has run. */
export function storeContract(backend: () => ContractBackend): void {
  const opened: Store[] = [];
  /** A store on a new database, closed after the test. */
  const fresh = async (): Promise<{ store: Store; db: ContractDatabase }> => {
    const db = await backend().database();
    return { store: await open(db), db };
  };
  const open = async (db: ContractDatabase, migrations?: readonly Migration[]): Promise<Store> => {
    const store = await db.open(migrations !== undefined ? { migrations } : {});
    opened.push(store);
    return store;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });

  const versions = (db: ContractDatabase) =>
    db.query<{ version: number; name: string; applied_at: string }>('SELECT version, name, applied_at FROM schema_migrations ORDER BY version');

  describe('migrations', () => {
    test('a new database has every table and records each version once, with when it was applied', async () => {
      const { db } = await fresh();
      expect(await db.tables()).toEqual(['card_findings', 'feedback', 'issued_cards', 'meta', 'schema_migrations']);
      const rows = await versions(db);
      expect(rows.map((r) => [r.version, r.name])).toEqual(MIGRATIONS.map((m) => [m.version, m.name]));
      for (const r of rows) expect(r.applied_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    });

    test('the schema declares only TEXT and INTEGER columns, the same in every backend', async () => {
      const { db } = await fresh();
      expect(await db.columnTypes()).toEqual(['INTEGER', 'TEXT']);
    });

    test('the report has the indices it joins and filters on', async () => {
      const { db } = await fresh();
      expect(await db.indices()).toEqual(['card_findings_rule_outcome', 'feedback_card_outcome_at', 'feedback_received_at', 'issued_cards_issued_at']);
    });

    test('reopening a migrated database applies nothing a second time', async () => {
      const { store, db } = await fresh();
      await store.close();
      const first = await versions(db);
      await (await open(db)).close();
      await (await open(db)).close();
      expect(await versions(db)).toEqual(first);
    });

    test('a migration added later is applied on the next open, after the ones already applied', async () => {
      const { store, db } = await fresh();
      await store.close();
      const next: Migration = { version: MIGRATIONS.length + 1, name: 'audit note', statements: ['CREATE TABLE audit_note (id TEXT PRIMARY KEY, note TEXT NOT NULL)'] };
      await (await open(db, [...MIGRATIONS, next])).close();
      expect((await versions(db)).map((r) => r.version)).toEqual([...MIGRATIONS.map((m) => m.version), next.version]);
      expect(await db.tables()).toContain('audit_note');
    });

    test('a migration that fails leaves the database as it was, and the open is refused', async () => {
      const { store, db } = await fresh();
      await store.close();
      const broken: Migration = {
        version: MIGRATIONS.length + 1,
        name: 'broken',
        statements: ['CREATE TABLE half_done (id TEXT PRIMARY KEY)', 'CREATE TABLE oops (id TEXT PRIMARY KEY'],
      };
      // Driver errors do not always come from Jest's realm, so match the shape rather than the class.
      await expect(db.open({ migrations: [...MIGRATIONS, broken] })).rejects.toMatchObject({ message: expect.stringMatching(/syntax error|incomplete input/) });
      expect((await versions(db)).map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
      expect(await db.tables()).not.toContain('half_done');
    });

    test('a database migrated by newer code is refused with an error that says so', async () => {
      const { store, db } = await fresh();
      await store.close();
      await db.query(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (${latestVersion() + 1}, 'from the future', '2030-01-01T00:00:00.000Z')`);
      const opening = db.open();
      await expect(opening).rejects.toBeInstanceOf(SchemaVersionError);
      await expect(opening).rejects.toThrow(`schema is at version ${latestVersion() + 1}, newer than this code knows (${latestVersion()})`);
    });
  });

  describe('issued cards', () => {
    test('recording the same card twice stores it once, with the findings of the first record', async () => {
      const { store, db } = await fresh();
      await store.recordCards([card('c1', [['ictos', 'high'], ['risk', 'high']])]);
      await store.recordCards([card('c1', [['ictos', 'low']]), card('c1', [['ictos', 'low']])]);
      expect(await db.query('SELECT CAST(COUNT(*) AS INTEGER) AS n FROM issued_cards')).toEqual([{ n: 1 }]);
      expect(await db.query('SELECT rule, outcome FROM card_findings ORDER BY position')).toEqual([
        { rule: 'ictos', outcome: 'high' },
        { rule: 'risk', outcome: 'high' },
      ]);
      expect((await store.report()).cardsIssued).toBe(1);
    });

    test('within one batch the first record of a uuid wins', async () => {
      const { store, db } = await fresh();
      await store.recordCards([card('c2', [['ictos', 'low']]), card('c1', [['risk', 'high']]), card('c2', [['ictos', 'high']])]);
      expect(await db.query("SELECT rule, outcome FROM card_findings WHERE card_uuid = 'c2'")).toEqual([{ rule: 'ictos', outcome: 'low' }]);
      expect((await store.report()).cardsIssued).toBe(2);
    });

    test('an issue time with an offset is stored as the same instant in UTC', async () => {
      const { store, db } = await fresh();
      await store.recordCards([card('c1', [], { issuedAt: '2026-03-02T16:00:00+08:00' })]);
      expect(await db.query('SELECT issued_at FROM issued_cards')).toEqual([{ issued_at: '2026-03-02T08:00:00.000Z' }]);
    });

    test('a card whose issue time is not a date is refused and nothing of the batch is stored', async () => {
      const { store } = await fresh();
      await expect(store.recordCards([card('c1', []), card('c2', [], { issuedAt: 'yesterday' })])).rejects.toThrow(RangeError);
      expect((await store.report()).cardsIssued).toBe(0);
    });

    test('recording no cards does nothing', async () => {
      const { store } = await fresh();
      await expect(store.recordCards([])).resolves.toBeUndefined();
      expect((await store.report()).cardsIssued).toBe(0);
    });
  });

  describe('feedback (CDS Hooks 2.0)', () => {
    let store: Store;
    beforeEach(async () => {
      ({ store } = await fresh());
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

    test('an empty request stores nothing', async () => {
      expect(await store.recordFeedback([])).toEqual({ stored: 0, duplicates: 0, unknownCards: 0 });
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
      const { store } = await fresh();
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

    test('rows and override reasons are ordered by code unit (upper case first), whatever the database collation', async () => {
      const { store } = await fresh();
      await store.recordCards([
        card('c1', [['ictos', 'high']]),
        card('c2', [['ictos', 'high']]),
        card('c3', [['ICTOS', 'high']]),
        card('c4', [['ictos', 'High']]),
      ]);
      await store.recordFeedback([
        feedback('c1', 'overridden', '2026-03-03T09:00:00Z', { overrideReason: override('zeta') }),
        feedback('c2', 'overridden', '2026-03-03T09:00:00Z', { overrideReason: override('Zeta') }),
      ]);
      const report = await store.report();
      expect(report.rows.map((r) => [r.rule, r.outcome])).toEqual([
        ['ICTOS', 'high'],
        ['ictos', 'High'],
        ['ictos', 'high'],
      ]);
      expect(report.rows[2]?.overrideReasons.map((r) => r.code)).toEqual(['Zeta', 'zeta']);
    });

    test('with since, only cards issued at or after it are reported, with all their feedback', async () => {
      const { store } = await fresh();
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
      const { store } = await fresh();
      await expect(store.report({ since: 'last week' })).rejects.toThrow(/since is not an ISO-8601 date/);
    });

    test('an empty store reports no rows, zero cards and no rates', async () => {
      const { store } = await fresh();
      const report = await store.report();
      expect(report).toMatchObject({ rows: [], cardsIssued: 0, feedbackForUnknownCards: 0, totals: { acceptanceRate: null, overrideRate: null } });
      expect(Date.parse(report.generatedAt)).not.toBeNaN();
    });
  });

  describe('the report command (npm run report)', () => {
    async function seeded(): Promise<ContractDatabase> {
      const { store, db } = await fresh();
      await store.recordCards([
        card('c1', [['ictos', 'high']], { issuedAt: '2026-02-01T00:00:00Z' }),
        card('c2', [['ictos', 'low']], { issuedAt: '2026-03-02T00:00:00Z' }),
      ]);
      await store.recordFeedback([
        feedback('c1', 'overridden', '2026-02-02T00:00:00Z', { overrideReason: { code: 'other' }, receivedAt: '2026-02-02T00:00:00Z' }),
        feedback('c2', 'accepted', '2026-03-03T00:00:00Z', { acceptedSuggestions: ['s1'], receivedAt: '2026-03-03T00:00:00Z' }),
      ]);
      await store.close();
      return db;
    }

    test('it prints the table of the store and exits 0', async () => {
      const db = await seeded();
      const { code, out, err } = await reportCommand([], db.env);
      expect(err).toBe('');
      expect(code).toBe(0);
      expect(out).toMatch(/^ictos +high +1 +1 +0 +1 +0\.0% +100\.0% +other x1$/m);
      expect(out).toMatch(/^ictos +low +1 +1 +1 +0 +100\.0% +0\.0% +-$/m);
    });

    test('with --json and --since it prints the report as JSON, for the cards issued since then', async () => {
      const db = await seeded();
      const { code, out } = await reportCommand(['--json', '--since', '2026-03-01'], db.env);
      expect(code).toBe(0);
      const parsed = JSON.parse(out) as Report;
      expect(parsed).toMatchObject({ since: '2026-03-01T00:00:00.000Z', cardsIssued: 1, rows: [{ rule: 'ictos', outcome: 'low', accepted: 1 }] });
    });

    test('a database migrated by newer code is not read, and the command exits 1', async () => {
      const db = await seeded();
      await db.query(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (${latestVersion() + 1}, 'future', '2030-01-01T00:00:00.000Z')`);
      const { code, err } = await reportCommand([], db.env);
      expect(code).toBe(1);
      expect(err).toContain('newer than this code knows');
    });
  });

  describe('patient pseudonyms', () => {
    test('the salt is created once and is the same after the database is reopened', async () => {
      const { store, db } = await fresh();
      const salt = await store.patientHashSalt();
      expect(salt).toMatch(/^[0-9a-f]{64}$/);
      expect(await store.patientHashSalt()).toBe(salt);
      await store.close();
      expect(await (await open(db)).patientHashSalt()).toBe(salt);
    });

    test('two stores opened on one database and asked at the same time agree on one salt', async () => {
      const db = await backend().database();
      const stores = await Promise.all([open(db), open(db), open(db)]);
      const salts = await Promise.all(stores.map((s) => s.patientHashSalt()));
      expect(new Set(salts).size).toBe(1);
      expect(await db.query('SELECT key FROM meta')).toEqual([{ key: 'patient_hash_salt' }]);
    });

    test('two databases have different salts', async () => {
      const a = await (await fresh()).store.patientHashSalt();
      const b = await (await fresh()).store.patientHashSalt();
      expect(a).not.toBe(b);
    });
  });

  describe('liveness and closing', () => {
    test('an open store answers a ping, a closed one does not, and closing twice is harmless', async () => {
      const db = await backend().database();
      const store = await db.open();
      expect(store.kind).toBe(backend().kind);
      expect(await store.ping()).toBe(true);
      await store.close();
      expect(await store.ping()).toBe(false);
      await expect(store.close()).resolves.toBeUndefined();
    });
  });
}
