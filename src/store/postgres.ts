/**
 * The PostgreSQL store (node-postgres), shared by several instances of the service: the same schema and
 * migrations as SQLite (./migrations), the same report SQL (./queries), the same idempotency.
 *
 * - Migrations run at start, in one transaction under a transaction-level advisory lock, so instances
 *   starting together apply each migration once; the others wait and find nothing pending.
 * - Writes of one call are all or none (one transaction); rows are inserted in key order, so two
 *   instances writing the same cards or feedback at once wait for each other instead of deadlocking.
 * - The report reads one snapshot (a REPEATABLE READ, READ ONLY transaction).
 * - Every wait is bounded (connection, statement, ping), so a dead database makes the health check say
 *   so instead of hanging requests. The connection URL is never logged; see {@link redactDatabaseUrl}.
 */
import { randomBytes } from 'node:crypto';
import { Client, DatabaseError, Pool, type ClientBase, type PoolClient, type QueryConfig, type QueryResultRow } from 'pg';
import { MIGRATIONS, SCHEMA_MIGRATIONS_DDL, SchemaVersionError, latestVersion, pendingMigrations, type Migration } from './migrations';
import { REPORT_SQL, assembleReport, reportWindow, type BySet, type CountsRow, type ReasonRow, type TotalsRow } from './queries';
import { SALT_NOT_STORED, checkedThresholdSet, feedbackKey, toUtcIso, type FeedbackItem, type FeedbackResult, type IssuedCard, type Report, type ReportOptions, type Store } from './store';

/** Options of {@link openPostgresStore}; every duration is in milliseconds. */
export interface PostgresStoreOptions {
  /** The migrations to apply (default {@link MIGRATIONS}; tests pass others). */
  readonly migrations?: readonly Migration[];
  /**
   * Apply pending migrations (default true). With false nothing is written: the open is refused with a
   * `SchemaVersionError` unless the schema is exactly current (for read-only tools such as the report).
   */
  readonly migrate?: boolean;
  /** Most connections this store opens (default 5). */
  readonly maxConnections?: number;
  /** Longest wait for a connection, from the pool or newly opened (default 2000). */
  readonly connectionTimeoutMs?: number;
  /**
   * Longest run of one statement of the writes and the salt, enforced by the server; the client gives up
   * one second later, which also bounds a connection that stopped answering (default 3000). Issued cards
   * are recorded while the hook call waits, so this bounds what a slow database adds to a hook call.
   */
  readonly statementTimeoutMs?: number;
  /** The same bound for each query of {@link Store.report}, which reads every card (default 60000). */
  readonly reportTimeoutMs?: number;
  /** Longest run of the migrations, including the wait for another instance migrating (default 60000). */
  readonly migrationTimeoutMs?: number;
  /** Longest wait for {@link Store.ping}, which then answers false (default 2000). */
  readonly pingTimeoutMs?: number;
  /** An idle connection is closed after this long (default 30000). */
  readonly idleTimeoutMs?: number;
  /**
   * Errors of idle connections (the server restarted, or a connection was cut): such a connection is
   * dropped and the next call opens a new one. Without this callback they are dropped silently.
   */
  readonly onError?: (error: Error) => void;
}

const SALT_KEY = 'patient_hash_salt';

/** The key of the migration lock: the ASCII bytes of "npc-cds" as one 64-bit number. */
export const MIGRATION_LOCK_KEY = BigInt('0x6e70632d636473').toString();

const DEFAULTS = {
  maxConnections: 5,
  connectionTimeoutMs: 2000,
  statementTimeoutMs: 3000,
  reportTimeoutMs: 60_000,
  migrationTimeoutMs: 60_000,
  pingTimeoutMs: 2000,
  idleTimeoutMs: 30_000,
} as const;

/** A `@name` query as PostgreSQL takes it: `$1`, `$2`, ... in the order the names first appear. */
function positional(sql: string): { readonly text: string; readonly names: readonly string[] } {
  const names: string[] = [];
  const text = sql.replace(/@([A-Za-z_]\w*)/g, (_match, name: string) => {
    if (!names.includes(name)) names.push(name);
    return `$${names.indexOf(name) + 1}`;
  });
  return { text, names };
}

