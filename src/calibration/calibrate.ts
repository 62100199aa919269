/**
 * Site calibration (issue 17): from a site's own cohort, per TBF rule of Liu 2022 Table 5 the ROC curve,
 * AUC with its DeLong CI, the Youden-optimal criterion "> x" with Wilson CIs, a seeded bootstrap interval
 * for that cutoff and Liu's published cutoff on the same data; and the z-score normalization of the
 * ICTOS features. The cohort is a CSV (src/calibration/cohort.ts) or a FHIR Bundle (cohort-bundle.ts).
 * Pure: text, seed and `now` in, a threshold set out.
 */
import { createHash } from 'node:crypto';
import { LIU_2022, TBF_RULE_IDS, type FeatureNormalization, type IctosFeature, type IctosNormalization, type TbfRuleId, type TbfThresholdSet } from '../core/thresholds';
import { deltaTbf } from '../core/tbf';
import { DEFAULT_CODE_LISTS, type CodeLists } from '../fhir/codes';
import { CohortFormatError, parseCohortCsv, type BadRow, type CohortRow, type ParsedCohort } from './cohort';
import { parseCohortBundle } from '../fhir/cohort-bundle';
import { aucDeLong, bootstrapCutoffInterval, meanSd, performanceAt, rocPoints, wilson, youdenCutoff, type RocPoint } from './stats';

/** Below this many of either class a rule is refused; below WARN_CLASS_SIZE it is warned about. */
export const MIN_CLASS_SIZE = 10;
export const WARN_CLASS_SIZE = 50;

/** What each rule measures and which outcome is its positive (favorable) class, as Liu 2022 Table 5. */
export const RULE_DEFINITIONS: Readonly<Record<TbfRuleId, { measure: 'pre-tbf' | 'post-tbf' | 'delta-tbf'; outcome: 'response-40gy' | 'residual-1m'; positiveClass: string }>> = {
  'pre-tbf-response': { measure: 'pre-tbf', outcome: 'response-40gy', positiveClass: 'PR' },
  'pre-tbf-residual': { measure: 'pre-tbf', outcome: 'residual-1m', positiveClass: 'no residual' },
  'delta-tbf-response': { measure: 'delta-tbf', outcome: 'response-40gy', positiveClass: 'PR' },
  'delta-tbf-residual': { measure: 'delta-tbf', outcome: 'residual-1m', positiveClass: 'no residual' },
  'post-tbf-response': { measure: 'post-tbf', outcome: 'response-40gy', positiveClass: 'PR' },
};

const FEATURE_COLUMNS: Readonly<Record<IctosFeature, 'skewness' | 'glcmVariance' | 'glrlmLrhgle'>> = {
  skewness: 'skewness',
  glcmVariance: 'glcmVariance',
  glrlmLrhgle: 'glrlmLrhgle',
};

/** Columns reported as the scanner / protocol fields found. */
const SCANNER_COLUMN = /scanner|protocol|vendor|model|field_strength|tesla|sequence|pld|label/i;

export interface RuleCalibration {
  readonly rule: TbfRuleId;
  readonly measure: string;
  readonly outcome: string;
  readonly positiveClass: string;
  readonly positives: number;
  readonly negatives: number;
  /** Criterion: favorable when the value is strictly above it. */
  readonly cutoff: number;
  readonly criterion: string;
  readonly auc: number;
  readonly aucVariance: number;
  readonly aucCi: readonly [number, number];
  readonly sensitivity: number;
  readonly sensitivityCi: readonly [number, number];
  readonly specificity: number;
  readonly specificityCi: readonly [number, number];
  readonly truePositives: number;
  readonly trueNegatives: number;
  readonly cutoffBootstrapCi: readonly [number, number];
  readonly published: { readonly cutoff: number; readonly sensitivity: number; readonly specificity: number; readonly truePositives: number; readonly trueNegatives: number };
  readonly roc: readonly RocPoint[];
}

