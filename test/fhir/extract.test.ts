import { extractInputs } from '../../src/fhir/extract';
import { chemo, measurement, npcCondition, radiotherapy, record, staging, tbf } from '../support/fhir-builders';
import { DEFAULT_DRUG_PRODUCTS } from '../../src/fhir/drug-data';
import { SYSTEMS, withCodeListOverrides } from '../../src/fhir/codes';
import { medicationResolver } from '../../src/fhir/drugs';

const NOW = '2026-06-01T00:00:00Z';

describe('choosing the data (clinical-spec.md section 4), resource by resource', () => {
  describe('Observation status', () => {
    test('a preliminary TBF is used only when no final one exists, and is flagged preliminary', () => {
      const x = extractInputs(record({ observations: [tbf(150, '2026-05-10', { status: 'preliminary' })] }), NOW);
      expect(x.inputs.preTbf).toBe(150);
      expect(x.found['pre-tbf']?.provenance.notes).toContain('preliminary');
    });
    test('a final TBF wins over a newer preliminary one, which is reported as superseded', () => {
      const final = tbf(140, '2026-05-05', { id: 'tbf-final' });
      const prelim = tbf(150, '2026-05-10', { id: 'tbf-prelim', status: 'preliminary' });
      const x = extractInputs(record({ observations: [final, prelim] }), NOW);
      expect(x.inputs.preTbf).toBe(140);
      expect(x.unusable).toContainEqual({ input: 'pre-tbf', reference: 'Observation/tbf-prelim', reason: 'superseded-by-final' });
    });
    test.each(['entered-in-error', 'cancelled', 'registered', 'unknown'] as const)('a %s TBF is ignored and reported', (status) => {
      const x = extractInputs(record({ observations: [tbf(150, '2026-05-10', { id: 'tbf-x', status })] }), NOW);
      expect(x.inputs.preTbf).toBeUndefined();
      expect(x.unusable).toContainEqual({ input: 'pre-tbf', reference: 'Observation/tbf-x', reason: 'status-excluded', detail: status });
    });
    test.each(['amended', 'corrected'] as const)('an %s TBF counts as final', (status) => {
      expect(extractInputs(record({ observations: [tbf(150, '2026-05-10', { status })] }), NOW).inputs.preTbf).toBe(150);
    });
  });

  describe('time of a measurement', () => {
    test('effective[x] decides, not issued or lastUpdated', () => {
      const older = tbf(120, '2026-05-01', { id: 'tbf-old', issued: '2026-05-31T00:00:00Z', meta: { lastUpdated: '2026-05-31T00:00:00Z' } });
      const newer = tbf(150, '2026-05-15', { id: 'tbf-new', issued: '2026-05-16T00:00:00Z' });
      expect(extractInputs(record({ observations: [older, newer] }), NOW).found['pre-tbf']?.provenance.reference).toBe('Observation/tbf-new');
    });
    test('effectivePeriod.start is used when there is no effectiveDateTime', () => {
      const o = tbf(150, '2026-05-01', { effectiveDateTime: undefined, effectivePeriod: { start: '2026-05-12T08:00:00Z' } });
      delete o.effectiveDateTime;
      expect(extractInputs(record({ observations: [o] }), NOW).found['pre-tbf']?.provenance.effective).toBe('2026-05-12T08:00:00Z');
    });
    test('a measurement without an effective time is unusable', () => {
      const o = tbf(150, '2026-05-01', { id: 'tbf-notime' });
      delete o.effectiveDateTime;
      const x = extractInputs(record({ observations: [o] }), NOW);
      expect(x.inputs.preTbf).toBeUndefined();
      expect(x.unusable).toContainEqual({ input: 'pre-tbf', reference: 'Observation/tbf-notime', reason: 'no-effective-time' });
    });
    test('a measurement dated after now is not used', () => {
      const x = extractInputs(record({ observations: [tbf(150, '2026-07-01', { id: 'tbf-future' })] }), NOW);
      expect(x.inputs.preTbf).toBeUndefined();
      expect(x.unusable[0]).toMatchObject({ reason: 'future-dated', reference: 'Observation/tbf-future' });
    });
    test.each([
      ['2026-06-01', true],
      ['2026-06-01T13:59:00Z', false],
      ['2026-06-01T13:59:00+14:00', true],
    ])('at 2026-06-01T10:00Z a TBF dated %s (a date and time compares exactly) is usable: %s', (date, usable) => {
      const x = extractInputs(record({ observations: [tbf(150, date)] }), '2026-06-01T10:00:00Z');
      expect(x.inputs.preTbf !== undefined).toBe(usable);
    });
    test('a date without a time is future only when that day has begun nowhere yet (more than 14 hours ahead of now)', () => {
      expect(extractInputs(record({ observations: [tbf(150, '2026-06-02')] }), '2026-06-01T10:00:01Z').inputs.preTbf).toBe(150);
      expect(extractInputs(record({ observations: [tbf(150, '2026-06-02')] }), '2026-06-01T09:59:59Z').inputs.preTbf).toBeUndefined();
    });
    test('equal times are broken by resource id, so the choice is deterministic', () => {
      const a = tbf(150, '2026-05-10', { id: 'tbf-b' });
      const b = tbf(140, '2026-05-10', { id: 'tbf-a' });
      expect(extractInputs(record({ observations: [a, b] }), NOW).inputs.preTbf).toBe(140);
      expect(extractInputs(record({ observations: [b, a] }), NOW).inputs.preTbf).toBe(140);
    });
  });

  describe('treatment start and the TBF timepoints', () => {
    const rt = radiotherapy('2026-02-02T08:00:00Z', '2026-03-20T17:00:00Z');
    test('Pre-TBF is the latest TBF before treatment start', () => {
      const x = extractInputs(
        record({ observations: [tbf(150, '2026-01-05'), tbf(160, '2026-01-25', { id: 'tbf-latest-pre' }), tbf(90, '2026-03-01')], procedures: [rt] }),
        NOW,
      );
      expect(x.inputs.preTbf).toBe(160);
      expect(x.found['pre-tbf']?.provenance.notes).toEqual([]);
    });
    test('treatment start is the earliest of RT and chemotherapy', () => {
      const x = extractInputs(record({ procedures: [rt], medicationAdministrations: [chemo('72962', '2026-01-10T09:00:00Z')] }), NOW);
      expect(x.treatment.start?.date).toBe('2026-01-10T09:00:00Z');
      expect(x.treatment.rtStart?.date).toBe('2026-02-02T08:00:00Z');
      expect(x.inputs.treatmentStarted).toBe(true);
    });
    test.each(['not-done', 'entered-in-error'] as const)('a chemotherapy administration with status %s does not start treatment', (status) => {
      const x = extractInputs(record({ medicationAdministrations: [chemo('2555', '2026-01-10', { status })] }), NOW);
      expect(x.treatment.recorded).toBe(false);
      expect(x.inputs.treatmentStarted).toBe(false);
    });
    test.each(['not-done', 'entered-in-error', 'preparation'] as const)('an RT procedure with status %s does not start treatment', (status) => {
      expect(extractInputs(record({ procedures: [radiotherapy('2026-02-02', undefined, { status })] }), NOW).treatment.recorded).toBe(false);
    });
    test('treatment scheduled after now is recorded but not started', () => {
      const x = extractInputs(record({ procedures: [radiotherapy('2026-07-01')] }), NOW);
      expect(x.treatment).toMatchObject({ recorded: true, started: false });
    });
    test('with no treatment recorded the latest TBF is assumed pre-treatment, and says so', () => {
      const x = extractInputs(record({ observations: [tbf(150, '2026-04-05'), tbf(120, '2026-05-20')] }), NOW);
      expect(x.inputs.preTbf).toBe(120);
      expect(x.found['pre-tbf']?.provenance.notes).toEqual(['assumed-pre-treatment']);
      expect(x.inputs.postTbf).toBeUndefined();
    });
    test('Post-TBF is a TBF on or after RT start + 25 days and before RT end, with the timepoint inferred', () => {
      // RT start 2026-02-02T08:00Z + 25 days = 2026-02-27T08:00Z
      const x = extractInputs(record({ observations: [tbf(160, '2026-01-25'), tbf(95, '2026-02-27T08:00:00Z', { id: 'tbf-day25' })], procedures: [rt] }), NOW);
      expect(x.inputs.postTbf).toBe(95);
      expect(x.found['post-tbf']?.provenance).toMatchObject({ reference: 'Observation/tbf-day25', notes: ['timepoint-inferred'] });
      expect(x.treatment.postWindowDay).toBe(25);
    });
    test('a TBF before day 25 is not a Post-TBF, and is reported outside the window', () => {
      const x = extractInputs(record({ observations: [tbf(160, '2026-01-25'), tbf(95, '2026-02-26T08:00:00Z', { id: 'tbf-day24' })], procedures: [rt] }), NOW);
      expect(x.inputs.postTbf).toBeUndefined();
      expect(x.unusable).toContainEqual(expect.objectContaining({ input: 'post-tbf', reference: 'Observation/tbf-day24', reason: 'outside-window' }));
    });
    test('a TBF after RT end is not a Post-TBF', () => {
      const x = extractInputs(record({ observations: [tbf(70, '2026-04-20', { id: 'tbf-after' })], procedures: [rt] }), NOW);
      expect(x.inputs.postTbf).toBeUndefined();
    });
    test('without an RT start there is no Post-TBF, even after chemotherapy', () => {
      const x = extractInputs(
        record({ observations: [tbf(160, '2026-01-05'), tbf(95, '2026-03-01', { id: 'tbf-chemo-only' })], medicationAdministrations: [chemo('2555', '2026-01-10')] }),
        NOW,
      );
      expect(x.inputs.postTbf).toBeUndefined();
      expect(x.unusable).toContainEqual(expect.objectContaining({ reference: 'Observation/tbf-chemo-only', reason: 'no-rt-start' }));
    });
  });

  describe('(v2) systemic therapy start: any NPC agent, however it is coded (clinical-spec section 4)', () => {
    const ATC = 'http://www.whocc.no/atc';
    const given = (concept: object, date = '2026-01-10T09:00:00Z', over: object = {}) =>
      chemo('0', date, { medicationCodeableConcept: concept as never, id: 'sys', ...over });
    test.each([
      ['cetuximab by RxNorm ingredient 318341 (CPIC drug.sql)', { coding: [{ system: SYSTEMS.rxnorm, code: '318341' }] }, 'cetuximab', 'ingredient-code'],
      ['cetuximab by brand name only (Erbitux)', { text: 'Erbitux 250 mg/m2 weekly' }, 'cetuximab', 'name'],
      ['an anti-PD-1 by name only (toripalimab: no RxNorm code confirmed)', { text: 'toripalimab 240 mg IV q3w' }, 'toripalimab', 'name'],
      ['an anti-PD-1 by ATC L01FF02 (pembrolizumab)', { coding: [{ system: ATC, code: 'L01FF02' }] }, 'pembrolizumab', 'atc'],
      ['capecitabine by product code 200328 (CDS Hooks Sandbox)', { coding: [{ system: SYSTEMS.rxnorm, code: '200328' }] }, 'capecitabine', 'product-code'],
      ['nimotuzumab by its Chinese name (尼妥珠单抗)', { text: '尼妥珠单抗 200mg' }, 'nimotuzumab', 'name'],
    ])('a completed administration of %s starts treatment', (_name, concept, agent, recognisedBy) => {
      const x = extractInputs(record({ medicationAdministrations: [given(concept)] }), NOW);
      expect(x.treatment.start).toEqual({ date: '2026-01-10T09:00:00Z', reference: 'MedicationAdministration/sys' });
      expect(x.treatment.systemicStart?.agents).toEqual([expect.objectContaining({ recognisedBy, label: agent })]);
      expect(x.inputs.treatmentStarted).toBe(true);
    });
    test('a nivolumab product code from the site\'s product table (no public RxNorm code confirmed) starts treatment', () => {
      const codes = withCodeListOverrides({
        drugProducts: [...DEFAULT_DRUG_PRODUCTS, { system: 'https://hospital.example/formulary', code: 'OPD-240', display: 'Opdivo 240 mg/24 mL vial', agent: 'nivolumab', source: 'hospital formulary' }],
      });
      const x = extractInputs(record({ medicationAdministrations: [given({ coding: [{ system: 'https://hospital.example/formulary', code: 'OPD-240' }] })] }), NOW, { codes });
      expect(x.treatment.systemicStart?.agents).toEqual([expect.objectContaining({ label: 'nivolumab', recognisedBy: 'product-code' })]);
      expect(extractInputs(record({ medicationAdministrations: [given({ coding: [{ system: 'https://hospital.example/formulary', code: 'OPD-240' }] })] }), NOW).treatment.recorded).toBe(false);
    });
    test('a Medication referenced by the administration is read through the resolver, a contained one always', () => {
      const med = { resourceType: 'Medication' as const, id: 'pd1', code: { text: 'Tevimbra (tislelizumab) 200 mg' } };
      const byRef = chemo('0', '2026-01-10', { medicationCodeableConcept: undefined as never, medicationReference: { reference: 'Medication/pd1' } });
      delete (byRef as { medicationCodeableConcept?: unknown }).medicationCodeableConcept;
      expect(extractInputs(record({ medicationAdministrations: [byRef] }), NOW, { medications: medicationResolver([med]) }).treatment.recorded).toBe(true);
      expect(extractInputs(record({ medicationAdministrations: [byRef] }), NOW).treatment.recorded).toBe(false);
      const contained = { ...byRef, contained: [{ ...med, id: 'c1' }], medicationReference: { reference: '#c1' } };
      expect(extractInputs(record({ medicationAdministrations: [contained] }), NOW).treatment.systemicStart?.agents[0]?.label).toBe('tislelizumab');
    });
    test.each(['not-done', 'entered-in-error'] as const)('an anti-PD-1 administration with status %s does not start treatment', (status) => {
      const x = extractInputs(record({ medicationAdministrations: [given({ text: 'pembrolizumab 200 mg' }, '2026-01-10', { status })] }), NOW);
      expect(x.treatment).toMatchObject({ recorded: false, started: false, systemicBeforeRt: false });
      expect(x.treatment.systemicStart).toBeUndefined();
    });
    test('an administration of another drug does not start treatment', () => {
      expect(extractInputs(record({ medicationAdministrations: [given({ text: 'ondansetron 8 mg' })] }), NOW).treatment.recorded).toBe(false);
    });
    test.each([
      ['systemic therapy days before RT (induction)', '2026-01-10T09:00:00Z', true],
      ['systemic therapy on the day RT starts, earlier that morning (concurrent)', '2026-02-02T07:00:00Z', false],
      ['systemic therapy after RT start (concurrent)', '2026-02-03T09:00:00Z', false],
    ])('%s: systemic therapy started before RT is %s, and both starts are shown separately', (_name, date, before) => {
      const rt = radiotherapy('2026-02-02T08:00:00Z', '2026-03-20T17:00:00Z', { id: 'rt-1' });
      const x = extractInputs(record({ procedures: [rt], medicationAdministrations: [given({ text: 'docetaxel 75 mg/m2' }, date)] }), NOW);
      expect(x.treatment.systemicBeforeRt).toBe(before);
      expect(x.treatment.systemicStart?.date).toBe(date);
      expect(x.treatment.rtStart).toEqual({ date: '2026-02-02T08:00:00Z', reference: 'Procedure/rt-1' });
    });
    test('systemic therapy without any RT recorded counts as started before RT; a future one does not', () => {
      expect(extractInputs(record({ medicationAdministrations: [given({ text: 'cisplatin' })] }), NOW).treatment.systemicBeforeRt).toBe(true);
      expect(extractInputs(record({ medicationAdministrations: [given({ text: 'cisplatin' }, '2026-07-01T09:00:00Z')] }), NOW).treatment.systemicBeforeRt).toBe(false);
    });
    test('RT alone: no systemic start, not started before RT', () => {
      const x = extractInputs(record({ procedures: [radiotherapy('2026-02-02T08:00:00Z')] }), NOW);
      expect(x.treatment.systemicStart).toBeUndefined();
      expect(x.treatment.systemicBeforeRt).toBe(false);
    });
  });

  describe('staging', () => {
    test('two different T values on the same date are a conflict: neither is used', () => {
      const x = extractInputs(record({ observations: [staging('T', 'T3', '2026-01-05'), staging('T', 'T4', '2026-01-05T10:00:00Z')] }), NOW);
      expect(x.inputs.population.tCategory).toBeUndefined();
      expect(x.inputs.population.conflicting).toEqual(['t-category']);
    });
    test('a newer T value replaces an older different one (restaging is not a conflict)', () => {
      const x = extractInputs(record({ observations: [staging('T', 'T3', '2026-01-05'), staging('T', 'T4', '2026-01-20')] }), NOW);
      expect(x.inputs.population.tCategory).toBe('T4');
      expect(x.inputs.population.conflicting).toEqual([]);
    });
    test('the same T value coded two ways on one date is not a conflict', () => {
      const coded = staging('T', '', '2026-01-05', { valueCodeableConcept: { coding: [{ system: SYSTEMS.snomed, code: '1228944003' }] } });
      const x = extractInputs(record({ observations: [coded, staging('T', 'cT4', '2026-01-05')] }), NOW);
      expect(x.inputs.population.tCategory).toBe('T4');
    });
    test('the edition is read from the staging method', () => {
      const stage = staging('stage', 'Stage IVB', '2026-01-05', { method: { coding: [{ system: SYSTEMS.snomed, code: '443830009' }] } });
      const x = extractInputs(record({ observations: [stage] }), NOW);
      expect(x.inputs.population).toMatchObject({ stageGroup: 'IVB', edition: 7 });
    });
    test('an unparseable staging value is passed on as recorded, for the core to report as unrecognised', () => {
      expect(extractInputs(record({ observations: [staging('T', 'TX', '2026-01-05')] }), NOW).inputs.population.tCategory).toBe('TX');
    });
  });

  describe('the NPC diagnosis', () => {
    test.each([
      { label: 'ICD-10-CM C11.9, active', over: {}, expected: true },
      { label: 'ICD-10 C11 (WHO)', over: { code: { coding: [{ system: SYSTEMS.icd10, code: 'C11' }] } }, expected: true },
      { label: 'SNOMED 187692001', over: { code: { coding: [{ system: SYSTEMS.snomed, code: '187692001' }] } }, expected: true },
      { label: 'C110 without the dot is not C11.x', over: { code: { coding: [{ system: SYSTEMS.icd10cm, code: 'C110' }] } }, expected: false },
      { label: 'C12 (pyriform sinus)', over: { code: { coding: [{ system: SYSTEMS.icd10cm, code: 'C12' }] } }, expected: false },
      { label: 'C11.9, refuted', over: { verificationStatus: { coding: [{ code: 'refuted' }] } }, expected: false },
      { label: 'C11.9, entered in error', over: { verificationStatus: { coding: [{ code: 'entered-in-error' }] } }, expected: false },
      { label: 'C11.9, resolved', over: { clinicalStatus: { coding: [{ code: 'resolved' }] } }, expected: false },
      { label: 'C11.9, recurrence', over: { clinicalStatus: { coding: [{ code: 'recurrence' }] } }, expected: true },
      { label: 'C11.9 of another patient', over: { subject: { reference: 'Patient/someone-else' } }, expected: false },
    ])('$label → NPC $expected', ({ over, expected }) => {
      expect(extractInputs(record({ conditions: [npcCondition(over)] }), NOW).inputs.population.hasNpcDiagnosis).toBe(expected);
    });
  });

  describe('pre-treatment measurements', () => {
    const rt = radiotherapy('2026-02-02T08:00:00Z', '2026-03-20T17:00:00Z');
    test('an ICTOS measured after treatment start is not used (ICTOS applies to a pre-treatment MRI only)', () => {
      const x = extractInputs(record({ observations: [measurement('ictos', 0.4, '2026-03-01', '1', { id: 'ictos-late' })], procedures: [rt] }), NOW);
      expect(x.inputs.ictos.score).toBeUndefined();
      expect(x.unusable).toContainEqual(expect.objectContaining({ input: 'ictos', reference: 'Observation/ictos-late', reason: 'not-pre-treatment' }));
    });
    test('the three z-scored features are read when there is no ICTOS Observation', () => {
      const x = extractInputs(
        record({
          observations: [
            measurement('skewness-z', 1, '2026-01-05', '1'),
            measurement('glcm-variance-z', 1, '2026-01-05', '1'),
            measurement('glrlm-lrhgle-z', 1, '2026-01-05', undefined),
          ],
        }),
        NOW,
      );
      expect(x.inputs.ictos).toEqual({ score: undefined, zFeatures: { skewness: 1, glcmVariance: 1, glrlmLrhgle: 1 } });
    });
    test('when the latest value has an unconvertible unit, an older one is not used instead', () => {
      const x = extractInputs(
        record({ observations: [tbf(150, '2026-01-01'), measurement('tumor-blood-flow', 0.02, '2026-01-10', 'mmol/L', { id: 'tbf-bad-unit' })] }),
        NOW,
      );
      expect(x.inputs.preTbf).toBeUndefined();
      expect(x.unusable).toContainEqual({ input: 'pre-tbf', reference: 'Observation/tbf-bad-unit', reason: 'unit-not-convertible', detail: 'mmol/L' });
    });
    test('the MPTD is read from an mCODE tumor-size Observation\u2019s longest-dimension component', () => {
      const size = measurement('x', 0, '2026-01-05', undefined, {
        code: { coding: [{ system: SYSTEMS.loinc, code: '21889-1' }] },
        component: [{ code: { coding: [{ system: SYSTEMS.loinc, code: '33728-7' }] }, valueQuantity: { value: 4.592, system: SYSTEMS.ucum, code: 'cm' } }],
      });
      delete size.valueQuantity;
      const x = extractInputs(record({ observations: [size] }), NOW);
      expect(x.found['mptd-pre']).toMatchObject({ value: 45.92, unit: 'mm' });
    });
  });
});
