/**
 * The embedded SQLite store (better-sqlite3). better-sqlite3 is synchronous; the methods return promises
 * so that callers are written for the {@link Store} interface the PostgreSQL store shares.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS, SCHEMA_MIGRATIONS_DDL, pendingMigrations, type Migration } from './migrations';
import { REPORT_SQL, assembleReport, reportWindow, type BySet, type CountsRow, type ReasonRow, type ReportResult, type TotalsRow } from './queries';
import { SALT_NOT_STORED, checkedThresholdSet, feedbackKey, toUtcIso, type FeedbackItem, type FeedbackResult, type IssuedCard, type Report, type ReportOptions, type Store } from './store';

/** Options of {@link openSqliteStore}. */
export interface SqliteStoreOptions {
  /** Fail instead of creating the database file when it does not exist (for read-only tools). */
  readonly fileMustExist?: boolean;
  /** Milliseconds to wait for a lock held by another connection (default 5000). */
  readonly busyTimeoutMs?: number;
  /** The migrations to apply (default {@link MIGRATIONS}; tests pass others). */
  readonly migrations?: readonly Migration[];
}

const SALT_KEY = 'patient_hash_salt';

const SQL = {
  insertCard: `INSERT INTO issued_cards (uuid, service, hook_instance, card_kind, issued_at, patient_hash, threshold_set)
    VALUES (@uuid, @service, @hookInstance, @cardKind, @issuedAt, @patientHash, @thresholdSet) ON CONFLICT (uuid) DO NOTHING`,
  insertFinding: 'INSERT INTO card_findings (card_uuid, position, rule, outcome) VALUES (@card, @position, @rule, @outcome)',
  insertFeedback: `INSERT INTO feedback (id, card_uuid, service, outcome, accepted_suggestions, override_system, override_code,
      override_display, user_comment, outcome_timestamp, outcome_at, received_at)
    VALUES (@id, @card, @service, @outcome, @acceptedSuggestions, @overrideSystem, @overrideCode,
      @overrideDisplay, @userComment, @outcomeTimestamp, @outcomeAt, @receivedAt) ON CONFLICT (id) DO NOTHING`,
  cardExists: 'SELECT 1 AS found FROM issued_cards WHERE uuid = ?',
  insertSalt: 'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING',
  selectMeta: 'SELECT value FROM meta WHERE key = ?',
  ping: 'SELECT 1 AS ok',
} as const;

/** Applies the pending migrations and records them, all in one immediate (write-locked) transaction. */
function migrate(db: Database.Database, migrations: readonly Migration[]): void {
  db.transaction(() => {
    db.exec(SCHEMA_MIGRATIONS_DDL);
    const applied = db
      .prepare<[], { version: number }>('SELECT version FROM schema_migrations ORDER BY version')
      .all()
      .map((r) => r.version);
    const record = db.prepare<[number, string, string]>('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    for (const migration of pendingMigrations(applied, migrations)) {
      for (const statement of migration.statements) db.exec(statement);
      record.run(migration.version, migration.name, new Date().toISOString());
    }
  }).immediate();
}

/**
 * Runs `step`, again after a short pause while it fails with SQLITE_BUSY, for at most `timeoutMs`.
 * Switching a new file to WAL needs an exclusive lock and SQLite does not always wait for it through the
 * busy timeout: two processes opening the same new file at once (cluster workers) can otherwise fail.
 */
