/**
 * The SMART scope grammar the launch stand-in understands, as pure functions: the context scopes
 * (`openid`, `fhirUser`, `launch`, `launch/patient`, `online_access`, `offline_access`) and the resource
 * scopes `patient|user/<Type|*>.<access>`, where access is SMART v1 (`read`, `write`, `*`) or SMART v2
 * (`cruds` letters, in that order, each at most once). `system/` scopes are not understood.
 */

/** One SMART v2 permission letter: create, read, update, delete, search. */
export type Permission = 'c' | 'r' | 'u' | 'd' | 's';

/** A parsed resource scope. */
export interface ResourceScope {
  readonly level: 'patient' | 'user';
  /** A resource type or `*`. */
  readonly type: string;
  readonly permissions: ReadonlySet<Permission>;
}

/** The scopes that ask for a refresh token (treated alike: see the launcher's module comment). */
export const REFRESH_SCOPES: readonly string[] = ['online_access', 'offline_access'];

/** The scopes that ask for launch context or identity rather than access to resources. */
export const CONTEXT_SCOPES: ReadonlySet<string> = new Set(['openid', 'fhirUser', 'launch', 'launch/patient', ...REFRESH_SCOPES]);

/** What the smart-configuration lists as `scopes_supported`. */
export const SCOPES_SUPPORTED: readonly string[] = [
  ...CONTEXT_SCOPES,
  'patient/*.read',
  'patient/*.write',
  'patient/*.*',
  'patient/*.cruds',
  'patient/*.rs',
  'user/*.read',
  'user/*.write',
  'user/*.*',
  'user/*.cruds',
  'user/*.rs',
];

const RESOURCE_SCOPE = /^(patient|user)\/(\*|[A-Z][A-Za-z]*)\.(read|write|\*|c?r?u?d?s?)$/;
const V1_ACCESS: Readonly<Record<string, readonly Permission[]>> = { read: ['r', 's'], write: ['c', 'u', 'd'], '*': ['c', 'r', 'u', 'd', 's'] };

/**
 * A resource scope parsed into its level, type and permissions (v1 `read` is `rs`, `write` is `cud`,
 * `*` is `cruds`), or undefined when the text is no resource scope this server understands.
 */
export function parseResourceScope(scope: string): ResourceScope | undefined {
  const match = RESOURCE_SCOPE.exec(scope);
  const [level, type, access] = [match?.[1], match?.[2], match?.[3]];
  if ((level !== 'patient' && level !== 'user') || type === undefined || access === undefined || access === '') {
    return undefined;
  }
  const permissions = V1_ACCESS[access] ?? [...access].filter((l): l is Permission => 'cruds'.includes(l));
  return { level, type, permissions: new Set(permissions) };
}

/** The requested scopes (space-separated) this server understands, each once, in the order asked. */
export function understoodScopes(requested: string): string[] {
  const scopes = requested.split(/\s+/).filter((s) => s !== '');
  return [...new Set(scopes)].filter((s) => CONTEXT_SCOPES.has(s) || parseResourceScope(s) !== undefined);
}

/** Whether a granted scope (space-separated) comes with a refresh token. */
export function grantsRefreshToken(scope: string): boolean {
  return scope.split(' ').some((s) => REFRESH_SCOPES.includes(s));
}

/**
 * The scope of a refresh that asks for `asked` (RFC 6749 §6): the understood scopes of `asked`, or
 * undefined when none is understood or one was not `granted`.
 */
export function narrowedScope(granted: string, asked: string): string | undefined {
  const grantedScopes = new Set(granted.split(' '));
  const scopes = understoodScopes(asked);
  return scopes.length > 0 && scopes.every((s) => grantedScopes.has(s)) ? scopes.join(' ') : undefined;
}

/**
 * How far resource scopes let a token go with one permission on one resource type: `none`, only within
 * the token's patient compartment (every granting scope is `patient/`), or `unrestricted` (a `user/`
 * scope grants it).
 */
export function scopeReach(scopes: readonly ResourceScope[], type: string, permission: Permission): 'none' | 'compartment' | 'unrestricted' {
  const granting = scopes.filter((s) => (s.type === '*' || s.type === type) && s.permissions.has(permission));
  if (granting.length === 0) {
    return 'none';
  }
  return granting.every((s) => s.level === 'patient') ? 'compartment' : 'unrestricted';
}
