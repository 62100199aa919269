/**
 * Typed errors of the FHIR data access layer. Messages name prefetch keys and short reasons only:
 * never a patient id, a resource, a response body, a URL or a token.
 *
 * Two families (docs/decisions/0007-fhir-faults.md):
 * - the request gave the service no means to fetch what the prefetch lacks: {@link DataUnobtainableError}
 *   with a reason of {@link NoAccessReason}, or {@link FhirServerNotAllowedError} (HTTP 412, CDS Hooks 2.0);
 * - the service asked the FHIR server and the server failed: {@link FhirServerFaultError}, a subclass,
 *   which the hook services turn into a "data unavailable" card.
 */
import type { PrefetchKey } from './prefetch';

/** Reasons for which the request itself gave no means to fetch: the EHR integration's error (412). */
export type NoAccessReason =
  /** Neither usable prefetch nor a `fhirServer` to fetch from. */
  | 'no-fhir-server'
  /** `fhirAuthorization` is present but not a bearer token. */
  | 'unsupported-authorization'
  /** No `fhirAuthorization`, and the server answered 401 or 403 (see `status`): a token was needed. */
  | 'authorization-required';

/** Reasons for which the FHIR server, once asked, did not give usable data. */
export type FaultReason =
  /** The per-request deadline passed before the server answered. */
  | 'timeout'
  /** The server answered with an HTTP error status (see `status`). */
  | 'http-error'
  /** The server answered with a redirect (see `status`); redirects are never followed. */
  | 'redirect-refused'
  /** The server could not be reached. */
  | 'network-error'
  /** The body was not JSON, or not a FHIR resource. */
  | 'malformed-response'
  /** The server answered 2xx with an OperationOutcome instead of the data. */
  | 'operation-outcome'
  /** A resource of a type the query cannot return, or a Bundle that is not a searchset (see `found`). */
  | 'unexpected-resource'
  /** A resource about another patient, or about no patient. */
  | 'wrong-patient'
  /** More pages than the configured bound: the data would be incomplete. */
  | 'too-many-pages'
  /** A paging link that leaves the fhirServer base (the token is not sent there). */
  | 'next-link-outside-fhir-server'
  /**
   * One answer passed the byte cap per answer (see `limitBytes`): decoded bytes while streaming, or a
   * declared Content-Length over it. Reading stopped and the connection was closed.
   */
  | 'too-large'
  /** The answers of this request, every key and page together, passed the byte cap per request (see `limitBytes`). */
  | 'request-too-large';

/** Why the data for one prefetch key could not be obtained. */
export type UnobtainableReason =
  | NoAccessReason
  | FaultReason
  /** The caller's AbortSignal cancelled the request (the client went away). */
  | 'cancelled';

export interface UnobtainableKey {
  readonly key: PrefetchKey;
  readonly reason: UnobtainableReason;
  /** The HTTP status, for `http-error`, `redirect-refused` and `authorization-required`. */
  readonly status?: number;
  /**
   * For `unexpected-resource`: what came instead, as resource type and Bundle type only
   * (`Bundle/history`, `Condition`); never an id or a value.
   */
  readonly found?: string;
  /** For `too-large` and `request-too-large`: the cap that was passed, in bytes. */
  readonly limitBytes?: number;
}

/** One failed key of a {@link FhirServerFaultError}. */
export interface FaultKey extends UnobtainableKey {
  readonly reason: FaultReason;
}

const describe = (f: UnobtainableKey) =>
  `${f.key} (${f.reason}${f.status === undefined ? '' : ` ${f.status}`}${f.found === undefined ? '' : ` ${f.found}`})`;

/**
 * Required data could be obtained neither from prefetch nor from the FHIR server.
 * CDS Hooks 2.0 ("Prefetch template"): when the service cannot access the FHIR server and the prefetch
 * lacks required data, it answers 412 Precondition Failed. The subclass {@link FhirServerFaultError}
 * marks the case where the server was asked and failed.
 */
export class DataUnobtainableError extends Error {
  override readonly name: string = 'DataUnobtainableError';
  readonly failures: readonly UnobtainableKey[];

  constructor(failures: readonly UnobtainableKey[]) {
    super(`Required FHIR data could not be obtained: ${failures.map(describe).join(', ')}`);
    this.failures = failures;
  }

  /** The prefetch keys whose data is missing. */
  get keys(): PrefetchKey[] {
    return this.failures.map((f) => f.key);
  }
}

/**
 * The service asked the request's FHIR server for what the prefetch lacked, and the server failed for at
 * least one key (deadline, HTTP error, redirect, unreadable, wrong or too large an answer, unreachable). Nothing that
 * was obtained is used: the data are all or nothing. `deadlineMs` is the deadline the fetches ran under.
 */
export class FhirServerFaultError extends DataUnobtainableError {
  override readonly name: string = 'FhirServerFaultError';
  override readonly failures: readonly FaultKey[];

  constructor(
    failures: readonly FaultKey[],
    readonly deadlineMs: number,
  ) {
    super(failures);
    this.failures = failures;
  }
}

/** The request's `fhirServer` is not in the configured allowlist; no request was sent to it. */
export class FhirServerNotAllowedError extends Error {
  override readonly name = 'FhirServerNotAllowedError';

  constructor() {
    super('The fhirServer of the request is not in the list of allowed FHIR servers');
  }
}
