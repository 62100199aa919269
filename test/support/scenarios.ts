/** The synthetic scenario fixtures (test/fixtures) and their manifest, read for tests. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Bundle, FhirResource } from 'fhir/r4';
import type { IctosNormalization } from '../../src/core';
import type { PatientRecord } from '../../src/fhir/loader';

export const FIXTURES = path.resolve(__dirname, '../fixtures');

export interface Scenario {
  readonly file: string;
  readonly patientId: string;
  readonly now: string;
  readonly description: string;
  readonly specBullets: readonly string[];
  readonly normalization?: IctosNormalization & { note?: string };
  // The expected outcomes, in the manifest's own neutral vocabulary (see test/fixtures/README.md).
  readonly expected: Record<string, unknown> & { [k: string]: any }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export const scenarios: readonly Scenario[] = JSON.parse(readFileSync(path.join(FIXTURES, 'scenarios.json'), 'utf8'));

export function loadBundle(file: string): Bundle<FhirResource> {
  return JSON.parse(readFileSync(path.join(FIXTURES, file), 'utf8')) as Bundle<FhirResource>;
}

export function resourcesOf(bundle: Bundle<FhirResource>): FhirResource[] {
  return (bundle.entry ?? []).flatMap((e) => (e.resource !== undefined ? [e.resource] : []));
}

/** The record as a loader would hand it over, straight from the fixture bundle (the prefetch path). */
export function recordFromBundle(bundle: Bundle<FhirResource>, patientId: string): PatientRecord {
  const rs = resourcesOf(bundle);
  const of = <T extends FhirResource['resourceType']>(t: T) => rs.filter((r) => r.resourceType === t) as Extract<FhirResource, { resourceType: T }>[];
  return {
    patient: of('Patient').find((p) => p.id === patientId) ?? { resourceType: 'Patient', id: patientId },
    conditions: of('Condition'),
    observations: of('Observation'),
    procedures: of('Procedure'),
    medicationAdministrations: of('MedicationAdministration'),
  };
}
