import { cardSchema, type Card } from '../../src/cds/card-schema';

const valid = (): Card => ({
  uuid: 'c-1',
  summary: 'A summary',
  indicator: 'info',
  source: { label: 'NPC-CDS', url: 'https://doi.org/10.1186/s12916-019-1422-6', topic: { system: 'https://npc-cds.org/fhir/CodeSystem/card-topic', code: 'treatment-selection', display: 'x' } },
  extension: { 'org.npc-cds.findings': [{ rule: 'ictos', outcome: 'high', value: 0.3, cutoff: 0, thresholdSet: 'dong-2019', inputs: [{ name: 'ictos', value: 0.3, unit: '1', date: '2026-01-01', reference: 'Observation/x' }], missing: [] }] },
});

const issuesOf = (card: unknown) => {
  const r = cardSchema.safeParse(card);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('our schema of an outgoing CDS Hooks 2.0 card', () => {
  test('a complete card passes', () => {
    expect(issuesOf(valid())).toEqual([]);
  });

  test.each<[string, (c: Record<string, unknown>) => void, string]>([
    ['a summary of 140 characters', (c) => (c['summary'] = 'x'.repeat(140)), 'summary'],
    ['a missing uuid', (c) => delete c['uuid'], 'uuid'],
    ['the critical indicator (never used by this service)', (c) => (c['indicator'] = 'critical'), 'indicator'],
    ['a null detail', (c) => (c['detail'] = null), 'detail'],
    ['an empty detail', (c) => (c['detail'] = ''), 'detail'],
    ['suggestions without selectionBehavior', (c) => (c['suggestions'] = [{ label: 'x', actions: [{ type: 'delete', description: 'd', resourceId: 'MedicationRequest/1' }] }]), 'selectionBehavior'],
    ['selectionBehavior without suggestions', (c) => (c['selectionBehavior'] = 'any'), 'selectionBehavior'],
    ['an empty suggestions array', (c) => ((c['suggestions'] = []), (c['selectionBehavior'] = 'any')), 'suggestions'],
    ['a delete action without resourceId', (c) => ((c['suggestions'] = [{ label: 'x', actions: [{ type: 'delete', description: 'd' }] }]), (c['selectionBehavior'] = 'any')), 'suggestions'],
    ['a create action without a resource', (c) => ((c['suggestions'] = [{ label: 'x', actions: [{ type: 'create', description: 'd' }] }]), (c['selectionBehavior'] = 'any')), 'suggestions'],
    ['an override reason without display', (c) => (c['overrideReasons'] = [{ system: 's', code: 'c' }]), 'overrideReasons'],
    ['appContext on an absolute link', (c) => (c['links'] = [{ label: 'l', url: 'https://a.example', type: 'absolute', appContext: '{}' }]), 'links'],
    ['a link that is not an http(s) URL', (c) => (c['links'] = [{ label: 'l', url: 'javascript:alert(1)', type: 'smart' }]), 'links'],
    ['no findings extension', (c) => (c['extension'] = {}), 'extension'],
    ['a finding with an outcome its rule does not have', (c) => (c['extension'] = { 'org.npc-cds.findings': [{ rule: 'risk', outcome: 'favorable', inputs: [], missing: [] }] }), 'extension'],
    ['a finding input with an unknown name', (c) => (c['extension'] = { 'org.npc-cds.findings': [{ rule: 'risk', outcome: 'low', inputs: [{ name: 'weight', value: 1 }], missing: [] }] }), 'extension'],
    ['an unknown member (a typo)', (c) => (c['sumary'] = 'x'), ''],
    ['an empty source topic display', (c) => (c['source'] = { label: 'x', topic: { code: 'c', display: '' } }), 'source'],
  ])('%s is rejected', (_name, mutate, path) => {
    const card = valid() as unknown as Record<string, unknown>;
    mutate(card);
    const issues = issuesOf(card);
    expect(issues.length).toBeGreaterThan(0);
    expect(issues.some((i) => i.startsWith(path))).toBe(true);
  });
});
