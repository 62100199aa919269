/**
 * Structured capture in the page: renders the three forms once (they are never re-rendered, so nothing
 * typed is lost), validates on submit before anything is sent, writes the Observations with fhirclient,
 * then refreshes the picture from the server. A failed write says so and keeps the input.
 */
import type Client from 'fhirclient/lib/Client';
import type { IctosThresholdSet } from '../../core';
import type { CodeLists } from '../../fhir/codes';
import {
  radiomicsTransaction,
  tbfObservation,
  validateRadiomicsForm,
  validateTbfForm,
  validateVolumeForm,
  volumeObservation,
  type CaptureContext,
  type CapturedObservation,
  createdId,
  transactionSucceeded,
  type FieldErrors,
} from '../capture';
import { captureModel } from '../capture-view';
import { formatNumber } from '../view-model';
import { SESSION_ENDED, SessionEndedError, withAccessToken } from './session';
import { element } from './shared';
import { renderCapture } from './templates';

export interface CaptureSession {
  readonly client: Client;
  readonly patientId: string;
  readonly encounterId?: string;
  readonly performer?: string;
  readonly codeSystem: string;
  readonly projectCodes: CodeLists['project'];
  /** The configured ICTOS threshold set, so a captured score is computed as the service would. */
  readonly ictosThresholds: IctosThresholdSet;
  readonly grantedScope: string;
  /** Reloads the record and re-renders the picture; false when that failed (the page then shows why). */
  readonly refresh: () => Promise<boolean>;
}

/** Today in the user's time zone, YYYY-MM-DD. */
function localToday(): string {
  const d = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

function fieldsOf(form: HTMLFormElement): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of new FormData(form)) if (typeof value === 'string') out[name] = value;
  return out;
}

function showErrors(form: HTMLFormElement, errors: FieldErrors): void {
  let first: HTMLInputElement | undefined;
  for (const input of Array.from(form.querySelectorAll('input'))) {
    const message = errors[input.name];
    const slot = document.getElementById(`${input.id}-error`);
    if (slot !== null) slot.textContent = message ?? '';
    if (message !== undefined) {
      input.setAttribute('aria-invalid', 'true');
      first ??= input;
    } else {
      input.removeAttribute('aria-invalid');
    }
  }
  first?.focus();
}

function setStatus(form: HTMLFormElement, text: string, kind: 'saved' | 'failed' | 'busy' | ''): void {
  const status = form.querySelector<HTMLElement>('.form-status');
  if (status === null) return;
  status.textContent = text;
  status.className = `form-status ${kind}`;
}

function setPreview(form: HTMLFormElement, text: string): void {
  const preview = form.querySelector<HTMLElement>('.preview');
  if (preview !== null) preview.textContent = text;
}

/** What the user sees of a failed request: the HTTP status and the server's message, never a stack. */
function failureText(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'status' in error && typeof error.status === 'number') {
    const text = 'statusText' in error && typeof error.statusText === 'string' && error.statusText !== '' ? ` ${error.statusText}` : '';
    return `the FHIR server answered HTTP ${error.status}${text}`;
  }
  return error instanceof Error ? error.message : 'the FHIR server could not be reached';
}

type Prepared =
  | { readonly ok: false; readonly errors: FieldErrors }
  | { readonly ok: true; readonly send: (client: Client) => Promise<string>; readonly preview: string };

