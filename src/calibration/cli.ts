/**
 * `npm run calibrate -- --cohort FILE --out SET.json [--report REPORT.html] [--skip-bad-rows] [--seed N] [--id ID] [--version V]`.
 * FILE is a CSV or a FHIR Bundle (JSON whose resourceType is Bundle), told apart by its content; other
 * JSON is refused. Writes SET.json (the full site set), and beside it SET.thresholds.json and
 * SET.normalization.json, the files the service loads today as THRESHOLDS_FILE and ICTOS_NORMALIZATION_FILE.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { CalibrationError, calibrateCohortFile, serviceFiles } from './calibrate';
import { CohortFormatError } from './cohort';
import { renderReport } from './report';

/** Runs the CLI; returns the exit code. */
export function main(argv: readonly string[], log: (s: string) => void = (s) => process.stderr.write(`${s}\n`)): number {
  let args;
  try {
    args = parseArgs({
      args: [...argv],
      options: {
        cohort: { type: 'string' },
        out: { type: 'string' },
        report: { type: 'string' },
        'skip-bad-rows': { type: 'boolean', default: false },
        seed: { type: 'string', default: '1' },
        resamples: { type: 'string', default: '1000' },
        id: { type: 'string' },
        version: { type: 'string', default: '1' },
      },
      strict: true,
    }).values;
  } catch (err) {
    log(`calibrate: ${(err as Error).message}`);
    return 2;
  }
  const seed = Number(args.seed);
  const resamples = Number(args.resamples);
  if (args.cohort === undefined || args.out === undefined || !Number.isInteger(seed) || !Number.isInteger(resamples) || resamples < 1) {
    log('usage: npm run calibrate -- --cohort FILE --out SET.json [--report REPORT.html] [--skip-bad-rows] [--seed N] [--resamples N] [--id ID] [--version V]');
    log('  FILE: the cohort as CSV, or as a FHIR Bundle of its Observations (JSON); see docs/calibration.md');
    return 2;
  }
  const out = args.out;
  const id = args.id ?? basename(out).replace(/\.json$/i, '');
  try {
    const set = calibrateCohortFile(readFileSync(args.cohort, 'utf8'), { id, version: args.version, now: new Date(), seed, resamples, skipBadRows: args['skip-bad-rows'] });
    const stem = out.replace(/\.json$/i, '');
    const files = serviceFiles(set);
    writeFileSync(out, `${JSON.stringify(set, null, 2)}\n`);
    writeFileSync(`${stem}.thresholds.json`, `${JSON.stringify(files.thresholds, null, 2)}\n`);
    if (files.normalization !== undefined) writeFileSync(`${stem}.normalization.json`, `${JSON.stringify(files.normalization, null, 2)}\n`);
    if (args.report !== undefined) writeFileSync(args.report, renderReport(set));
    for (const w of set.warnings) log(`warning: ${w}`);
    log(`calibrate: wrote ${out} (${set.cohort.patients} patients)`);
    return 0;
  } catch (err) {
    if (err instanceof CalibrationError) {
      log('calibrate: no set produced:');
      for (const p of err.problems) log(`  ${p}`);
      return 1;
    }
    if (err instanceof CohortFormatError || (err as NodeJS.ErrnoException).code === 'ENOENT') {
      log(`calibrate: ${(err as Error).message}`);
      return 1;
    }
    throw err;
  }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
