/**
 * The response observed at 40 Gy (clinical-spec.md section 5, v2: predictions expire once their outcome
 * is observed): the tumor atrophy rate of Liu 2022 Eq. 3 from the maximum primary tumor diameters before
 * treatment and at the 40 Gy timepoint, and its RECIST 1.1 category. One reading for cards and app; its
 * words are in src/explain/labels.ts.
 */
import { tumorAtrophyRate, type RecistCategory } from '../core';
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
