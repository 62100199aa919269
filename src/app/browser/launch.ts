/**
 * The SMART launch page (launch.html). EHR launch: the EHR opens it with `iss` and `launch`; the app asks
 * for `launch` plus its configured scopes. Standalone launch: without `launch`, against the configured
 * standalone FHIR server (or an `iss` parameter), asking for `launch/patient`. Both use PKCE (S256,
 * required) through fhirclient, which then redirects to the authorization server.
 */
// First: zod is configured before any schema is built.
import './zod-jitless';
import FHIR from 'fhirclient/lib/entry/browser';
import { allowedFhirServer } from '../../fhir/allowlist';
import { fetchAppConfig, showState } from './shared';

async function launch(): Promise<void> {
  const config = await fetchAppConfig();
  const params = new URLSearchParams(window.location.search);
  const iss = params.get('iss') ?? undefined;
  const launchId = params.get('launch') ?? undefined;
  const target = launchId !== undefined && iss !== undefined ? iss : (iss ?? config.standaloneIss);
  if (target !== undefined && allowedFhirServer(target, config.allowedIss) === undefined) {
    showState({
      kind: 'error',
      heading: 'This FHIR server is not allowed',
      message: 'The app was asked to connect to a FHIR server that is not in its list of allowed servers (SMART_ALLOWED_ISS). Nothing was sent to it.',
      details: [target.slice(0, 200)],
    });
    return;
  }
  // completeInTarget: an EHR often embeds the app in a frame; the authorization completes in that frame.
  const common = { clientId: config.clientId, redirectUri: config.redirectUri, pkceMode: 'required' as const, completeInTarget: true };
  if (launchId !== undefined && iss !== undefined) {
    await FHIR.oauth2.authorize({ ...common, iss, launch: launchId, scope: `launch ${config.scope}` });
    return;
  }
  const standaloneIss = iss ?? config.standaloneIss;
  if (standaloneIss === undefined) {
    showState({
      kind: 'error',
      heading: 'Open this app from the EHR',
      message: 'This page starts a SMART on FHIR launch. The EHR opens it with the parameters iss and launch; no standalone FHIR server is configured (SMART_STANDALONE_ISS).',
      details: [],
    });
    return;
  }
  await FHIR.oauth2.authorize({ ...common, iss: standaloneIss, scope: `launch/patient ${config.scope}` });
}

launch().catch((error: unknown) => {
  showState({
    kind: 'error',
    heading: 'The SMART launch failed',
    message: error instanceof Error ? error.message : String(error),
    details: ['Check that the app is registered in the EHR with this client id and redirect URI, and that the EHR supports PKCE (S256).'],
  });
});
