import { assessPatient, DEFAULT_THRESHOLDS, TBF_RULE_IDS, tumorAtrophyRate, type RiskFactor } from '../../src/core';
import { extractInputs } from '../../src/fhir/extract';
import { reviewDraftOrders } from '../../src/fhir/orders';
import { draftOrdersFor } from '../support/app';
import { loadBundle, recordFromBundle, scenarios, type Scenario } from '../support/scenarios';

const FACTOR: Record<string, RiskFactor> = { t4: 't4', 'n2-n3': 'n2-n3', 'tumor-volume': 'tumor-volume-34ml', 'ebv-dna': 'ebv-dna-2000' };
const RECOMMENDATION: Record<string, string> = {
  'none-treatment-started': 'not-applicable:treatment-started',
  'none-out-of-scope': 'not-applicable:out-of-scope',
};

function run(s: Scenario) {
  const record = recordFromBundle(loadBundle(s.file), s.patientId);
  const extraction = extractInputs(record, s.now);
  const assessment = assessPatient(extraction.inputs, DEFAULT_THRESHOLDS, s.normalization);
  return { extraction, assessment };
}

const sorted = (xs: readonly string[] | undefined) => [...(xs ?? [])].sort();

/** The manifest's flags, in the extraction's vocabulary. */
const notesOf = (flags: readonly string[] = []) => sorted(flags.map((f) => (f.startsWith('converted-from') ? 'unit-converted' : f)));

