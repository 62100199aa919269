/**
 * Recognises the systemic anti-cancer agents of nasopharyngeal carcinoma (clinical-spec.md sections 4 and
 * 6, "(v2) Drug codes") in a CodeableConcept, a Medication, a MedicationRequest or a
 * MedicationAdministration. EHRs order products, not ingredients, so an agent is recognised, in order, by:
 *
 * 1. its RxNorm ingredient code (`ingredient-code`);
 * 2. a product code in the product-to-ingredient table (`product-code`);
 * 3. the codes of a Medication's `ingredient[].itemCodeableConcept` (`medication-ingredient`);
 * 4. its ATC code (`atc`); an ATC code in L01 that names no agent of the table still says "systemic
 *    anti-cancer agent, ingredient not identified";
 * 5. its generic or brand name as a whole word, case-insensitive, in a coding display or a text (`name`).
 *
 * Every result says how the agent was recognised and what matched, so that a card can say "recognised by
 * name in the order text" and a clinician can check it. The tables are data (drug-data.ts), replaced by a
 * site through CODE_LISTS_FILE. Nothing here throws on malformed input.
 */
import type { CodeableConcept, Coding, Medication } from 'fhir/r4';
import * as z from 'zod';
import { ANTINEOPLASTIC_ATC_CLASS, ATC_SYSTEM, type AgentRole, type DrugProduct, type SystemicAgent } from './drug-data';

export type RecognisedBy = 'ingredient-code' | 'product-code' | 'medication-ingredient' | 'atc' | 'name';

/** One agent recognised in a medication, and how. */
export interface Recognition {
  /** The agent, or undefined when only the ATC class L01 says "systemic anti-cancer agent". */
  readonly agent?: SystemicAgent;
  /** The agent's role; `unidentified-systemic` for an L01 code that names no agent of the table. */
  readonly role: AgentRole | 'unidentified-systemic';
  /** The agent's generic name, or "systemic anti-cancer agent (ingredient not identified)". */
  readonly label: string;
  readonly recognisedBy: RecognisedBy;
  /** What matched: the coding (system, code, display) or the name found in a text. */
  readonly matched: { readonly system?: string; readonly code?: string; readonly display?: string; readonly name?: string };
}

/** The drug tables recognition reads (the `systemicAgents` and `drugProducts` code lists). */
export interface DrugTables {
  readonly systemicAgents: readonly SystemicAgent[];
  readonly drugProducts: readonly DrugProduct[];
}

export const UNIDENTIFIED_SYSTEMIC_LABEL = 'systemic anti-cancer agent (ingredient not identified)';

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** The codings of a CodeableConcept-like value: only objects, whatever else the array holds. */
function codingsOf(cc: unknown): Coding[] {
  if (!isRecord(cc) || !Array.isArray(cc['coding'])) return [];
  return cc['coding'].filter(isRecord) as Coding[];
}

