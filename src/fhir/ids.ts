/**
 * The one definition of a FHIR resource id for the service, the SMART app and the order check: an id that
 * may go into a URL path of ours (`Patient/{id}`) or a reference we write (`MedicationRequest/{id}`).
 */

/** FHIR R4 "id" datatype: 1-64 letters, digits, '-' and '.'. */
const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

/** Only dots: `.` and `..` are dot segments (RFC 3986 5.2.4), which a URL parser removes with the segment before. */
const DOTS_ONLY = /^\.+$/;

/**
 * Whether `value` is a FHIR R4 resource id (R4 datatypes, "id": `[A-Za-z0-9\-\.]{1,64}`) that is safe as a
 * path segment. Deliberate deviation from the grammar: an id made only of dots is refused, since `Patient/.`
 * becomes `Patient/` (a search of every patient) and `Patient/..` the server's base once a URL is parsed;
 * `...` is refused with them, as no server issues such an id.
 */
export function isFhirId(value: string): boolean {
  return FHIR_ID.test(value) && !DOTS_ONLY.test(value);
}