async function whileBusy(timeoutMs: number, step: () => void): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (let pause = 10; ; pause = Math.min(pause * 2, 200)) {
    try {
      step();
      return;
    } catch (error) {
      const busy = (error as { code?: unknown }).code === 'SQLITE_BUSY';
      if (!busy || Date.now() + pause > end) throw error;
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}

/**
 * Opens (creating it and its parent directory if needed, unless `fileMustExist`) the SQLite database at
 * `file`, or an in-memory one for `':memory:'`, and applies pending migrations. Files use WAL mode; every
 * connection has a busy timeout and foreign keys on. Rejects with a `SchemaVersionError` when the
 * database was migrated by newer code.
 */
export async function openSqliteStore(file: string, options: SqliteStoreOptions = {}): Promise<Store> {
  const inMemory = file === ':memory:' || file === '';
  if (!inMemory && options.fileMustExist !== true) mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const db = new Database(file, { fileMustExist: options.fileMustExist === true });
  const busyTimeoutMs = Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000));
  try {
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    db.pragma('foreign_keys = ON');
    await whileBusy(busyTimeoutMs, () => {
      if (!inMemory) db.pragma('journal_mode = WAL');
      migrate(db, options.migrations ?? MIGRATIONS);
    });
  } catch (error) {
    db.close();
    throw error;
  }
  return new SqliteStore(db);
}

/** Every statement the store runs, prepared once per connection. */
function prepareStatements(db: Database.Database) {
  return {
    insertCard: db.prepare<
      [{ uuid: string; service: string; hookInstance: string; cardKind: string; issuedAt: string; patientHash: string; thresholdSet: string }]
    >(SQL.insertCard),
    insertFinding: db.prepare<[{ card: string; position: number; rule: string; outcome: string }]>(SQL.insertFinding),
    insertFeedback: db.prepare<[Record<string, string | null>]>(SQL.insertFeedback),
    cardExists: db.prepare<[string], { found: number }>(SQL.cardExists),
    insertSalt: db.prepare<[string, string]>(SQL.insertSalt),
    selectMeta: db.prepare<[string], { value: string }>(SQL.selectMeta),
    ping: db.prepare<[], { ok: number }>(SQL.ping),
    rows: db.prepare<[{ since: string | null }], CountsRow>(REPORT_SQL.rows),
    reasons: db.prepare<[{ since: string | null }], ReasonRow>(REPORT_SQL.reasons),
    totals: db.prepare<[{ since: string | null }], TotalsRow>(REPORT_SQL.totals),
    rowsBySet: db.prepare<[{ since: string | null }], BySet<CountsRow>>(REPORT_SQL.rowsBySet),
    reasonsBySet: db.prepare<[{ since: string | null }], BySet<ReasonRow>>(REPORT_SQL.reasonsBySet),
    totalsBySet: db.prepare<[{ since: string | null }], BySet<TotalsRow>>(REPORT_SQL.totalsBySet),
    unknownFeedback: db.prepare<[{ since: string | null }], { n: number }>(REPORT_SQL.unknownFeedback),
  };
}

/** An issued card as its rows are written. */
type CardRow = IssuedCard & { readonly issuedAt: string; readonly thresholdSet: string };

/** The cards of one {@link SqliteStore.recordCards} call, waiting for the next group commit. */
interface PendingGroup {
  readonly rows: readonly CardRow[];
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  private readonly statements: ReturnType<typeof prepareStatements>;
  private salt: string | undefined;
  private pending: PendingGroup[] = [];

  constructor(private readonly db: Database.Database) {
    this.statements = prepareStatements(db);
  }

