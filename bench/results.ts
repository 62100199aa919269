/**
 * What the benchmark scripts share: bench/RESULTS.md, where `npm run bench` writes its report and the soak
 * and fuzz runs keep a section each between markers (`<!-- soak:start -->` ... `<!-- soak:end -->`), and
 * the machine's CPU time, to recognise a run disturbed by other processes.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const RESULTS_FILE = path.resolve(__dirname, '../../bench/RESULTS.md');

const marks = (name: string) => ({ start: `<!-- ${name}:start -->`, end: `<!-- ${name}:end -->` });
const SECTION = /<!-- ([a-z]+):start -->[\s\S]*?<!-- \1:end -->/g;

const read = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : '');

/** Replaces the section `name` (markers included) in the results file, or appends it; the rest stays. */
export function writeResultsSection(name: string, section: string, file: string = RESULTS_FILE): void {
  const old = read(file);
  const { start, end } = marks(name);
  const block = `${start}\n${section}\n${end}`;
  const a = old.indexOf(start);
  const b = old.indexOf(end);
  const updated = a >= 0 && b > a ? `${old.slice(0, a)}${block}${old.slice(b + end.length)}` : `${old.replace(/\s*$/, '')}${old === '' ? '' : '\n\n'}${block}\n`;
  writeFileSync(file, updated);
}

/** Writes the throughput report as the file's main text, keeping the marked sections of the other runs after it. */
export function writeResultsReport(report: string, file: string = RESULTS_FILE): void {
  const sections = read(file).match(SECTION) ?? [];
  writeFileSync(file, [report.replace(/\s*$/, ''), ...sections].join('\n\n') + '\n');
}

/** CPU time of the whole machine (all cores), in milliseconds: busy and total. */
export function machineCpuMs(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const c of os.cpus()) {
    const t = c.times;
    busy += t.user + t.nice + t.sys + t.irq;
    total += t.user + t.nice + t.sys + t.irq + t.idle;
  }
  return { busy, total };
}
