import { hasReadableShape } from '../../src/fhir/shapes';

const obs = (extra: Record<string, unknown>) => ({ resourceType: 'Observation', id: 'o1', status: 'final', ...extra });

describe('the JSON shape of the members extraction reads', () => {
  test.each([
    { label: 'a well-formed Observation is readable', resource: obs({ code: { coding: [{ system: 's', code: 'c' }] }, valueQuantity: { value: 1.5, unit: 'mL' } }), readable: true },
    { label: 'members extraction does not read may hold anything', resource: obs({ note: [null, 3], extension: 'x' }), readable: true },
    { label: 'a null member is malformed', resource: obs({ status: null }), readable: false },
    { label: 'a number where a string belongs is malformed', resource: obs({ effectiveDateTime: 20260601 }), readable: false },
    { label: 'an object where an array belongs is malformed', resource: obs({ code: { coding: { system: 's', code: 'c' } } }), readable: false },
    { label: 'a malformed coding inside the array is malformed', resource: obs({ code: { coding: [{ code: 'c' }, { code: 7 }] } }), readable: false },
    { label: 'a string where a number belongs is malformed', resource: obs({ valueQuantity: { value: '150' } }), readable: false },
    { label: 'an infinite value (1e999 as parsed) is malformed', resource: obs({ valueQuantity: { value: Number.POSITIVE_INFINITY } }), readable: false },
    { label: 'an array where an object belongs is malformed', resource: obs({ valueQuantity: [{ value: 1 }] }), readable: false },
    { label: 'a malformed component is malformed', resource: obs({ component: [{ code: { text: 1 } }] }), readable: false },
    { label: 'a Procedure category may be one concept', resource: { resourceType: 'Procedure', category: { text: 'RT' } }, readable: true },
    { label: 'a Procedure category may be a list of concepts', resource: { resourceType: 'Procedure', category: [{ text: 'RT' }] }, readable: true },
    { label: 'a Procedure category that is a string is malformed', resource: { resourceType: 'Procedure', category: 'RT' }, readable: false },
    { label: 'a Patient id that is a number is malformed', resource: { resourceType: 'Patient', id: 1 }, readable: false },
    { label: 'a resource type extraction does not read is not checked', resource: { resourceType: 'Encounter', status: null }, readable: true },
  ])('$label', ({ resource, readable }) => {
    expect(hasReadableShape(resource)).toBe(readable);
  });
});
