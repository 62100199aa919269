/**
 * The launch stand-in's access checks: scopes first, then, where only `patient/` scopes grant an
 * operation, the token patient's compartment. A resource belongs to a patient through `subject` or
 * `patient` (or, for Patient, its id); reads of resources with neither (Practitioner, Medication...) are
 * allowed, writes must carry the token's patient. A refusal is thrown as a `Refusal`.
 */
import { isRecord, type IssueCode } from './http';
import { classify, permissionFor, type Operation } from './operation';
import { scopeReach, type ResourceScope } from './scopes';

/** A refusal: the status and the OperationOutcome issue code and text. */
export class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly code: IssueCode,
    message: string,
  ) {
    super(message);
  }
}

/** What a token may do: its patient and its resource scopes. */
export interface TokenAccess {
  readonly patient: string;
  readonly scopes: readonly ResourceScope[];
}

/** What the checks need from the launcher. */
export interface CompartmentContext {
  /** A reference made relative when it starts with the proxy's or the upstream's base. */
  normalizeReference(reference: string): string;
  /** The current upstream version of a resource, or undefined when it cannot be read. */
  currentResource(type: string, id: string): Promise<unknown>;
}

/** The checks, bound to one launcher. */
export interface CompartmentGuard {
  /**
   * Checks one operation (a request or a Bundle entry) against the token. Resolves true when the
   * response must be checked against the compartment (top-level reads); `preRead` says whether a read
   * may be checked beforehand by reading the resource upstream.
   */
  authorize(operation: Operation, token: TokenAccess, body: unknown, preRead: boolean): Promise<boolean>;
  /** Transactions and batches: every entry is checked as if it were its own request. */
  authorizeBundle(body: unknown, token: TokenAccess): Promise<void>;
  /** Reads: a resource (or a Bundle entry) of another patient is refused; resources linked to no patient pass. */
  assertReadable(resource: unknown, patient: string): void;
}

const referenceOf = (value: unknown): string | undefined => (isRecord(value) && typeof value['reference'] === 'string' ? value['reference'] : undefined);

/** The compartment checks of a launcher. */
export function createCompartmentGuard(context: CompartmentContext): CompartmentGuard {
  const { normalizeReference, currentResource } = context;

  /** The patient a resource belongs to (`Patient/<id>`), or undefined when it names none. */
  const patientOf = (resource: Record<string, unknown>): string | undefined => {
    if (resource['resourceType'] === 'Patient') {
      return typeof resource['id'] === 'string' ? `Patient/${resource['id']}` : undefined;
    }
    const reference = referenceOf(resource['subject']) ?? referenceOf(resource['patient']);
    return reference === undefined ? undefined : normalizeReference(reference);
  };

  const assertReadable = (resource: unknown, patient: string): void => {
    const resources =
      isRecord(resource) && resource['resourceType'] === 'Bundle' && Array.isArray(resource['entry'])
        ? (resource['entry'] as unknown[]).map((e) => (isRecord(e) ? e['resource'] : undefined))
        : [resource];
    for (const r of resources) {
      if (isRecord(r)) {
        const owner = patientOf(r);
        if (owner !== undefined && owner !== `Patient/${patient}`) {
          throw new Refusal(403, 'forbidden', 'The resource belongs to another patient than the launch context.');
        }
      }
    }
  };

  /** Writes: the resource must belong to the token's patient. */
  const assertWritable = (resource: unknown, patient: string): void => {
    if (!isRecord(resource) || patientOf(resource) !== `Patient/${patient}`) {
      throw new Refusal(403, 'forbidden', 'A patient-level scope allows writing only resources whose subject is the launch patient.');
    }
  };

  const assertSearchInCompartment = (type: string, params: URLSearchParams, patient: string): void => {
    const names = type === 'Patient' ? ['_id'] : ['patient', 'subject'];
    const values = names.flatMap((n) => params.getAll(n)).flatMap((v) => v.split(','));
    const own = (value: string): boolean => {
      const reference = normalizeReference(value);
      return type === 'Patient' ? reference === patient : reference === patient || reference === `Patient/${patient}`;
    };
    if (values.length === 0 || !values.every(own)) {
      throw new Refusal(403, 'forbidden', `A patient-level search must name the launch patient (${names.join(' or ')}).`);
    }
  };

  const authorize: CompartmentGuard['authorize'] = async (operation, token, body, preRead) => {
    if (operation.kind === 'unsupported' || operation.kind === 'bundle') {
      throw new Refusal(403, 'forbidden', 'This interaction is not available through the SMART stand-in.');
    }
    const reach = scopeReach(token.scopes, operation.type, permissionFor(operation));
    if (reach === 'none') {
      throw new Refusal(403, 'forbidden', `The granted scopes do not allow this on ${operation.type}.`);
    }
    if (reach === 'unrestricted') {
      return false;
    }
    const patient = token.patient;
    switch (operation.kind) {
      case 'search':
        assertSearchInCompartment(operation.type, operation.params, patient);
        return true;
      case 'create':
        assertWritable(body, patient);
        return false;
      case 'read':
        if (operation.type === 'Patient' && operation.id !== patient) {
          throw new Refusal(403, 'forbidden', 'A patient-level scope allows reading only the launch patient.');
        }
        if (preRead) {
          assertReadable(await currentResource(operation.type, operation.id), patient);
        }
        return !preRead;
      case 'update':
      case 'patch':
      case 'delete':
        if (operation.type === 'Patient' && operation.id !== patient) {
          throw new Refusal(403, 'forbidden', 'A patient-level scope allows changing only the launch patient.');
        }
        if (operation.kind === 'update') {
          assertWritable(body, patient);
        }
        assertReadable(await currentResource(operation.type, operation.id), patient);
        return false;
    }
  };

  const authorizeBundle: CompartmentGuard['authorizeBundle'] = async (body, token) => {
    if (!isRecord(body) || body['resourceType'] !== 'Bundle' || (body['type'] !== 'transaction' && body['type'] !== 'batch')) {
      throw new Refusal(400, 'invalid', 'Only a transaction or batch Bundle can be posted to the base.');
    }
    const entries: unknown[] = Array.isArray(body['entry']) ? body['entry'] : [];
    for (const [index, entry] of entries.entries()) {
      const request = isRecord(entry) ? entry['request'] : undefined;
      const method = isRecord(request) ? request['method'] : undefined;
      const url = isRecord(request) ? request['url'] : undefined;
      if (typeof method !== 'string' || typeof url !== 'string') {
        throw new Refusal(400, 'invalid', `Bundle entry ${index} has no request method and url.`);
      }
      const relative = normalizeReference(url);
      const [path = '', query = ''] = relative.split('?', 2);
      const operation = classify(method.toUpperCase(), path, new URLSearchParams(query));
      try {
        await authorize(operation, token, isRecord(entry) ? entry['resource'] : undefined, true);
      } catch (error: unknown) {
        if (error instanceof Refusal) {
          throw new Refusal(error.status, error.code, `Bundle entry ${index}: ${error.message}`);
        }
        throw error;
      }
    }
  };

  return { authorize, authorizeBundle, assertReadable };
}
