/**
 * The embedded demo that `npm start` runs when there is no production configuration (config.ts
 * `demoDecision`): an in-memory FHIR R4 server seeded with the synthetic demo patients, the SMART launch
 * stand-in in front of it, and a demo EHR page at `/` that calls the hooks, renders the cards, sends
 * feedback and launches the SMART app, as an EHR would. Everything here is labelled as demo data; none of
 * it runs with a production configuration.
 *
 * The demo rewires the service's configuration to itself: the EHR's FHIR server (the stand-in's proxy) is
 * the only allowed FHIR server and SMART issuer, and cards link to the app this service serves.
 */
import path from 'node:path';
import express, { type Request, type Response } from 'express';
import type { Practitioner } from 'fhir/r4';
import * as z from 'zod';
import { contentSecurityPolicy } from '../express-app';
import type { Config } from '../config';
import { DEFAULT_DEMO_DIR } from '../paths';
import type { Store } from '../store/store';
import { startFhirServer, type FhirTestServer } from './fhir-server';
import { DEMO_PATIENTS, demoResources } from './patients';
import { startSmartLauncher, type SmartLauncher } from './smart-launcher';

/** The EHR's own client at the stand-in: it reads prefetch and hands tokens to the CDS service. */
export const DEMO_EHR_CLIENT = 'demo-ehr';
/** The signed-in user of the demo EHR (`context.userId`, the SMART app's `fhirUser`). */
export const DEMO_USER = 'Practitioner/demo-clinician';
/** What the EHR grants the CDS service for its FHIR reads (read-only, the patient's compartment). */
export const DEMO_CDS_SCOPE = 'patient/Patient.rs patient/Condition.rs patient/Observation.rs patient/Procedure.rs patient/MedicationAdministration.rs';

export interface Demo {
  /** The service's configuration, rewired to the demo's FHIR server, launcher and app URL. */
  readonly config: Config;
  readonly fhir: FhirTestServer;
  readonly launcher: SmartLauncher;
  /** The demo EHR's routes (`/` and `/demo/...`), given the service's store for the feedback report. */
  routes(store: Store): express.Router;
  close(): Promise<void>;
}

export interface DemoOptions {
  /** The URL the service is reached at (scheme, host, port), e.g. http://127.0.0.1:3000. */
  readonly baseUrl: string;
  /** The day the synthetic records are dated against (default: now). */
  readonly now?: Date;
  /** The bundled demo page (default dist/demo). */
  readonly dir?: string;
}

const sessionSchema = z.strictObject({ patientId: z.string().max(64) });
const launchSchema = z.strictObject({ patientId: z.string().max(64), appUrl: z.string().max(2048), appContext: z.string().max(4096).optional() });

/** Starts the demo's FHIR server and launcher and seeds the patients. */
export async function startDemo(base: Config, options: DemoOptions): Promise<Demo> {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const appUrl = `${baseUrl}/app/launch.html`;
  const redirectUrl = `${baseUrl}/app/index.html`;
  const fhir = await startFhirServer({ recordRequests: false });
  const clinician: Practitioner = { resourceType: 'Practitioner', id: 'demo-clinician', name: [{ text: 'Demo Clinician (synthetic)', family: 'Clinician', given: ['Demo'] }] };
  await fhir.seed([clinician, ...demoResources(options.now ?? new Date())]);
  const launcher = await startSmartLauncher({
    fhirBaseUrl: fhir.baseUrl,
    clients: [
      { clientId: base.smartApp.clientId, redirectUris: [redirectUrl] },
      { clientId: DEMO_EHR_CLIENT, redirectUris: [] },
    ],
    standalonePatient: DEMO_PATIENTS[0]?.id ?? 'hi-patient',
    fhirUser: DEMO_USER,
    recordRequests: false,
  });
  const config: Config = {
    ...base,
    publicBaseUrl: baseUrl,
    allowedFhirServers: [launcher.issuer],
    smartAppUrl: appUrl,
    smartApp: { ...base.smartApp, redirectUrl, standaloneIss: launcher.issuer, allowedIss: [launcher.issuer] },
  };
  const dir = options.dir ?? DEFAULT_DEMO_DIR;
  const known = new Set(DEMO_PATIENTS.map((p) => p.id));

  const routes = (store: Store): express.Router => {
    const router = express.Router();
    const csp = contentSecurityPolicy(launcher.origin, launcher.origin);
    const demoHeaders = (_req: Request, res: Response, next: () => void) => {
      res.set({ 'Content-Security-Policy': csp, 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer', 'X-NPC-CDS-Demo': 'synthetic data' });
      next();
    };
    const body = express.json({ limit: '8kb' });
    const invalid = (res: Response, message: string): void => void res.status(400).json({ error: 'bad-request', message });

    router.get('/', demoHeaders, (req, res) => {
      // One origin for the page, the app and its redirect: sessionStorage and the registered redirect URI depend on it.
      if (req.get('host') !== new URL(baseUrl).host) {
        res.redirect(302, `${baseUrl}/`);
        return;
      }
      res.set('Cache-Control', 'no-store').sendFile(path.join(dir, 'index.html'));
    });
    router.get('/demo/api/patients', demoHeaders, (_req, res) => {
      res.json({
        notice: 'Demo data: synthetic patients in an in-memory FHIR server. Not for clinical use.',
        fhirServer: launcher.issuer,
        userId: DEMO_USER,
        patients: DEMO_PATIENTS.map((p) => ({ id: p.id, name: `${p.name} Demo`, shows: p.shows, expect: p.expect })),
      });
    });
    router.post('/demo/api/session', demoHeaders, body, async (req, res) => {
      const parsed = sessionSchema.safeParse(req.body);
      if (!parsed.success || !known.has(parsed.data.patientId)) {
        invalid(res, 'patientId: not a demo patient');
        return;
      }
      const token = await launcher.issueToken({ clientId: DEMO_EHR_CLIENT, scope: DEMO_CDS_SCOPE, patient: parsed.data.patientId });
      res.set('Cache-Control', 'no-store').json({
        fhirServer: launcher.issuer,
        fhirAuthorization: { access_token: token.access_token, token_type: token.token_type, expires_in: token.expires_in, scope: token.scope, subject: DEMO_EHR_CLIENT },
      });
    });
    router.post('/demo/api/launch', demoHeaders, body, (req, res) => {
      const parsed = launchSchema.safeParse(req.body);
      if (!parsed.success || !known.has(parsed.data.patientId)) {
        invalid(res, 'patientId: not a demo patient');
        return;
      }
      if (!parsed.data.appUrl.startsWith(`${baseUrl}/app/`)) {
        invalid(res, 'appUrl: the demo launches only the app this service serves');
        return;
      }
      const launchId = launcher.registerLaunch({
        patient: parsed.data.patientId,
        ...(parsed.data.appContext !== undefined ? { appContext: parsed.data.appContext } : {}),
      });
      res.set('Cache-Control', 'no-store').json({ launchUrl: launcher.ehrLaunchUrl(parsed.data.appUrl, launchId) });
    });
    router.get('/demo/api/report', demoHeaders, async (_req, res) => {
      res.set('Cache-Control', 'no-store').json(await store.report());
    });
    router.use('/demo', demoHeaders, express.static(dir, { index: false, redirect: false, setHeaders: (res) => res.set('Cache-Control', 'no-cache') }));
    return router;
  };

  return {
    config,
    fhir,
    launcher,
    routes,
    close: async () => {
      await launcher.close();
      await fhir.close();
    },
  };
}
