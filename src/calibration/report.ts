/** The committee's report of a site calibration: one self-contained HTML page, ROC curves as inline SVG. */
import type { RuleCalibration, SiteThresholdSet } from './calibrate';

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

const f3 = (x: number): string => x.toFixed(3);
const ci = (c: readonly [number, number]): string => `${f3(c[0])}–${f3(c[1])}`;

/** The ROC curve of one rule as an SVG (1 − specificity across, sensitivity up), with the chosen cutoff marked. */
export function rocSvg(rule: RuleCalibration, size = 240): string {
  const pad = 30;
  const s = size - 2 * pad;
  const x = (fpr: number): string => (pad + fpr * s).toFixed(1);
  const y = (tpr: number): string => (pad + (1 - tpr) * s).toFixed(1);
  const path = rule.roc.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.fpr)},${y(p.tpr)}`).join(' ');
  const cx = x(1 - rule.specificity);
  const cy = y(rule.sensitivity);
  const label = escapeHtml(`${rule.rule}, AUC ${f3(rule.auc)}`);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" role="img" aria-label="${label}">`,
    `<rect x="${pad}" y="${pad}" width="${s}" height="${s}" fill="none" stroke="#888"/>`,
    `<line x1="${x(0)}" y1="${y(0)}" x2="${x(1)}" y2="${y(1)}" stroke="#ccc" stroke-dasharray="4"/>`,
    `<path d="${path}" fill="none" stroke="#1f5fa8" stroke-width="2"/>`,
    `<circle cx="${cx}" cy="${cy}" r="4" fill="#c0392b"/>`,
    `<text x="${size / 2}" y="${size - 6}" text-anchor="middle" font-size="11">1 − specificity</text>`,
    `<text x="10" y="${size / 2}" font-size="11" transform="rotate(-90 10 ${size / 2})" text-anchor="middle">sensitivity</text>`,
    `<text x="${size / 2}" y="16" text-anchor="middle" font-size="12">${label}</text>`,
    '</svg>',
  ].join('');
}

/** The whole report page. Everything taken from the cohort file is escaped. */
export function renderReport(set: SiteThresholdSet): string {
  const e = escapeHtml;
  const rows = set.rules
    .map(
      (r) =>
        `<tr><td>${e(r.rule)}</td><td>${e(r.measure)}</td><td>${e(r.positiveClass)}</td><td>${r.positives}/${r.negatives}</td>` +
        `<td>${e(r.criterion)}</td><td>${f3(r.cutoffBootstrapCi[0])}–${f3(r.cutoffBootstrapCi[1])}</td><td>${f3(r.auc)} (${ci(r.aucCi)})</td>` +
        `<td>${f3(r.sensitivity)} (${ci(r.sensitivityCi)}) ${r.truePositives}/${r.positives}</td>` +
        `<td>${f3(r.specificity)} (${ci(r.specificityCi)}) ${r.trueNegatives}/${r.negatives}</td>` +
        `<td>&gt; ${r.published.cutoff}: ${f3(r.published.sensitivity)} / ${f3(r.published.specificity)}</td></tr>`,
    )
    .join('\n');
  const norm =
    set.normalization === undefined
      ? '<p>No radiomic feature values: no normalization.</p>'
      : `<table><tr><th>feature</th><th>n</th><th>mean</th><th>SD</th></tr>${Object.entries(set.normalization)
          .map(([f, s]) => `<tr><td>${e(f)}</td><td>${s.n}</td><td>${e(String(s.mean))}</td><td>${e(String(s.sd))}</td></tr>`)
          .join('')}</table>`;
  const scanner = Object.entries(set.scannerFields)
    .map(([k, v]) => `<li>${e(k)}: ${v.map(e).join(', ') || '(empty)'}</li>`)
    .join('');
  const warnings = set.warnings.map((w) => `<li>${e(w)}</li>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Site calibration ${e(set.id)} v${e(set.version)}</title>
<style>body{font-family:sans-serif;max-width:72rem;margin:1rem auto;padding:0 1rem}table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #bbb;padding:.25rem .5rem;font-size:.9rem}svg{margin:.25rem}</style>
</head><body>
<h1>Site calibration ${e(set.id)} v${e(set.version)}</h1>
<p>Created ${e(set.created)}. Input (${e(set.input.format === 'csv' ? 'CSV' : 'FHIR Bundle')}) SHA-256 <code>${e(set.input.sha256)}</code>. ${set.cohort.patients} patients: ${set.cohort.response40Gy.PR} PR / ${set.cohort.response40Gy.SD} SD at 40 Gy; ${set.cohort.residual1m.noResidual} without / ${set.cohort.residual1m.residual} with residual tumor at one month.</p>
<p>Criterion "&gt; x": a value strictly above x is the favorable side. AUC CI: ${e(set.settings.aucCi)}. Proportion CIs: ${e(set.settings.proportionCi)}. Cutoff interval: percentile bootstrap, ${set.settings.resamples} stratified resamples, seed ${set.settings.seed}. The cutoffs are chosen in-sample (Youden) and are optimistic on this same cohort.</p>
${warnings === '' ? '' : `<h2>Warnings</h2><ul>${warnings}</ul>`}
<h2>ROC curves</h2>
<div>${set.rules.map((r) => rocSvg(r)).join('\n')}</div>
<h2>Rules</h2>
<table><tr><th>rule</th><th>measure</th><th>positive class</th><th>pos/neg</th><th>criterion</th><th>cutoff 95% bootstrap</th><th>AUC (95% CI)</th><th>sensitivity (95% CI)</th><th>specificity (95% CI)</th><th>Liu's cutoff here: sens / spec</th></tr>
${rows}
</table>
<h2>ICTOS feature normalization</h2>
${norm}
<h2>Scanner and protocol fields</h2>
${scanner === '' ? '<p>None found.</p>' : `<ul>${scanner}</ul>`}
</body></html>
`;
}
