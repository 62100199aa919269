/**
 * The SMART scope grammar of the launch stand-in (src/demo/smart-launcher/scopes.ts).
 * Source: SMART App Launch 2.x, "Scopes and Launch Context": v2 resource scopes
 * `<patient|user|system>/<type|*>.[c][r][u][d][s]`, v1 `read` / `write` / `*` (read = rs, write = cud);
 * the context scopes `openid`, `fhirUser`, `launch`, `launch/patient`, `online_access`, `offline_access`.
 * The stand-in understands neither `system/` scopes nor v2 query constraints (`?...`).
 */
import type { Permission, ResourceScope } from '../../../src/demo/smart-launcher/scopes';
import { grantsRefreshToken, narrowedScope, parseResourceScope, scopeReach, understoodScopes } from '../../../src/demo/smart-launcher/scopes';

const scope = (level: ResourceScope['level'], type: string, permissions: string): ResourceScope => ({
  level,
  type,
  permissions: new Set([...permissions] as Permission[]),
});

describe('parseResourceScope', () => {
  test.each([
    { situation: 'a v2 scope with all five letters grants create, read, update, delete and search', text: 'patient/Observation.cruds', parsed: scope('patient', 'Observation', 'cruds') },
    { situation: 'a v2 scope with read and search grants just those', text: 'patient/Observation.rs', parsed: scope('patient', 'Observation', 'rs') },
    { situation: 'a v2 scope with one letter grants that one', text: 'user/Condition.s', parsed: scope('user', 'Condition', 's') },
    { situation: 'a v2 scope may skip letters as long as the order is kept', text: 'patient/Observation.cud', parsed: scope('patient', 'Observation', 'cud') },
    { situation: 'v1 read means read and search', text: 'patient/*.read', parsed: scope('patient', '*', 'rs') },
    { situation: 'v1 write means create, update and delete', text: 'user/Observation.write', parsed: scope('user', 'Observation', 'cud') },
    { situation: 'v1 * means every permission', text: 'patient/Observation.*', parsed: scope('patient', 'Observation', 'cruds') },
    { situation: 'the wildcard type stands for every resource type', text: 'user/*.cruds', parsed: scope('user', '*', 'cruds') },
  ])('$situation ($text)', ({ text, parsed }) => {
    expect(parseResourceScope(text)).toEqual(parsed);
  });

  test.each([
    { situation: 'a system/ scope is not understood', text: 'system/*.read' },
    { situation: 'a scope without permissions is not understood', text: 'patient/Observation.' },
    { situation: 'a scope without a dot is not understood', text: 'patient/Observation' },
    { situation: 'letters out of the cruds order are not understood', text: 'patient/Observation.sr' },
    { situation: 'a repeated letter is not understood', text: 'patient/Observation.rrs' },
    { situation: 'a letter outside cruds is not understood', text: 'patient/Observation.srx' },
    { situation: 'a v2 query constraint is not understood', text: 'patient/Observation.rs?category=laboratory' },
    { situation: 'a resource type must start with a capital letter', text: 'patient/observation.rs' },
    { situation: 'a context scope is no resource scope', text: 'launch/patient' },
    { situation: 'upper-case levels are not understood', text: 'Patient/Observation.rs' },
    { situation: 'the empty text is not understood', text: '' },
  ])('$situation ($text)', ({ text }) => {
    expect(parseResourceScope(text)).toBeUndefined();
  });
});

describe('understoodScopes', () => {
  test.each([
    {
      situation: 'context scopes and resource scopes are kept in the order asked',
      requested: 'launch openid fhirUser offline_access patient/Observation.rs patient/Observation.read',
      understood: ['launch', 'openid', 'fhirUser', 'offline_access', 'patient/Observation.rs', 'patient/Observation.read'],
    },
    {
      situation: 'scopes the server does not understand are dropped',
      requested: 'launch profile system/*.read user/Observation?x patient/Observation.srx launch/encounter',
      understood: ['launch'],
    },
    { situation: 'a scope asked twice is kept once, where it was first asked', requested: 'patient/*.read launch patient/*.read', understood: ['patient/*.read', 'launch'] },
    { situation: 'runs of whitespace, tabs and newlines separate scopes', requested: '  launch\t\tonline_access\npatient/*.rs  ', understood: ['launch', 'online_access', 'patient/*.rs'] },
    { situation: 'nothing asked is nothing understood', requested: '', understood: [] },
  ])('$situation', ({ requested, understood }) => {
    expect(understoodScopes(requested)).toEqual(understood);
  });
});

