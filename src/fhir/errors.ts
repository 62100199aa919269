/**
 * Typed errors of the FHIR data access layer. Messages name prefetch keys and short reasons only:
 * never a patient id, a resource, a response body or a token.
 */
import type { PrefetchKey } from './prefetch';

/** Why the data for one prefetch key could not be obtained. */
export type UnobtainableReason =
  /** Neither usable prefetch nor a `fhirServer` to fetch from. */
  | 'no-fhir-server'
  /** `fhirAuthorization` is present but not a bearer token. */
  | 'unsupported-authorization'
  /** The per-request deadline passed before the server answered. */
  | 'timeout'
  /** The caller's AbortSignal cancelled the request. */
  | 'cancelled'
  /** The server answered with an HTTP error status (see `status`). */
  | 'http-error'
  /** The server could not be reached. */
  | 'network-error'
  /** The body was not JSON, or not a FHIR resource. */
  | 'malformed-response'
  /** The server answered 2xx with an OperationOutcome instead of the data. */
  | 'operation-outcome'
  /** A resource of a type the query cannot return (or a Bundle that is not a searchset). */
  | 'unexpected-resource'
  /** A resource about another patient, or about no patient. */
  | 'wrong-patient'
  /** More pages than the configured bound: the data would be incomplete. */
  | 'too-many-pages'
  /** A paging link that leaves the fhirServer base (the token is not sent there). */
  | 'next-link-outside-fhir-server';

export interface UnobtainableKey {
  readonly key: PrefetchKey;
  readonly reason: UnobtainableReason;
  /** The HTTP status, for `http-error`. */
  readonly status?: number;
}

/**
 * Required data could be obtained neither from prefetch nor from the FHIR server.
 * CDS Hooks 2.0 ("Prefetch template"): the service then answers 412 Precondition Failed.
 */
export class DataUnobtainableError extends Error {
  override readonly name = 'DataUnobtainableError';
  readonly failures: readonly UnobtainableKey[];

  constructor(failures: readonly UnobtainableKey[]) {
    const described = failures.map((f) => `${f.key} (${f.reason}${f.status === undefined ? '' : ` ${f.status}`})`);
    super(`Required FHIR data could not be obtained: ${described.join(', ')}`);
    this.failures = failures;
  }

  /** The prefetch keys whose data is missing. */
  get keys(): PrefetchKey[] {
    return this.failures.map((f) => f.key);
  }
}

/** The request's `fhirServer` is not in the configured allowlist; no request was sent to it. */
export class FhirServerNotAllowedError extends Error {
  override readonly name = 'FhirServerNotAllowedError';

  constructor() {
    super('The fhirServer of the request is not in the list of allowed FHIR servers');
  }
}
