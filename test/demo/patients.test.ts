import { DEMO_PATIENTS, FIXTURE_DAY, dayShift, demoResources, shiftDate, shiftDates } from '../../src/demo/patients';
import { scenario } from '../support/app';

describe('the demo patients', () => {
  test.each([
    ['2026-02-16', 3, '2026-02-19'],
    ['2026-02-16T10:00:00Z', 3, '2026-02-19T10:00:00Z'],
    ['2026-02-27T23:30:00.123+08:00', 2, '2026-03-01T23:30:00.123+08:00'],
    ['2026-03-01', -1, '2026-02-28'],
    ['2026-02', 30, '2026-02'],
    ['hi-patient', 30, 'hi-patient'],
    ['3500', 30, '3500'],
  ])('%s moved by %i days is %s (dates with a day move, everything else stays)', (value, days, expected) => {
    expect(shiftDate(value, days)).toBe(expected);
  });

  test('the fixtures\u2019 day becomes today, whatever today is', () => {
    expect(dayShift(new Date(`${FIXTURE_DAY}T12:00:00Z`))).toBe(0);
    expect(dayShift(new Date('2026-11-21T08:00:00Z'))).toBe(173);
    expect(shiftDates({ a: [{ b: '2026-06-01' }], n: 1 }, 173)).toEqual({ a: [{ b: '2026-11-21' }], n: 1 });
  });

  test('each demo patient is the fixture patient it names, renamed as synthetic demo data', () => {
    const resources = demoResources(new Date(`${FIXTURE_DAY}T00:00:00Z`));
    for (const p of DEMO_PATIENTS) {
      expect(scenario(p.fixture).patientId).toBe(p.id);
      const patient = resources.find((r) => r.resourceType === 'Patient' && r.id === p.id);
      expect(patient).toMatchObject({ name: [{ text: `${p.name} Demo (synthetic)` }] });
    }
    expect(new Set(resources.map((r) => `${r.resourceType}/${r.id ?? ''}`)).size).toBe(resources.length);
  });

  test('the demo reaches every recommendation tier, a patient under treatment, and a patient out of scope', () => {
    expect(new Set(DEMO_PATIENTS.map((p) => p.expect))).toEqual(new Set(['ict-ccrt', 'ccrt-alone', 'clinical-trial', 'undetermined', 'insufficient-data', 'treatment started', 'out of scope', 'not-applicable']));
  });
});
