/**
 * The prefetch templates of the CDS services and the same queries with the patient id filled in, for
 * fetching from the FHIR server when prefetch is missing: one source for both, built from the
 * configured code lists at start-up.
 *
 * Only query forms that CDS Hooks 2.0 ("Prefetch query restrictions") allows: an instance read, type
 * searches with `patient={{context.patientId}}` and token equality (`code=system|code,system|code`).
 *
 * Every search value is percent-encoded as `URLSearchParams` encodes it (`http://loinc.org|21905-5`
 * becomes `http%3A%2F%2Floinc.org%7C21905-5`), so that a proxy or gateway that rewrites URLs (one that
 * collapses `//`, as smart-launcher-v2's does) cannot change a system URL. The commas that separate the
 * OR values of one parameter stay literal commas. The FHIR escapes (`\,` `\|` `\$` `\\`, FHIR R4
 * search "Escaping Search Parameters") are applied before the percent-encoding, which, as that section
 * says, is "at a different level": a server undoes the percent-encoding first.
 */
import type { CodeLists, CodeRef } from './codes';
import { DEFAULT_CODE_LISTS } from './codes';
import { isFhirId } from './ids';

export const PREFETCH_KEYS = ['patient', 'conditions', 'observations', 'procedures', 'medicationAdministrations'] as const;

export type PrefetchKey = (typeof PREFETCH_KEYS)[number];

/** One query per prefetch key: templates (with the token) or queries (with the patient id). */
export type PrefetchQueries = Readonly<Record<PrefetchKey, string>>;

/** The resource type each key's query returns. */
export const PREFETCH_RESOURCE_TYPES = {
  patient: 'Patient',
  conditions: 'Condition',
  observations: 'Observation',
  procedures: 'Procedure',
  medicationAdministrations: 'MedicationAdministration',
} as const satisfies Record<PrefetchKey, string>;

export const PATIENT_ID_TOKEN = '{{context.patientId}}';

export { isFhirId } from './ids';

/** Escapes a literal for FHIR search: `\`, `,`, `|` and `$` get a backslash (FHIR R4 search, "Escaping Search Parameters"). */
export function escapeSearchLiteral(value: string): string {
  return value.replace(/[\\,|$]/g, (c) => `\\${c}`);
}

/** One value percent-encoded exactly as `URLSearchParams` serializes it (application/x-www-form-urlencoded). */
function formEncode(value: string): string {
  return new URLSearchParams([['v', value]]).toString().slice(2);
}