function prepare(kind: string, fields: Record<string, string>, ctx: CaptureContext, ictosSet: IctosThresholdSet): Prepared {
  if (kind === 'tbf') {
    const v = validateTbfForm(fields, ctx.today);
    if (!v.ok) return v;
    const obs = tbfObservation(v.value, ctx);
    const preview =
      v.value.source === 'computed'
        ? `Computed TBF ${formatNumber(v.value.tbf, 2)} mL/(100.g)/min (Liu 2022 Eq. 2, constants listed above).`
        : `TBF ${formatNumber(v.value.tbf, 2)} mL/(100.g)/min as entered.`;
    return { ok: true, preview, send: (client) => create(client, obs, `tumor blood flow ${formatNumber(v.value.tbf, 2)} mL/(100.g)/min on ${v.value.date}`) };
  }
  if (kind === 'radiomics') {
    const v = validateRadiomicsForm(fields, ctx.today, ictosSet);
    if (!v.ok) return v;
    const bundle = radiomicsTransaction(v.value, ctx);
    const summary = `ICTOS ${formatNumber(v.value.ictos.score, 9)} (${v.value.ictos.kind})`;
    return {
      ok: true,
      preview: `${summary}, computed from the three z-scores; the features and the score are saved together.`,
      send: async (client) => {
        const response: unknown = await withAccessToken(client, () =>
          client.fhirRequest(client.state.serverUrl, {
            method: 'POST',
            body: JSON.stringify(bundle),
            headers: { 'Content-Type': 'application/fhir+json' },
          }),
        );
        if (!transactionSucceeded(response)) throw new Error('the FHIR server did not confirm every Observation of the transaction');
        return `three features and ${summary} on ${v.value.date}`;
      },
    };
  }
  const v = validateVolumeForm(fields, ctx.today);
  if (!v.ok) return v;
  const obs = volumeObservation(v.value, ctx);
  return { ok: true, preview: '', send: (client) => create(client, obs, `primary tumor volume ${formatNumber(v.value.volumeMl)} mL on ${v.value.date}`) };
}

async function create(client: Client, observation: CapturedObservation, what: string): Promise<string> {
  const created: unknown = await withAccessToken(client, () => client.create(observation as unknown as Parameters<Client['create']>[0]));
  return `${what} as Observation/${createdId(created) ?? '(id not returned)'}`;
}

export function mountCapture(session: CaptureSession): void {
  const section = element('capture');
  const container = element('capture-forms');
  const today = localToday();
  container.innerHTML = renderCapture(captureModel(session.grantedScope, today));
  section.hidden = false;
  const ctx = (): CaptureContext => ({
    patientId: session.patientId,
    ...(session.encounterId !== undefined ? { encounterId: session.encounterId } : {}),
    ...(session.performer !== undefined ? { performer: session.performer } : {}),
    today: localToday(),
    codeSystem: session.codeSystem,
    projectCodes: session.projectCodes,
  });

  for (const form of Array.from(container.querySelectorAll<HTMLFormElement>('form.capture'))) {
    const kind = form.dataset['kind'] ?? '';
    form.addEventListener('input', () => {
      const prepared = prepare(kind, fieldsOf(form), ctx(), session.ictosThresholds);
      setPreview(form, prepared.ok ? prepared.preview : '');
    });
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void save(form, kind);
    });
  }

  async function save(form: HTMLFormElement, kind: string): Promise<void> {
    const prepared = prepare(kind, fieldsOf(form), ctx(), session.ictosThresholds);
    if (!prepared.ok) {
      showErrors(form, prepared.errors);
      setStatus(form, 'Not saved: correct the fields marked above.', 'failed');
      return;
    }
    showErrors(form, {});
    const button = form.querySelector('button');
    button?.setAttribute('disabled', '');
    setStatus(form, 'Saving…', 'busy');
    try {
      const saved = await prepared.send(session.client);
      form.reset();
      setPreview(form, '');
      setStatus(form, `Saved ${saved}. Refreshing from the FHIR server…`, 'saved');
      const refreshed = await session.refresh();
      setStatus(form, refreshed ? `Saved ${saved}. The view above is refreshed from the FHIR server.` : `Saved ${saved}, but the view could not be refreshed.`, 'saved');
    } catch (error) {
      if (error instanceof SessionEndedError) setStatus(form, `Not saved. ${SESSION_ENDED} What you typed is still here.`, 'failed');
      else setStatus(form, `Not saved: ${failureText(error)}. Your input is kept; try again.`, 'failed');
    } finally {
      button?.removeAttribute('disabled');
    }
  }
}
