/**
 * A SMART App Launch 2.x stand-in, for tests and the embedded demo: a small authorization server (EHR and standalone launch,
 * authorization code with PKCE S256 only, public clients) and a bearer-checked FHIR proxy in front of an
 * upstream FHIR server (normally `startFhirServer()`), on 127.0.0.1 (random port).
 *
 * The app sees `${origin}/fhir` as its FHIR server (`iss`). Every endpoint a browser app calls with fetch
 * (well-known, token, FHIR) answers CORS, so the app may be served from another origin.
 *
 * Deliberate choices, where the SMART / OAuth texts leave room or where fhirclient needs it:
 * - A valid `launch` parameter makes an EHR launch even when the `launch` scope is missing: fhirclient 2.x
 *   adds `launch` to the scope only when no requested scope contains the text "launch" (so
 *   `launch/patient` suppresses it).
 * - Token errors follow RFC 6749 §5.2 and RFC 7636 §4.6: a code that is unknown, used, expired, issued to
 *   another client or for another redirect_uri, or whose verifier does not match, is `invalid_grant`;
 *   missing or repeated parameters are `invalid_request`; another grant type is `unsupported_grant_type`.
 * - Codes and tokens are base64url: fhirclient puts the code into the token request body unencoded.
 * - patient/ scopes confine access to the token's patient. A resource belongs to a patient through
 *   `subject` or `patient` (or, for Patient, its id). Reads of resources with neither (Practitioner,
 *   Medication...) are allowed; writes must carry the token's patient.
 * - Upstream responses without a Location on 201 get one built from the returned resource, so that a
 *   client can always follow it to the proxy.
 * - A refresh token comes with `online_access` or `offline_access` (both are treated alike: the token lives
 *   12 hours and is reused, not rotated). The refresh_token grant keeps the grant's scope (or a narrower
 *   `scope`) and launch context, and issues no new id_token.
 * - No `jwks_uri` (the id_token is HS256 with a per-server secret).
 *
 * The parts: scopes.ts (the scope grammar), operation.ts (which FHIR interaction a request is),
 * compartment.ts (scope and compartment checks), oauth.ts (authorize and token endpoints), proxy.ts (the
 * FHIR proxy), discovery.ts (smart-configuration and metadata), http.ts (responses); routed here.
 *
 * Routing is exact: paths are case-sensitive and a trailing slash makes another path; the GET endpoints
 * do not answer HEAD (under /fhir it goes to the proxy); everything else is a JSON 404.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import { createDiscovery, type Discovery } from './discovery';
import { CORS_PREFLIGHT, createResponder, outcome, resolveRequestUrl, type Responder } from './http';
import { accessTokenLifetimeS, createAuthorizationServer, type AuthorizationServer } from './oauth';
import { createFhirProxy, createUpstream, type FhirProxy } from './proxy';
import type { LauncherRequest, SmartLauncher, SmartLauncherOptions } from './types';

export type { LaunchContext, LauncherRequest, SmartClientRegistration, SmartGrant, SmartLauncher, SmartLauncherOptions } from './types';

/** `/fhir` and every path under it (a RegExp, so that express decodes nothing of the path). */
const FHIR_PATHS = /^\/fhir(?:\/.*)?$/;

interface Parts {
  readonly responder: Responder;
  readonly oauth: AuthorizationServer;
  readonly proxy: FhirProxy;
  readonly discovery: Discovery;
}

/** A GET route that lets HEAD go on to the next route (express would otherwise answer HEAD with it). */
const getOnly =
  (handler: RequestHandler): RequestHandler =>
  (req, res, next) =>
    req.method === 'GET' ? handler(req, res, next) : next('route');

/** The launcher's express app. */
function launcherApp(parts: Parts): express.Express {
  const { responder, oauth, proxy, discovery } = parts;
  const app = express();
  app.disable('x-powered-by');
  app.set('case sensitive routing', true);
  app.set('strict routing', true);
  app.options(['/token', FHIR_PATHS], (req, res) => responder.send(req, res, 204, undefined, CORS_PREFLIGHT));
  app.get('/fhir/.well-known/smart-configuration', getOnly(discovery.smartConfiguration));
  app.get('/fhir/metadata', getOnly(discovery.metadata));
  app.get('/authorize', getOnly(oauth.authorizeEndpoint));
  app.post('/token', oauth.tokenEndpoint);
  app.all(FHIR_PATHS, proxy.handle);
  app.use((req, res) => responder.sendJson(req, res, 404, { error: 'not_found' }));
  // express recognises an error handler by its four parameters.
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const failed: ErrorRequestHandler = (_error, req, res, _next) => fail(responder, req, res);
  app.use(failed);
  return app;
}

/** The answer when the stand-in itself fails. */
function fail(responder: Responder, req: IncomingMessage, res: ServerResponse): void {
  if (res.headersSent) {
    res.destroy();
  } else {
    responder.sendFhir(req, res, 500, outcome('exception', 'The SMART stand-in failed to answer.'));
  }
}

/** Starts the launcher; call `close()` when done. */
export async function startSmartLauncher(options: SmartLauncherOptions): Promise<SmartLauncher> {
  const host = options.host ?? '127.0.0.1';
  accessTokenLifetimeS(options); // a bad lifetime is refused before listening
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const issuer = `${origin}/fhir`;

  const requests: LauncherRequest[] = [];
  const responder = createResponder(options.recordRequests === false ? undefined : requests);
  const upstream = createUpstream(options.fhirBaseUrl, options.upstreamBearerToken);
  const oauth = createAuthorizationServer(options, { issuer, responder });
  const proxy = createFhirProxy({ issuer, upstream, responder, accessFor: oauth.accessFor });
  const discovery = createDiscovery({ origin, issuer, upstream, responder });
  const app = launcherApp({ responder, oauth, proxy, discovery });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    let url: URL;
    try {
      url = resolveRequestUrl(req, origin);
    } catch {
      fail(responder, req, res);
      return;
    }
    // Express routes on the resolved path; handlers and the record read the resolved URL itself.
    req.url = `${url.pathname}${url.search}`;
    app(req, res);
  });

  return {
    origin,
    issuer,
    requests,
    grants: oauth.grants,
    registerLaunch: oauth.registerLaunch,
    ehrLaunchUrl(appLaunchUrl, launchId) {
      const url = new URL(appLaunchUrl);
      url.searchParams.set('iss', issuer);
      url.searchParams.set('launch', launchId);
      return url.href;
    },
    failWrites: proxy.failWrites,
    failReads: proxy.failReads,
    expireAccessTokens: oauth.expireAccessTokens,
    refuseRefresh: oauth.refuseRefresh,
    issueToken: oauth.issueToken,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
