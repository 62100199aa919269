/**
 * The store contract: what every backend (SQLite, PostgreSQL) does the same way, as one suite that each
 * backend's test file runs against its own databases (`storeContract(() => backend)`). Only the catalog
 * queries that inspect a database from outside differ, and the backend provides them.
 */
import { MIGRATIONS, SCHEMA_MIGRATIONS_DDL, SchemaVersionError, latestVersion, type Migration } from '../../src/store/migrations';
import { main, type ReportIo } from '../../src/report';
import { THRESHOLD_SET_NOT_RECORDED, feedbackKey, type FeedbackItem, type IssuedCard, type Report, type ReportTotals, type RuleReportRow, type Store } from '../../src/store/store';

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
  thresholdSet: 'default',
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

    test('migration 2 adds a threshold set column to the issued cards, which may be empty', async () => {
      const { db } = await fresh();
      expect(MIGRATIONS[1]).toMatchObject({ version: 2, name: 'issued cards: threshold set' });
      await db.query(
        "INSERT INTO issued_cards (uuid, service, hook_instance, card_kind, issued_at, patient_hash) VALUES ('c1', 's', 'h', 'k', '2026-03-02T08:00:00.000Z', 'x')",
      );
      expect(await db.query('SELECT uuid, threshold_set FROM issued_cards')).toEqual([{ uuid: 'c1', threshold_set: null }]);
    });

    test('a database at version 1 with cards is migrated on open, and its cards are reported under the set "(not recorded)"', async () => {
      const db = await backend().database();
      // The database as the release before threshold sets left it: migration 1 only, with two cards.
      const [v1] = MIGRATIONS;
      if (v1 === undefined) throw new Error('no migration 1');
      await db.query(SCHEMA_MIGRATIONS_DDL);
      for (const statement of v1.statements) await db.query(statement);
      await db.query(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (1, '${v1.name}', '2026-01-01T00:00:00.000Z')`);
      await db.query(`INSERT INTO issued_cards (uuid, service, hook_instance, card_kind, issued_at, patient_hash) VALUES
        ('old1', 'npc-treatment-selection', 'h1', 'treatment-selection', '2026-03-01T08:00:00.000Z', 'x'),
        ('old2', 'npc-treatment-selection', 'h2', 'treatment-selection', '2026-03-01T09:00:00.000Z', 'y')`);
      await db.query("INSERT INTO card_findings (card_uuid, position, rule, outcome) VALUES ('old1', 0, 'ictos', 'high'), ('old2', 0, 'ictos', 'high')");

      const store = await open(db);
      expect((await versions(db)).map((r) => r.version)).toEqual([1, 2]);
      expect(await db.query('SELECT uuid, threshold_set FROM issued_cards ORDER BY uuid')).toEqual([
        { uuid: 'old1', threshold_set: null },
        { uuid: 'old2', threshold_set: null },
      ]);
      await store.recordCards([card('new1', [['ictos', 'high']], { thresholdSet: 'site-a-2026' })]);
      await store.recordFeedback([feedback('old1', 'accepted', '2026-03-02T09:00:00Z'), feedback('new1', 'overridden', '2026-03-02T09:00:00Z')]);

      const report = await store.report();
      expect(report.bySet.map((s) => [s.thresholdSet, s.cardsIssued, s.totals.cardsWithFeedback, s.totals.accepted, s.totals.overridden])).toEqual([
        [THRESHOLD_SET_NOT_RECORDED, 2, 1, 1, 0],
        ['site-a-2026', 1, 1, 0, 1],
      ]);
      expect(report.bySet[0]?.rows).toEqual([
        { rule: 'ictos', outcome: 'high', cardsIssued: 2, cardsWithFeedback: 1, accepted: 1, overridden: 0, acceptanceRate: 1, overrideRate: 0, overrideReasons: [] },
      ]);
      expect(report.totals).toMatchObject({ cardsIssued: 3, cardsWithFeedback: 2, accepted: 1, overridden: 1 });
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

    test('a card is stored with its threshold set, and a second record of its uuid does not change the set', async () => {
      const { store, db } = await fresh();
      await store.recordCards([card('c1', [], { thresholdSet: 'site-a-2026' }), card('c2', [])]);
      await store.recordCards([card('c1', [], { thresholdSet: 'site-b-2026' })]);
      expect(await db.query('SELECT uuid, threshold_set FROM issued_cards ORDER BY uuid')).toEqual([
        { uuid: 'c1', threshold_set: 'site-a-2026' },
        { uuid: 'c2', threshold_set: 'default' },
      ]);
    });

    test.each(['', THRESHOLD_SET_NOT_RECORDED])('a card whose threshold set is %j is refused and nothing of the batch is stored', async (thresholdSet) => {
      const { store } = await fresh();
      await expect(store.recordCards([card('c1', []), card('c2', [], { thresholdSet })])).rejects.toThrow(/thresholdSet of card c2/);
      expect((await store.report()).cardsIssued).toBe(0);
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
    async function workedExample(store: Store, setOf: (uuid: string) => string = () => 'default'): Promise<void> {
      const withSet = (c: IssuedCard): IssuedCard => ({ ...c, thresholdSet: setOf(c.uuid) });
      await store.recordCards([
        card('c1', [['ictos', 'high'], ['recommendation', 'ict-ccrt']]),
        card('c2', [['ictos', 'high'], ['recommendation', 'ict-ccrt']]),
        card('c3', [['ictos', 'high'], ['recommendation', 'ict-ccrt']]),
        card('c4', [['ictos', 'low'], ['recommendation', 'ccrt-alone']]),
        card('c5', [['pre-tbf-response', 'favorable']], { cardKind: 'response-prediction' }),
        card('c6', [['ictos', 'high']]),
      ].map(withSet));
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

    const row = (rule: string, outcome: string, counts: [number, number, number, number], overrideReasons: RuleReportRow['overrideReasons'] = []): RuleReportRow => {
      const [cardsIssued, cardsWithFeedback, accepted, overridden] = counts;
      const t = totals(cardsIssued, cardsWithFeedback, accepted, overridden);
      return { rule, outcome, ...t, overrideReasons };
    };
    const totals = (cardsIssued: number, cardsWithFeedback: number, accepted: number, overridden: number): ReportTotals => ({
      cardsIssued,
      cardsWithFeedback,
      accepted,
      overridden,
      acceptanceRate: cardsWithFeedback === 0 ? null : accepted / cardsWithFeedback,
      overrideRate: cardsWithFeedback === 0 ? null : overridden / cardsWithFeedback,
    });
    const preference = { code: 'patient-preference', display: 'Patient preference' };
    /** The worked example's figures over all its cards, whatever their sets. */
    const workedRows = [
      row('ictos', 'high', [4, 4, 1, 3], [{ ...preference, count: 2 }, { code: 'contraindicated', count: 1 }]),
      row('ictos', 'low', [1, 1, 1, 0]),
      row('pre-tbf-response', 'favorable', [1, 0, 0, 0]),
      row('recommendation', 'ccrt-alone', [1, 1, 1, 0]),
      row('recommendation', 'ict-ccrt', [3, 3, 1, 2], [{ code: 'contraindicated', count: 1 }, { ...preference, count: 1 }]),
    ];
    const workedTotals = totals(6, 5, 2, 3);

    test('each card counts once, by its latest feedback, and rates are accepted or overridden over cards with feedback', async () => {
      const { store } = await fresh();
      await workedExample(store);
      const report = await store.report({ now: '2026-03-07T12:00:00Z' });
      expect(report).toEqual({
        generatedAt: '2026-03-07T12:00:00.000Z',
        rows: workedRows,
        feedbackForUnknownCards: 1,
        cardsIssued: 6,
        totals: workedTotals,
        bySet: [{ thresholdSet: 'default', cardsIssued: 6, totals: workedTotals, rows: workedRows }],
      });
      expect(report.totals).toEqual({ cardsIssued: 6, cardsWithFeedback: 5, accepted: 2, overridden: 3, acceptanceRate: 0.4, overrideRate: 0.6 });
    });

    test('cards of two threshold sets are reported per set with the counts and rates of each, and the all-sets figures are unchanged', async () => {
      const { store } = await fresh();
      // c1 (accepted), c2 and c3 (overridden) with site-a-2026; c4 (accepted), c5 (no feedback) and c6 (overridden) with default.
      await workedExample(store, (uuid) => (['c1', 'c2', 'c3'].includes(uuid) ? 'site-a-2026' : 'default'));
      const report = await store.report({ now: '2026-03-07T12:00:00Z' });
      expect(report.rows).toEqual(workedRows);
      expect(report.totals).toEqual(workedTotals);
      expect(report.cardsIssued).toBe(6);
      expect(report.feedbackForUnknownCards).toBe(1);
      const siteAReasons = [{ code: 'contraindicated', count: 1 }, { ...preference, count: 1 }];
      expect(report.bySet).toEqual([
        {
          thresholdSet: 'default',
          cardsIssued: 3,
          totals: { cardsIssued: 3, cardsWithFeedback: 2, accepted: 1, overridden: 1, acceptanceRate: 0.5, overrideRate: 0.5 },
          rows: [
            row('ictos', 'high', [1, 1, 0, 1], [{ ...preference, count: 1 }]),
            row('ictos', 'low', [1, 1, 1, 0]),
            row('pre-tbf-response', 'favorable', [1, 0, 0, 0]),
            row('recommendation', 'ccrt-alone', [1, 1, 1, 0]),
          ],
        },
        {
          thresholdSet: 'site-a-2026',
          cardsIssued: 3,
          totals: { cardsIssued: 3, cardsWithFeedback: 3, accepted: 1, overridden: 2, acceptanceRate: 1 / 3, overrideRate: 2 / 3 },
          rows: [row('ictos', 'high', [3, 3, 1, 2], siteAReasons), row('recommendation', 'ict-ccrt', [3, 3, 1, 2], siteAReasons)],
        },
      ]);
    });

    test('the sets are ordered by code unit, and a set whose cards have no findings has totals and no rows', async () => {
      const { store } = await fresh();
      await store.recordCards([
        card('c1', [['ictos', 'high']], { thresholdSet: 'site-b' }),
        card('c2', [], { thresholdSet: 'Site-c' }),
        card('c3', [['ictos', 'high']], { thresholdSet: 'site-a' }),
      ]);
      const report = await store.report();
      expect(report.bySet.map((s) => s.thresholdSet)).toEqual(['Site-c', 'site-a', 'site-b']);
      expect(report.bySet[0]).toEqual({ thresholdSet: 'Site-c', cardsIssued: 1, totals: totals(1, 0, 0, 0), rows: [] });
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

    test('with since, only the sets of cards issued at or after it are reported', async () => {
      const { store } = await fresh();
      await store.recordCards([
        card('old', [['ictos', 'high']], { issuedAt: '2026-02-01T00:00:00Z', thresholdSet: 'site-a-2025' }),
        card('new', [['ictos', 'high']], { issuedAt: '2026-03-05T00:00:00Z', thresholdSet: 'site-a-2026' }),
      ]);
      expect((await store.report({ since: '2026-03-01' })).bySet.map((s) => [s.thresholdSet, s.cardsIssued])).toEqual([['site-a-2026', 1]]);
      expect((await store.report()).bySet.map((s) => [s.thresholdSet, s.cardsIssued])).toEqual([
        ['site-a-2025', 1],
        ['site-a-2026', 1],
      ]);
    });

    test('a since that is not a date is refused', async () => {
      const { store } = await fresh();
      await expect(store.report({ since: 'last week' })).rejects.toThrow(/since is not an ISO-8601 date/);
    });

    test('an empty store reports no rows, zero cards and no rates', async () => {
      const { store } = await fresh();
      const report = await store.report();
      expect(report).toMatchObject({ rows: [], cardsIssued: 0, feedbackForUnknownCards: 0, totals: { acceptanceRate: null, overrideRate: null }, bySet: [] });
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
      expect(out).toContain('\nThreshold set default: 2 cards issued\n');
      expect(out).toContain('\nTotals of this set: 2 cards issued, 2 with feedback, 1 accepted, 1 overridden; acceptance 50.0%, override 50.0%.\n');
    });

    test('with --json and --since it prints the report as JSON, for the cards issued since then', async () => {
      const db = await seeded();
      const { code, out } = await reportCommand(['--json', '--since', '2026-03-01'], db.env);
      expect(code).toBe(0);
      const parsed = JSON.parse(out) as Report;
      expect(parsed).toMatchObject({ since: '2026-03-01T00:00:00.000Z', cardsIssued: 1, rows: [{ rule: 'ictos', outcome: 'low', accepted: 1 }] });
      expect(parsed.bySet).toMatchObject([{ thresholdSet: 'default', cardsIssued: 1, rows: [{ rule: 'ictos', outcome: 'low', accepted: 1 }] }]);
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
