/**
 * The FHIR REST interaction a request (or a Bundle entry) asks for, as far as the launch stand-in's
 * scope and compartment checks need to know it. Pure.
 */
import type { Permission } from './scopes';

/** A classified interaction: what it does, on which type (and id). */
export type Operation =
  | { readonly kind: 'read' | 'update' | 'patch' | 'delete'; readonly type: string; readonly id: string }
  | { readonly kind: 'search'; readonly type: string; readonly params: URLSearchParams }
  | { readonly kind: 'create'; readonly type: string }
  | { readonly kind: 'bundle' }
  | { readonly kind: 'unsupported' };

/** An operation on one resource type, which scopes can grant. */
export type TypeOperation = Exclude<Operation, { kind: 'bundle' | 'unsupported' }>;

const RESOURCE_TYPE = /^[A-Z][A-Za-z]+$/;
const INSTANCE_KINDS: Readonly<Record<string, 'read' | 'update' | 'patch' | 'delete'>> = { GET: 'read', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

/**
 * The interaction of `method` on `path` (relative to the FHIR base, e.g. `/Observation/obs-1`):
 * type search and create; instance read (also of its history or a version: the response is checked
 * like a read's), update, patch and delete; and a Bundle posted to the base. Operations (`$...`),
 * `_search` and type or system history are `unsupported`.
 */
export function classify(method: string, path: string, params: URLSearchParams): Operation {
  let segments: string[];
  try {
    segments = path.split('/').filter((s) => s !== '').map((s) => decodeURIComponent(s));
  } catch {
    return { kind: 'unsupported' };
  }
  const [type, id, history] = segments;
  if (type === undefined) {
    return method === 'POST' ? { kind: 'bundle' } : { kind: 'unsupported' };
  }
  if (!RESOURCE_TYPE.test(type)) {
    return { kind: 'unsupported' };
  }
  if (id === undefined) {
    return method === 'GET' ? { kind: 'search', type, params } : method === 'POST' ? { kind: 'create', type } : { kind: 'unsupported' };
  }
  if (id.startsWith('$') || id.startsWith('_')) {
    return { kind: 'unsupported' };
  }
  if (segments.length === 2) {
    const kind = INSTANCE_KINDS[method];
    return kind === undefined ? { kind: 'unsupported' } : { kind, type, id };
  }
  return method === 'GET' && history === '_history' && segments.length <= 4 ? { kind: 'read', type, id } : { kind: 'unsupported' };
}

/** The SMART v2 permission an operation needs. */
export function permissionFor(operation: TypeOperation): Permission {
  switch (operation.kind) {
    case 'read':
      return 'r';
    case 'search':
      return 's';
    case 'create':
      return 'c';
    case 'update':
    case 'patch':
      return 'u';
    case 'delete':
      return 'd';
  }
}