const REPORT = {
  rows: positional(REPORT_SQL.rows),
  reasons: positional(REPORT_SQL.reasons),
  totals: positional(REPORT_SQL.totals),
  rowsBySet: positional(REPORT_SQL.rowsBySet),
  reasonsBySet: positional(REPORT_SQL.reasonsBySet),
  totalsBySet: positional(REPORT_SQL.totalsBySet),
  unknownFeedback: positional(REPORT_SQL.unknownFeedback),
};

/** Batches go in as arrays, one per column (`unnest`), so a call is one statement whatever its size. */
const SQL = {
  insertCards: `INSERT INTO issued_cards (uuid, service, hook_instance, card_kind, issued_at, patient_hash, threshold_set)
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
    ON CONFLICT (uuid) DO NOTHING RETURNING uuid`,
  insertFindings: `INSERT INTO card_findings (card_uuid, position, rule, outcome)
    SELECT * FROM unnest($1::text[], $2::integer[], $3::text[], $4::text[])`,
  insertFeedback: `INSERT INTO feedback (id, card_uuid, service, outcome, accepted_suggestions, override_system, override_code,
      override_display, user_comment, outcome_timestamp, outcome_at, received_at)
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
      $8::text[], $9::text[], $10::text[], $11::text[], $12::text[])
    ON CONFLICT (id) DO NOTHING RETURNING id`,
  knownCards: 'SELECT uuid FROM issued_cards WHERE uuid = ANY($1::text[])',
  insertSalt: 'INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING',
  selectMeta: 'SELECT value FROM meta WHERE key = $1',
} as const;

/**
 * The URL without its secrets (the password, and `password` / `sslpassword` / `sslkey` parameters), for
 * messages and logs. A URL that does not parse is not echoed at all.
 */
export function redactDatabaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '(a database URL that does not parse)';
  }
  if (parsed.password !== '') parsed.password = '***';
  for (const secret of ['password', 'sslpassword', 'sslkey']) if (parsed.searchParams.has(secret)) parsed.searchParams.set(secret, '***');
  return parsed.href;
}

/** The first item of each key, in key order (the first record of a key wins; locks are taken in one order). */
function firstByKey<T>(items: readonly T[], key: (item: T) => string): T[] {
  const first = new Map<string, T>();
  for (const item of items) if (!first.has(key(item))) first.set(key(item), item);
  return [...first.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, item]) => item);
}

/**
 * Runs `work` in a transaction opened with `begin` on a connection of `pool`, committing when it
 * resolves and rolling back when it throws. A connection that failed (or whose rollback failed) is
 * destroyed rather than returned to the pool.
 */
async function inTransaction<T>(pool: Pool, begin: string, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const onError = (error: Error): void => {
    broken = error;
  };
  // A checked-out connection that fails emits 'error'; without a listener that would end the process.
  client.on('error', onError);
  try {
    await client.query(begin);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    // An error the server reported leaves the connection usable; any other (a timeout, a cut connection)
    // may leave a statement running on it, so it is destroyed rather than rolled back and reused.
    if (broken === undefined && !(error instanceof DatabaseError)) broken = error instanceof Error ? error : new Error(String(error));
    if (broken === undefined) {
      await client.query('ROLLBACK').catch((rollbackError: unknown) => {
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      });
    }
    throw error;
  } finally {
    client.removeListener('error', onError);
    client.release(broken);
  }
}

/**
 * Reads the recorded versions and, when `apply`, applies the pending migrations, all in one transaction
 * holding the migration lock. Throws a `SchemaVersionError` when the database was migrated by newer code,
 * or (without `apply`) when its schema is not current.
 */
