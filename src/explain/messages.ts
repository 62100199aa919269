/**
 * The message catalogue: every sentence NPC-CDS says about what is missing and why data could not be
 * read, keyed by what it is about, with the values it needs as parameters. One catalogue per language,
 * all with the `Messages` shape, so a second language is a second object of this type and not a second
 * copy of the logic. The catalogue holds plain text of the project's own (no text from a record); the
 * cards render it as Markdown, the app as HTML, each escaping on its own side.
 */
import { LIU_COHORT, POST_TBF_RESIDUAL_NOT_A_RULE, pValueText, type InputId, type Need, type OrderableId } from '../core';
import type { UnobtainableKey } from '../fhir/errors';
import type { PrefetchKey } from '../fhir/prefetch';

/** Why one data key could not be obtained (src/fhir/errors.ts), without the key. */
export type FaultFacts = Omit<UnobtainableKey, 'key'>;

/** The values a need's sentence may name. */
export interface NeedContext {
  /** The first day of the 40 Gy window, when RT has started. */
  readonly postWindowStart?: string | undefined;
  /** The long caveat shown when the clinical stage is not recorded. */
  readonly stageCaveat: string;
  /** The sentence on an M category that the AJCC edition would read differently. */
  readonly ambiguousEdition: string;
}

export interface Messages {
  readonly tbf: {
    /** ΔTBF recomputed from the two measurements (the numbers already formatted). */
    readonly delta: (pre: string, post: string, delta: string) => string;
    /** Why Post-TBF is not a rule for residual tumor (Liu 2022 Table 4). */
    readonly postTbfNotARule: string;
    /** What the TBF values are associated with, and what they are not. */
    readonly associations: string;
  };
  readonly needs: {
    /** A few words for a need (the card summary lists them; the app's "Missing" list heads each line). */
    readonly label: (need: Need) => string;
    /** Why it is needed and what it decides, in one sentence. */
    readonly why: (need: Need, ctx: NeedContext) => string;
    /** The headline of the missing-data card. */
    readonly headline: string;
    /** Under the suggestions: nothing is ordered automatically. */
    readonly suggestionNote: string;
    /** The `note` of a suggested order: "Suggested by NPC-CDS: needed for …". */
    readonly orderNote: (labels: readonly string[]) => string;
    /** The label of a suggestion that orders it. */
    readonly orderLabel: (orderable: OrderableId) => string;
    /** The description of a suggestion's create action. */
    readonly orderAction: (orderLabel: string, labels: readonly string[]) => string;
  };
  readonly faults: {
    /** What each data key carries, in the clinician's words: short for a summary, long for a sentence. */
    readonly data: Readonly<Record<PrefetchKey, { readonly short: string; readonly long: string }>>;
    /** Why one data key failed, in a few words (a card summary). */
    readonly short: (f: FaultFacts, deadlineMs: number, detailed: boolean) => string;
    /** Why one data key failed, in a sentence (card detail, the app's error page). */
    readonly long: (f: FaultFacts, deadlineMs: number) => string;
  };
}

/** The few words for a risk factor's input. */
const RISK_INPUT_LABEL: Partial<Record<InputId, string>> = { 'ebv-dna': 'plasma EBV DNA', 'tumor-volume': 'tumor volume', 't-category': 'T category', 'n-category': 'N category' };

/** A byte cap as the configuration states it: whole MB or kB when it is one, else bytes. */
function sizeText(bytes: number | undefined): string {
  if (bytes === undefined) return 'the size limit';
  const mb = bytes / (1024 * 1024);
  const kb = bytes / 1024;
  return Number.isInteger(mb) ? `${mb} MB` : Number.isInteger(kb) ? `${kb} kB` : `${bytes} bytes`;
}

