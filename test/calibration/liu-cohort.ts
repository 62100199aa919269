/** The synthetic cohort of Liu 2022's group sizes, shared by the CSV and the FHIR Bundle tests. */
export const HEADER = 'patient,pre_tbf,post_tbf,response_40gy,residual_1m,skewness,glcm_variance,glrlm_lrhgle,scanner';
export const NOW = new Date('2026-12-06T12:00:00Z');

/**
 * Liu 2022 Table 5, Pre-TBF for PR vs SD: cutoff 137.07, 31/36 PR above, 13/19 SD at or below.
 * 36 PR (31 from 140 up, 5 from 90 to 94), 19 SD (12 from 100 to 111, one at 137.07, 6 from 210 up).
 * Residual: 38 without / 17 with, alternating so that both classes hold 10 or more.
 */
export function liuCohort(): string {
  const pre: [number, 'PR' | 'SD'][] = [
    ...Array.from({ length: 31 }, (_, i) => [140 + i * 2, 'PR'] as [number, 'PR']),
    ...Array.from({ length: 5 }, (_, i) => [90 + i, 'PR'] as [number, 'PR']),
    ...Array.from({ length: 12 }, (_, i) => [100 + i, 'SD'] as [number, 'SD']),
    [137.07, 'SD'],
    ...Array.from({ length: 6 }, (_, i) => [210 + i, 'SD'] as [number, 'SD']),
  ];
  const lines = pre.map(([v, r], i) => `p${i},${v},${(v * 0.6).toFixed(2)},${r},${i % 55 < 17 ? (i % 3 === 0 ? 'yes' : 'no') : i < 38 ? 'no' : 'yes'},${(i % 7) - 3},${10 + (i % 5)},${i % 4},"GE MR750, 3.0 T"`);
  return [HEADER, ...lines].join('\n');
}
