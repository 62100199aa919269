/**
 * The demo EHR page: lists the demo patients, and for the open chart calls the CDS services the way an
 * EHR does (CDS Hooks 2.0): discovery, then prefetch read from the FHIR server with the EHR's own token
 * following each service's prefetch templates, then the hook call with `fhirServer` and
 * `fhirAuthorization`; once more without prefetch on request, so that the service reads the FHIR server
 * itself. It renders the returned cards (Markdown detail, suggestions, links, override reasons), sends
 * CDS Hooks feedback when a suggestion is accepted or a card dismissed, and launches the SMART app from a
 * card's `smart` link through the launch stand-in.
 */
// First: the prefetch templates pull in the code lists, whose schema is zod; without this zod probes eval.
import '../../app/browser/zod-jitless';
import MarkdownIt from 'markdown-it';
import { resolvePrefetchTemplate } from '../../fhir/prefetch';

interface DemoPatient {
  readonly id: string;
  readonly name: string;
  readonly shows: string;
  readonly expect: string;
}
interface PatientsResponse {
  readonly notice: string;
  readonly fhirServer: string;
  readonly userId: string;
  readonly patients: readonly DemoPatient[];
}
interface Session {
  readonly fhirServer: string;
  readonly fhirAuthorization: { readonly access_token: string; readonly token_type: string; readonly expires_in: number; readonly scope: string; readonly subject: string };
}
interface ServiceDescription {
  readonly hook: string;
  readonly id: string;
  readonly title?: string;
  readonly prefetch?: Readonly<Record<string, string>>;
}
interface Coding {
  readonly system?: string;
  readonly code: string;
  readonly display?: string;
}
interface Action {
  readonly type: string;
  readonly description: string;
  readonly resource?: unknown;
  readonly resourceId?: string;
}
interface Suggestion {
  readonly label: string;
  readonly uuid?: string;
  readonly isRecommended?: boolean;
  readonly actions?: readonly Action[];
}
interface Link {
  readonly label: string;
  readonly url: string;
  readonly type: 'absolute' | 'smart';
  readonly appContext?: string;
}
interface Card {
  readonly uuid?: string;
  readonly summary: string;
  readonly detail?: string;
  readonly indicator: 'info' | 'warning' | 'critical';
  readonly source: { readonly label: string; readonly url?: string };
  readonly suggestions?: readonly Suggestion[];
  readonly selectionBehavior?: string;
  readonly overrideReasons?: readonly Coding[];
  readonly links?: readonly Link[];
}
interface HookCall {
  readonly hook: 'patient-view' | 'order-select' | 'order-sign';
  readonly withPrefetch: boolean;
}

const markdown = new MarkdownIt({ html: false, linkify: false, typographer: false });
const defaultLinkOpen = markdown.renderer.rules['link_open'];
markdown.renderer.rules['link_open'] = (tokens, idx, options, env, self) => {
  const token = tokens[idx];
  token?.attrSet('target', '_blank');
  token?.attrSet('rel', 'noopener noreferrer');
  return defaultLinkOpen !== undefined ? defaultLinkOpen(tokens, idx, options, env, self) : self.renderToken(tokens, idx, options);
};

const USER = 'Practitioner/demo-clinician';
let demo: PatientsResponse | undefined;
let services: readonly ServiceDescription[] = [];
let current: { patient: DemoPatient; session: Session } | undefined;
let generation = 0;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