/** The OR values of a FHIR search parameter value: split on the commas that no backslash escapes. */
function orValues(value: string): string[] {
  const values: string[] = [];
  let current = '';
  for (let i = 0; i < value.length; i++) {
    const c = value.charAt(i);
    if (c === '\\' && i + 1 < value.length) {
      current += c + value.charAt(i + 1);
      i++;
    } else if (c === ',') {
      values.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  values.push(current);
  return values;
}

/**
 * A FHIR search parameter value (FHIR syntax, escapes applied) for a query string: each OR value
 * percent-encoded as `URLSearchParams` does, the separating commas kept literal.
 */
export function encodeSearchValue(value: string): string {
  return orValues(value).map(formEncode).join(',');
}

function tokenList(refs: readonly Pick<CodeRef, 'system' | 'code'>[]): string {
  const tokens = refs.map((r) => `${escapeSearchLiteral(r.system)}|${escapeSearchLiteral(r.code)}`);
  return encodeSearchValue([...new Set(tokens)].join(','));
}

/** The Observation codes the services read: staging, EBV DNA, the project codes and mCODE tumor size. */
export function observationCodes(codes: CodeLists): CodeRef[] {
  const project = Object.values(codes.project).map((code) => ({ system: codes.projectSystem, code }));
  return [
    ...codes.tCategory,
    ...codes.nCategory,
    ...codes.mCategory,
    ...codes.stageGroup,
    ...codes.ebvDna,
    ...project,
    codes.tumorSize.observation,
  ];
}

/**
 * The prefetch templates (CDS Hooks 2.0 discovery `prefetch`), built from the code lists.
 * Conditions are not filtered by code: ICD-10 C11.x is a prefix, which token equality cannot express.
 * Procedures and MedicationAdministrations are not filtered either (clinical-spec section 4, v2): a
 * treatment start coded outside the short code lists must reach extraction, which selects by code itself.
 */
export function prefetchTemplates(codes: CodeLists = DEFAULT_CODE_LISTS): PrefetchQueries {
  const patient = `patient=${PATIENT_ID_TOKEN}`;
  return {
    patient: `Patient/${PATIENT_ID_TOKEN}`,
    conditions: `Condition?${patient}`,
    observations: `Observation?${patient}&code=${tokenList(observationCodes(codes))}`,
    procedures: `Procedure?${patient}`,
    medicationAdministrations: `MedicationAdministration?${patient}`,
  };
}

/**
 * The prefetch templates with the patient id filled in: the relative URLs to fetch from `fhirServer`.
 * Throws a RangeError when `patientId` is not a FHIR id (it would change the query).
 */
export function prefetchQueries(patientId: string, codes: CodeLists = DEFAULT_CODE_LISTS): PrefetchQueries {
  if (!isFhirId(patientId)) {
    throw new RangeError('patientId is not a valid FHIR id');
  }
  const templates = prefetchTemplates(codes);
  const fill = (template: string): string => template.replaceAll(PATIENT_ID_TOKEN, formEncode(patientId));
  return {
    patient: fill(templates.patient),
    conditions: fill(templates.conditions),
    observations: fill(templates.observations),
    procedures: fill(templates.procedures),
    medicationAdministrations: fill(templates.medicationAdministrations),
  };
}

/** Percent-decodes a query-string value as a form decoder does (`+` is a space); an invalid escape is kept as it is. */
function formDecode(value: string): string {
  const spaced = value.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}

const CONTEXT_TOKEN = /\{\{\s*context\.(\w+)\s*\}\}/g;

/** The context's value of a token, as text; the empty string when it has no primitive value. */
function contextText(context: Readonly<Record<string, unknown>>, name: string): string {
  const value = context[name];
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : '';
}

/** A context value as a path segment, percent-encoded; never a dot segment (`.`, `..`), which a URL parser would remove. */
function pathSegment(value: string): string {
  if (/^\.+$/.test(value)) {
    throw new RangeError('a context value made only of dots cannot be a path segment');
  }
  return encodeURIComponent(value);
}

/**
 * A prefetch template resolved as an EHR does before reading it from its FHIR server: each
 * `{{context.name}}` replaced by the context's value (percent-encoded in the path; FHIR-escaped as a
 * literal in a search value), then every search value percent-encoded as `URLSearchParams` does, the
 * separating commas kept literal. A value already encoded is decoded first, so an encoded template
 * (ours) comes out unchanged and a template written unencoded comes out encoded. A token with no
 * primitive value in `context` becomes the empty string.
 * Throws a RangeError when a value in the path is made only of dots (it would change the path).
 */
export function resolvePrefetchTemplate(template: string, context: Readonly<Record<string, unknown>>): string {
  const at = template.indexOf('?');
  const path = (at < 0 ? template : template.slice(0, at)).replace(CONTEXT_TOKEN, (_m, name: string) => pathSegment(contextText(context, name)));
  if (at < 0) {
    return path;
  }
  const query = template
    .slice(at + 1)
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq < 0) {
        return pair;
      }
      const value = formDecode(pair.slice(eq + 1)).replace(CONTEXT_TOKEN, (_m, name: string) => escapeSearchLiteral(contextText(context, name)));
      return `${pair.slice(0, eq)}=${encodeSearchValue(value)}`;
    });
  return `${path}?${query.join('&')}`;
}
