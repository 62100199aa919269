/**
 * The response observed at 40 Gy (clinical-spec.md section 5, v2: predictions expire once their outcome
 * is observed): the tumor atrophy rate of Liu 2022 Eq. 3 from the maximum primary tumor diameters before
 * treatment and at the 40 Gy timepoint, and its RECIST 1.1 category. One reading for cards and app.
 */
import { LIU_TABLE_2, percentText, RECIST_TEXT, tumorAtrophyRate, type RecistCategory } from '../core';
import type { Extraction } from './extract';

export interface ObservedResponse {
  /** Maximum primary tumor diameter before treatment, mm. */
  readonly pre: number;
  /** The same at the 40 Gy timepoint, mm. */
  readonly post: number;
  readonly atrophyPercent: number;
  readonly recist: RecistCategory;
}

/** The observed response, when both diameters were found and the atrophy rate can be computed. */
export function observedResponse(extraction: Extraction): ObservedResponse | undefined {
  const pre = extraction.found['mptd-pre']?.value;
  const post = extraction.found['mptd-post']?.value;
  if (typeof pre !== 'number' || typeof post !== 'number') return undefined;
  const atrophy = tumorAtrophyRate(pre, post);
  return atrophy.kind === 'computed' ? { pre, post, atrophyPercent: atrophy.atrophyPercent, recist: atrophy.recist } : undefined;
}

/**
 * The observed response in words, labelled "observed" (not a prediction), and what Liu 2022 Table 2 found
 * after it: residual tumor at one month in 5 of 36 PR and 12 of 19 SD patients. One wording for cards and app.
 */
export function observedResponseLines(o: ObservedResponse): string[] {
  const t2 = LIU_TABLE_2;
  const share = (n: number, d: number) => percentText(n / d);
  return [
    `Observed at 40 Gy: tumor atrophy rate (Liu 2022 Eq. 3) = (${o.pre} \u2212 ${o.post}) / ${o.pre} = ${o.atrophyPercent.toFixed(1)}%: ${RECIST_TEXT[o.recist]} (RECIST 1.1, single-diameter reading). This is the measured response, not a prediction.`,
    `Liu 2022 Table 2: residual tumor one month after CRT in ${t2.pr.residual} of ${t2.pr.total} PR patients (${share(t2.pr.residual, t2.pr.total)}) and ${t2.sd.residual} of ${t2.sd.total} SD patients (${share(t2.sd.residual, t2.sd.total)}), Pearson \u03c7\u00b2 ${t2.chiSquared}.`,
  ];
}