export interface SiteThresholdSet {
  readonly kind: 'npc-cds.site-threshold-set';
  readonly id: string;
  readonly version: string;
  readonly created: string;
  /**
   * The input file: `sha256` of its text, its format, and the rows (patients) read. For a Bundle, a bad
   * row's `line` is the 1-based number of the entry (the patient's first Observation entry).
   */
  readonly input: { readonly sha256: string; readonly format: CohortFormat; readonly rows: number; readonly badRowsSkipped: readonly BadRow[] };
  readonly cohort: { readonly patients: number; readonly response40Gy: { PR: number; SD: number }; readonly residual1m: { residual: number; noResidual: number } };
  readonly scannerFields: Readonly<Record<string, readonly string[]>>;
  readonly settings: { readonly seed: number; readonly resamples: number; readonly aucCi: 'DeLong, plain normal, clipped to [0, 1]'; readonly proportionCi: 'Wilson score' };
  /** The part the service loads as a TBF threshold set (THRESHOLDS_FILE's `tbf`). */
  readonly tbf: TbfThresholdSet;
  readonly rules: readonly RuleCalibration[];
  readonly normalization?: Readonly<Record<IctosFeature, FeatureNormalization & { readonly n: number }>>;
  readonly warnings: readonly string[];
}

export type CohortFormat = 'csv' | 'fhir-bundle';

export interface CalibrateOptions {
  readonly id: string;
  readonly version?: string;
  readonly now: Date;
  readonly seed?: number;
  readonly resamples?: number;
  readonly skipBadRows?: boolean;
  /** The code lists a Bundle's Observations are read with (the defaults of src/fhir/codes.ts). */
  readonly codes?: CodeLists;
}

/** A run that must not produce a set; `problems` says why (bad rows with lines, too-small classes, SD 0). */
export class CalibrationError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
  }
}

function measureOf(row: CohortRow, measure: 'pre-tbf' | 'post-tbf' | 'delta-tbf'): number | undefined {
  if (measure === 'pre-tbf') return row.preTbf;
  if (measure === 'post-tbf') return row.postTbf;
  return row.preTbf !== undefined && row.postTbf !== undefined ? deltaTbf(row.preTbf, row.postTbf) : undefined;
}
function isPositive(row: CohortRow, outcome: 'response-40gy' | 'residual-1m'): boolean | undefined {
  if (outcome === 'response-40gy') return row.response40Gy === undefined ? undefined : row.response40Gy === 'PR';
  return row.residual1m === undefined ? undefined : !row.residual1m;
}

/** The values of one rule, split by its positive and negative class; rows lacking the measure or the outcome are left out. */
export function ruleValues(rows: readonly CohortRow[], rule: TbfRuleId): { positives: number[]; negatives: number[] } {
  const def = RULE_DEFINITIONS[rule];
  const positives: number[] = [];
  const negatives: number[] = [];
  for (const row of rows) {
    const v = measureOf(row, def.measure);
    const p = isPositive(row, def.outcome);
    if (v === undefined || p === undefined) continue;
    (p ? positives : negatives).push(v);
  }
  return { positives, negatives };
}

/** Calibrates one rule on its values (both classes at least MIN_CLASS_SIZE; checked by the caller). */
export function calibrateRule(rule: TbfRuleId, positives: readonly number[], negatives: readonly number[], seed: number, resamples: number): RuleCalibration {
  const def = RULE_DEFINITIONS[rule];
  const { auc, variance, ci } = aucDeLong(positives, negatives);
  const cutoff = youdenCutoff(positives, negatives);
  const at = performanceAt(positives, negatives, cutoff);
  const liu = performanceAt(positives, negatives, LIU_2022.cutoffs[rule]);
  return {
    rule,
    ...def,
    positives: positives.length,
    negatives: negatives.length,
    cutoff,
    criterion: `> ${cutoff}`,
    auc,
    aucVariance: variance,
    aucCi: ci,
    sensitivity: at.sensitivity,
    sensitivityCi: wilson(at.truePositives, at.positives),
    specificity: at.specificity,
    specificityCi: wilson(at.trueNegatives, at.negatives),
    truePositives: at.truePositives,
    trueNegatives: at.trueNegatives,
    cutoffBootstrapCi: bootstrapCutoffInterval(positives, negatives, resamples, seed),
    published: { cutoff: liu.cutoff, sensitivity: liu.sensitivity, specificity: liu.specificity, truePositives: liu.truePositives, trueNegatives: liu.trueNegatives },
    roc: rocPoints(positives, negatives),
  };
}