  /**
   * Group commit: the cards of every request that reaches this point in the same turn of the event loop
   * are written in one transaction, at the end of that turn (setImmediate), and each request's promise
   * settles only after that transaction has committed. The durability promise is the one of a
   * transaction per request (a card is on disk, under SQLite's default `synchronous = FULL`, before its
   * response is sent); what changes is that concurrent requests share one commit, its WAL write and its
   * fsync, which cost about 0.2 ms each on these disks (bench/RESULTS.md).
   */
  async recordCards(cards: readonly IssuedCard[]): Promise<void> {
    // Checked now, so that a bad card fails its own request and never enters a shared transaction.
    const rows = cards.map((card) => ({ ...card, issuedAt: toUtcIso(card.issuedAt, 'issuedAt'), thresholdSet: checkedThresholdSet(card) }));
    if (!this.db.open) throw new TypeError('The database connection is not open');
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ rows, resolve, reject });
      if (this.pending.length === 1) setImmediate(() => this.commitPending());
    });
  }

  /** Commits every pending group in one transaction; if it fails, each group on its own, so that one bad group fails alone. */
  private commitPending(): void {
    const groups = this.pending;
    this.pending = [];
    if (groups.length === 0) return;
    try {
      this.insertCards(groups.flatMap((g) => g.rows));
      for (const g of groups) g.resolve();
    } catch (error) {
      // The failed transaction was rolled back as a whole: nothing of it is stored.
      if (groups.length === 1) {
        groups[0]?.reject(error);
        return;
      }
      for (const g of groups) {
        try {
          this.insertCards(g.rows);
          g.resolve();
        } catch (own) {
          g.reject(own);
        }
      }
    }
  }

  private insertCards(rows: readonly CardRow[]): void {
    this.db.transaction(() => {
      for (const card of rows) {
        const { changes } = this.statements.insertCard.run({
          uuid: card.uuid,
          service: card.service,
          hookInstance: card.hookInstance,
          cardKind: card.cardKind,
          issuedAt: card.issuedAt,
          patientHash: card.patientHash,
          thresholdSet: card.thresholdSet,
        });
        if (changes === 0) continue;
        card.findings.forEach((finding, position) =>
          this.statements.insertFinding.run({ card: card.uuid, position, rule: finding.rule, outcome: finding.outcome }),
        );
      }
    })();
  }

  async recordFeedback(items: readonly FeedbackItem[]): Promise<FeedbackResult> {
    const rows = items.map((item) => ({
      id: feedbackKey(item),
      card: item.card,
      service: item.service,
      outcome: item.outcome,
      acceptedSuggestions: JSON.stringify(item.acceptedSuggestions),
      overrideSystem: item.overrideReason?.system ?? null,
      overrideCode: item.overrideReason?.code ?? null,
      overrideDisplay: item.overrideReason?.display ?? null,
      userComment: item.userComment ?? null,
      outcomeTimestamp: item.outcomeTimestamp,
      outcomeAt: toUtcIso(item.outcomeTimestamp, 'outcomeTimestamp'),
      receivedAt: toUtcIso(item.receivedAt, 'receivedAt'),
    }));
    return this.db.transaction((): FeedbackResult => {
      let stored = 0;
      let unknownCards = 0;
      for (const row of rows) {
        stored += this.statements.insertFeedback.run(row).changes;
        if (this.statements.cardExists.get(row.card) === undefined) unknownCards += 1;
      }
      return { stored, duplicates: rows.length - stored, unknownCards };
    })();
  }

  async report(options: ReportOptions = {}): Promise<Report> {
    const window = reportWindow(options);
    const params = { since: window.since ?? null };
    // One read transaction, so that the rows, reasons and totals describe the same snapshot.
    const result = this.db.transaction(
      (): ReportResult => ({
        rows: this.statements.rows.all(params),
        reasons: this.statements.reasons.all(params),
        totals: this.statements.totals.get(params),
        rowsBySet: this.statements.rowsBySet.all(params),
        reasonsBySet: this.statements.reasonsBySet.all(params),
        totalsBySet: this.statements.totalsBySet.all(params),
        unknownFeedback: this.statements.unknownFeedback.get(params)?.n,
      }),
    )();
    return assembleReport(result, window);
  }

  async patientHashSalt(): Promise<string> {
    if (this.salt === undefined) {
      // Insert-if-absent then read: two processes opening the same new file agree on one salt.
      this.statements.insertSalt.run(SALT_KEY, randomBytes(32).toString('hex'));
      const row = this.statements.selectMeta.get(SALT_KEY);
      if (row === undefined) throw new Error(SALT_NOT_STORED);
      this.salt = row.value;
    }
    return this.salt;
  }

  async ping(): Promise<boolean> {
    try {
      return this.statements.ping.get()?.ok === 1;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    // Cards waiting for the group commit are written before the connection closes (SIGTERM loses none).
    if (this.db.open) this.commitPending();
    if (this.db.open) this.db.close();
  }
}
