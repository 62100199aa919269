/**
 * The pure helpers every store backend shares: the migration bookkeeping and the patient pseudonym.
 */
import { createHmac } from 'node:crypto';
import { MIGRATIONS, latestVersion, pendingMigrations, type Migration } from '../../src/store/migrations';
import { hashPatientId } from '../../src/store/store';

const m = (version: number): Migration => ({ version, name: `m${version}`, statements: [] });

describe('migrations', () => {
  test('the migrations are numbered 1, 2, 3, ... in order', () => {
    expect(MIGRATIONS.map((x) => x.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    expect(latestVersion()).toBe(MIGRATIONS.length);
  });

  test('a list of migrations out of order is a programming error', () => {
    expect(() => pendingMigrations([], [m(1), m(3)])).toThrow(RangeError);
  });

  test('a recorded version that the code does not know, below its newest, is refused too', () => {
    expect(() => pendingMigrations([0], MIGRATIONS)).toThrow(/does not know: 0/);
  });

  test('only the migrations not yet recorded are pending', () => {
    expect(pendingMigrations([1, 2], [m(1), m(2), m(3)]).map((x) => x.version)).toEqual([3]);
  });
});

describe('patient pseudonyms', () => {
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
