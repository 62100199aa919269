/**
 * The app's main page (index.html, the SMART redirect URI): completes the launch with fhirclient's
 * `ready`, reads the patient's data from the EHR's FHIR server with the same loader, extraction and
 * rules as the CDS service, and renders the full picture. Structured capture writes Observations back
 * and refreshes the view from the server.
 */
// First: zod is configured before any schema is built.
import './zod-jitless';
import FHIR from 'fhirclient/lib/entry/browser';
import type Client from 'fhirclient/lib/Client';
import { assessPatient } from '../../core';
import { DataUnobtainableError, FhirServerNotAllowedError } from '../../fhir/errors';
import { extractInputs } from '../../fhir/extract';
import { loadPatientRecord } from '../../fhir/loader';
import { faultLines } from '../../explain/faults';
import { appProfile, type SmartAppConfig } from '../app-config';
import { performerFromFhirUser } from '../capture';
import { pageModel, type Focus } from '../view-model';
import { mountCapture, type CaptureSession } from './capture-ui';
import { SESSION_ENDED, SessionEndedError, withAccessToken } from './session';
import { element, fetchAppConfig, showState } from './shared';
import { renderPage } from './templates';
import { loadUcumDefinitions } from './ucum-definitions';

const FOCUS_SECTION: Readonly<Record<Focus, string>> = { treatment: 'treatment', response: 'response', inputs: 'inputs', order: 'treatment' };


interface Session {
  readonly client: Client;
  readonly config: SmartAppConfig;
  readonly patientId: string;
  readonly needPatientBanner: boolean;
  readonly appContext?: string | undefined;
  focusApplied: boolean;
  generation: number;
}

function tokenField(client: Client, name: string): unknown {
  const token: unknown = client.state.tokenResponse;
  return typeof token === 'object' && token !== null ? (token as Record<string, unknown>)[name] : undefined;
}

function appContextOf(client: Client): string | undefined {
  const value = tokenField(client, 'appContext');
  if (typeof value === 'string') return value;
  return value !== undefined && value !== null ? JSON.stringify(value) : undefined;
}

/** Loads the record and re-renders the picture. Throws nothing: every failure becomes a visible state. */
async function refresh(session: Session): Promise<boolean> {
  const app = element('app');
  app.setAttribute('aria-busy', 'true');
  const { client, config, patientId } = session;
  const serverUrl = client.state.serverUrl;
  const generation = ++session.generation;
  try {
    // A fresh token per load: refreshed when it has expired, and once more when the server answers 401.
    const loaded = await withAccessToken(
      client,
      (accessToken) =>
        loadPatientRecord(
          { patientId, fhirServer: serverUrl, fhirAuthorization: { access_token: accessToken, token_type: 'Bearer' } },
          { allowedFhirServers: config.allowedIss, deadlineMs: config.fhirDeadlineMs, codes: config.codes },
        ),
      (error) => error instanceof DataUnobtainableError && error.failures.some((f) => f.status === 401),
    );
    const now = new Date().toISOString();
    const profile = appProfile(config, serverUrl);
    const extraction = extractInputs(loaded.record, now, { codes: config.codes, thresholds: profile.thresholds });
    const assessment = assessPatient(extraction.inputs, profile.thresholds, profile.normalization);
    // Two saves close together each refresh; only the latest refresh may draw the page.
    if (generation !== session.generation) return true;
    const model = pageModel({
      record: loaded.record,
      extraction,
      assessment,
      thresholds: profile.thresholds,
      ...(profile.calibration !== undefined ? { calibration: profile.calibration } : {}),
      codes: config.codes,
      needPatientBanner: session.needPatientBanner,
      appContext: session.appContext,
    });
    app.innerHTML = renderPage(model);
    app.setAttribute('aria-busy', 'false');
    if (!session.focusApplied && model.origin.focus !== '') {
      session.focusApplied = true;
      const section = document.getElementById(FOCUS_SECTION[model.origin.focus]);
      section?.classList.add('focused');
      section?.setAttribute('tabindex', '-1');
      section?.focus();
    }
    return true;
  } catch (error) {
    if (error instanceof SessionEndedError) {
      showState({ kind: 'error', heading: 'Your session has ended', message: SESSION_ENDED, details: ['The EHR’s access token expired and could not be renewed. Nothing was read.'] });
    } else if (error instanceof DataUnobtainableError) {
      showState({
        kind: 'error',
        heading: 'The patient’s data could not be read',
        message: 'No recommendation is shown on incomplete data. Try again; if it persists, tell the EHR team.',
        details: faultLines(error.failures, config.fhirDeadlineMs),
      });
    } else if (error instanceof FhirServerNotAllowedError) {
      showState({ kind: 'error', heading: 'This FHIR server is not allowed', message: 'The EHR’s FHIR server is not in the app’s list of allowed servers (SMART_ALLOWED_ISS), or does not use https. Nothing was read.', details: [] });
    } else {
      showState({ kind: 'error', heading: 'Something went wrong', message: error instanceof Error ? error.message : String(error), details: [] });
    }
    return false;
  }
}

async function start(): Promise<void> {
  // The unit definitions arrive beside the configuration; nothing is read or converted before both have.
  const [config, client] = await Promise.all([fetchAppConfig(), FHIR.oauth2.ready(), loadUcumDefinitions()]);
  const patientId = client.getPatientId();
  if (patientId === null) {
    showState({ kind: 'error', heading: 'No patient in context', message: 'The EHR did not give the app a patient. Open the app from a patient’s chart.', details: [] });
    return;
  }
  const needBanner = tokenField(client, 'need_patient_banner');
  const session: Session = {
    client,
    config,
    patientId,
    // Without an explicit "false" the app shows its own banner: a clinician must see whose data this is.
    needPatientBanner: needBanner !== false,
    appContext: appContextOf(client),
    focusApplied: false,
    generation: 0,
  };
  const loaded = await refresh(session);
  const performer = performerFromFhirUser(client.getFhirUser() ?? undefined);
  const encounterId = client.getEncounterId();
  const capture: CaptureSession = {
    client,
    patientId,
    ...(encounterId !== null ? { encounterId } : {}),
    ...(performer !== undefined ? { performer } : {}),
    codeSystem: config.codes.projectSystem,
    projectCodes: config.codes.project,
    ictosThresholds: config.thresholds.ictos,
    grantedScope: client.state.tokenResponse?.scope ?? '',
    refresh: () => refresh(session),
  };
  if (loaded) mountCapture(capture);
}

start().catch((error: unknown) => {
  showState({
    kind: 'error',
    heading: 'The SMART launch could not be completed',
    message: error instanceof Error ? error.message : String(error),
    details: ['Open the app again from the EHR.'],
  });
});
