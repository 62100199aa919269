/**
 * A calibration cohort (issue 17), whatever file it came from (CSV: src/calibration/cohort.ts; FHIR
 * Bundle: src/fhir/cohort-bundle.ts): one row per patient, and the rows that could not be used.
 */

export const REQUIRED_COLUMNS = ['patient', 'pre_tbf', 'post_tbf', 'response_40gy', 'residual_1m', 'skewness', 'glcm_variance', 'glrlm_lrhgle'] as const;

/** One usable patient row. Absent fields were empty (not measured). */
export interface CohortRow {
  readonly line: number;
  readonly patient: string;
  readonly preTbf?: number;
  readonly postTbf?: number;
  readonly response40Gy?: 'PR' | 'SD';
  readonly residual1m?: boolean;
  readonly skewness?: number;
  readonly glcmVariance?: number;
  readonly glrlmLrhgle?: number;
  /** The other columns, by header name (e.g. scanner, protocol). */
  readonly extra: Readonly<Record<string, string>>;
}

export interface BadRow {
  readonly line: number;
  readonly reason: string;
}

export interface ParsedCohort {
  readonly header: readonly string[];
  readonly rows: readonly CohortRow[];
  readonly badRows: readonly BadRow[];
}

export class CohortFormatError extends Error {}