/** Calibrates a site threshold set from cohort CSV text (see `calibrateCohort`). */
export function calibrateCohortCsv(text: string, options: CalibrateOptions): SiteThresholdSet {
  return calibrateCohort(parseCohortCsv(text), { text, format: 'csv' }, options);
}

/**
 * Calibrates a site threshold set from the text of a cohort FHIR Bundle (see `calibrateCohort`); the
 * Observations are read with `options.codes`. Throws CohortFormatError when the text is not a JSON Bundle.
 */
export function calibrateCohortBundle(text: string, options: CalibrateOptions): SiteThresholdSet {
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new CohortFormatError(`the file is not valid JSON: ${(err as Error).message}`);
  }
  return calibrateCohort(parseCohortBundle(json, options.codes ?? DEFAULT_CODE_LISTS), { text, format: 'fhir-bundle' }, options);
}

/**
 * The cohort file's format, by its content: text starting with "{" (after a byte order mark and white
 * space) is JSON and must be a FHIR Bundle (CohortFormatError otherwise); anything else is CSV.
 */
export function cohortFormatOf(text: string): CohortFormat {
  if (!text.replace(/^\uFEFF/, '').trimStart().startsWith('{')) return 'csv';
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new CohortFormatError(`the file starts with "{" but is not valid JSON: ${(err as Error).message}`);
  }
  const resourceType = typeof json === 'object' && json !== null ? (json as { resourceType?: unknown }).resourceType : undefined;
  if (resourceType !== 'Bundle') {
    throw new CohortFormatError(`the file is JSON but not a FHIR Bundle (resourceType ${typeof resourceType === 'string' ? `"${resourceType}"` : 'missing'}); give a Bundle of the cohort's Observations, or a CSV`);
  }
  return 'fhir-bundle';
}

/** Calibrates from the cohort file's text, CSV or FHIR Bundle as `cohortFormatOf` tells. */
export function calibrateCohortFile(text: string, options: CalibrateOptions): SiteThresholdSet {
  return cohortFormatOf(text) === 'csv' ? calibrateCohortCsv(text, options) : calibrateCohortBundle(text, options);
}

/**
 * Calibrates a site threshold set from a parsed cohort; `input.text` is the file's text (hashed into the
 * set). Refuses (CalibrationError) on bad rows unless `skipBadRows`, on fewer than MIN_CLASS_SIZE of
 * either class for any rule, and on a feature SD of 0. Bad rows are named by CSV line or Bundle entry.
 */
