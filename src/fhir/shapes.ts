/**
 * The JSON shape of the members extraction reads, per resource type: a resource whose members have the
 * wrong JSON type (null, a number for a string, an object for an array) is malformed and not used.
 *
 * The shapes are data, compiled once into checks that only read: every resource of every request is
 * checked, and a schema library that copies each object it accepts cost about 0.1 ms and much of the
 * garbage of a request (bench/RESULTS.md).
 */

/** A member's JSON type. Every member is optional: absent is fine, present must fit (null does not). */
type Shape = 'string' | 'number' | { readonly members: Readonly<Record<string, Shape>> } | { readonly arrayOf: Shape } | { readonly oneOf: readonly Shape[] };

type Check = (value: unknown) => boolean;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function compile(shape: Shape): Check {
  if (shape === 'string') return (v) => typeof v === 'string';
  // A finite number: JSON.parse reads 1e999 as Infinity.
  if (shape === 'number') return (v) => typeof v === 'number' && Number.isFinite(v);
  if ('arrayOf' in shape) {
    const element = compile(shape.arrayOf);
    return (v) => Array.isArray(v) && v.every(element);
  }
  if ('oneOf' in shape) {
    const alternatives = shape.oneOf.map(compile);
    return (v) => alternatives.some((fits) => fits(v));
  }
  const members = Object.entries(shape.members).map(([key, member]) => [key, compile(member)] as const);
  return (v) => {
    if (!isObject(v)) return false;
    for (const [key, fits] of members) {
      const member = v[key];
      if (member !== undefined && !fits(member)) return false;
    }
    return true;
  };
}

const object = (members: Readonly<Record<string, Shape>>): Shape => ({ members });
const coding = object({ system: 'string', code: 'string', display: 'string' });
const concept = object({ coding: { arrayOf: coding }, text: 'string' });
const quantity = object({ value: 'number', comparator: 'string', unit: 'string', system: 'string', code: 'string' });
const period = object({ start: 'string', end: 'string' });
const reference = object({ reference: 'string' });
const base = { id: 'string', subject: reference } as const;

const SHAPES: Readonly<Record<string, Check>> = {
  Patient: compile(object({ id: 'string' })),
  Observation: compile(
    object({
      ...base,
      status: 'string',
      code: concept,
      method: concept,
      effectiveDateTime: 'string',
      effectiveInstant: 'string',
      effectivePeriod: period,
      valueQuantity: quantity,
      valueCodeableConcept: concept,
      valueString: 'string',
      component: { arrayOf: object({ code: concept, valueQuantity: quantity }) },
    }),
  ),
  Condition: compile(object({ ...base, code: concept, clinicalStatus: concept, verificationStatus: concept })),
  Procedure: compile(
    object({
      ...base,
      status: 'string',
      code: concept,
      // (v2) A radiotherapy category; R4 has one, a list is tolerated.
      category: { oneOf: [concept, { arrayOf: concept }] },
      performedPeriod: period,
      performedDateTime: 'string',
    }),
  ),
  MedicationAdministration: compile(object({ ...base, status: 'string', medicationCodeableConcept: concept, effectivePeriod: period, effectiveDateTime: 'string' })),
};

/** Whether the members extraction reads have their FHIR JSON types. */
export function hasReadableShape(resource: { readonly resourceType: string }): boolean {
  const fits = SHAPES[resource.resourceType];
  return fits === undefined || fits(resource);
}