describe.each(scenarios.map((s) => ({ s, name: s.file.replace('.bundle.json', '') })))('scenario $name', ({ s }) => {
  const e = s.expected;
  const { extraction, assessment } = run(s);

  test('the population gate, stage and edition are as the manifest states', () => {
    const p = assessment.population;
    expect(p.kind).toBe(e.population.status);
    if (e.population.reason !== undefined) expect(p).toMatchObject({ reason: e.population.reason });
    if (e.population.missing !== undefined) expect(sorted(p.kind === 'unconfirmed' ? p.missing : [])).toEqual(sorted(e.population.missing));
    if (e.stageGroup !== undefined && p.kind === 'in-scope') {
      expect(p.stageGroup).toBe(e.stageGroup.value);
      expect(p.stageSource === 'derived').toBe(e.stageGroup.derived);
    }
    if (e.stageGroup?.value === null) expect(p.kind === 'in-scope').toBe(false);
    if (e.edition !== undefined && e.population.status !== 'out-of-scope') {
      expect({ value: p.edition, assumed: p.editionAssumed }).toEqual(e.edition);
    }
  });

  test('treatment start and the TBF measurements are chosen as section 4 says', () => {
    if (e.treatmentStart === null) expect(extraction.treatment.start).toBeUndefined();
    else if (e.treatmentStart !== undefined) expect(extraction.treatment.start).toEqual(e.treatmentStart);
    for (const [key, input] of [['preTbf', 'pre-tbf'], ['postTbf', 'post-tbf']] as const) {
      const want = e[key];
      if (want === undefined) continue;
      const got = extraction.found[input];
      if (want === null) {
        expect(got).toBeUndefined();
        continue;
      }
      expect(got).toMatchObject({ value: want.value, unit: want.unit, provenance: { reference: want.reference } });
      expect(Date.parse(got?.provenance.effective ?? '')).toBe(Date.parse(want.date));
      expect(sorted(got?.provenance.notes)).toEqual(notesOf(want.flags));
    }
  });

  test('the TBF rules give the manifest\u2019s outcomes', () => {
    if (e.tbfRules === undefined || e.tbfRules === null) return;
    for (const rule of TBF_RULE_IDS) {
      const want = e.tbfRules[rule];
      const got = assessment.tbf[rule];
      expect({ rule, outcome: got.kind }).toEqual({ rule, outcome: want.outcome });
      if (want.value !== undefined && got.kind !== 'insufficient-data') expect(got.value).toBeCloseTo(want.value, 6);
      if (want.missing !== undefined && got.kind === 'insufficient-data') expect(sorted(got.missing)).toEqual(sorted(want.missing));
    }
    if (typeof e.deltaTbf === 'number') expect(assessment.tbf['delta-tbf-response']).toMatchObject({ value: e.deltaTbf });
  });

  test('ICTOS, the risk factors and the recommendation are as the manifest states', () => {
    if (e.ictos === null) expect(assessment.ictos.kind).toBe('insufficient-data');
    else if (e.ictos !== undefined) {
      expect(assessment.ictos).toMatchObject({ kind: e.ictos.class, source: e.ictos.source });
      if (assessment.ictos.kind !== 'insufficient-data') expect(assessment.ictos.score).toBeCloseTo(e.ictos.score, 4);
      if (e.ictos.reference !== undefined) expect(extraction.found.ictos?.provenance.reference).toBe(e.ictos.reference);
    }
    if (e.riskFactors !== undefined && e.riskFactors !== null) {
      for (const [factor, want] of Object.entries(e.riskFactors as Record<string, { state: string }>)) {
        const state = FACTOR[factor];
        if (state === undefined) throw new Error(`unknown factor ${factor} in the manifest`);
        const list = assessment.risk.present.includes(state) ? 'present' : assessment.risk.absent.includes(state) ? 'absent' : 'unknown';
        expect({ factor, state: list }).toEqual({ factor, state: want.state });
      }
    }
    if (e.risk !== undefined && e.risk !== null) {
      expect(assessment.risk.kind).toBe(e.risk.class);
      expect(sorted(assessment.risk.present.map((f) => Object.keys(FACTOR).find((k) => FACTOR[k] === f) ?? f))).toEqual(sorted(e.risk.present));
    }
    if (e.recommendation !== undefined) {
      const r = assessment.recommendation;
      const got = r.kind === 'not-applicable' ? `not-applicable:${r.reason}` : r.kind;
      expect(got).toBe(RECOMMENDATION[e.recommendation] ?? e.recommendation);
      if (e.recommendationMissing !== undefined) expect(sorted('missing' in r ? r.missing : [])).toEqual(sorted(e.recommendationMissing));
    }
  });

  if (e.systemicStart !== undefined || e.systemicBeforeRt !== undefined) {
    test('(v2) the systemic therapy start, its agents and how they were recognised, and whether it preceded RT', () => {
      const got = extraction.treatment.systemicStart;
      if (e.systemicStart === null) expect(got).toBeUndefined();
      else if (e.systemicStart !== undefined) {
        expect({ date: got?.date, reference: got?.reference }).toEqual({ date: e.systemicStart.date, reference: e.systemicStart.reference });
        expect(got?.agents.map((a) => ({ agent: a.agent?.id, recognisedBy: a.recognisedBy }))).toEqual(e.systemicStart.agents);
      }
      if (e.systemicBeforeRt !== undefined) expect(extraction.treatment.systemicBeforeRt).toBe(e.systemicBeforeRt);
    });
  }

  if (e.orderCheck?.recognisedBy !== undefined || e.orderCheck?.regimenOrders !== undefined) {
    test('(v2) the draft orders: each agent and how it was recognised, the regimen to remove and the platinum kept', () => {
      const review = reviewDraftOrders(draftOrdersFor(s.file));
      const all = [...review.regimen, ...review.platinumOrders, ...review.otherSystemic];
      for (const [reference, agents] of Object.entries((e.orderCheck.recognisedBy ?? {}) as Record<string, unknown>)) {
        const order = all.find((o) => o.reference === reference);
        expect({ reference, agents: order?.recognised.map((r) => ({ agent: r.agent?.id, recognisedBy: r.recognisedBy })) }).toEqual({ reference, agents });
      }
      if (e.orderCheck.regimenOrders !== undefined) expect(sorted(review.regimen.map((o) => o.reference))).toEqual(sorted(e.orderCheck.regimenOrders));
      if (e.orderCheck.concurrentKept !== undefined) expect(sorted(review.concurrentPlatinum)).toEqual(sorted(e.orderCheck.concurrentKept));
    });
  }

  if (e.atrophy !== undefined) {
    test('the tumor atrophy rate is computed from the chosen diameters', () => {
      const pre = extraction.found['mptd-pre'];
      const post = extraction.found['mptd-post'];
      expect(pre?.provenance.reference).toBe(e.atrophy.preReference);
      expect(post?.provenance.reference).toBe(e.atrophy.postReference);
      const rate = tumorAtrophyRate(Number(pre?.value), Number(post?.value));
      expect(rate).toMatchObject({ kind: 'computed', recist: e.atrophy.recist });
      if (rate.kind === 'computed') expect(rate.atrophyPercent).toBeCloseTo(e.atrophy.ratePercent, 1);
    });
  }
});
