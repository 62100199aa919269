/** Why the patient's data could not be read, in words: one line per failed data key (the app's error page). */
import type { UnobtainableKey } from '../fhir/errors';
import { EN } from './en';
import type { Messages } from './messages';

/** "The Patient record: the FHIR server did not answer within the 3000 ms deadline, …." */
export function faultLines(failures: readonly UnobtainableKey[], deadlineMs: number, messages: Messages = EN): string[] {
  return failures.map((f) => {
    const what = messages.faults.data[f.key].long;
    return `${what.charAt(0).toUpperCase()}${what.slice(1)}: ${messages.faults.long(f, deadlineMs)}.`;
  });
}
