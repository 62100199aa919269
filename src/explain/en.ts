/**
 * English: the language of both papers and of the clinical contract. Every sentence NPC-CDS says about a
 * patient, once (the shape and its rules: ./messages.ts). Numbers come from the evidence registry
 * (src/core/evidence.ts) and are written as the papers print them.
 */
import {
  DONG_COHORTS,
  DONG_SURVIVAL,
  LIU_COHORT,
  POST_TBF_RESIDUAL_NOT_A_RULE,
  hazardRatioText,
  intervalText,
  negativePredictiveValue,
  percentText,
  positivePredictiveValue,
  pValueText,
  type InputId,
  type RecommendationKind,
} from '../core';
import type { Messages } from './messages';
import { strong, value } from './phrase';

const list = (xs: readonly string[]): string => (xs.length === 0 ? 'none' : xs.join(', '));

/** The evidence sentences of Dong 2019 (Results, validation cohort unless named), each written once. */
const S = DONG_SURVIVAL;
/** Dong 2019 Results, of both low-ICTOS risk groups. */
const NO_ICT_BENEFIT = 'induction chemotherapy not associated with a significant benefit';

const DONG = {
  highIctos: `Validation cohort, high ICTOS (n = ${S.validationHighIctos.n}): 5-year failure-free survival (FFS) ${S.validationHighIctos.ffs5y.ictCcrt}% with ICT + CCRT vs ${S.validationHighIctos.ffs5y.ccrtAlone}% with CCRT alone; FFS ${hazardRatioText(S.validationHighIctos.hr)}.`,
  absoluteBenefit: `Absolute FFS benefit ${S.validationHighIctos.absoluteBenefit.y3} percentage points at 3 years and ${S.validationHighIctos.absoluteBenefit.y5} percentage points at 5 years.`,
  lowIctosNoBenefit: `Validation cohort, low ICTOS (n = ${S.validationLowIctos.n}): additional induction chemotherapy was not associated with a significant failure-free survival benefit, FFS ${hazardRatioText(S.validationLowIctos.hr)}; the interval includes a benefit.`,
  lowRisk: `Low ICTOS and low risk: 5-year FFS ${S.lowIctosLowRisk.ffs5y}%; ${NO_ICT_BENEFIT}, ${hazardRatioText(S.lowIctosLowRisk.ictHr)}.`,
  highRisk: `Low ICTOS and high risk: 5-year FFS ${S.lowIctosHighRisk.ffs5y}%; ${NO_ICT_BENEFIT}, ${hazardRatioText(S.lowIctosHighRisk.ictHr)}; high vs low risk ${hazardRatioText(S.riskHr)}.`,
  notSufficient: `Validation cohort, low ICTOS (n = ${S.validationLowIctos.n}): FFS ${hazardRatioText(S.validationLowIctos.hr)} for induction chemotherapy; \u201cit was not possible to conclude that CCRT alone was sufficient\u201d (Dong 2019 Results): the authors suggest clinical trials of intensified or novel therapy.`,
  notValidated: 'Not yet validated in larger populations, in the authors\u2019 words; the risk stratification of low-ICTOS patients was exploratory.',
  cohorts: `Training cohort n = ${DONG_COHORTS.training.n} (${DONG_COHORTS.training.design}); treatment interaction ${pValueText(DONG_COHORTS.training.interactionP)} (training), ${pValueText(DONG_COHORTS.validation.interactionP)} (validation, ${DONG_COHORTS.validation.design}, median follow-up ${DONG_COHORTS.validation.medianFollowUpMonths} months).`,
  regimen: `Induction regimen of the trial: ${DONG_COHORTS.inductionRegimen}; other regimens were not studied.`,
  notStratified: 'Dong 2019 did not stratify high-ICTOS patients by clinical risk.',
};

const RECOMMENDATION_EVIDENCE_LINES: Readonly<Record<RecommendationKind, readonly string[]>> = {
  'ict-ccrt': [DONG.highIctos, DONG.absoluteBenefit],
  'ccrt-alone': [DONG.lowIctosNoBenefit, DONG.lowRisk, DONG.notValidated],
  'clinical-trial': [DONG.highRisk, DONG.notSufficient, DONG.notValidated],
};

