import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import ts from 'typescript';
import { main, type ReportIo } from '../../src/report';
import { formatReport } from '../../src/store/report';
import { MIGRATIONS, SCHEMA_MIGRATIONS_DDL } from '../../src/store/migrations';
import { openSqliteStore } from '../../src/store/sqlite';
import type { Report, ReportTotals, RuleReportRow } from '../../src/store/store';

const root = path.resolve(__dirname, '../..');

const row = (rule: string, outcome: string, counts: [number, number, number, number], overrideReasons: RuleReportRow['overrideReasons'] = []): RuleReportRow => {
  const [cardsIssued, cardsWithFeedback, accepted, overridden] = counts;
  return {
    rule,
    outcome,
    cardsIssued,
    cardsWithFeedback,
    accepted,
    overridden,
    acceptanceRate: cardsWithFeedback === 0 ? null : accepted / cardsWithFeedback,
    overrideRate: cardsWithFeedback === 0 ? null : overridden / cardsWithFeedback,
    overrideReasons,
  };
};

const totals = (cardsIssued: number, cardsWithFeedback: number, accepted: number, overridden: number): ReportTotals => ({
  cardsIssued,
  cardsWithFeedback,
  accepted,
  overridden,
  acceptanceRate: cardsWithFeedback === 0 ? null : accepted / cardsWithFeedback,
  overrideRate: cardsWithFeedback === 0 ? null : overridden / cardsWithFeedback,
});

const ictosHighReasons = [{ code: 'patient-preference', display: 'Patient preference', count: 2 }, { code: 'contraindicated', count: 1 }];

/** Six cards: four of site-a-2026, two recorded before the set was kept (one of them without findings). */
const report: Report = {
  generatedAt: '2026-03-07T12:00:00.000Z',
  since: '2026-03-01T00:00:00.000Z',
  rows: [row('ictos', 'high', [4, 4, 1, 3], ictosHighReasons), row('pre-tbf-response', 'favorable', [1, 0, 0, 0]), row('recommendation', 'ict-ccrt', [3, 3, 1, 2])],
  feedbackForUnknownCards: 1,
  cardsIssued: 6,
  totals: totals(6, 5, 2, 3),
  bySet: [
    { thresholdSet: '(not recorded)', cardsIssued: 2, totals: totals(2, 1, 1, 0), rows: [row('pre-tbf-response', 'favorable', [1, 0, 0, 0])] },
    {
      thresholdSet: 'site-a-2026',
      cardsIssued: 4,
      totals: totals(4, 4, 1, 3),
      rows: [row('ictos', 'high', [4, 4, 1, 3], ictosHighReasons), row('recommendation', 'ict-ccrt', [3, 3, 1, 2])],
    },
  ],
};