async function json<T>(url: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(url, init);
  const text = await response.text();
  if (!response.ok) throw new Error(`${url.split('?')[0] ?? url} answered ${response.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

const postJson = <T>(url: string, body: unknown) => json<T>(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

function chart(): HTMLElement {
  const main = document.getElementById('chart');
  if (main === null) throw new Error('the page has no #chart');
  return main;
}

async function start(): Promise<void> {
  const list = document.getElementById('patient-list');
  if (list === null) return;
  try {
    demo = await json<PatientsResponse>('/demo/api/patients');
    services = (await json<{ services: ServiceDescription[] }>('/cds-services')).services;
  } catch (error) {
    list.replaceChildren(el('li', { class: 'status error' }, `The demo could not load: ${String(error)}`));
    return;
  }
  list.replaceChildren(
    ...demo.patients.map((p) => {
      const button = el('button', { type: 'button', 'data-patient': p.id }, el('strong', {}, p.name), el('span', { class: 'shows' }, p.shows));
      button.addEventListener('click', () => void openChart(p));
      return el('li', {}, button);
    }),
  );
}

async function openChart(patient: DemoPatient): Promise<void> {
  generation += 1;
  const mine = generation;
  for (const b of document.querySelectorAll<HTMLButtonElement>('#patient-list button')) b.setAttribute('aria-current', String(b.dataset['patient'] === patient.id));
  const main = chart();
  main.replaceChildren(el('h2', {}, `${patient.name} (synthetic)`), el('p', { class: 'status' }, 'Opening the chart…'));
  const session = await postJson<Session>('/demo/api/session', { patientId: patient.id });
  if (mine !== generation) return;
  current = { patient, session };
  const calls = el('div', { id: 'calls' });
  const button = (label: string, call: HookCall, secondary = false) => {
    const b = el('button', { type: 'button', class: secondary ? 'action secondary' : 'action' }, label);
    b.addEventListener('click', () => void runHook(call, calls, mine));
    return b;
  };
  main.replaceChildren(
    el('h2', {}, `${patient.name} (synthetic)`),
    el('p', { class: 'muted' }, `${patient.shows}. Patient/${patient.id} on the demo FHIR server ${session.fhirServer}.`),
    el(
      'div',
      { class: 'actions', role: 'group', 'aria-label': 'EHR actions' },
      button('Open chart again (patient-view, with prefetch)', { hook: 'patient-view', withPrefetch: true }),
      button('Open chart without prefetch (the service reads FHIR)', { hook: 'patient-view', withPrefetch: false }, true),
      button('Select TPF induction (order-select)', { hook: 'order-select', withPrefetch: true }, true),
      button('Sign TPF induction orders (order-sign)', { hook: 'order-sign', withPrefetch: true }, true),
    ),
    calls,
    el('section', { class: 'app-panel', id: 'app-panel', hidden: '' }),
    el('section', { class: 'report', id: 'report' }),
  );
  await runHook({ hook: 'patient-view', withPrefetch: true }, calls, mine);
  await refreshReport();
}

/**
 * Fills each prefetch template with the context (`{{context.x}}`), every search value percent-encoded as
 * `URLSearchParams` does (so a proxy that rewrites URLs cannot change it), and reads it from the FHIR
 * server with the EHR's token.
 */
async function prefetchFor(service: ServiceDescription, context: Record<string, unknown>, session: Session): Promise<{ prefetch: Record<string, unknown>; failed: string[] }> {
  const prefetch: Record<string, unknown> = {};
  const failed: string[] = [];
  await Promise.all(
    Object.entries(service.prefetch ?? {}).map(async ([key, template]) => {
      const query = resolvePrefetchTemplate(template, context);
      try {
        const response = await fetch(`${session.fhirServer}/${query}`, {
          headers: { Accept: 'application/fhir+json', Authorization: `Bearer ${session.fhirAuthorization.access_token}` },
        });
        if (!response.ok) throw new Error(String(response.status));
        prefetch[key] = await response.json();
      } catch {
        failed.push(key); // An EHR that cannot prefetch a key leaves it out; the service then reads it itself.
      }
    }),
  );
  return { prefetch, failed };
}

/** Draft TPF induction orders (docetaxel, cisplatin, fluorouracil) as an ordering session would hold them. */
function draftOrders(patientId: string): { resourceType: 'Bundle'; type: 'collection'; entry: { resource: Record<string, unknown> }[] } {
  const agents: [string, string][] = [
    ['72962', 'docetaxel'],
    ['2555', 'cisplatin'],
    ['4492', 'fluorouracil'],
  ];
  return {
    resourceType: 'Bundle',
    type: 'collection',
    entry: agents.map(([code, name]) => ({
      resource: {
        resourceType: 'MedicationRequest',
        id: `demo-draft-${name}`,
        status: 'draft',
        intent: 'order',
        medicationCodeableConcept: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code, display: name }], text: name },
        subject: { reference: `Patient/${patientId}` },
        authoredOn: new Date().toISOString(),
        note: [{ text: 'TPF induction chemotherapy, cycle 1 (demo order)' }],
      },
    })),
  };
}

async function runHook(call: HookCall, calls: HTMLElement, mine: number): Promise<void> {
  if (current === undefined) return;
  const { patient, session } = current;
  const service = services.find((s) => s.hook === call.hook);
  const section = el('section', { class: 'call' });
  calls.prepend(section);
  if (service === undefined) {
    section.append(el('p', { class: 'status error' }, `The service offers no ${call.hook} hook.`));
    return;
  }
  const orders = draftOrders(patient.id);
  const context: Record<string, unknown> = {
    userId: USER,
    patientId: patient.id,
    ...(call.hook !== 'patient-view' ? { draftOrders: orders } : {}),
    ...(call.hook === 'order-select' ? { selections: orders.entry.map((e) => `MedicationRequest/${String(e.resource['id'])}`) } : {}),
  };
  const heading = el('h3', {}, `${call.hook} → ${service.id}`);
  const status = el('p', { class: 'status', role: 'status' }, 'Calling…');
  section.append(heading, status);
  const { prefetch, failed } = call.withPrefetch ? await prefetchFor(service, context, session) : { prefetch: {}, failed: [] };
  const request = {
    hook: call.hook,
    hookInstance: crypto.randomUUID(),
    fhirServer: session.fhirServer,
    fhirAuthorization: session.fhirAuthorization,
    context,
    ...(call.withPrefetch ? { prefetch } : {}),
  };
  const started = performance.now();
  let response: Response;
  try {
    response = await fetch(`/cds-services/${encodeURIComponent(service.id)}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(request) });
  } catch (error) {
    status.textContent = `The call failed: ${String(error)}`;
    status.classList.add('error');
    return;
  }
  const ms = Math.round(performance.now() - started);
  const body = (await response.json().catch(() => ({}))) as { cards?: Card[]; message?: string };
  if (mine !== generation) return;
  const how = call.withPrefetch ? `data sent as prefetch${failed.length > 0 ? ` (not prefetched: ${failed.join(', ')})` : ''}` : 'no prefetch: the service read the FHIR server itself';
  const cards = body.cards ?? [];
  status.textContent = response.ok
    ? `${how} · HTTP ${response.status} in ${ms} ms · ${cards.length === 0 ? 'no cards' : `${cards.length} card${cards.length === 1 ? '' : 's'}`}`
    : `${how} · HTTP ${response.status} in ${ms} ms: ${body.message ?? 'error'}`;
  if (!response.ok) status.classList.add('error');
  status.dataset['cards'] = String(cards.length);
  section.dataset['hook'] = call.hook;
  section.dataset['prefetch'] = String(call.withPrefetch);
  if (cards.length === 0 && response.ok) section.append(el('p', { class: 'muted' }, 'The service returned no card for this patient (for example, outside the population the studies enrolled).'));
  for (const card of cards) section.append(renderCard(card, service, patient));
  const redacted = { ...request, fhirAuthorization: { ...request.fhirAuthorization, access_token: '(redacted in this view)' } };
  section.append(
    el('details', { class: 'json' }, el('summary', {}, 'Request sent'), el('pre', {}, JSON.stringify(redacted, null, 2))),
    el('details', { class: 'json' }, el('summary', {}, 'Response received'), el('pre', {}, JSON.stringify(body, null, 2))),
  );
}

