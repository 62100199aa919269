/**
 * The demo's synthetic patients: fourteen of the scenario fixtures (test/fixtures, synthetic, tagged HTEST),
 * chosen so that between them they reach every recommendation tier, every outcome of the TBF rules,
 * missing and unusable data, and a patient outside the studied population. Their dates are moved by
 * whole days so that the fixture's evaluation day becomes today: a demo opened in a year's time shows the
 * same cards as today, with recent-looking dates.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Bundle, FhirResource, Patient } from 'fhir/r4';
import { shiftDates } from '../fhir/dates';
import { PROJECT_ROOT } from '../paths';

export { shiftDate, shiftDates } from '../fhir/dates';

/** One demo patient: which fixture, and what it shows. */
export interface DemoPatient {
  /** The Patient id in the fixture (and in the demo FHIR server). */
  readonly id: string;
  readonly fixture: string;
  /** The demo name (family name; the given name is always "Demo"). */
  readonly name: string;
  /** What the patient demonstrates, one line for the patient list. */
  readonly shows: string;
  /** The `recommendation` finding the treatment-selection card carries, or what happens instead. */
  readonly expect: string;
  /** The fixture's evaluation day when it is not FIXTURE_DAY (test/fixtures/scenarios.json `now`). */
  readonly day?: string;
}

/** The day the fixtures are evaluated at (test/fixtures/scenarios.json `now`). */
export const FIXTURE_DAY = '2026-06-01';

export const DEMO_PATIENTS: readonly DemoPatient[] = [
  { id: 'hi-patient', fixture: 'complete-pre-treatment-high-ictos', name: 'Alder', shows: 'High ICTOS before treatment; Pre-TBF above both cutoffs', expect: 'ict-ccrt' },
  { id: 'llr-patient', fixture: 'low-ictos-low-risk', name: 'Birch', shows: 'Low ICTOS, at most two risk factors', expect: 'ccrt-alone' },
  { id: 'lr3-patient', fixture: 'low-ictos-three-risk-factors', name: 'Cedar', shows: 'Low ICTOS with three risk factors', expect: 'clinical-trial' },
  { id: 'lri-patient', fixture: 'low-ictos-risk-indeterminate', name: 'Dogwood', shows: 'Low ICTOS; tumor volume not recorded, so risk cannot be decided', expect: 'undetermined' },
  { id: 'utx-patient', fixture: 'tbf-unit-text-only', name: 'Elm', shows: 'TBF with an unusable unit and no ICTOS: nothing is guessed', expect: 'insufficient-data' },
  { id: 'snr-patient', fixture: 'stage-not-recorded', name: 'Fir', shows: 'Stage not recorded: cards carry the population caveat', expect: 'ict-ccrt' },
  { id: 'f4-patient', fixture: 'tbf-liu-fig4-patient', name: 'Ginkgo', shows: 'Just after CCRT: Pre-TBF, ΔTBF and Post-TBF all favorable, partial response observed at 40 Gy (Liu Fig. 4)', expect: 'treatment started', day: '2026-03-01' },
  { id: 'f3-patient', fixture: 'tbf-liu-fig3-patient', name: 'Hazel', shows: 'Just after CCRT: Pre-TBF and ΔTBF unfavorable, stable disease observed at 40 Gy (Liu Fig. 3)', expect: 'treatment started', day: '2026-04-01' },
  { id: 'spc-patient', fixture: 'tbf-several-candidates', name: 'Juniper', shows: 'Several TBF measurements: residual favorable, response unfavorable', expect: 'treatment started' },
  { id: 'm1-patient', fixture: 'out-of-scope-distant-metastasis', name: 'Larch', shows: 'Distant metastasis (M1): outside the studied population, no card', expect: 'out of scope' },
  { id: 'rec-patient', fixture: 'recurrent-disease-clinical-status', name: 'Maple', shows: 'Recurrent disease: outside the studied population, one quiet card says why', expect: 'not-applicable' },
  { id: 'oht-patient', fixture: 'order-tpf-low-ictos-high-risk', name: 'Oak', shows: 'Low ICTOS, high risk: ordering TPF gives an info card that suggests a trial, never a removal', expect: 'clinical-trial' },
  { id: 'sti-patient', fixture: 'stale-ictos', name: 'Quince', shows: 'ICTOS from an MRI 90 days old: stale, so no recommendation until a recent MRI', expect: 'insufficient-data' },
  { id: 'obs-patient', fixture: 'observed-response-residual-prediction-expired', name: 'Pine', shows: 'Three months after CCRT: partial response observed, the residual prediction has expired', expect: 'treatment started' },
];

const DAY_MS = 86_400_000;

/** Whole days from the fixture's evaluation day (FIXTURE_DAY unless given) to `now` (negative when `now` is earlier). */
export function dayShift(now: Date, day: string = FIXTURE_DAY): number {
  return Math.floor((now.getTime() - Date.parse(`${day}T00:00:00Z`)) / DAY_MS);
}

/** The fixtures folder: test/fixtures of the project. */
export const FIXTURE_DIR = path.join(PROJECT_ROOT, 'test', 'fixtures');

/**
 * The resources of every demo patient, dated relative to `now`, the Patient renamed and marked as demo
 * data. Throws when a fixture is missing (the demo needs the project's test/fixtures folder).
 */
export function demoResources(now: Date, fixtureDir: string = FIXTURE_DIR): FhirResource[] {
  return DEMO_PATIENTS.flatMap((p) => {
    const days = dayShift(now, p.day);
    const bundle = JSON.parse(readFileSync(path.join(fixtureDir, `${p.fixture}.bundle.json`), 'utf8')) as Bundle<FhirResource>;
    const resources = (bundle.entry ?? []).flatMap((e) => (e.resource !== undefined ? [shiftDates(e.resource, days)] : []));
    if (!resources.some((r) => r.resourceType === 'Patient' && r.id === p.id)) throw new Error(`demo patient ${p.id} is not in ${p.fixture}`);
    return resources.map((r) => (r.resourceType === 'Patient' && r.id === p.id ? demoPatient(r, p) : r));
  });
}

function demoPatient(patient: Patient, p: DemoPatient): Patient {
  return { ...patient, name: [{ use: 'official', text: `${p.name} Demo (synthetic)`, family: p.name, given: ['Demo'] }] };
}