describe('the plain-text report', () => {
  test('it is a table with one line per rule and outcome, numbers right-aligned, then the totals and the unknown cards, then a section per threshold set', () => {
    expect(formatReport(report).split('\n')).toEqual([
      'npc-cds card feedback report: cards issued since 2026-03-01T00:00:00.000Z (generated 2026-03-07T12:00:00.000Z)',
      '',
      'rule              outcome    issued  with feedback  accepted  overridden  accept %  override %  top override reasons',
      `----------------  ---------  ------  -------------  --------  ----------  --------  ----------  ${'-'.repeat(62)}`,
      'ictos             high            4              4         1           3     25.0%       75.0%  patient-preference "Patient preference" x2, contraindicated x1',
      'pre-tbf-response  favorable       1              0         0           0         -           -  -',
      'recommendation    ict-ccrt        3              3         1           2     33.3%       66.7%  -',
      '',
      'Totals (each card once, by its latest feedback): 6 cards issued, 5 with feedback, 2 accepted, 3 overridden; acceptance 40.0%, override 60.0%.',
      'Feedback for cards this store never issued: 1.',
      '',
      'Threshold set (not recorded), for cards recorded before the store kept their set: 2 cards issued',
      '',
      'rule              outcome    issued  with feedback  accepted  overridden  accept %  override %  top override reasons',
      '----------------  ---------  ------  -------------  --------  ----------  --------  ----------  --------------------',
      'pre-tbf-response  favorable       1              0         0           0         -           -  -',
      '',
      'Totals of this set: 2 cards issued, 1 with feedback, 1 accepted, 0 overridden; acceptance 100.0%, override 0.0%.',
      '',
      'Threshold set site-a-2026: 4 cards issued',
      '',
      'rule            outcome   issued  with feedback  accepted  overridden  accept %  override %  top override reasons',
      `--------------  --------  ------  -------------  --------  ----------  --------  ----------  ${'-'.repeat(62)}`,
      'ictos           high           4              4         1           3     25.0%       75.0%  patient-preference "Patient preference" x2, contraindicated x1',
      'recommendation  ict-ccrt       3              3         1           2     33.3%       66.7%  -',
      '',
      'Totals of this set: 4 cards issued, 4 with feedback, 1 accepted, 3 overridden; acceptance 25.0%, override 75.0%.',
      '',
    ]);
  });

  test('a set whose cards have no findings says so in its section', () => {
    const text = formatReport({ ...report, bySet: [{ thresholdSet: 'default', cardsIssued: 1, totals: totals(1, 0, 0, 0), rows: [] }] });
    expect(text).toContain('Threshold set default: 1 cards issued\n\nNo findings on the cards of this set.\n\nTotals of this set: 1 cards issued, 0 with feedback');
  });

  test('only the three most frequent override reasons are named, and the rest are counted', () => {
    const reasons = ['a', 'b', 'c', 'd', 'e'].map((code, i) => ({ code, count: 5 - i }));
    const text = formatReport({ ...report, rows: [row('ictos', 'high', [15, 15, 0, 15], reasons)] });
    expect(text).toContain('a x5, b x4, c x3, +2 more');
    expect(text).not.toContain('d x2');
  });

  test('a report over all time with no cards says there are no findings and shows no rates', () => {
    const text = formatReport({
      generatedAt: report.generatedAt,
      rows: [],
      feedbackForUnknownCards: 0,
      cardsIssued: 0,
      totals: totals(0, 0, 0, 0),
      bySet: [],
    });
    expect(text).toContain('report: all cards issued (generated');
    expect(text).toContain('No findings on the cards issued.');
    expect(text).toContain('acceptance -, override -.');
  });
});