const LABEL: Readonly<Record<RecommendationKind, string>> = {
  'ict-ccrt': 'Induction chemotherapy followed by concurrent chemoradiotherapy (ICT + CCRT)',
  'ccrt-alone': 'Concurrent chemoradiotherapy alone (CCRT)',
  'clinical-trial': 'Consider a clinical trial of intensified or novel therapy',
};

const SOURCE: Readonly<Record<RecommendationKind, string>> = {
  'ict-ccrt': 'Dong 2019 Results (validation cohort, high ICTOS) and Discussion',
  'ccrt-alone': 'Dong 2019 Results (validation cohort, low ICTOS, low risk) and Discussion',
  'clinical-trial': 'Dong 2019 Results (validation cohort, low ICTOS, high risk) and Discussion',
};

const NOT_READ = 'The patient\u2019s data could not be read from the EHR\u2019s FHIR server';

const DIRECTION_NONE = 'not assessable';
/** The few words for a risk factor's input. */
const RISK_INPUT_LABEL: Partial<Record<InputId, string>> = { 'ebv-dna': 'plasma EBV DNA', 'tumor-volume': 'tumor volume', 't-category': 'T category', 'n-category': 'N category' };

/** A byte cap as the configuration states it: whole MB or kB when it is one, else bytes. */
function sizeText(bytes: number | undefined): string {
  if (bytes === undefined) return 'the size limit';
  const mb = bytes / (1024 * 1024);
  const kb = bytes / 1024;
  return Number.isInteger(mb) ? `${mb} MB` : Number.isInteger(kb) ? `${kb} kB` : `${bytes} bytes`;
}

