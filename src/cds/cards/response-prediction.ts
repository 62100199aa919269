/** The response-prediction card: the five tumor-blood-flow rules of Liu 2022, or a site threshold set (issue 17). */
import { RESIDUAL_RULES, TBF_EVIDENCE, TBF_RULE_IDS, populationDoubts, tbfOutlook, type TbfRuleResult } from '../../core';
import { observedResponse } from '../../fhir/observed';
import { ageText, observedResponseLines, RECIST_SHORT } from '../../explain/labels';
import { inputRows, tbfFindings, unusableLines } from '../basis';
import { num, phraseMd, text, trusted, type Md } from '../markdown';
import { EN } from '../../explain/en';
import { tbfEvidenceLine, tbfRuleLine } from '../../explain/tbf';
import { value } from '../../explain/phrase';
import { SITE_CALIBRATION_LIMITATION, siteCalibrationStatement, siteRuleFigures, type SiteCalibration } from '../../site-profiles';
import { PATIENT_VIEW_OVERRIDE_REASONS } from '../vocabulary';
import { type BuiltCard, type CardContext, TBF_KEYS, card, caveats, citation, populationSection, withCaveat } from './envelope';

function tbfRuleRow(result: TbfRuleResult, ctx: CardContext): Md {
  const site = ctx.profile?.calibration;
  return phraseMd(tbfRuleLine(result, site === undefined ? undefined : [value(siteRuleFigures(site.rules[result.rule], site))]));
}

const fixed3 = (x: number): string => x.toFixed(3);

/** The site's calibration, said first on the TBF card: whose cutoffs these are. */
function siteCalibrationCaveat(ctx: CardContext): Md[] {
  const site = ctx.profile?.calibration;
  if (site === undefined) return [];
  return [text(siteCalibrationStatement(site), 600)];
}

function tbfEvidence(ctx: CardContext): Md[] {
  const site = ctx.profile?.calibration;
  return site === undefined ? liuEvidence(ctx, '') : [...siteEvidence(ctx, site), ...liuEvidence(ctx, EN.rules.publishedNotUsed)];
}

function siteEvidence(ctx: CardContext, site: SiteCalibration): Md[] {
  const rows: Md[] = [];
  for (const rule of TBF_RULE_IDS) {
    if (ctx.assessment.tbf[rule].kind === 'insufficient-data') continue;
    const ev = TBF_EVIDENCE[rule];
    const r = site.rules[rule];
    const above = r.truePositives + (r.negatives - r.trueNegatives);
    const atOrBelow = r.trueNegatives + (r.positives - r.truePositives);
    const interval = r.cutoffBootstrapCi !== undefined ? `; bootstrap 95% interval of the cutoff ${num(r.cutoffBootstrapCi[0])}\u2013${num(r.cutoffBootstrapCi[1])}` : '';
    rows.push(
      trusted(
        `${rule} (local calibration, ${text(site.id)}): of ${above} patients at this site above ${num(r.cutoff)}, ${r.truePositives} had ${ev.favorableOutcome}; ` +
          `of ${atOrBelow} at or below, ${r.trueNegatives} had ${ev.unfavorableOutcome}. AUC ${fixed3(r.auc)} (95% CI ${fixed3(r.aucCi[0])}\u2013${fixed3(r.aucCi[1])})${interval}.`,
      ),
    );
  }
  const scanners = Object.entries(site.scannerFields).map(([k, v]) => `${k}: ${v.join(', ')}`);
  rows.push(
    text(
      `Site cohort: ${site.patients} patients; cohort file SHA-256 ${site.inputSha256.slice(0, 12)}\u2026${scanners.length > 0 ? `; ${scanners.join('; ')}` : ''}.`,
      600,
    ),
  );
  return rows;
}

function liuEvidence(ctx: CardContext, prefix: string): Md[] {
  const rows = TBF_RULE_IDS.filter((rule) => ctx.assessment.tbf[rule].kind !== 'insufficient-data').map((rule) => trusted(`${prefix}${tbfEvidenceLine(rule)}`));
  return [...rows, trusted(EN.rules.cohort)];
}