function renderCard(card: Card, service: ServiceDescription, patient: DemoPatient): HTMLElement {
  const node = el('article', { class: `card ${card.indicator}`, 'data-card': card.uuid ?? '' });
  const detail = el('div', { class: 'detail' });
  detail.innerHTML = markdown.render(card.detail ?? ''); // markdown-it with html off: FHIR-derived text cannot inject markup.
  const feedback = el('p', { class: 'feedback', role: 'status' });
  const source = el('p', { class: 'source' }, 'Source: ');
  source.append(card.source.url !== undefined ? el('a', { href: card.source.url, target: '_blank', rel: 'noopener noreferrer' }, card.source.label) : card.source.label);
  const basis = el('details', { class: 'basis' }, el('summary', {}, 'The basis: population, inputs, rule, evidence, limitations, citation'), detail);
  node.append(el('span', { class: 'indicator' }, card.indicator), el('h4', {}, card.summary), basis, source);

  const controls = el('div', { class: 'controls' });
  for (const suggestion of card.suggestions ?? []) {
    const b = el('button', { type: 'button', class: 'action', 'data-suggestion': suggestion.uuid ?? '' }, `Accept: ${suggestion.label}`);
    b.addEventListener('click', () => {
      const actions = (suggestion.actions ?? []).map((a) => `${a.type}: ${a.description}`);
      void sendFeedback(service, card, { outcome: 'accepted', acceptedSuggestions: suggestion.uuid !== undefined ? [{ id: suggestion.uuid }] : [] }, feedback, actions);
    });
    controls.append(b);
  }
  for (const link of card.links ?? []) {
    if (link.type === 'smart') {
      const b = el('button', { type: 'button', class: 'action secondary', 'data-link': 'smart' }, link.label);
      b.addEventListener('click', () => void launchApp(link, patient));
      controls.append(b);
    } else {
      controls.append(el('a', { href: link.url, target: '_blank', rel: 'noopener noreferrer' }, link.label));
    }
  }
  if (card.uuid !== undefined) {
    const reasons = card.overrideReasons ?? [];
    const select = el('select', { 'aria-label': 'Reason for dismissing this card' }, el('option', { value: '' }, 'Dismiss: no reason given'), ...reasons.map((r, i) => el('option', { value: String(i) }, r.display ?? r.code)));
    const comment = el('input', { type: 'text', maxlength: '500', placeholder: 'Comment (optional)', 'aria-label': 'Comment on dismissing this card' });
    const dismiss = el('button', { type: 'button', class: 'action secondary', 'data-dismiss': '' }, 'Dismiss card');
    dismiss.addEventListener('click', () => {
      const reason = select.value === '' ? undefined : reasons[Number(select.value)];
      const overrideReason = reason !== undefined || comment.value.trim() !== '' ? { ...(reason !== undefined ? { reason } : {}), ...(comment.value.trim() !== '' ? { userComment: comment.value.trim() } : {}) } : undefined;
      void sendFeedback(service, card, { outcome: 'overridden', ...(overrideReason !== undefined ? { overrideReason } : {}) }, feedback, []);
    });
    controls.append(select, comment, dismiss);
  }
  node.append(controls, feedback);
  return node;
}

