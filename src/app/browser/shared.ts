/** What the launch page and the main page share: the configuration fetch and the full-page states. */
import type { SmartAppConfig } from '../app-config';
import { parseSmartAppConfig } from '../app-config-schema';
import state from '../../../templates/app/state.html.hbs';

/** A full-page state instead of the picture (the launch page imports only this template). */
export interface StateModel {
  /** error is the only kind styled today */
  readonly kind: string;
  readonly heading: string;
  readonly message: string;
  readonly details: readonly string[];
}

export async function fetchAppConfig(): Promise<SmartAppConfig> {
  const response = await fetch('config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`The app's configuration could not be read (HTTP ${response.status}).`);
  const parsed = parseSmartAppConfig(await response.json());
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.config;
}

export function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`The page has no #${id}`);
  return found as T;
}

/** Replaces the app area with a state (error, out of scope, ...). */
export function showState(model: StateModel): void {
  const app = element('app');
  app.innerHTML = state(model);
  app.setAttribute('aria-busy', 'false');
}
