/**
 * Benchmark (not a test): extraction of the rule inputs from a 5,000-Observation record, the size of a
 * long oncology history. Prints the timings and writes them to bench/RESULTS-extract.md.
 * Run with `npm run bench`.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Observation } from 'fhir/r4';
import { assessPatient } from '../src/core';
import { DEFAULT_CODE_LISTS, PROJECT_CODE_SYSTEM, SYSTEMS } from '../src/fhir/codes';
import { extractInputs } from '../src/fhir/extract';
import type { PatientRecord } from '../src/fhir/loader';

const OBSERVATIONS = 5000;
const WARMUP = 50;
const RUNS = 300;

function syntheticRecord(n: number): PatientRecord {
  const subject = { reference: 'Patient/bench' };
  const day = (i: number) => new Date(Date.UTC(2020, 0, 1) + i * 3_600_000).toISOString();
  const observations: Observation[] = [];
  for (let i = 0; i < n; i++) {
    const kind = i % 10;
    const base = { resourceType: 'Observation' as const, id: `o${i}`, subject, effectiveDateTime: day(i), status: i % 97 === 0 ? ('preliminary' as const) : ('final' as const) };
    if (kind === 0) {
      observations.push({ ...base, code: { coding: [{ system: PROJECT_CODE_SYSTEM, code: 'tumor-blood-flow' }] }, valueQuantity: { value: 100 + (i % 80), system: SYSTEMS.ucum, code: i % 20 === 0 ? 'mL/g/s' : 'mL/(100.g)/min' } });
    } else if (kind === 1) {
      observations.push({ ...base, code: { coding: [{ system: SYSTEMS.loinc, code: '47982-4' }] }, valueQuantity: { value: 1000 + i, system: SYSTEMS.ucum, code: '{copies}/mL' } });
    } else if (kind === 2) {
      observations.push({ ...base, code: { coding: [{ system: SYSTEMS.loinc, code: '21905-5' }] }, valueCodeableConcept: { text: `T${1 + (i % 4)}` } });
    } else {
      // Unrelated results that a real record is full of (blood counts, vitals).
      observations.push({ ...base, code: { coding: [{ system: SYSTEMS.loinc, code: `${7000 + kind}-0` }] }, valueQuantity: { value: i, unit: 'g/L' } });
    }
  }
  return {
    patient: { resourceType: 'Patient', id: 'bench' },
    conditions: [{ resourceType: 'Condition', id: 'c', subject, clinicalStatus: { coding: [{ code: 'active' }] }, code: { coding: [{ system: SYSTEMS.icd10cm, code: 'C11.9' }] } }],
    observations,
    procedures: [{ resourceType: 'Procedure', id: 'rt', status: 'completed', subject, code: { coding: [DEFAULT_CODE_LISTS.radiotherapy[0] ?? { code: '' }] }, performedPeriod: { start: day(n - 800), end: day(n + 200) } }],
    medicationAdministrations: [],
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}

const record = syntheticRecord(OBSERVATIONS);
const now = '2021-01-01T00:00:00Z';
for (let i = 0; i < WARMUP; i++) assessPatient(extractInputs(record, now).inputs);
const times: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const t0 = process.hrtime.bigint();
  const x = extractInputs(record, now);
  assessPatient(x.inputs);
  times.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
times.sort((a, b) => a - b);
const mean = times.reduce((a, b) => a + b, 0) / times.length;
const row = (label: string, v: number) => `| ${label} | ${v.toFixed(2)} ms |`;
const report = [
  '# Extraction benchmark',
  '',
  `Extraction of the rule inputs plus all rules, from a record of ${OBSERVATIONS} Observations`,
  `(10 % TBF, 10 % EBV DNA, 10 % T staging, 70 % unrelated), one core, ${RUNS} runs after ${WARMUP} warm-up runs.`,
  `Node ${process.version}, ${new Date().toISOString().slice(0, 10)}. Target: ≤ 50 ms.`,
  '',
  '| statistic | time |',
  '|---|---|',
  row('mean', mean),
  row('median', percentile(times, 0.5)),
  row('p95', percentile(times, 0.95)),
  row('p99', percentile(times, 0.99)),
  row('max', times[times.length - 1] ?? Number.NaN),
  '',
].join('\n');
process.stdout.write(report);
writeFileSync(path.resolve(__dirname, '../../bench/RESULTS-extract.md'), report);
