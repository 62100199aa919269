/**
 * Prints the README's example patient-view request (examples/patient-view-request.json) with its dates
 * moved by whole days so that its evaluation day (EXAMPLE_DAY) becomes today: the recency windows of the
 * clinical contract (v2) then see its MRI, EBV DNA and staging as recent, as they were when it was written.
 * Usage: `npm run --silent example-request | curl … --data @-`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { shiftDates } from './fhir/dates';
import { PROJECT_ROOT } from './paths';

/** The day the example's data are recent for: its ICTOS is 13 days old, its staging 20. */
export const EXAMPLE_DAY = '2026-03-01';

/** The example request dated relative to `now`. */
export function exampleRequest(now: Date = new Date()): object {
  const raw: object = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'examples', 'patient-view-request.json'), 'utf8'));
  const days = Math.floor((now.getTime() - Date.parse(`${EXAMPLE_DAY}T00:00:00Z`)) / 86_400_000);
  return shiftDates(raw, days);
}

if (require.main === module) {
  process.stdout.write(`${JSON.stringify(exampleRequest(), null, 2)}\n`);
}
