/**
 * The fuzz arbitraries for the test suite: the families of bench/fuzz-arbitraries.ts (shared with
 * `npm run fuzz`, which compiles only src/ and bench/), seeded with request bodies built by the
 * test/support helpers (patientViewRequest, orderRequest) over several scenario fixtures. No jest
 * globals here.
 */
import type { Card } from '../../src/cds/card-schema';
import {
  feedbackSeeds,
  fhirAccess,
  FHIR_SERVER_SEEDS,
  fuzzFamilies,
  ORDER_FIXTURES,
  PATIENT_VIEW_FIXTURES,
  SEED_HOOK_INSTANCE,
  type Family,
  type FuzzRequest,
  type HookSeed,
  type Seeds,
} from '../../bench/fuzz-arbitraries';
import { orderRequest, patientViewRequest } from '../support/app';
import type fc from 'fast-check';

export { FuzzRequest, fixtureSeeds, SERVICE_OF_HOOK, type Family } from '../../bench/fuzz-arbitraries';

/** Valid hook calls from the fixtures, with the fixed hookInstance of the seeds; two also carry `fhirServer` and a token. */
export function hookSeeds(fhirServer: string): HookSeed[] {
  const fixed = <T extends object>(body: T) => ({ ...body, hookInstance: SEED_HOOK_INSTANCE });
  const extra = fhirAccess(fhirServer);
  return [
    ...PATIENT_VIEW_FIXTURES.map((fixture) => ({ hook: 'patient-view' as const, fixture, body: fixed(patientViewRequest(fixture)) })),
    ...(['order-sign', 'order-select'] as const).flatMap((hook) => ORDER_FIXTURES.map((fixture) => ({ hook, fixture, body: fixed(orderRequest(hook, fixture)) }))),
    ...FHIR_SERVER_SEEDS.map(([hook, fixture]) => ({
      hook,
      fixture: `${fixture} with fhirServer`,
      body: fixed(hook === 'patient-view' ? patientViewRequest(fixture, { extra }) : orderRequest(hook, fixture, { extra })),
    })),
  ];
}

/** The four families, seeded with the fixtures' hook calls and feedback about the cards `issued`. */
export function testFamilies(
  issued: readonly { readonly service: string; readonly cards: readonly Card[] }[],
  fhirServer: string,
  bodyLimitBytes: number,
): Readonly<Record<Family, fc.Arbitrary<FuzzRequest>>> {
  const seeds: Seeds = { hooks: hookSeeds(fhirServer), feedback: feedbackSeeds(issued) };
  return fuzzFamilies(seeds, bodyLimitBytes);
}
