/**
 * The SMART app's page for every fixture scenario, rendered in Node from the real templates with the
 * bundler's options (strict mode, HTML escaping): the view model reaches the conclusions the manifest
 * expects, and the templates render it without a missing field. The browser tests (test/e2e) do the
 * same for a few patients through a real launch.
 */
import type { Observation } from 'fhir/r4';
import { assessPatient, DEFAULT_THRESHOLDS } from '../../src/core';
import { DEFAULT_CODE_LISTS } from '../../src/fhir/codes';
import { extractInputs } from '../../src/fhir/extract';
import { captureModel, canCreateObservations } from '../../src/app/capture-view';
import { formatNumber, pageModel, type PageInput, type PageModel } from '../../src/app/view-model';
import { appPage, compileAppTemplate } from '../support/app-page';
import { staging } from '../support/fhir-builders';
import { loadBundle, recordFromBundle, scenarios, type Scenario } from '../support/scenarios';

const page = appPage;
const capture = compileAppTemplate('capture.html.hbs');

function input(s: Scenario, overrides: Partial<PageInput> = {}): PageInput {
  const record = recordFromBundle(loadBundle(s.file), s.patientId);
  const extraction = extractInputs(record, s.now, { codes: DEFAULT_CODE_LISTS, thresholds: DEFAULT_THRESHOLDS });
  const assessment = assessPatient(extraction.inputs, DEFAULT_THRESHOLDS, s.normalization);
  return { record, extraction, assessment, thresholds: DEFAULT_THRESHOLDS, codes: DEFAULT_CODE_LISTS, needPatientBanner: true, ...overrides };
}

/** The manifest's recommendation vocabulary, as the page's recommendation kind. */
const EXPECTED_KIND: Readonly<Record<string, string>> = {
  'ict-ccrt': 'ict-ccrt',
  'ccrt-alone': 'ccrt-alone',
  'clinical-trial': 'clinical-trial',
  undetermined: 'undetermined',
  'insufficient-data': 'insufficient-data',
  'none-treatment-started': 'not-applicable',
  'none-out-of-scope': 'not-applicable',
  'not-applicable:recurrent-disease': 'not-applicable',
  'not-applicable:n0': 'not-applicable',
  'not-applicable:under-18': 'not-applicable',
  'not-applicable:ambiguous-edition': 'not-applicable',
};

describe.each(scenarios.map((s) => [s.file, s] as const))('%s', (_file, s) => {
  const model = pageModel(input(s));
  const html = page(model);

  test('the recommendation is the one the manifest expects', () => {
    expect(model.recommendation.kind).toBe(EXPECTED_KIND[String(s.expected['recommendation'])]);
  });

  test('the population status is the one the manifest expects, and rules are shown only inside the population', () => {
    expect(model.population.status).toBe(s.expected['population']['status']);
    // No rule outside the studied population, nor where the staging leaves it undecided (v2: IVB without an edition).
    const undecided = String(s.expected['recommendation']) === 'not-applicable:ambiguous-edition';
    expect(model.tbf.rules.length > 0).toBe(s.expected['population']['status'] !== 'out-of-scope' && !undecided);
  });

  test('the page renders in strict mode with no undefined, NaN or unescaped markup', () => {
    expect(html).not.toMatch(/undefined|NaN|\[object Object\]/);
    expect(html).toContain('<h2 id="population-heading">');
  });

  test('the Pre-TBF the manifest expects is in the inputs table with its source', () => {
    const pre = s.expected['preTbf'] as { value: number; reference: string } | null | undefined;
    const row = model.inputs.rows.find((r) => r.label.startsWith('Pre-TBF'));
    if (pre === null || pre === undefined) {
      expect(row).toBeUndefined();
    } else {
      expect(row).toMatchObject({ value: formatNumber(pre.value), source: pre.reference });
    }
  });

  test('each risk factor state is the one the manifest expects, inside the studied population', () => {
    const factors = s.expected['riskFactors'] as Record<string, { state: string }> | undefined;
    if (!model.population.rulesApply) {
      expect(model.risk.factors).toEqual([]);
      return;
    }
    if (factors === undefined) return;
    const byLabel = (prefix: string) => model.risk.factors.find((f) => f.label.startsWith(prefix))?.state;
    expect({ t4: byLabel('T4'), n: byLabel('N2'), volume: byLabel('primary tumor volume'), ebv: byLabel('plasma EBV DNA') }).toEqual({
      t4: factors['t4']?.state,
      n: factors['n2-n3']?.state,
      volume: factors['tumor-volume']?.state,
      ebv: factors['ebv-dna']?.state,
    });
  });
});