/** The texts of a concept where a name may appear: its text and its codings' displays. */
function textsOf(cc: unknown): string[] {
  if (!isRecord(cc)) return [];
  return [cc['text'], ...codingsOf(cc).map((c) => c.display)].filter((t): t is string => typeof t === 'string' && t !== '');
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Whole-word, case-insensitive matchers for an agent's names. A name in Latin script needs a character
 * that is neither a Latin letter nor a digit on either side ("Taxol" does not match "Taxotere", "5-FU"
 * matches "5-FU 1000 mg/m2"); a name in Chinese script, written without word separators, matches where
 * it occurs.
 */
const matcherCache = new WeakMap<SystemicAgent, readonly { name: string; re: RegExp }[]>();
function nameMatchers(agent: SystemicAgent): readonly { name: string; re: RegExp }[] {
  const cached = matcherCache.get(agent);
  if (cached !== undefined) return cached;
  const built = agent.names
    .filter((n) => typeof n === 'string' && n.trim() !== '')
    .map((raw) => {
      const name = raw.trim();
      const body = escapeRegExp(name);
      const re = /\p{Script=Han}/u.test(name) ? new RegExp(body, 'u') : new RegExp(`(?<![\\p{Script=Latin}\\p{N}])${body}(?![\\p{Script=Latin}\\p{N}])`, 'iu');
      return { name, re };
    });
  matcherCache.set(agent, built);
  return built;
}

const sameCode = (c: Coding, ref: { system: string; code: string }) => c.system === ref.system && c.code === ref.code;

const matchedOf = (c: Coding): Recognition['matched'] => ({
  ...(c.system !== undefined ? { system: c.system } : {}),
  ...(c.code !== undefined ? { code: c.code } : {}),
  ...(c.display !== undefined ? { display: c.display } : {}),
});

const found = (agent: SystemicAgent, recognisedBy: RecognisedBy, matched: Recognition['matched']): Recognition => ({
  agent,
  role: agent.role,
  label: agent.name,
  recognisedBy,
  matched,
});

/** Agents named by codings through the ingredient codes, the product table or the ATC codes. */
function byCode(codings: readonly Coding[], tables: DrugTables, kind: 'ingredient' | 'product' | 'atc'): { agent: SystemicAgent; coding: Coding }[] {
  const out: { agent: SystemicAgent; coding: Coding }[] = [];
  for (const coding of codings) {
    if (kind === 'ingredient') {
      for (const agent of tables.systemicAgents) if (agent.ingredient !== undefined && sameCode(coding, agent.ingredient)) out.push({ agent, coding });
    } else if (kind === 'product') {
      for (const product of tables.drugProducts) {
        if (!sameCode(coding, product)) continue;
        const agent = tables.systemicAgents.find((a) => a.id === product.agent);
        if (agent !== undefined) out.push({ agent, coding });
      }
    } else {
      for (const agent of tables.systemicAgents) if (agent.atc.some((a) => sameCode(coding, a))) out.push({ agent, coding });
    }
  }
  return out;
}

const isAntineoplasticAtc = (c: Coding) =>
  c.system === ATC_SYSTEM && typeof c.code === 'string' && c.code.toUpperCase().startsWith(ANTINEOPLASTIC_ATC_CLASS.code);

/** What recognition looks at: the medication's own concept and, for a Medication, its ingredients. */
interface MedicationSources {
  readonly code: unknown;
  readonly ingredients: readonly unknown[];
}

function recogniseSources(sources: MedicationSources, tables: DrugTables): Recognition[] {
  const out: Recognition[] = [];
  const have = new Set<string>();
  const add = (agent: SystemicAgent, recognisedBy: RecognisedBy, matched: Recognition['matched']) => {
    if (have.has(agent.id)) return;
    have.add(agent.id);
    out.push(found(agent, recognisedBy, matched));
  };
  const own = codingsOf(sources.code);
  const ingredientCodings = sources.ingredients.flatMap(codingsOf);
  for (const { agent, coding } of byCode(own, tables, 'ingredient')) add(agent, 'ingredient-code', matchedOf(coding));
  for (const { agent, coding } of byCode(own, tables, 'product')) add(agent, 'product-code', matchedOf(coding));
  for (const kind of ['ingredient', 'product', 'atc'] as const) {
    for (const { agent, coding } of byCode(ingredientCodings, tables, kind)) add(agent, 'medication-ingredient', matchedOf(coding));
  }
  for (const { agent, coding } of byCode(own, tables, 'atc')) add(agent, 'atc', matchedOf(coding));
  const texts = [...textsOf(sources.code), ...sources.ingredients.flatMap(textsOf)];
  for (const agent of tables.systemicAgents) {
    if (have.has(agent.id)) continue;
    for (const text of texts) {
      const hit = nameMatchers(agent).find((m) => m.re.test(text));
      if (hit !== undefined) {
        add(agent, 'name', { name: hit.name });
        break;
      }
    }
  }
  if (out.length === 0) {
    const l01 = [...own, ...ingredientCodings].find(isAntineoplasticAtc);
    if (l01 !== undefined) out.push({ role: 'unidentified-systemic', label: UNIDENTIFIED_SYSTEMIC_LABEL, recognisedBy: 'atc', matched: matchedOf(l01) });
  }
  return out;
}

/** The agents named by a CodeableConcept (steps 1, 2, 4 and 5: a concept has no ingredients). */
export function recogniseConcept(concept: CodeableConcept | unknown, tables: DrugTables): Recognition[] {
  return recogniseSources({ code: concept, ingredients: [] }, tables);
}

/** The agents of a Medication: its code, then its `ingredient[].itemCodeableConcept`. */
export function recogniseMedication(medication: Medication | unknown, tables: DrugTables): Recognition[] {
  if (!isRecord(medication)) return [];
  const ingredients = Array.isArray(medication['ingredient'])
    ? (medication['ingredient'] as unknown[]).filter(isRecord).map((i) => i['itemCodeableConcept'])
    : [];
  return recogniseSources({ code: medication['code'], ingredients }, tables);
}

/** Finds a Medication by its literal reference ("Medication/x" or a full URL ending in it). */
export type MedicationResolver = (reference: string) => Medication | undefined;

/**
 * The medication of a MedicationRequest or MedicationAdministration: `medicationCodeableConcept`, a
 * contained Medication (`#id`), or a Medication that `resolve` finds (prefetch or draft-order data).
 */
export function medicationOf(
  resource: unknown,
  resolve?: MedicationResolver,
): { readonly kind: 'concept'; readonly concept: unknown } | { readonly kind: 'medication'; readonly medication: Medication } | undefined {
  if (!isRecord(resource)) return undefined;
  if (isRecord(resource['medicationCodeableConcept'])) return { kind: 'concept', concept: resource['medicationCodeableConcept'] };
  const reference = isRecord(resource['medicationReference']) ? resource['medicationReference']['reference'] : undefined;
  if (typeof reference !== 'string') return undefined;
  if (reference.startsWith('#')) {
    const contained = Array.isArray(resource['contained']) ? (resource['contained'] as unknown[]) : [];
    const medication = contained.find((r): r is Medication => isRecord(r) && r['resourceType'] === 'Medication' && `#${String(r['id'])}` === reference);
    return medication !== undefined ? { kind: 'medication', medication } : undefined;
  }
  const medication = resolve?.(reference);
  return medication !== undefined ? { kind: 'medication', medication } : undefined;
}

/** The agents of a MedicationRequest or MedicationAdministration, whichever way it names its medication. */
export function recogniseMedicationUse(resource: unknown, tables: DrugTables, resolve?: MedicationResolver): Recognition[] {
  const medication = medicationOf(resource, resolve);
  if (medication === undefined) return [];
  return medication.kind === 'concept' ? recogniseConcept(medication.concept, tables) : recogniseMedication(medication.medication, tables);
}

/** A resolver over Medication resources (e.g. the Medication entries of a Bundle), by "Medication/id". */
export function medicationResolver(resources: readonly unknown[]): MedicationResolver {
  const byId = new Map<string, Medication>();
  for (const r of resources) {
    if (isRecord(r) && r['resourceType'] === 'Medication' && typeof r['id'] === 'string') byId.set(r['id'], r as unknown as Medication);
  }
  return (reference) => {
    const m = /(?:^|\/)Medication\/([A-Za-z0-9\-.]{1,64})$/.exec(reference);
    return m?.[1] !== undefined ? byId.get(m[1]) : undefined;
  };
}

const SYSTEM_LABELS: Readonly<Record<string, string>> = {
  'http://www.nlm.nih.gov/research/umls/rxnorm': 'RxNorm',
  [ATC_SYSTEM]: 'ATC',
};

/**
 * How an agent was recognised, as a clinician reads it: "by ingredient code RxNorm 2555", "by product code
 * RxNorm 200328 (capecitabine 500 MG Oral Tablet)", "by name (\"Taxotere\") in the order text". `where`
 * names the record ("order", "administration").
 */
export function recognitionPhrase(r: Recognition, where: string): string {
  const code = () => {
    const system = r.matched.system !== undefined ? (SYSTEM_LABELS[r.matched.system] ?? r.matched.system) : 'code';
    return `${system} ${r.matched.code ?? ''}${r.matched.display !== undefined ? ` (${r.matched.display})` : ''}`;
  };
  switch (r.recognisedBy) {
    case 'ingredient-code':
      return `by ingredient code ${code()}`;
    case 'product-code':
      return `by product code ${code()}`;
    case 'medication-ingredient':
      return `by the ingredient code ${code()} of the ${where}'s Medication`;
    case 'atc':
      return `by ATC code ${r.matched.code ?? ''}`;
    case 'name':
      return `by name ("${r.matched.name ?? ''}") in the ${where} text`;
  }
}

const sourcedCode = z.object({ system: z.string().min(1), code: z.string().min(1), display: z.string().optional(), source: z.string().min(1) });
const drugTablesSchema = z.object({
  systemicAgents: z.array(
    z.object({
      id: z.string().min(1),
      name: z.string().min(1),
      role: z.enum(['platinum', 'induction-partner', 'other-systemic']),
      drugClass: z.string(),
      ingredient: sourcedCode.optional(),
      atc: z.array(sourcedCode),
      names: z.array(z.string().min(1)),
    }),
  ),
  drugProducts: z.array(sourcedCode.extend({ agent: z.string().min(1) })),
});

/**
 * Checks drug tables that come from configuration: every field recognition reads, a `source` on every
 * code, and every product mapped to an agent of the table. Throws a RangeError that names the problem.
 */
export function checkDrugTables(tables: { readonly systemicAgents: unknown; readonly drugProducts: unknown }, origin: string): void {
  const parsed = drugTablesSchema.safeParse({ systemicAgents: tables.systemicAgents, drugProducts: tables.drugProducts });
  if (!parsed.success) throw new RangeError(`${origin}: drug tables: ${z.prettifyError(parsed.error).replace(/\n/g, '; ')}`);
  const ids = new Set(parsed.data.systemicAgents.map((a) => a.id));
  const orphan = parsed.data.drugProducts.find((p) => !ids.has(p.agent));
  if (orphan !== undefined) throw new RangeError(`${origin}: drug tables: product ${orphan.system}|${orphan.code} names agent "${orphan.agent}", which systemicAgents does not define`);
}
