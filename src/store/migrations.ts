/**
 * Numbered schema migrations shared by every store backend. The SQL is portable between SQLite and
 * PostgreSQL: TEXT and INTEGER columns only, timestamps as ISO-8601 UTC text, JSON as TEXT.
 * A migration, once released, is never edited; a change is a new migration with the next version.
 */

/** One schema change: statements run in order, in the same transaction as its bookkeeping row. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly statements: readonly string[];
}

/** The bookkeeping table: one row per applied migration, with when it was applied (ISO UTC). */
export const SCHEMA_MIGRATIONS_DDL =
  'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)';

/** Every migration, in version order (1, 2, 3, ...). */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'issued cards, findings, feedback, meta',
    statements: [
      `CREATE TABLE issued_cards (
        uuid TEXT PRIMARY KEY,
        service TEXT NOT NULL,
        hook_instance TEXT NOT NULL,
        card_kind TEXT NOT NULL,
        issued_at TEXT NOT NULL,
        patient_hash TEXT NOT NULL
      )`,
      'CREATE INDEX issued_cards_issued_at ON issued_cards (issued_at)',
      `CREATE TABLE card_findings (
        card_uuid TEXT NOT NULL REFERENCES issued_cards (uuid),
        position INTEGER NOT NULL,
        rule TEXT NOT NULL,
        outcome TEXT NOT NULL,
        PRIMARY KEY (card_uuid, position)
      )`,
      'CREATE INDEX card_findings_rule_outcome ON card_findings (rule, outcome)',
      `CREATE TABLE feedback (
        id TEXT PRIMARY KEY,
        card_uuid TEXT NOT NULL,
        service TEXT NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('accepted', 'overridden')),
        accepted_suggestions TEXT NOT NULL,
        override_system TEXT,
        override_code TEXT,
        override_display TEXT,
        user_comment TEXT,
        outcome_timestamp TEXT NOT NULL,
        outcome_at TEXT NOT NULL,
        received_at TEXT NOT NULL
      )`,
      'CREATE INDEX feedback_card_outcome_at ON feedback (card_uuid, outcome_at)',
      'CREATE INDEX feedback_received_at ON feedback (received_at)',
      'CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)',
    ],
  },
  {
    version: 2,
    name: 'issued cards: threshold set',
    // Nullable: cards recorded before this migration have no set; the report names them "(not recorded)".
    statements: ['ALTER TABLE issued_cards ADD COLUMN threshold_set TEXT'],
  },
];

/** The version of the newest migration this code knows (0 when there are none). */
export function latestVersion(migrations: readonly Migration[] = MIGRATIONS): number {
  return migrations.reduce((max, m) => Math.max(max, m.version), 0);
}

/** A database whose schema this code cannot use: migrated by newer code, or with unknown versions. */
export class SchemaVersionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SchemaVersionError';
  }
}

/**
 * The migrations still to apply, in order, given the versions recorded in `schema_migrations`.
 * Throws a {@link SchemaVersionError} when the database records a version this code does not know
 * (a newer release migrated it: refuse rather than write to a schema we do not understand), and a
 * `RangeError` when `migrations` are not numbered 1, 2, 3, ... in order.
 */
export function pendingMigrations(applied: readonly number[], migrations: readonly Migration[] = MIGRATIONS): Migration[] {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new RangeError(`migration ${m.name} has version ${m.version}, expected ${i + 1}`);
  });
  const known = latestVersion(migrations);
  const unknown = applied.filter((v) => !migrations.some((m) => m.version === v));
  if (unknown.length > 0) {
    const newest = Math.max(...unknown);
    throw new SchemaVersionError(
      newest > known
        ? `the database schema is at version ${newest}, newer than this code knows (${known}); upgrade npc-cds or use another database`
        : `the database records schema versions this code does not know: ${unknown.join(', ')}`,
    );
  }
  return migrations.filter((m) => !applied.includes(m.version));
}