describe('grantsRefreshToken', () => {
  test.each([
    { situation: 'online_access comes with a refresh token', granted: 'launch online_access patient/*.read', refresh: true },
    { situation: 'offline_access comes with a refresh token', granted: 'launch patient/*.read offline_access', refresh: true },
    { situation: 'a grant with neither comes without one', granted: 'launch openid fhirUser patient/*.read', refresh: false },
    { situation: 'a scope that only contains the text online_access does not count', granted: 'launch online_access_x', refresh: false },
  ])('$situation', ({ granted, refresh }) => {
    expect(grantsRefreshToken(granted)).toBe(refresh);
  });
});

describe('narrowedScope (RFC 6749 §6: a refresh may not widen the scope)', () => {
  const granted = 'launch openid fhirUser patient/*.read offline_access';

  test.each([
    { situation: 'a subset of the granted scopes is granted', asked: 'patient/*.read offline_access', scope: 'patient/*.read offline_access' },
    { situation: 'the granted scopes in another order are granted in the order asked', asked: 'offline_access launch', scope: 'offline_access launch' },
    { situation: 'scopes the server does not understand are dropped before the comparison', asked: 'patient/*.read profile', scope: 'patient/*.read' },
    { situation: 'a scope not granted before is refused', asked: 'patient/*.read patient/Observation.write', scope: undefined },
    { situation: 'a narrower resource scope that was not itself granted is refused (no scope algebra)', asked: 'patient/Observation.rs', scope: undefined },
    { situation: 'asking only for scopes the server does not understand is refused', asked: 'profile email', scope: undefined },
    { situation: 'asking for nothing is refused', asked: '', scope: undefined },
  ])('$situation', ({ asked, scope: expected }) => {
    expect(narrowedScope(granted, asked)).toBe(expected);
  });
});

describe('scopeReach', () => {
  test.each<{ situation: string; scopes: ResourceScope[]; type: string; permission: Permission; reach: ReturnType<typeof scopeReach> }>([
    { situation: 'a patient/ scope for the type keeps to the compartment', scopes: [scope('patient', 'Observation', 'rs')], type: 'Observation', permission: 'r', reach: 'compartment' },
    { situation: 'a patient/ wildcard scope keeps to the compartment', scopes: [scope('patient', '*', 'rs')], type: 'Condition', permission: 's', reach: 'compartment' },
    { situation: 'a user/ scope for the type is unrestricted', scopes: [scope('user', 'Observation', 'rs')], type: 'Observation', permission: 'r', reach: 'unrestricted' },
    {
      situation: 'a user/ scope next to a patient/ scope is unrestricted',
      scopes: [scope('patient', '*', 'rs'), scope('user', 'Observation', 'r')],
      type: 'Observation',
      permission: 'r',
      reach: 'unrestricted',
    },
    {
      situation: 'a user/ scope that lacks the permission does not lift the patient/ one',
      scopes: [scope('patient', '*', 'rs'), scope('user', 'Observation', 's')],
      type: 'Observation',
      permission: 'r',
      reach: 'compartment',
    },
    { situation: 'a scope for another type grants nothing', scopes: [scope('user', 'Condition', 'cruds')], type: 'Observation', permission: 'r', reach: 'none' },
    { situation: 'a scope without the permission grants nothing', scopes: [scope('patient', 'Observation', 's')], type: 'Observation', permission: 'r', reach: 'none' },
    { situation: 'no scopes grant nothing', scopes: [], type: 'Patient', permission: 'r', reach: 'none' },
  ])('$situation', ({ scopes, type, permission, reach }) => {
    expect(scopeReach(scopes, type, permission)).toBe(reach);
  });
});