export function calibrateCohort(parsed: ParsedCohort, input: { readonly text: string; readonly format: CohortFormat }, options: CalibrateOptions): SiteThresholdSet {
  const seed = options.seed ?? 1;
  const resamples = options.resamples ?? 1000;
  const problems: string[] = [];
  const warnings: string[] = [];
  if (parsed.badRows.length > 0) {
    const where = input.format === 'csv' ? 'line' : 'entry';
    const listed = parsed.badRows.map((b) => `${where} ${b.line}: ${b.reason}`);
    if (options.skipBadRows === true) warnings.push(...listed.map((l) => `skipped ${l}`));
    else problems.push(...listed);
  }
  const rows = parsed.rows;
  const values = TBF_RULE_IDS.map((rule) => ({ rule, ...ruleValues(rows, rule) }));
  for (const { rule, positives, negatives } of values) {
    const small = Math.min(positives.length, negatives.length);
    if (small < MIN_CLASS_SIZE) problems.push(`${rule}: ${positives.length} positive and ${negatives.length} negative patients; at least ${MIN_CLASS_SIZE} of each are needed`);
    else if (small < WARN_CLASS_SIZE) warnings.push(`${rule}: ${positives.length} positive and ${negatives.length} negative patients; fewer than ${WARN_CLASS_SIZE} of a class make the cutoff unstable`);
  }
  const normalization = featureNormalization(rows, problems, warnings);
  if (problems.length > 0) throw new CalibrationError(problems);

  const rules = values.map(({ rule, positives, negatives }) => calibrateRule(rule, positives, negatives, seed, resamples));
  const version = options.version ?? '1';
  const scannerFields: Record<string, string[]> = {};
  for (const col of parsed.header.filter((h) => SCANNER_COLUMN.test(h))) {
    scannerFields[col] = [...new Set(rows.map((r) => r.extra[col] ?? '').filter((v) => v !== ''))].sort();
  }
  return {
    kind: 'npc-cds.site-threshold-set',
    id: options.id,
    version,
    created: options.now.toISOString(),
    input: {
      sha256: createHash('sha256').update(input.text, 'utf8').digest('hex'),
      format: input.format,
      rows: rows.length + parsed.badRows.length,
      badRowsSkipped: parsed.badRows,
    },
    cohort: {
      patients: rows.length,
      response40Gy: { PR: rows.filter((r) => r.response40Gy === 'PR').length, SD: rows.filter((r) => r.response40Gy === 'SD').length },
      residual1m: { residual: rows.filter((r) => r.residual1m === true).length, noResidual: rows.filter((r) => r.residual1m === false).length },
    },
    scannerFields,
    settings: { seed, resamples, aucCi: 'DeLong, plain normal, clipped to [0, 1]', proportionCi: 'Wilson score' },
    tbf: {
      id: options.id,
      version,
      cutoffs: Object.fromEntries(rules.map((r) => [r.rule, r.cutoff])) as Record<TbfRuleId, number>,
      postTbfTimepoint: LIU_2022.postTbfTimepoint,
    },
    rules,
    ...(normalization !== undefined && { normalization }),
    warnings,
  };
}

function featureNormalization(rows: readonly CohortRow[], problems: string[], warnings: string[]): SiteThresholdSet['normalization'] {
  const stats = (Object.keys(FEATURE_COLUMNS) as IctosFeature[]).map((f) => {
    const xs = rows.map((r) => r[FEATURE_COLUMNS[f]]).filter((v): v is number => v !== undefined);
    return [f, meanSd(xs)] as const;
  });
  if (stats.every(([, s]) => s.n === 0)) {
    warnings.push('no radiomic feature values: the set has no ICTOS normalization');
    return undefined;
  }
  for (const [f, s] of stats) {
    if (s.n < 2) problems.push(`${f}: ${s.n} value(s); a normalization needs at least 2`);
    else if (!(s.sd > 0)) problems.push(`${f}: SD is 0 over ${s.n} values; a z-score cannot divide by it`);
  }
  return Object.fromEntries(stats) as Record<IctosFeature, FeatureNormalization & { n: number }>;
}

/** The files the service loads today: THRESHOLDS_FILE (`{ tbf }`) and ICTOS_NORMALIZATION_FILE (mean, sd per feature). */
export function serviceFiles(set: SiteThresholdSet): { thresholds: { tbf: TbfThresholdSet }; normalization?: IctosNormalization } {
  const norm = set.normalization;
  return {
    thresholds: { tbf: set.tbf },
    ...(norm !== undefined && {
      normalization: Object.fromEntries(Object.entries(norm).map(([f, s]) => [f, { mean: s.mean, sd: s.sd }])) as unknown as IctosNormalization,
    }),
  };
}
