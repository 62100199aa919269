/**
 * The express application of the CDS Hooks 2.0 service, built without listening (server.ts listens;
 * tests drive it with supertest). Routes come from the service definitions in `cds-hooks/`.
 */
import { timingSafeEqual } from 'node:crypto';
import cors from 'cors';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from 'pino';
import type { AppSiteProfile, SmartAppConfig } from './app/app-config';
import type { Config } from './config';
import { bearerToken } from './cds/admin-auth';
import { badRequest, errorHandler, HttpError, nonFiniteNumber, nonFiniteNumberPath, notFound } from './cds/errors';
import { serveHook, type HookDeps } from './cds/hooks';
import { JwtError, JwtVerifier, type VerifiedClient } from './cds/jwt';
import { feedbackSchema } from './cds/request-schema';
import { labelMount, routeLabel } from './cds/route-label';
import { loadServices, type ServiceDefinition } from './cds/services';
import { CardTemplates } from './cds/templates';
import { FAVICON_ICO } from './favicon';
import { prepareUnitConversion } from './fhir/units';
import { LoadShedder } from './load-shed';
import { parseSince, SINCE_FORMAT } from './store/since';
import type { FeedbackItem, Store } from './store/store';

export interface AppDeps {
  readonly config: Config;
  readonly store: Store;
  readonly logger: Logger;
  /** The clock (tests pin it to a scenario's date). */
  readonly now?: () => Date;
  readonly templates?: CardTemplates;
  readonly services?: readonly ServiceDefinition[];
  /** Salt for patient hashes; by default the configured one, else the store's own. */
  readonly patientHashSalt?: string;
  /** More routes, mounted at the root before the not-found handler (the embedded demo's EHR page). */
  readonly routes?: readonly express.Router[];
}

export interface SecurityStatus {
  readonly mode: 'jwt' | 'open';
  readonly issuers: number;
  readonly warnings: readonly string[];
}

/** Whether incoming requests are authenticated, and what an operator should know about it. */
export function securityStatus(config: Config): SecurityStatus {
  if (config.trustedIssuers.length > 0) return { mode: 'jwt', issuers: config.trustedIssuers.length, warnings: [] };
  return {
    mode: 'open',
    issuers: 0,
    warnings: ['No trusted issuers configured (TRUSTED_ISSUERS / TRUSTED_ISSUERS_FILE): every request is accepted without authentication. Do not use with real patient data.'],
  };
}

/**
 * What an operator must know about the configuration, beyond security: the SMART app with no FHIR server
 * it may be launched against refuses every launch. Not in demo mode, whose configuration sets it.
 */
export function configurationWarnings(config: Config): string[] {
  const warnings = [...securityStatus(config).warnings];
  if (!config.demo && config.smartApp.allowedIss.length === 0) {
    warnings.push(
      'No FHIR server is allowed for the SMART app (SMART_ALLOWED_ISS, ALLOWED_FHIR_SERVERS and SMART_STANDALONE_ISS are all unset): every launch of /app/launch.html is refused. Set SMART_ALLOWED_ISS to the FHIR base URL of the EHR that launches the app (docs/configuration.md).',
    );
  }
  return warnings;
}

/** Why a request was refused (401, 403), for its log line: a reason code and, for a JWT, jose's or Node's error code. */
interface Refusal {
  readonly reason: string;
  readonly detail?: string;
  readonly origin?: string;
}

interface Locals {
  service?: ServiceDefinition;
  client?: VerifiedClient;
  log?: Record<string, unknown>;
  refused?: Refusal;
}
const locals = (res: Response) => res.locals as Locals;

/** What the SMART app reads at /app/config.json: its registration and the rules' configuration. */
export function smartAppConfig(config: Config): SmartAppConfig {
  return {
    clientId: config.smartApp.clientId,
    scope: config.smartApp.scope,
    redirectUri: config.smartApp.redirectUrl,
    ...(config.smartApp.standaloneIss !== undefined ? { standaloneIss: config.smartApp.standaloneIss } : {}),
    allowedIss: config.smartApp.allowedIss,
    fhirDeadlineMs: config.smartApp.fhirDeadlineMs,
    thresholds: config.thresholds,
    codes: config.codes,
    ...(config.normalization !== undefined ? { normalization: config.normalization } : {}),
    ...(config.sites.profiles.size > 0 ? { sites: appSites(config) } : {}),
  };
}