async function sendFeedback(service: ServiceDescription, card: Card, item: Record<string, unknown>, out: HTMLElement, wouldDo: readonly string[]): Promise<void> {
  if (card.uuid === undefined) return;
  out.className = 'feedback';
  out.textContent = 'Sending feedback…';
  try {
    const result = await postJson<{ stored: number; duplicates: number }>(`/cds-services/${encodeURIComponent(service.id)}/feedback`, {
      feedback: [{ card: card.uuid, ...item, outcomeTimestamp: new Date().toISOString() }],
    });
    out.classList.add('sent');
    out.textContent = `Feedback sent (${String(item['outcome'])}): ${result.stored} stored, ${result.duplicates} duplicate.${wouldDo.length > 0 ? ` A real EHR would now: ${wouldDo.join('; ')}.` : ''}`;
    await refreshReport();
  } catch (error) {
    out.classList.add('error');
    out.textContent = `Feedback failed: ${String(error)}`;
  }
}

const APP_PANEL_HEADING = 'SMART app (launched from the card, inside the demo EHR)';

async function launchApp(link: Link, patient: DemoPatient): Promise<void> {
  const panel = document.getElementById('app-panel');
  if (panel === null) return;
  panel.hidden = false;
  panel.replaceChildren(el('h3', {}, APP_PANEL_HEADING), el('p', { class: 'status' }, 'Launching…'));
  try {
    const { launchUrl } = await postJson<{ launchUrl: string }>('/demo/api/launch', { patientId: patient.id, appUrl: link.url, ...(link.appContext !== undefined ? { appContext: link.appContext } : {}) });
    const frame = el('iframe', { src: launchUrl, title: 'NPC-CDS SMART app', name: 'smart-app' });
    panel.replaceChildren(
      el('h3', {}, APP_PANEL_HEADING),
      el('p', { class: 'muted' }, el('a', { href: launchUrl, target: '_blank', rel: 'noopener' }, 'Open the launch in a new tab instead')),
      frame,
    );
    panel.scrollIntoView({ behavior: 'smooth', block: 'start' });
  } catch (error) {
    panel.replaceChildren(el('p', { class: 'status error' }, `The app could not be launched: ${String(error)}`));
  }
}

async function refreshReport(): Promise<void> {
  const section = document.getElementById('report');
  if (section === null) return;
  try {
    const report = await json<{ totals: { cardsIssued: number; cardsWithFeedback: number; accepted: number; overridden: number }; rows: { rule: string; outcome: string; cardsIssued: number; accepted: number; overridden: number }[] }>('/demo/api/report');
    const t = report.totals;
    section.replaceChildren(
      el('h3', {}, 'Feedback the service has recorded (all demo patients)'),
      el('p', { class: 'muted', id: 'report-totals' }, `${t.cardsIssued} cards issued, ${t.cardsWithFeedback} with feedback: ${t.accepted} accepted, ${t.overridden} overridden.`),
      el(
        'table',
        {},
        el('thead', {}, el('tr', {}, el('th', {}, 'rule'), el('th', {}, 'outcome'), el('th', {}, 'cards'), el('th', {}, 'accepted'), el('th', {}, 'overridden'))),
        el('tbody', {}, ...report.rows.map((r) => el('tr', {}, el('td', {}, r.rule), el('td', {}, r.outcome), el('td', {}, String(r.cardsIssued)), el('td', {}, String(r.accepted)), el('td', {}, String(r.overridden))))),
      ),
    );
  } catch {
    section.replaceChildren();
  }
}

document.addEventListener('DOMContentLoaded', () => void start());
