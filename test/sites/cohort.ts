/**
 * A synthetic site cohort (never real patients) for the site-set tests: 32 partial responders with higher
 * tumor blood flow than 24 stable-disease patients, overlapping so that no rule is perfect, residual tumor
 * mostly among the stable ones, and three radiomic features. Deterministic: the same text every time.
 */
export function siteCohortCsv(): string {
  const lines = ['patient,pre_tbf,post_tbf,response_40gy,residual_1m,skewness,glcm_variance,glrlm_lrhgle,scanner'];
  for (let i = 0; i < 32; i++) {
    const pre = 150 + 2.5 * i;
    const post = pre - (70 + 1.5 * (i % 11));
    lines.push(`pr-${i},${pre},${post},PR,${i % 8 === 0 ? 'yes' : 'no'},${(0.1 * (i % 7) - 0.3).toFixed(2)},${(10 + (i % 5)).toFixed(1)},${(200 + 7 * (i % 9)).toFixed(1)},Site MR 3T`);
  }
  for (let i = 0; i < 24; i++) {
    const pre = 100 + 3 * i;
    const post = pre - (30 + 2 * (i % 13));
    lines.push(`sd-${i},${pre},${post},SD,${i % 5 === 0 ? 'no' : 'yes'},${(0.12 * (i % 6) - 0.1).toFixed(2)},${(12 + (i % 4)).toFixed(1)},${(180 + 9 * (i % 7)).toFixed(1)},Site MR 3T`);
  }
  return `${lines.join('\n')}\n`;
}