export const EN: Messages = {
  ictos: {
    feature: { skewness: 'skewness', glcmVariance: 'GLCM variance', glrlmLrhgle: 'GLRLM LRHGLE' },
    formula: (terms, cutoff, set) => [
      `ICTOS = ${terms}, on z-scored features of the primary tumor on pre-treatment contrast-enhanced T1-weighted MRI; high when > ${cutoff}, low when \u2264 ${cutoff} (threshold set `,
      value(set),
      ').',
    ],
    result: (score, source, kind) => [
      `This patient: ICTOS ${score} from ${{ score: 'the recorded ICTOS Observation', 'z-features': 'the three z-scored features', 'raw-features': 'the raw features with the site normalization' }[source]}: `,
      strong(kind),
      ' ICTOS.',
    ],
    notComputable: (missing) => [`This patient: ICTOS cannot be computed: missing ${list(missing)}.`],
    notApplied: 'ICTOS is not applied (see the population above).',
    contributions: (parts) => `Contributions: ${parts.map((p) => `${p.feature} z ${p.z} \u00d7 ${p.coefficient} = ${p.contribution}`).join('; ')}.`,
    normalization: (name, parts) => [
      'Normalization: ',
      value(name),
      ` (${parts.map((p) => `${p.feature} mean ${p.mean}, SD ${p.sd}`).join('; ')}), not the study\u2019s: Dong 2019 z-scored the features with its training cohort\u2019s parameters, which are not published. A deviation from the study.`,
    ],
  },
  risk: {
    factor: (f, c) =>
      ({ t4: 'T4', 'n2-n3': 'N2\u2013N3', 'tumor-volume-34ml': `primary tumor volume \u2265 ${c.tumorVolumeMl} mL`, 'ebv-dna-2000': `plasma EBV DNA \u2265 ${c.ebvDnaCopiesPerMl} copies/mL` })[f],
    rule: (factors, moreThan) =>
      `Clinical risk among low-ICTOS patients (Dong 2019): ${factors.join('; ')}; high when more than ${moreThan} are present, and a factor that is not known is never counted as absent ` +
      '(defined on the AJCC 7th edition; an 8th-edition T4 or N3 is used as the 7th-edition factor).',
    patient: (present, absent, unknown, kind) => [`This patient: present ${list(present)}; absent ${list(absent)}; unknown ${list(unknown)}: `, strong(kind), ' risk.'],
    result: (kind, present, absent, unknown) =>
      `${{ high: 'High risk', low: 'Low risk', indeterminate: 'Indeterminate: the unknown factors could change the result' }[kind]} (${present} present, ${absent} absent, ${unknown} unknown).`,
    state: { present: 'present', absent: 'absent', unknown: 'unknown' },
    notRecorded: (input) => `${input} not recorded`,
    notAssessed: 'The clinical risk is not assessed (see the population above).',
    notStratifiedHighIctos: DONG.notStratified,
  },
  recommendation: {
    label: LABEL,
    source: SOURCE,
    headline: (kind) => `Option: ${LABEL[kind]} (${SOURCE[kind]})`,
    option: (kind, validated) => `${LABEL[kind]}. Evidence: ${SOURCE[kind]}.${validated ? '' : ' Not yet validated in larger populations, in the authors\u2019 words.'} An option with its evidence, not a directive.`,
    rule: 'Recommendation (Dong 2019, Discussion): high ICTOS \u2192 induction chemotherapy + CCRT; low ICTOS and low risk \u2192 CCRT alone; low ICTOS and high risk \u2192 clinical trials of intensified or novel therapy. A choice made before any treatment starts.',
    notStarted:
      'No radiotherapy or systemic anti-cancer therapy is recorded as started: the Procedure (radiotherapy) and MedicationAdministration (systemic therapy) records of this EHR were searched. Treatment recorded elsewhere (another hospital, free text) is not seen.',
    evidence: (kind) => [...RECOMMENDATION_EVIDENCE_LINES[kind], DONG.cohorts, DONG.regimen],
    lowIctosNoBenefit: DONG.lowIctosNoBenefit,
    notValidated: DONG.notValidated,
    regimen: DONG.regimen,
    none: {
      heading: 'No recommendation',
      text: (why) => `No recommendation is made: ${why}`,
      why: {
        'recurrent-disease': 'recurrent disease is recorded, and both studies enrolled newly diagnosed, untreated patients.',
        n0: 'N0 is recorded, and neither cohort had N0 patients.',
        'under-18': 'the patient is younger than 18, and both studies enrolled adults.',
        'out-of-scope': 'the patient is outside the studied population.',
        'staging-conflict': 'the recorded staging is contradictory (M category or stage group).',
        'ambiguous-edition': 'stage group IVB is recorded without an AJCC edition or M category, so whether the patient is in the studied population is not decided.',
      },
      outsidePopulation: 'the patient is outside the studied population.',
      startedHeading: 'No recommendation: treatment has started',
      started: (date, reference) =>
        `Treatment started${date !== undefined ? ` on ${date}${reference !== undefined ? ` (${reference})` : ''}` : ''}. The choice of induction chemotherapy (Dong 2019) is made before any treatment.`,
      missingHeading: 'No recommendation: data missing',
      missing: (labels) => `ICTOS is needed and cannot be computed. Missing: ${list(labels)}.`,
      undeterminedHeading: 'Undetermined: low ICTOS, clinical risk unknown',
      undetermined: (labels) => `Low ICTOS; whether the clinical risk is high depends on: ${list(labels)}.`,
    },
  },
  orderCheck: {
    headline: {
      'ict-not-supported': 'Induction chemotherapy is in the draft orders of a low-ICTOS, low-risk patient',
      'consider-trial': 'Induction chemotherapy is in the draft orders of a low-ICTOS, high-risk patient',
      undetermined: 'Induction chemotherapy is in the draft orders of a low-ICTOS patient whose risk or population is not established',
      'ict-supported': 'Induction chemotherapy is in the draft orders of a high-ICTOS patient',
      'insufficient-data': 'Induction chemotherapy is in the draft orders, but ICTOS is not available',
    },
    rule:
      'Order check (clinical-spec section 6): induction chemotherapy is recognised by an induction partner agent (docetaxel, fluorouracil, gemcitabine, capecitabine, paclitaxel) or an explicit induction marker on the order; a platinum alone is the concurrent part of CCRT. ' +
      'A removal is suggested only for a low-ICTOS patient whose low clinical risk is certain and whose population is established.',
    notEstablished: (what) => `Not established: ${what}. No removal is suggested.`,
    needsIctos: 'ICTOS decides whether induction chemotherapy was associated with a benefit (Dong 2019); without it the check cannot be made.',
    order: {
      notCoded: 'agent not coded',
      recognised: (label, how) => `${label}, recognised ${how}`,
      induction: (reference, agents, why) =>
        `${reference}: ${agents}; induction chemotherapy (${{ 'induction-partner': 'an induction partner agent', 'induction-marker': 'marked as induction on the order', 'regimen-platinum': 'a platinum ordered with an induction partner and not marked concurrent: part of the induction regimen' }[why]})`,
      platinum: (reference, agents, markedConcurrent) =>
        `${reference}: ${agents}; ${markedConcurrent ? 'platinum marked concurrent on the order' : 'platinum alone, the concurrent part of CCRT'}, not checked and not suggested for removal`,
      otherSystemic: (reference, agents) => `${reference}: ${agents}; systemic therapy that is not an induction partner, not checked`,
      ignored: (reference, reason) =>
        `${reference}: ${{ 'no-medication': 'no medication, cannot be identified', 'not-chemotherapy': 'not a listed systemic anti-cancer agent', 'inactive-status': 'not active' }[reason]}`,
    },
    removeRegimen: (count) => `Remove the induction regimen (${count} order${count > 1 ? 's' : ''})`,
    removeOrder: (reference, agents) => `Remove ${reference} (${agents === '' ? 'induction' : agents})`,
  },
  limitations: {
    liu: [
      'Single centre, retrospective, 55 patients.',
      'Cutoffs were chosen in the same sample (ROC analysis) and have not been validated externally.',
      'One scanner and protocol (3.0 T GE MR750, 3D pCASL, single post-labeling delay of 2025 ms): TBF values from other scanners or PLDs may not be comparable.',
      'Stage III\u2013IVA (AJCC 8th edition) only, with no T1 and no N0 patients; T stage and tumor diameter were not in a multivariable analysis.',
      'Patients whose lesion could not be outlined after treatment because it was too small were excluded: the best responders may be missing.',
      'Concurrent chemoradiotherapy only: no induction chemotherapy before radiotherapy.',
      'Outcomes were early: response at 40 Gy and residual tumor judged by MRI one month after treatment only (no biopsy); no long-term follow-up.',
      'Post-TBF and \u0394TBF come from the same 40 Gy MRI on which the response was assessed: for the response they are associations at that MRI, not predictions.',
      'The text and the tables disagree in places: the PR group\u2019s Pre-TBF is 158.46 in the text and 155.59 in Table 4; Table 2 prints 29 non-residual PR patients where the totals need 31.',
    ],
    dong: [
      'Single institution (Sun Yat-sen University Cancer Center); training cohort retrospective with possible selection bias.',
      'Validated in one randomized trial subset (n = 248); larger, multi-centre validation is still needed.',
      'The low-ICTOS recommendations (CCRT alone for low risk, clinical trials for high risk) are not yet validated in larger populations, in the authors\u2019 words; the stratification of low-ICTOS patients by clinical risk was exploratory (post hoc).',
      DONG.notStratified,
      'Many MR scanners and protocols; how they affect the radiomic features and ICTOS was not studied. Features must be z-scored with the training cohort\u2019s parameters, which are not published.',
      'Staging by AJCC/UICC 7th edition: the risk factors T4 and N2\u2013N3 are defined on it, and an 8th-edition T4 or N3 is used here as the 7th-edition factor. Induction regimen TPF (NCT01245959, from the trial\u2019s report): other regimens were not studied.',
      'T stage, N stage and EBV DNA were prognostic but did not predict benefit from induction chemotherapy.',
    ],
  },
  rules: {
    outcome: (kind, outcome, reading) => (reading === 'association' ? `${kind}: was associated with ${outcome} on the same 40 Gy MRI` : `${kind}: ${outcome}`),
    insufficient: 'insufficient data',
    notApplicable: {
      'induction-before-rt': 'not applicable: induction chemotherapy before RT (Liu 2022 studied concurrent chemoradiotherapy only)',
      'outcome-due': 'no longer a prediction: the residual-tumor assessment after CRT is due or recorded',
    },
    responseDirection: {
      favorable: 'favors partial response at 40 Gy',
      unfavorable: 'favors stable disease at 40 Gy',
      mixed: 'mixed signals for response at 40 Gy',
      none: `response at 40 Gy ${DIRECTION_NONE}`,
    },
    residualDirection: {
      favorable: 'favors no residual tumor after CRT',
      unfavorable: 'favors residual tumor after CRT',
      mixed: 'mixed signals for residual tumor',
      none: `residual tumor ${DIRECTION_NONE}`,
    },
    figures: (ev) => `AUC ${ev.auc.value} (95% CI ${intervalText(ev.auc.ci)}), sensitivity ${ev.sensitivity}, specificity ${ev.specificity}`,
    strength: { strongest: 'strongest evidence', moderate: 'moderate evidence', weak: 'weak evidence' },
    counts: (ev) => {
      const c = ev.counts;
      return (
        `of ${c.truePositive + c.falsePositive} patients above ${ev.publishedCutoff}, ${c.truePositive} had ${ev.favorableOutcome} (PPV ${percentText(positivePredictiveValue(c))}); ` +
        `of ${c.trueNegative + c.falseNegative} at or below, ${c.trueNegative} had ${ev.unfavorableOutcome} (NPV ${percentText(negativePredictiveValue(c))}): counts reconstructed from the published sensitivity, specificity and group sizes, not printed in the paper.`
      );
    },
    groupMeans: (ev) =>
      `Group means (Table 4): ${ev.positiveGroup.label} ${ev.positiveGroup.mean} \u00b1 ${ev.positiveGroup.sd} vs ${ev.negativeGroup.label} ${ev.negativeGroup.mean} \u00b1 ${ev.negativeGroup.sd} mL/100 g/min, ${pValueText(ev.groupDifferenceP)}.`,
    notAvailable: (missing) => `not available (missing ${list(missing)})`,
    ruleLine: (rule, source, parameter, val, cutoff, outcome, figures) => [`${rule} (${source}): ${parameter} ${val} vs cutoff > ${cutoff} \u2192 `, ...outcome, '. ', ...figures],
    localSource: (source) => `${source}, cutoff from the local calibration`,
    cohort:
      `Cohort (Liu 2022): ${LIU_COHORT.n} patients aged ${LIU_COHORT.ageYears.min}\u2013${LIU_COHORT.ageYears.max}, ${LIU_COHORT.design}, ${LIU_COHORT.period}; ${LIU_COHORT.treatment}. ` +
      `Protocol: ${LIU_COHORT.protocol.scanner}; ${LIU_COHORT.protocol.sequence}; post-labeling delay ${LIU_COHORT.protocol.postLabelingDelayMs} ms.`,
    publishedNotUsed: 'The rules\u2019 source, Liu 2022, at its published cutoffs (not used here): ',
    thresholdSet: (id, version) => ['Threshold set ', value(id), ' (version ', value(version), ').'],
    headline: 'ASL-MRI tumor blood flow and early response to chemoradiotherapy (a prognostic aid, not a treatment recommendation)',
    inductionBeforeRt:
      'Systemic therapy started before radiotherapy: Liu 2022 studied concurrent chemoradiotherapy without induction chemotherapy, so the values are shown without a prediction.',
    noPredictionAfterInduction: 'no prediction after induction chemotherapy (not studied)',
    predictionsExpired: 'predictions expired: outcomes due or observed',
    residualExpired: 'residual prediction expired',
    valuesShown: 'values shown',
    weakOnly: { short: ' (weak rule)', long: ' (weak rule: Post-TBF alone)' },
    observedAt40Gy: (recist) => `observed ${recist} at 40 Gy`,
    summary: (response, residual) => `Tumor blood flow ${response}; ${residual}.`,
    notApplied: 'The tumor blood flow rules are not applied (see the population above).',
    noRuleYet: 'No tumor blood flow rule can be applied yet: a pre-treatment ASL-MRI measurement is needed.',
    fortyGy: (rtStart, day, windowStart, dose, perWeek) =>
      `RT started ${rtStart}; the 40 Gy timepoint is reached on day ${day} of the schedule (${windowStart}), inferred from ${dose} Gy per fraction, ${perWeek} fractions a week.`,
    noRtStart: 'No RT start recorded: no measurement can be placed at the 40 Gy timepoint.',
  },
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
    headline: {
      'patient-view': `${NOT_READ}: NPC-CDS makes no recommendation and no prediction`,
      'order-check': `${NOT_READ}: the induction chemotherapy order was not checked`,
    },
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