/** English: the language of both papers and of the clinical contract. */
export const EN: Messages = {
  tbf: {
    delta: (pre, post, delta) => `\u0394TBF = Pre-TBF \u2212 Post-TBF = ${pre} \u2212 ${post} = ${delta} mL/100 g/min, recomputed from the two measurements.`,
    postTbfNotARule:
      `Post-TBF is not used to predict residual tumor (cutoff ${POST_TBF_RESIDUAL_NOT_A_RULE.publishedCutoff}, AUC ${POST_TBF_RESIDUAL_NOT_A_RULE.auc.value}): ` +
      `it did not differ between the residual and non-residual groups (Table 4, ${pValueText(POST_TBF_RESIDUAL_NOT_A_RULE.groupDifferenceP)}).`,
    associations:
      `Pre-TBF and \u0394TBF correlate with the tumor atrophy rate (r = ${LIU_COHORT.atrophyCorrelation.preTbf} and ${LIU_COHORT.atrophyCorrelation.deltaTbf}). ` +
      'Post-TBF and \u0394TBF come from the same 40 Gy MRI on which the response is assessed: for the response they are associations, not predictions. None of this is a treatment recommendation.',
  },
  needs: {
    label(need) {
      switch (need.topic) {
        case 'consistent-staging':
          return 'consistent staging';
        case 'staging-edition':
          return 'M category or AJCC edition';
        case 'ictos':
          return 'ICTOS';
        case 'risk-input':
          return RISK_INPUT_LABEL[need.inputs[0]] ?? need.inputs[0];
        case 'pre-tbf':
          return 'Pre-TBF';
        case 'post-tbf':
          return 'Post-TBF';
        case 'stage':
          return 'stage';
      }
    },
    why(need, ctx) {
      switch (need.topic) {
        case 'consistent-staging':
          return `${need.inputs.join(' and ')} recorded with conflicting values: whether the patient is in the studied population cannot be decided, so no recommendation is made.`;
        case 'staging-edition':
          return ctx.ambiguousEdition;
        case 'ictos':
          return 'ICTOS, or its three z-scored radiomic features, from the pre-treatment contrast-enhanced T1-weighted MRI: needed for the induction chemotherapy recommendation (Dong 2019).';
        case 'risk-input': {
          const input = need.inputs[0];
          const what =
            input === 'ebv-dna'
              ? 'Pre-treatment plasma EBV DNA in copies/mL'
              : input === 'tumor-volume'
                ? 'Primary tumor volume from the pre-treatment MRI'
                : `The ${input} (record the clinical staging)`;
          return `${what}: ICTOS is low, and the clinical risk that decides between CCRT alone and a clinical trial depends on it (${need.knownPresent} of 4 factors known present).`;
        }
        case 'pre-tbf':
          return 'Tumor blood flow by ASL-MRI before treatment: predicts partial response at 40 Gy and residual tumor after chemoradiotherapy (Liu 2022).';
        case 'post-tbf':
          return `Tumor blood flow by ASL-MRI at 40 Gy (on or after ${ctx.postWindowStart ?? 'day 25 of RT'}): with Pre-TBF it gives \u0394TBF, which predicts residual tumor after CRT and is associated with the response on the same MRI (Liu 2022).`;
        case 'stage':
          return `Clinical stage (T, N, M or the stage group): ${ctx.stageCaveat}`;
      }
    },
    headline: 'Inputs are missing: NPC-CDS makes no recommendation or prediction that needs them',
    suggestionNote: 'The suggestions create draft orders for the clinician to review; nothing is ordered automatically.',
    orderNote: (labels) => `Suggested by NPC-CDS: needed for ${labels.join(', ')}`,
    orderLabel: (orderable) =>
      ({ 'ebv-dna': 'Order plasma EBV DNA (copies/mL)', 'asl-mri': 'Order ASL-MRI for tumor blood flow', 'radiomics-mri': 'Order MRI radiomic analysis (ICTOS, tumor volume)' })[orderable],
    orderAction: (orderLabel, labels) => `${orderLabel} (for ${labels.join(', ')})`,
  },
  faults: {
    data: {
      patient: { short: 'patient record', long: 'the Patient record' },
      conditions: { short: 'conditions', long: 'conditions (the NPC diagnosis)' },
      observations: { short: 'observations', long: 'observations (staging, plasma EBV DNA, ASL tumor blood flow, ICTOS and its radiomic features, tumor volume)' },
      procedures: { short: 'procedures', long: 'procedures (radiotherapy, which dates the treatment start)' },
      medicationAdministrations: { short: 'medication administrations', long: 'medication administrations (chemotherapy, which dates the treatment start)' },
    },
    short(f, deadlineMs, detailed) {
      const status = f.status === undefined ? '' : ` ${f.status}`;
      switch (f.reason) {
        case 'timeout':
          return `timed out after ${deadlineMs} ms`;
        case 'http-error':
          if (f.status === 401 || f.status === 403) return `access refused, HTTP${status}`;
          return f.status !== undefined && f.status >= 500 ? `server error, HTTP${status}` : `HTTP${status}`;
        case 'redirect-refused':
          return `redirect${status} refused`;
        case 'network-error':
          return 'server unreachable';
        case 'malformed-response':
          return 'unreadable answer';
        case 'operation-outcome':
          return 'error answer';
        case 'unexpected-resource':
          return detailed && f.found !== undefined ? `unexpected ${f.found}` : 'unexpected answer';
        case 'wrong-patient':
          return 'answer about another patient';
        case 'too-many-pages':
          return 'too many pages';
        case 'next-link-outside-fhir-server':
          return 'paging link off the server';
        case 'too-large':
          return f.limitBytes === undefined ? 'answer too large' : `answer over ${sizeText(f.limitBytes)}`;
        case 'request-too-large':
          return f.limitBytes === undefined ? 'answers too large' : `answers over ${sizeText(f.limitBytes)} in all`;
        case 'no-fhir-server':
          return 'no FHIR server';
        case 'unsupported-authorization':
          return 'unsupported authorization';
        case 'authorization-required':
          return `access token needed, HTTP${status}`;
        case 'cancelled':
          return 'cancelled';
      }
    },
    long(f, deadlineMs) {
      const status = f.status === undefined ? '' : ` (HTTP ${f.status})`;
      switch (f.reason) {
        case 'timeout':
          return `the FHIR server did not answer within the ${deadlineMs} ms deadline, and the request was cancelled`;
        case 'http-error':
          if (f.status === 401 || f.status === 403) return `the FHIR server refused the access token the EHR gave${status}`;
          return f.status !== undefined && f.status >= 500 ? `the FHIR server failed${status}` : `the FHIR server answered with an error${status}`;
        case 'redirect-refused':
          return `the FHIR server answered with a redirect${status}, which was refused: NPC-CDS sends the access token to the EHR\u2019s FHIR server only and follows no redirect`;
        case 'network-error':
          return 'the FHIR server could not be reached';
        case 'malformed-response':
          return 'the answer could not be read as FHIR JSON';
        case 'operation-outcome':
          return 'the FHIR server answered with an OperationOutcome (an error) instead of the data';
        case 'unexpected-resource':
          return `the answer was not the expected search result${f.found === undefined ? '' : ` (found ${f.found})`}`;
        case 'wrong-patient':
          return 'the answer held data about another patient, so none of it was used';
        case 'too-many-pages':
          return 'the result had more pages than NPC-CDS reads; a partial result could pick the wrong measurement';
        case 'next-link-outside-fhir-server':
          return 'a next-page link pointed outside the FHIR server and was not followed';
        case 'too-large':
          return `the FHIR server\u2019s answer was larger than the ${sizeText(f.limitBytes)} NPC-CDS reads in one answer, so reading stopped and none of it was used`;
        case 'request-too-large':
          return `the FHIR server\u2019s answers to this request came to more than the ${sizeText(f.limitBytes)} NPC-CDS reads for one request (all data and pages together), so reading stopped and none of it was used`;
        case 'no-fhir-server':
          return 'no FHIR server was given to read from';
        case 'unsupported-authorization':
          return 'the authorization given was not a bearer token';
        case 'authorization-required':
          return `the FHIR server asked for an access token and none was given${status}`;
        case 'cancelled':
          return 'the request was cancelled before the FHIR server answered';
      }
    },
  },
};