async function migrate(client: ClientBase, migrations: readonly Migration[], apply: boolean): Promise<void> {
  if (!apply) {
    await client.query('BEGIN READ ONLY');
    try {
      const present = await client.query<{ present: boolean }>("SELECT to_regclass('schema_migrations') IS NOT NULL AS present");
      const applied = present.rows[0]?.present === true ? await appliedVersions(client) : [];
      const pending = pendingMigrations(applied, migrations);
      if (pending.length > 0) {
        throw new SchemaVersionError(
          applied.length === 0
            ? 'the database has no npc-cds schema; start the service once to create it'
            : `the database schema is at version ${Math.max(...applied)}, older than this code's ${latestVersion(migrations)}; start the service once to migrate it`,
        );
      }
    } finally {
      await client.query('ROLLBACK');
    }
    return;
  }
  await client.query('BEGIN');
  try {
    // Held until COMMIT or ROLLBACK: a second instance starting now waits here, then finds nothing pending.
    await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    await client.query(SCHEMA_MIGRATIONS_DDL);
    for (const migration of pendingMigrations(await appliedVersions(client), migrations)) {
      for (const statement of migration.statements) await client.query(statement);
      await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
        migration.version,
        migration.name,
        new Date().toISOString(),
      ]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

async function appliedVersions(client: ClientBase): Promise<number[]> {
  const result = await client.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
  return result.rows.map((r) => Number(r.version));
}

/**
 * Connects to the PostgreSQL database at `url` (`postgres://user:password@host:port/database`, with the
 * usual `sslmode` and other parameters) and applies the pending migrations (see
 * {@link PostgresStoreOptions.migrate}). Rejects with a `SchemaVersionError` when the database was
 * migrated by newer code, and with the driver's error when the database cannot be reached within
 * `connectionTimeoutMs`. The store's connections are bounded in number and every statement in time.
 */
export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<Store> {
  const o = { ...DEFAULTS, ...options };
  const common = {
    connectionString: url,
    connectionTimeoutMillis: o.connectionTimeoutMs,
    application_name: 'npc-cds',
    keepAlive: true,
  };

  // The migrations get a connection of their own, with the longer migration timeout.
  const migrator = new Client({ ...common, statement_timeout: o.migrationTimeoutMs, query_timeout: o.migrationTimeoutMs + 1000 });
  migrator.on('error', () => undefined);
  await migrator.connect();
  try {
    await migrate(migrator, o.migrations ?? MIGRATIONS, o.migrate !== false);
  } finally {
    await migrator.end().catch(() => undefined);
  }

  const pool = new Pool({
    ...common,
    max: o.maxConnections,
    idleTimeoutMillis: o.idleTimeoutMs,
    statement_timeout: o.statementTimeoutMs,
    query_timeout: o.statementTimeoutMs + 1000,
    idle_in_transaction_session_timeout: o.reportTimeoutMs + 5000,
  });
  // An idle connection that fails is removed by the pool; this listener keeps the process alive.
  pool.on('error', (error) => options.onError?.(error));
  return new PostgresStore(pool, o.pingTimeoutMs, o.reportTimeoutMs);
}

/** Column arrays of `rows` for `unnest`: the i-th array holds the i-th value of every row. */
function columns(rows: readonly (readonly (string | number | null)[])[], width: number): (string | number | null)[][] {
  return Array.from({ length: width }, (_, i) => rows.map((row) => row[i] ?? null));
}

class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  private salt: string | undefined;
  private closed = false;

  constructor(
    private readonly pool: Pool,
    private readonly pingTimeoutMs: number,
    private readonly reportTimeoutMs: number,
  ) {}

  async recordCards(cards: readonly IssuedCard[]): Promise<void> {
    const rows = firstByKey(
      cards.map((card) => ({ ...card, issuedAt: toUtcIso(card.issuedAt, 'issuedAt'), thresholdSet: checkedThresholdSet(card) })),
      (card) => card.uuid,
    );
    if (rows.length === 0) return;
    await inTransaction(this.pool, 'BEGIN', async (client) => {
      const inserted = await client.query<{ uuid: string }>(
        SQL.insertCards,
        columns(
          rows.map((c) => [c.uuid, c.service, c.hookInstance, c.cardKind, c.issuedAt, c.patientHash, c.thresholdSet]),
          7,
        ),
      );
      // Findings only for cards new in this call: a card recorded before keeps the findings of its first record.
      const fresh = new Set(inserted.rows.map((r) => r.uuid));
      const findings = rows.filter((c) => fresh.has(c.uuid)).flatMap((c) => c.findings.map((f, position) => [c.uuid, position, f.rule, f.outcome]));
      if (findings.length > 0) await client.query(SQL.insertFindings, columns(findings, 4));
    });
  }

  async recordFeedback(items: readonly FeedbackItem[]): Promise<FeedbackResult> {
    const rows = items.map((item) => {
      const id = feedbackKey(item);
      return {
        id,
        card: item.card,
        values: [
          id,
          item.card,
          item.service,
          item.outcome,
          JSON.stringify(item.acceptedSuggestions),
          item.overrideReason?.system ?? null,
          item.overrideReason?.code ?? null,
          item.overrideReason?.display ?? null,
          item.userComment ?? null,
          item.outcomeTimestamp,
          toUtcIso(item.outcomeTimestamp, 'outcomeTimestamp'),
          toUtcIso(item.receivedAt, 'receivedAt'),
        ],
      };
    });
    if (rows.length === 0) return { stored: 0, duplicates: 0, unknownCards: 0 };
    return inTransaction(this.pool, 'BEGIN', async (client): Promise<FeedbackResult> => {
      const unique = firstByKey(rows, (row) => row.id);
      const inserted = await client.query(SQL.insertFeedback, columns(unique.map((row) => row.values), 12));
      const stored = inserted.rowCount ?? inserted.rows.length;
      const known = await client.query<{ uuid: string }>(SQL.knownCards, [[...new Set(rows.map((row) => row.card))]]);
      const issued = new Set(known.rows.map((r) => r.uuid));
      return { stored, duplicates: rows.length - stored, unknownCards: rows.filter((row) => !issued.has(row.card)).length };
    });
  }

  async report(options: ReportOptions = {}): Promise<Report> {
    const window = reportWindow(options);
    const params: Record<string, string | null> = { since: window.since ?? null };
    const query = async <R extends QueryResultRow>(client: PoolClient, q: (typeof REPORT)[keyof typeof REPORT]): Promise<R[]> => {
      // node-postgres reads query_timeout per query too; its types do not declare it.
      const config: QueryConfig & { readonly query_timeout: number } = {
        text: q.text,
        values: q.names.map((name) => params[name] ?? null),
        query_timeout: this.reportTimeoutMs + 1000,
      };
      return (await client.query<R>(config)).rows;
    };
    // One snapshot for all the queries, so that the rows, reasons and totals, over all sets and per set, agree.
    const result = await inTransaction(this.pool, 'BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY', async (client) => {
      await client.query(`SET LOCAL statement_timeout = ${Math.trunc(this.reportTimeoutMs)}`);
      return {
        rows: await query<CountsRow>(client, REPORT.rows),
        reasons: await query<ReasonRow>(client, REPORT.reasons),
        totals: (await query<TotalsRow>(client, REPORT.totals))[0],
        rowsBySet: await query<BySet<CountsRow>>(client, REPORT.rowsBySet),
        reasonsBySet: await query<BySet<ReasonRow>>(client, REPORT.reasonsBySet),
        totalsBySet: await query<BySet<TotalsRow>>(client, REPORT.totalsBySet),
        unknownFeedback: (await query<{ n: string }>(client, REPORT.unknownFeedback))[0]?.n,
      };
    });
    return assembleReport(result, window);
  }

  async patientHashSalt(): Promise<string> {
    if (this.salt === undefined) {
      // Insert-if-absent then read: instances starting on a new database agree on one salt.
      await this.pool.query(SQL.insertSalt, [SALT_KEY, randomBytes(32).toString('hex')]);
      const row = (await this.pool.query<{ value: string }>(SQL.selectMeta, [SALT_KEY])).rows[0];
      if (row === undefined) throw new Error(SALT_NOT_STORED);
      this.salt = row.value;
    }
    return this.salt;
  }

  async ping(): Promise<boolean> {
    if (this.closed) return false;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), this.pingTimeoutMs);
    });
    const answer = this.pool.query<{ ok: number }>('SELECT 1 AS ok').then(
      (r) => r.rows[0]?.ok === 1,
      () => false,
    );
    try {
      return await Promise.race([answer, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}