/** The site profiles with the FHIR servers mapped to them: the app chooses by the server it was launched against. */
function appSites(config: Config): AppSiteProfile[] {
  return [...config.sites.profiles.values()].map((p) => ({
    ...p,
    fhirServers: config.sites.callers.filter((c) => c.profile === p.id).flatMap((c) => c.fhirServers),
  }));
}

/**
 * A strict content security policy for our pages: scripts, styles and everything else from this origin
 * only (no inline script, no eval), images also as data URLs; `connect` and `frame` name the other origins
 * the page may fetch from or frame.
 */
export function contentSecurityPolicy(connect: string, frame?: string): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self' ${connect}`,
    ...(frame !== undefined ? [`frame-src 'self' ${frame}`] : []),
    "base-uri 'self'",
    "form-action 'self'",
    "object-src 'none'",
  ].join('; ');
}

/**
 * The SMART app under /app/: the bundled pages (launch.html, index.html), their configuration, and a
 * strict content security policy (no inline script, no eval; FHIR and authorization servers over https,
 * or http on loopback for local testing). The launch URL carries the authorization code and state, so no
 * referrer leaves the page.
 */
function smartAppRoutes(config: Config): express.Router {
  const router = express.Router();
  const csp = contentSecurityPolicy('https: http://127.0.0.1:* http://localhost:*');
  router.use((_req, res, next) => {
    res.set({ 'Content-Security-Policy': csp, 'Referrer-Policy': 'no-referrer', 'X-Content-Type-Options': 'nosniff' });
    next();
  });
  router.get('/config.json', (_req, res) => {
    res.set('Cache-Control', 'no-store').json(smartAppConfig(config));
  });
  router.get('/', (req, res) => {
    const query = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?')) : '';
    res.redirect(302, `${req.baseUrl}/launch.html${query}`);
  });
  router.use(
    express.static(config.smartApp.dir, {
      index: false,
      redirect: false,
      setHeaders: (res, file) => res.set('Cache-Control', file.endsWith('.html') ? 'no-store' : 'no-cache'),
    }),
  );
  return router;
}

