/** Times calibrating a synthetic 10,000-patient cohort, 1000 bootstrap resamples per rule: `node dist/bench/calibrate.js`. */
import { calibrateCohortCsv } from '../src/calibration/calibrate';
import { mulberry32 } from '../src/calibration/stats';

const rand = mulberry32(42);
const normal = (m: number, s: number): number => m + s * Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
const lines = ['patient,pre_tbf,post_tbf,response_40gy,residual_1m,skewness,glcm_variance,glrlm_lrhgle'];
for (let i = 0; i < 10_000; i++) {
  const pr = rand() < 0.65;
  const pre = Math.max(0, normal(pr ? 155.59 : 129.87, 18)).toFixed(2);
  const post = Math.max(0, normal(pr ? 80 : 95, 20)).toFixed(2);
  lines.push(`p${i},${pre},${post},${pr ? 'PR' : 'SD'},${rand() < 0.3 ? 'yes' : 'no'},${normal(0, 1).toFixed(3)},${normal(5, 2).toFixed(3)},${normal(3, 1).toFixed(3)}`);
}
const text = lines.join('\n');
const t0 = process.hrtime.bigint();
const set = calibrateCohortCsv(text, { id: 'bench', now: new Date(), resamples: 1000, seed: 1 });
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
process.stdout.write(`calibrate: ${set.cohort.patients} patients, 5 rules x ${set.settings.resamples} resamples: ${(ms / 1000).toFixed(2)} s\n`);