/** The observed response at 40 Gy, when both diameters are recorded (Liu 2022 Eq. 3, Table 2). */
function observedLines(ctx: CardContext): Md[] {
  const observed = observedResponse(ctx.extraction);
  return observed === undefined ? [] : observedResponseLines(observed).map((l) => text(l, 400));
}

function tbfRuleLines(ctx: CardContext): Md[] {
  const { extraction } = ctx;
  const lines: Md[] = [];
  const pre = extraction.found['pre-tbf'];
  const post = extraction.found['post-tbf'];
  const delta = ctx.assessment.tbf['delta-tbf-response'];
  if (typeof pre?.value === 'number' && typeof post?.value === 'number' && delta.kind !== 'insufficient-data') {
    lines.push(trusted(EN.tbf.delta(num(pre.value), num(post.value), num(delta.value))));
  }
  if (TBF_RULE_IDS.some((r) => ctx.assessment.tbf[r].kind === 'not-applicable' && (ctx.assessment.tbf[r] as { reason: string }).reason === 'induction-before-rt')) {
    lines.push(trusted(EN.rules.inductionBeforeRt));
  }
  lines.push(trusted(EN.tbf.postTbfNotARule), trusted(EN.tbf.associations));
  return lines;
}

function responseSummary(ctx: CardContext): string {
  const { assessment } = ctx;
  const tbf = assessment.tbf;
  const doubts = populationDoubts(assessment.population);
  if (TBF_RULE_IDS.every((r) => tbf[r].kind !== 'favorable' && tbf[r].kind !== 'unfavorable')) {
    const why = TBF_RULE_IDS.some((r) => tbf[r].kind === 'not-applicable' && (tbf[r] as { reason: string }).reason === 'induction-before-rt')
      ? EN.rules.noPredictionAfterInduction
      : EN.rules.predictionsExpired;
    return withCaveat((caveat) => ctx.templates.summary('response-prediction', { response: EN.rules.valuesShown, residual: `${why}${caveat}` }), doubts);
  }
  const { response, residual, weakOnly } = tbfOutlook(tbf);
  const residualExpired = RESIDUAL_RULES.some((r) => tbf[r].kind === 'not-applicable');
  const observed = observedResponse(ctx.extraction);
  const responseText = observed !== undefined ? EN.rules.observedAt40Gy(RECIST_SHORT[observed.recist]) : `${EN.rules.responseDirection[response]}${weakOnly ? EN.rules.weakOnly.short : ''}`;
  const residualText = residualExpired ? EN.rules.residualExpired : EN.rules.residualDirection[residual];
  return withCaveat((caveat) => ctx.templates.summary('response-prediction', { response: responseText, residual: `${residualText}${caveat}` }), doubts);
}

export function responsePredictionCard(ctx: CardContext): BuiltCard {
  const { assessment, extraction, templates } = ctx;
  const detail = templates.detail('response-prediction', {
    headline: trusted(EN.rules.headline),
    caveats: [...siteCalibrationCaveat(ctx), ...caveats(ctx)],
    population: populationSection(ctx),
    inputs: inputRows(TBF_KEYS, extraction),
    unusable: unusableLines(['pre-tbf', 'post-tbf'], extraction),
    ruleRows: TBF_RULE_IDS.map((r) => tbfRuleRow(assessment.tbf[r], ctx)),
    observed: observedLines(ctx),
    rules: tbfRuleLines(ctx),
    evidence: tbfEvidence(ctx),
    limitations: [...(ctx.profile?.calibration !== undefined ? [trusted(SITE_CALIBRATION_LIMITATION)] : []), ...EN.limitations.liu.map((l) => trusted(l)), ...(assessment.population.age.recorded && !assessment.population.age.withinLiuRange ? [text(ageText(assessment.population.age))] : [])],
    citations: [citation('liu-2022')],
  });
  return card(
    ctx,
    'response-prediction',
    { summary: responseSummary(ctx), detail, indicator: 'info', paper: 'liu-2022', overrideReasons: [...PATIENT_VIEW_OVERRIDE_REASONS] },
    tbfFindings(assessment, extraction),
  );
}
