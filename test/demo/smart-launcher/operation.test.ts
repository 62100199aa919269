/**
 * Which FHIR interaction a request through the launch stand-in's proxy is (src/demo/smart-launcher/operation.ts),
 * and the SMART v2 permission it needs. Source: FHIR R4 RESTful API (http.html), the interactions read,
 * vread, update, patch, delete, create, search-type, and transaction/batch on the base; SMART App Launch
 * 2.x "Scopes for requesting clinical data" for the c/r/u/d/s letters.
 */
import { classify, permissionFor, type Operation, type TypeOperation } from '../../../src/demo/smart-launcher/operation';

const params = new URLSearchParams('patient=pat-1');

describe('classify', () => {
  test.each<{ situation: string; method: string; path: string; operation: Operation }>([
    { situation: 'GET on a type is a search', method: 'GET', path: '/Observation', operation: { kind: 'search', type: 'Observation', params } },
    { situation: 'POST on a type is a create', method: 'POST', path: '/Observation', operation: { kind: 'create', type: 'Observation' } },
    { situation: 'GET on an instance is a read', method: 'GET', path: '/Observation/obs-1', operation: { kind: 'read', type: 'Observation', id: 'obs-1' } },
    { situation: 'GET on a version is a read of the instance', method: 'GET', path: '/Observation/obs-1/_history/2', operation: { kind: 'read', type: 'Observation', id: 'obs-1' } },
    { situation: 'PUT on an instance is an update', method: 'PUT', path: '/Observation/obs-1', operation: { kind: 'update', type: 'Observation', id: 'obs-1' } },
    { situation: 'PATCH on an instance is a patch', method: 'PATCH', path: '/Observation/obs-1', operation: { kind: 'patch', type: 'Observation', id: 'obs-1' } },
    { situation: 'DELETE on an instance is a delete', method: 'DELETE', path: '/Observation/obs-1', operation: { kind: 'delete', type: 'Observation', id: 'obs-1' } },
    { situation: 'POST on the base is a Bundle', method: 'POST', path: '', operation: { kind: 'bundle' } },
    { situation: 'a percent-encoded id is decoded', method: 'GET', path: '/Observation/obs%2D1', operation: { kind: 'read', type: 'Observation', id: 'obs-1' } },
    { situation: 'empty segments are ignored', method: 'GET', path: '//Observation//obs-1', operation: { kind: 'read', type: 'Observation', id: 'obs-1' } },
    { situation: 'GET on the base is not supported', method: 'GET', path: '/', operation: { kind: 'unsupported' } },
    { situation: 'a lower-case type is not supported', method: 'GET', path: '/observation/obs-1', operation: { kind: 'unsupported' } },
    { situation: 'an operation is not supported', method: 'GET', path: '/Patient/$everything', operation: { kind: 'unsupported' } },
    { situation: 'a _search POST is not supported', method: 'POST', path: '/Observation/_search', operation: { kind: 'unsupported' } },
    { situation: 'the history of an instance is a read of the instance', method: 'GET', path: '/Observation/obs-1/_history', operation: { kind: 'read', type: 'Observation', id: 'obs-1' } },
    { situation: 'a path below a version is not supported', method: 'GET', path: '/Observation/obs-1/_history/2/x', operation: { kind: 'unsupported' } },
    { situation: 'another path below an instance is not supported', method: 'GET', path: '/Observation/obs-1/x', operation: { kind: 'unsupported' } },
    { situation: 'a write to a version is not supported', method: 'PUT', path: '/Observation/obs-1/_history/2', operation: { kind: 'unsupported' } },
    { situation: 'an instance operation is not supported', method: 'GET', path: '/Patient/pat-1/$everything', operation: { kind: 'unsupported' } },
    { situation: 'PUT on a type is not supported', method: 'PUT', path: '/Observation', operation: { kind: 'unsupported' } },
    { situation: 'POST on an instance is not supported', method: 'POST', path: '/Observation/obs-1', operation: { kind: 'unsupported' } },
    { situation: 'a path that is not valid percent-encoding is not supported', method: 'GET', path: '/Observation/%E0', operation: { kind: 'unsupported' } },
  ])('$situation ($method $path)', ({ method, path, operation }) => {
    expect(classify(method, path, params)).toEqual(operation);
  });
});

describe('permissionFor', () => {
  test.each<[TypeOperation['kind'], string, TypeOperation]>([
    ['read', 'r', { kind: 'read', type: 'Observation', id: 'obs-1' }],
    ['search', 's', { kind: 'search', type: 'Observation', params }],
    ['create', 'c', { kind: 'create', type: 'Observation' }],
    ['update', 'u', { kind: 'update', type: 'Observation', id: 'obs-1' }],
    ['patch', 'u', { kind: 'patch', type: 'Observation', id: 'obs-1' }],
    ['delete', 'd', { kind: 'delete', type: 'Observation', id: 'obs-1' }],
  ])('a %s needs the permission %s', (_kind, permission, operation) => {
    expect(permissionFor(operation)).toBe(permission);
  });
});