describe('the page as a whole', () => {
  const s = scenarios.find((x) => x.file === 'complete-pre-treatment-high-ictos.bundle.json') as Scenario;

  test('text from the record is escaped, never markup', () => {
    const base = input(s);
    const hostile: Observation[] = base.record.observations.map((o) => (o.id === 'hi-tbf' ? { ...o, id: 'x"><script>alert(1)</script>' } : o));
    const record = { ...base.record, patient: { resourceType: 'Patient' as const, id: s.patientId, name: [{ text: '<img src=x onerror=alert(1)>' }] }, observations: hostile };
    const extraction = extractInputs(record, s.now);
    const html = page(pageModel({ ...base, record, extraction, assessment: assessPatient(extraction.inputs) }));
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;');
  });

  test('the banner is shown only when the EHR asks for it', () => {
    expect(page(pageModel(input(s)))).toContain('class="banner"');
    expect(page(pageModel(input(s, { needPatientBanner: false })))).not.toContain('class="banner"');
  });

  test.each([
    ['{"card":"treatment-selection","service":"npc-treatment-guidance","rules":["ictos"]}', 'treatment'],
    ['{"card":"response-prediction","service":"npc-treatment-guidance","rules":["pre-tbf-response"]}', 'response'],
    ['{"card":"missing-data","service":"npc-treatment-guidance","rules":[]}', 'inputs'],
    ['{"card":"order-check","service":"npc-induction-order-check-sign","rules":["order-check"]}', 'order'],
    ['{"card":"<b>unknown</b>"}', ''],
    ['not json', ''],
  ])('the appContext %s marks the section "%s"', (appContext, focus) => {
    const origin = pageModel(input(s, { appContext })).origin;
    expect(origin.focus).toBe(focus);
    expect(origin.show).toBe(focus !== '');
  });
});

describe('where the service gives no rule result, neither does the app', () => {
  const fig4 = scenarios.find((x) => x.file === 'tbf-liu-fig4-patient.bundle.json') as Scenario;
  const withRecord = (s: Scenario, change: (r: PageInput['record']) => PageInput['record']): PageModel => {
    const base = input(s);
    const record = change(base.record);
    const extraction = extractInputs(record, s.now);
    return pageModel({ ...base, record, extraction, assessment: assessPatient(extraction.inputs) });
  };

  test('a contradictory M category on the same date: no rule, no ICTOS, no risk, and the page says the staging conflicts', () => {
    const model = withRecord(fig4, (r) => {
      const m = r.observations.find((o) => (o.code.coding ?? []).some((c) => c.code === DEFAULT_CODE_LISTS.mCategory[0]?.code)) as Observation;
      return { ...r, observations: [...r.observations, staging('M', 'M1', m.effectiveDateTime ?? '', { id: 'f4-m1', subject: { reference: 'Patient/f4-patient' } })] };
    });
    expect(model.population).toMatchObject({ status: 'conflict', rulesApply: false });
    expect(model.tbf.rules).toEqual([]);
    expect(model.ictos.available).toBe(false);
    expect(model.risk.factors).toEqual([]);
    expect(model.recommendation.kind).toBe('not-applicable');
    expect(page(model)).not.toMatch(/favorable:|nearer the/);
  });

  test.each(['out-of-scope-distant-metastasis', 'no-npc-condition'])('%s: no ICTOS class, no risk result and no group comparison is shown', (file) => {
    const model = pageModel(input(scenarios.find((x) => x.file === `${file}.bundle.json`) as Scenario));
    expect(model.ictos).toMatchObject({ available: false, hasFeatures: false });
    expect(model.risk.factors).toEqual([]);
    expect(page(model)).not.toMatch(/high ICTOS|low ICTOS|High risk|Low risk|nearer the/);
  });

  test('with only a Post-TBF, the summary speaks of response through the weak rule and calls residual tumor not assessable', () => {
    const model = withRecord(fig4, (r) => ({ ...r, observations: r.observations.filter((o) => o.id !== 'f4-tbf-pre') }));
    expect(model.tbf.summary).toBe('Tumor blood flow favors partial response at 40 Gy (weak rule: Post-TBF alone); residual tumor not assessable.');
  });

  test('TBF Observations with a status the extraction ignores are not plotted', () => {
    const model = withRecord(fig4, (r) => ({ ...r, observations: r.observations.map((o) => (o.id === 'f4-tbf-post' ? { ...o, status: 'registered' as const } : o)) }));
    expect(model.tbf.timeline.points.map((p) => p.reference)).toEqual(['Observation/f4-tbf-pre']);
  });
});

describe('the capture forms', () => {
  test.each([
    ['patient/Observation.c', true],
    ['patient/Observation.cruds', true],
    ['patient/Observation.write', true],
    ['patient/*.write', true],
    ['user/Observation.*', true],
    ['patient/Observation.rs', false],
    ['patient/Observation.read', false],
    ['patient/Condition.c', false],
    ['launch openid fhirUser', false],
  ])('the granted scope "%s" allows creating Observations: %s', (scope, allowed) => {
    expect(canCreateObservations(scope)).toBe(allowed);
  });

  test('every input has a label, a hint and an error slot, and the forms are disabled without write scope', () => {
    const writable = capture(captureModel('patient/Observation.rs patient/Observation.c', '2026-06-01'));
    const ids = [...writable.matchAll(/<input id="([^"]+)"/g)].map((m) => m[1]);
    expect(ids.length).toBe(11);
    for (const id of ids) {
      expect(writable).toContain(`<label for="${id}">`);
      expect(writable).toContain(`aria-describedby="${id}-help ${id}-error"`);
    }
    expect(writable).toContain('max="2026-06-01"');
    expect(writable).not.toMatch(/<button type="submit" disabled/);
    const readOnly = capture(captureModel('patient/Observation.rs', '2026-06-01'));
    expect(readOnly).toMatch(/<button type="submit" disabled/);
    expect(readOnly).toContain('not granted permission to create Observations');
  });
});
