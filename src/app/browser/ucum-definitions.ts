/**
 * ucum-lhc's unit definitions in the browser. They are more than half of the app's script, so the bundle
 * leaves them out (src/bundle.ts) and ships them beside it as `ucum-definitions.json`, which the main
 * page fetches while the launch completes. ucum-lhc asks for them when its tables are first built, at
 * the first unit conversion; by then they are here.
 */

/** The file src/bundle.ts writes beside main.js (its `UCUM_DEFINITIONS_FILE`). */
const UCUM_DEFINITIONS_FILE = 'ucum-definitions.json';

let definitions: object | undefined;

/** Fetches the definitions; the page calls this before it reads or converts anything. */
export async function loadUcumDefinitions(): Promise<void> {
  const response = await fetch(UCUM_DEFINITIONS_FILE);
  if (!response.ok) throw new Error(`The app's unit definitions could not be read (HTTP ${response.status}).`);
  const json: unknown = await response.json();
  if (typeof json !== 'object' || json === null) throw new Error("The app's unit definitions are not a JSON object.");
  definitions = json;
}

/** What ucum-lhc's `require('../data/ucumDefs.min.json')` returns in the bundle; throws before they are loaded. */
export function loadedUcumDefinitions(): object {
  if (definitions === undefined) throw new Error("The app's unit definitions were used before they were loaded.");
  return definitions;
}