// The report's content from a store, for each backend, is in the store contract (contract.ts).
describe('the report command on a SQLite file', () => {
  let dir: string;
  let out: string;
  let err: string;
  const io: ReportIo = { out: (t) => void (out += t), err: (t) => void (err += t) };

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'npc-cds-report-'));
    out = '';
    err = '';
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function seed(file: string): Promise<void> {
    const store = await openSqliteStore(file);
    await store.recordCards([
      { uuid: 'c1', service: 's', hookInstance: 'h1', cardKind: 'treatment-selection', issuedAt: '2026-02-01T00:00:00Z', patientHash: 'x', findings: [{ rule: 'ictos', outcome: 'high' }], thresholdSet: 'default' },
      { uuid: 'c2', service: 's', hookInstance: 'h2', cardKind: 'treatment-selection', issuedAt: '2026-03-02T00:00:00Z', patientHash: 'y', findings: [{ rule: 'ictos', outcome: 'low' }], thresholdSet: 'default' },
    ]);
    await store.recordFeedback([
      { service: 's', card: 'c1', outcome: 'overridden', acceptedSuggestions: [], overrideReason: { code: 'other' }, outcomeTimestamp: '2026-02-02T00:00:00Z', receivedAt: '2026-02-02T00:00:00Z' },
      { service: 's', card: 'c2', outcome: 'accepted', acceptedSuggestions: ['s1'], outcomeTimestamp: '2026-03-03T00:00:00Z', receivedAt: '2026-03-03T00:00:00Z' },
    ]);
    await store.close();
  }

  test('when the database does not exist it says so, exits 1 and creates nothing', async () => {
    const file = path.join(dir, 'data', 'npc-cds.sqlite');
    expect(await main([], { DATABASE_PATH: file }, io)).toBe(1);
    expect(err).toContain(`No database at ${file}`);
    expect(out).toBe('');
    expect(existsSync(path.join(dir, 'data'))).toBe(false);
  });

  test('a file at schema version 1 is migrated when read, and its cards are reported under the set "(not recorded)"', async () => {
    const file = path.join(dir, 'v1.sqlite');
    const db = new Database(file);
    db.exec(SCHEMA_MIGRATIONS_DDL);
    for (const statement of MIGRATIONS[0]?.statements ?? []) db.exec(statement);
    db.exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (1, 'v1', '2026-01-01T00:00:00.000Z');
      INSERT INTO issued_cards (uuid, service, hook_instance, card_kind, issued_at, patient_hash) VALUES ('c1', 's', 'h', 'k', '2026-03-01T00:00:00.000Z', 'x');
      INSERT INTO card_findings (card_uuid, position, rule, outcome) VALUES ('c1', 0, 'ictos', 'high')`);
    db.close();
    expect(await main([], { DATABASE_PATH: file }, io)).toBe(0);
    expect(err).toBe('');
    expect(out).toContain('\nThreshold set (not recorded), for cards recorded before the store kept their set: 1 cards issued\n');
    const after = new Database(file, { readonly: true });
    expect(after.prepare('SELECT version FROM schema_migrations ORDER BY version').all()).toEqual([{ version: 1 }, { version: 2 }]);
    after.close();
  });

  test('a file that is not a database is reported as unreadable, with exit code 1', async () => {
    const file = path.join(dir, 'notes.txt');
    writeFileSync(file, 'this is not SQLite, just some text that is long enough to have a header of its own\n'.repeat(10));
    expect(await main([], { DATABASE_PATH: file }, io)).toBe(1);
    expect(err).toContain(`Cannot read the database at ${file}`);
  });

  test.each([
    { label: 'an unknown option', argv: ['--verbose'], message: /Unknown option '--verbose'/ },
    { label: 'a since that is not a date', argv: ['--since', 'last week'], message: /--since "last week" is not an ISO 8601 date/ },
    { label: 'a since of 0 (which Date.parse reads as the year 2000)', argv: ['--since', '0'], message: /--since "0" is not an ISO 8601 date/ },
    { label: 'a since that is a number of milliseconds', argv: ['--since', '1767225600000'], message: /--since "1767225600000" is not an ISO 8601 date/ },
    { label: 'a since that is not on the calendar', argv: ['--since', '2026-02-30'], message: /--since "2026-02-30" is not an ISO 8601 date/ },
    { label: 'a since with a time and no zone', argv: ['--since', '2026-01-01T08:00'], message: /--since "2026-01-01T08:00" is not an ISO 8601 date/ },
    { label: 'a positional argument', argv: ['report.sqlite'], message: /Unexpected argument/ },
  ])('$label is a usage error with exit code 2', async ({ argv, message }) => {
    expect(await main(argv, { DATABASE_PATH: path.join(dir, 'none.sqlite') }, io)).toBe(2);
    expect(err).toMatch(message);
    expect(err).toContain('usage: npm run report');
  });

  test('--help prints the usage and exits 0', async () => {
    expect(await main(['--help'], {}, io)).toBe(0);
    expect(out).toContain('usage: npm run report');
  });

  describe('run as a program', () => {
    let bin: string;

    beforeAll(() => {
      // The CLI and the store, transpiled as the build would (CommonJS), without compiling the whole project.
      bin = mkdtempSync(path.join(os.tmpdir(), 'npc-cds-report-bin-'));
      const sources = ['src/report.ts', ...readdirSync(path.join(root, 'src/store')).map((f) => `src/store/${f}`)];
      for (const source of sources) {
        const { outputText } = ts.transpileModule(ts.sys.readFile(path.join(root, source)) ?? '', {
          compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
          fileName: source,
        });
        const target = path.join(bin, source.replace(/\.ts$/, '.js'));
        mkdirSync(path.dirname(target), { recursive: true });
        writeFileSync(target, outputText);
      }
    });
    afterAll(() => rmSync(bin, { recursive: true, force: true }));

    const run = (cwd: string, env: Record<string, string> = {}) => {
      const inherited = { ...process.env };
      delete inherited['DATABASE_PATH'];
      return spawnSync(process.execPath, [path.join(bin, 'src/report.js')], {
        cwd,
        env: { ...inherited, NODE_PATH: path.join(root, 'node_modules'), ...env },
        encoding: 'utf8',
      });
    };

    test('it reads data/npc-cds.sqlite under the working directory by default, prints the report and exits 0', async () => {
      await seed(path.join(dir, 'data', 'npc-cds.sqlite'));
      const result = run(dir);
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      expect(result.stdout).toContain('npc-cds card feedback report: all cards issued');
      expect(result.stdout).toContain('Feedback for cards this store never issued: 0.');
    });

    test('without a database it exits 1 with a message and leaves no file behind', () => {
      const result = run(dir, { DATABASE_PATH: 'missing/npc-cds.sqlite' });
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('No database at');
      expect(existsSync(path.join(dir, 'missing'))).toBe(false);
    });
  });
});
