/**
 * The JSON shape of the members extraction reads, per resource type: a resource whose members have the
 * wrong JSON type (null, a number for a string, an object for an array) is malformed and not used.
 */
import * as z from 'zod';

const str = z.string();
const coding = z.looseObject({ system: str.optional(), code: str.optional(), display: str.optional() });
const concept = z.looseObject({ coding: z.array(coding).optional(), text: str.optional() });
const quantity = z.looseObject({ value: z.number().optional(), comparator: str.optional(), unit: str.optional(), system: str.optional(), code: str.optional() });
const period = z.looseObject({ start: str.optional(), end: str.optional() });
const reference = z.looseObject({ reference: str.optional() });
const base = { id: str.optional(), subject: reference.optional() };

const SHAPES: Readonly<Record<string, z.ZodType>> = {
  Patient: z.looseObject({ id: str.optional() }),
  Observation: z.looseObject({
    ...base,
    status: str.optional(),
    code: concept.optional(),
    method: concept.optional(),
    effectiveDateTime: str.optional(),
    effectiveInstant: str.optional(),
    effectivePeriod: period.optional(),
    valueQuantity: quantity.optional(),
    valueCodeableConcept: concept.optional(),
    valueString: str.optional(),
    component: z.array(z.looseObject({ code: concept.optional(), valueQuantity: quantity.optional() })).optional(),
  }),
  Condition: z.looseObject({ ...base, code: concept.optional(), clinicalStatus: concept.optional(), verificationStatus: concept.optional() }),
  Procedure: z.looseObject({
    ...base,
    status: str.optional(),
    code: concept.optional(),
    // (v2) A radiotherapy category; R4 has one, a list is tolerated.
    category: z.union([concept, z.array(concept)]).optional(),
    performedPeriod: period.optional(),
    performedDateTime: str.optional(),
  }),
  MedicationAdministration: z.looseObject({ ...base, status: str.optional(), medicationCodeableConcept: concept.optional(), effectivePeriod: period.optional(), effectiveDateTime: str.optional() }),
};

/** Whether the members extraction reads have their FHIR JSON types. */
export function hasReadableShape(resource: { readonly resourceType: string }): boolean {
  const shape = SHAPES[resource.resourceType];
  return shape === undefined || shape.safeParse(resource).success;
}