/** Builds the application. Async because the store's salt may have to be read first. */
export async function buildApp(deps: AppDeps): Promise<express.Express> {
  const { config, store, logger } = deps;
  const templates = deps.templates ?? CardTemplates.load();
  prepareUnitConversion();
  const services = deps.services ?? loadServices(config.codes);
  const byId = new Map(services.map((s) => [s.id, s]));
  const verifier =
    config.trustedIssuers.length > 0
      ? new JwtVerifier({
          issuers: config.trustedIssuers,
          clockToleranceSeconds: config.jwtClockToleranceSeconds,
          maxLifetimeSeconds: config.jwtMaxLifetimeSeconds,
          replayCacheSize: config.jtiCacheSize,
        })
      : undefined;
  const security = securityStatus(config);
  const warnings = configurationWarnings(config);
  const hookDeps: HookDeps = {
    config,
    templates,
    store,
    logger,
    patientHashSalt: deps.patientHashSalt ?? config.patientHashSalt ?? (await store.patientHashSalt()),
    now: deps.now ?? (() => new Date()),
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', false);

  const corsAllowed = (origin: string | undefined): boolean => origin !== undefined && (config.corsOrigins === '*' || config.corsOrigins.includes(origin));
  // Before the request log: under overload a shed request must cost as little as possible (docs/deployment.md, "Load shedding").
  const shedder = new LoadShedder({ settings: config.loadShed, logger, corsAllowed });
  app.use(shedder.middleware);

  // One log line per request: the route template (never the path or query, which may name a patient), status, timings, and for a refusal its reason; never tokens, bodies or
  // patient data. A 401 is refused before the body is read, so it names the service but no hookInstance.
  app.use((req, res, next) => {
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      const l = locals(res);
      const entry = {
        method: req.method,
        route: routeLabel(req, res),
        service: l.service?.id,
        status: res.statusCode,
        client: l.client !== undefined ? { iss: l.client.iss, sub: l.client.sub } : undefined,
        ms: Number(process.hrtime.bigint() - start) / 1e6,
        ...(l.refused !== undefined ? { refused: l.refused } : {}),
        ...l.log,
      };
      if (res.statusCode >= 500) logger.error(entry, 'request');
      else if (res.statusCode >= 400) logger.warn(entry, 'request');
      else logger.info(entry, 'request');
    });
    next();
  });

  const corsMiddleware = cors({
    origin: (origin, cb) => cb(null, corsAllowed(origin)),
    methods: ['GET', 'POST', 'OPTIONS'],
    allowedHeaders: ['Authorization', 'Content-Type'],
    maxAge: 600,
  });
  // The cors package answers a listed origin's preflight itself (204 with the CORS headers) and passes any
  // other request on. A preflight from an origin not in CORS_ORIGINS is refused here, before authentication:
  // a browser never sends a token with a preflight, so it would otherwise get a 401 that sends integrators
  // looking at their JWT set-up. 403 with the JSON error body and no Access-Control-Allow-Origin (so the
  // browser still blocks the call) says what to configure (decision 0005, item 11).
  const refuseUnlistedPreflight: RequestHandler = (req, res, next) => {
    const origin = req.get('origin');
    if (req.method === 'OPTIONS' && origin !== undefined && req.get('access-control-request-method') !== undefined && !corsAllowed(origin)) {
      locals(res).refused = { reason: 'cors-origin-not-allowed', origin: origin.length > 128 ? `${origin.slice(0, 128)}…` : origin };
      throw new HttpError(403, 'cors-origin-not-allowed', 'This origin may not call the service from a browser: it is not in CORS_ORIGINS', 'Origin', undefined, { Vary: 'Origin' });
    }
    next();
  };
  app.use('/cds-services', corsMiddleware, refuseUnlistedPreflight);

  const authenticate: RequestHandler = async (req, res, next) => {
    if (verifier === undefined) return next();
    const audience = `${config.publicBaseUrl}${req.originalUrl.split('?')[0] ?? ''}`;
    try {
      locals(res).client = await verifier.verify(req.get('authorization'), audience);
    } catch (error) {
      if (error instanceof JwtError) {
        // For the log line only; the 401 itself stays the same for a service that does not exist.
        const s = byId.get(String(req.params['id']));
        if (s !== undefined) locals(res).service = s;
        locals(res).refused = { reason: error.failure, ...(error.detail !== undefined ? { detail: error.detail } : {}) };
      }
      throw error;
    }
    next();
  };

  const service: RequestHandler = (req, res, next) => {
    const s = byId.get(String(req.params['id']));
    if (s === undefined) throw notFound(`CDS service "${String(req.params['id']).slice(0, 64)}"`);
    locals(res).service = s;
    next();
  };

  const jsonBody: RequestHandler[] = [
    (req, _res, next) => {
      if (!req.is(['application/json', 'application/fhir+json', 'application/*+json'])) {
        throw new HttpError(415, 'unsupported-media-type', 'The request body must be JSON (Content-Type: application/json)', 'Content-Type');
      }
      next();
    },
    express.json({ limit: config.bodyLimitBytes, strict: true, type: ['application/json', 'application/fhir+json', 'application/*+json'] }),
    (req, _res, next) => {
      const path = nonFiniteNumberPath(req.body);
      if (path !== undefined) throw nonFiniteNumber(path);
      next();
    },
  ];

  const methodNotAllowed =
    (allow: string): RequestHandler =>
    () => {
      throw new HttpError(405, 'method-not-allowed', `Use ${allow}`, undefined, undefined, { Allow: allow });
    };

  app.get('/health', async (_req, res) => {
    const storeOk = await store.ping().catch(() => false);
    res.status(storeOk ? 200 : 503).json({
      status: storeOk ? 'ok' : 'degraded',
      security: { mode: security.mode, issuers: security.issuers },
      store: { kind: store.kind, ok: storeOk },
      load: shedder.status(),
      thresholdSets: [...config.sites.profiles.values()].map((p) => ({ id: p.id, version: p.calibration?.version, callers: config.sites.callers.filter((c) => c.profile === p.id).length })),
      demo: config.demo,
      warnings,
    });
  });

  app.get('/cds-services', authenticate, (_req, res) => {
    res.json({
      services: services.map((s) => ({
        hook: s.hook,
        id: s.id,
        title: s.title,
        description: s.description,
        prefetch: s.prefetch,
        ...(s.usageRequirements !== undefined ? { usageRequirements: s.usageRequirements } : {}),
      })),
    });
  });
  app.all('/cds-services', authenticate, methodNotAllowed('GET'));

  app.post('/cds-services/:id', authenticate, service, ...jsonBody, async (req, res) => {
    const s = locals(res).service as ServiceDefinition;
    const abort = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    const outcome = await serveHook(s, req.body, hookDeps, abort.signal, locals(res).client);
    locals(res).log = outcome.log;
    res.json({ cards: outcome.cards });
  });
  app.all('/cds-services/:id', authenticate, service, methodNotAllowed('POST'));

  app.post('/cds-services/:id/feedback', authenticate, service, ...jsonBody, async (req, res) => {
    const s = locals(res).service as ServiceDefinition;
    const parsed = feedbackSchema.safeParse(req.body);
    if (!parsed.success) throw badRequest(parsed.error);
    const receivedAt = hookDeps.now().toISOString();
    const items: FeedbackItem[] = parsed.data.feedback.map((f) => ({
      service: s.id,
      card: f.card,
      outcome: f.outcome,
      acceptedSuggestions: (f.acceptedSuggestions ?? []).map((a) => a.id),
      overrideReason:
        f.overrideReason?.reason !== undefined
          ? {
              code: f.overrideReason.reason.code,
              ...(f.overrideReason.reason.system !== undefined ? { system: f.overrideReason.reason.system } : {}),
              ...(f.overrideReason.reason.display !== undefined ? { display: f.overrideReason.reason.display } : {}),
            }
          : undefined,
      userComment: f.overrideReason?.userComment,
      outcomeTimestamp: f.outcomeTimestamp,
      receivedAt,
    }));
    const result = await store.recordFeedback(items);
    locals(res).log = { feedback: { items: items.length, stored: result.stored, duplicates: result.duplicates, unknownCards: result.unknownCards } };
    res.status(200).json(result);
  });
  app.all('/cds-services/:id/feedback', authenticate, service, methodNotAllowed('POST'));

  app.get('/admin/report', async (req, res) => {
    const token = config.adminToken;
    if (token === undefined) throw notFound('Resource');
    const credential = bearerToken(req.get('authorization'));
    if ('refused' in credential) {
      locals(res).refused = { reason: credential.refused };
      const challenge = credential.refused === 'missing-token' ? 'Bearer' : `Bearer error="invalid_request", error_description="${credential.refused}"`;
      throw new HttpError(401, 'unauthorized', credential.message, 'Authorization', undefined, { 'WWW-Authenticate': challenge });
    }
    const given = Buffer.from(credential.token);
    const wanted = Buffer.from(token);
    if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) {
      locals(res).refused = { reason: 'wrong-admin-token' };
      throw new HttpError(401, 'unauthorized', 'The admin token is not the configured one', 'Authorization', undefined, {
        'WWW-Authenticate': 'Bearer error="invalid_token", error_description="wrong-admin-token"',
      });
    }
    const raw = req.query['since'];
    if (raw !== undefined && typeof raw !== 'string') throw new HttpError(400, 'bad-request', `since: give it once, as ${SINCE_FORMAT}`, 'since');
    const since = raw === undefined ? undefined : parseSince(raw);
    if (raw !== undefined && since === undefined) throw new HttpError(400, 'bad-request', `since: must be ${SINCE_FORMAT}`, 'since');
    res.json(await store.report(since !== undefined ? { since } : {}));
  });

  app.get('/favicon.ico', (_req, res) => {
    res.set({ 'Content-Type': 'image/x-icon', 'Cache-Control': 'public, max-age=86400', 'X-Content-Type-Options': 'nosniff' }).send(FAVICON_ICO);
  });
  app.use('/app', labelMount('/app'), smartAppRoutes(config));
  for (const router of deps.routes ?? []) app.use(router);

  app.use((_req: Request, _res: Response, next: NextFunction) => next(notFound('Resource')));
  app.use(errorHandler(logger));
  return app;
}

