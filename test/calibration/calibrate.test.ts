import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CalibrationError, calibrateCohortCsv, serviceFiles } from '../../src/calibration/calibrate';
import { parseCohortCsv } from '../../src/calibration/cohort';
import { loadConfig } from '../../src/config';
import { HEADER, liuCohort, NOW } from './liu-cohort';

describe('calibrating a site cohort', () => {
  it("on a cohort with Liu's group sizes and Table 5's counts, the Pre-TBF response rule gives > 137.07 with sensitivity 0.861 and specificity 0.684", () => {
    const set = calibrateCohortCsv(liuCohort(), { id: 'site-a', now: NOW, resamples: 200 });
    const r = set.rules.find((x) => x.rule === 'pre-tbf-response')!;
    expect([r.positives, r.negatives]).toEqual([36, 19]);
    expect(r.criterion).toBe('> 137.07');
    expect(r.sensitivity.toFixed(3)).toBe('0.861');
    expect(r.specificity.toFixed(3)).toBe('0.684');
    expect([r.truePositives, r.trueNegatives]).toEqual([31, 13]);
    expect(r.published.cutoff).toBe(137.07);
    expect(r.published.sensitivity.toFixed(3)).toBe('0.861');
    expect(r.published.specificity.toFixed(3)).toBe('0.684');
    expect(set.scannerFields).toEqual({ scanner: ['GE MR750, 3.0 T'] });
    expect(set.input.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(set.warnings.some((w) => w.includes('fewer than 50'))).toBe(true);
  });

  it("the produced set loads through the service's own configuration loader and validator", () => {
    const set = calibrateCohortCsv(liuCohort(), { id: 'site-a', now: NOW, resamples: 50 });
    const files = serviceFiles(set);
    const dir = mkdtempSync(join(tmpdir(), 'calib-'));
    writeFileSync(join(dir, 't.json'), JSON.stringify(files.thresholds));
    writeFileSync(join(dir, 'n.json'), JSON.stringify(files.normalization));
    const config = loadConfig({ THRESHOLDS_FILE: 't.json', ICTOS_NORMALIZATION_FILE: 'n.json', LOG_LEVEL: 'silent' }, dir);
    expect(config.thresholds.tbf.id).toBe('site-a');
    expect(config.thresholds.tbf.cutoffs['pre-tbf-response']).toBe(137.07);
    expect(config.normalization?.skewness.sd).toBeGreaterThan(0);
  });

  it('refuses a cohort with fewer than 10 of a class, naming the rule', () => {
    const text = [HEADER, ...Array.from({ length: 30 }, (_, i) => `p${i},${100 + i},50,${i < 25 ? 'PR' : 'SD'},${i % 2 ? 'yes' : 'no'},${i},${i},${i},x`)].join('\n');
    expect(() => calibrateCohortCsv(text, { id: 's', now: NOW })).toThrow(/pre-tbf-response: 25 positive and 5 negative/);
  });

  it('refuses a feature whose SD is 0', () => {
    const text = liuCohort().replace(/,(-?\d+),(\d+),(\d+),"GE/g, ',1,$2,$3,"GE');
    expect(() => calibrateCohortCsv(text, { id: 's', now: NOW, resamples: 10 })).toThrow(/skewness: SD is 0/);
  });

  it('a bad row fails the run with its line and reason unless bad rows are skipped', () => {
    const text = `${liuCohort()}\npx,abc,1,PR,no,1,1,1,x\npy,120,1,CR,no,1,1,1,x`;
    let caught: unknown;
    try {
      calibrateCohortCsv(text, { id: 's', now: NOW, resamples: 10 });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(CalibrationError);
    expect((caught as CalibrationError).problems).toEqual(['line 57: pre_tbf "abc" is not a number', 'line 58: response_40gy "CR" is not PR or SD']);
    const set = calibrateCohortCsv(text, { id: 's', now: NOW, resamples: 10, skipBadRows: true });
    expect(set.input.badRowsSkipped.map((b) => b.line)).toEqual([57, 58]);
  });
});

describe('the cohort CSV', () => {
  it('reads RFC 4180 quoted fields with commas, doubled quotes and line breaks, and counts lines from the record start', () => {
    const p = parseCohortCsv(`${HEADER}\r\np1,150,80,PR,no,1,2,3,"a, ""b""\nc"\r\np2,,,,,,,,`);
    expect(p.rows[0]!.extra['scanner']).toBe('a, "b"\nc');
    expect(p.rows[1]!.line).toBe(4);
    expect(p.rows[1]!.preTbf).toBeUndefined();
  });

  it('refuses a header without the required columns', () => {
    expect(() => parseCohortCsv('patient,pre_tbf\np1,1')).toThrow(/lacks post_tbf/);
  });
});
