/**
 * The launch stand-in's authorization server: `/authorize` (EHR and standalone launch, authorization
 * code with PKCE S256 only, public clients), `/token` (authorization_code and refresh_token grants),
 * and the access tokens the FHIR proxy checks. Its deliberate choices (error codes, launch without the
 * `launch` scope, refresh tokens) are listed in index.ts.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import { SignJWT } from 'jose';
import type { TokenAccess } from './compartment';
import { readBody, requestUrl, type Responder } from './http';
import { grantsRefreshToken, narrowedScope, parseResourceScope, understoodScopes } from './scopes';
import type { LaunchContext, SmartGrant, SmartLauncher, SmartLauncherOptions } from './types';

/** An access token the proxy accepts until it expires. */
export interface AccessToken extends TokenAccess {
  readonly expiresAt: number;
}

interface Grant {
  readonly clientId: string;
  readonly scope: string;
  readonly context: LaunchContext;
}

interface PendingCode extends Grant {
  readonly redirectUri: string;
  readonly codeChallenge: string;
  readonly expiresAt: number;
}

interface RefreshGrant extends Grant {
  readonly expiresAt: number;
}

/** The authorization server of one launcher: its two endpoints, the token check, and the test controls. */
export interface AuthorizationServer extends Pick<SmartLauncher, 'registerLaunch' | 'expireAccessTokens' | 'refuseRefresh' | 'issueToken' | 'grants'> {
  /** GET /authorize: redirects back with a code, or with an error once the client and redirect_uri are known. */
  authorizeEndpoint(req: Request, res: Response): void;
  /** POST /token. */
  tokenEndpoint(req: Request, res: Response): Promise<void>;
  /** The unexpired access token an Authorization header carries, or undefined. */
  accessFor(authorization: string | undefined): AccessToken | undefined;
}

/** Where the authorization server is reached. */
export interface AuthorizationServerSite {
  /** The FHIR base it protects (`aud`, and the id_token's `iss`). */
  readonly issuer: string;
  readonly responder: Responder;
}

const CODE_LIFETIME_MS = 60_000;
const TOKEN_LIFETIME_S = 3600;
const REFRESH_LIFETIME_MS = 12 * 3600_000;
const PKCE_VALUE = /^[A-Za-z0-9._~-]{43,128}$/;
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

/** Codes and tokens are base64url: fhirclient puts the code into the token request body unencoded. */
const randomId = (): string => randomBytes(32).toString('base64url');
const s256 = (verifier: string): string => createHash('sha256').update(verifier, 'ascii').digest('base64url');
const withoutTrailingSlash = (url: string): string => url.replace(/\/+$/, '');

/** The access-token lifetime of the options, in seconds; a RangeError when it is no positive whole number. */
export function accessTokenLifetimeS(options: SmartLauncherOptions): number {
  const lifetimeS = options.accessTokenLifetimeS ?? TOKEN_LIFETIME_S;
  if (!Number.isInteger(lifetimeS) || lifetimeS < 1) throw new RangeError('accessTokenLifetimeS must be a positive whole number of seconds.');
  return lifetimeS;
}

/** The authorization server of a launcher with these options, at `site`. */
export function createAuthorizationServer(options: SmartLauncherOptions, site: AuthorizationServerSite): AuthorizationServer {
  const { issuer, responder } = site;
  const { send, sendJson } = responder;
  const lifetimeS = accessTokenLifetimeS(options);
  const clients = new Map(options.clients.map((c) => [c.clientId, c]));
  const launches = new Map<string, LaunchContext>();
  const codes = new Map<string, PendingCode>();
  const tokens = new Map<string, AccessToken>();
  const refreshTokens = new Map<string, RefreshGrant>();
  const grants: SmartGrant[] = [];
  const idTokenSecret = new Uint8Array(randomBytes(32));
  let refreshRefused = false;

  const authorizeEndpoint = (req: Request, res: Response): void => {
    const params = requestUrl(req).searchParams;
    const clientId = params.get('client_id') ?? '';
    const redirectUri = params.get('redirect_uri') ?? '';
    const client = clients.get(clientId);
    if (client === undefined || !client.redirectUris.includes(redirectUri)) {
      const text = client === undefined ? 'Unknown client_id.' : 'The redirect_uri is not registered for this client.';
      send(req, res, 400, `${text}\n`, { 'content-type': 'text/plain; charset=utf-8' });
      return;
    }
    const state = params.get('state');
    const redirect = (answer: Record<string, string>): void => {
      const target = new URL(redirectUri);
      for (const [name, value] of Object.entries(answer)) {
        target.searchParams.set(name, value);
      }
      if (state !== null) {
        target.searchParams.set('state', state);
      }
      send(req, res, 302, undefined, { location: target.href, 'cache-control': 'no-store' });
    };
    const refuse = (error: string, description: string): void => redirect({ error, error_description: description });

    const codeChallenge = params.get('code_challenge') ?? '';
    const scopes = understoodScopes(params.get('scope') ?? '');
    const launchId = params.get('launch');
    if (params.get('response_type') !== 'code') {
      refuse('unsupported_response_type', 'Only response_type=code is supported.');
    } else if (state === null || state === '') {
      refuse('invalid_request', 'state is required.');
    } else if (params.get('code_challenge_method') !== 'S256' || !PKCE_VALUE.test(codeChallenge)) {
      refuse('invalid_request', 'PKCE is required: code_challenge with code_challenge_method=S256.');
    } else if (withoutTrailingSlash(params.get('aud') ?? '') !== issuer) {
      refuse('invalid_request', 'aud must be the FHIR server this launcher protects.');
    } else if (launchId !== null && !launches.has(launchId)) {
      refuse('invalid_request', 'Unknown launch.');
    } else if (launchId === null && scopes.includes('launch')) {
      refuse('invalid_request', 'The launch scope needs the launch parameter of an EHR launch.');
    } else if (launchId === null && !scopes.includes('launch/patient')) {
      refuse('invalid_scope', 'Request launch (EHR launch) or launch/patient (standalone launch).');
    } else {
      const context: LaunchContext | undefined =
        launchId !== null ? launches.get(launchId) : options.standalonePatient === undefined ? undefined : { patient: options.standalonePatient };
      if (context === undefined) {
        refuse('access_denied', 'No patient was selected.');
        return;
      }
      const code = randomId();
      codes.set(code, { clientId, redirectUri, codeChallenge, scope: scopes.join(' '), context, expiresAt: Date.now() + CODE_LIFETIME_MS });
      redirect({ code });
    }
  };

  /** Forgets expired codes and tokens, so that a long-running launcher does not grow. */
  const purgeExpired = (): void => {
    const now = Date.now();
    for (const [code, pending] of codes) if (pending.expiresAt <= now) codes.delete(code);
    for (const [token, access] of tokens) if (access.expiresAt <= now) tokens.delete(token);
    for (const [token, refresh] of refreshTokens) if (refresh.expiresAt <= now) refreshTokens.delete(token);
  };

  /**
   * A token response for the grant: a new access token, a refresh token when online_access or
   * offline_access is granted (`refreshToken` is the one being used, on a refresh), and an id_token on
   * the first grant only.
   */
  const tokenResponse = async (grant: Grant, refreshToken?: string): Promise<Record<string, unknown>> => {
    purgeExpired();
    const accessToken = randomId();
    const scopes = grant.scope.split(' ');
    const { context } = grant;
    tokens.set(accessToken, {
      patient: context.patient,
      scopes: scopes.flatMap((s) => parseResourceScope(s) ?? []),
      expiresAt: Date.now() + lifetimeS * 1000,
    });
    grants.push({
      clientId: grant.clientId,
      scope: grant.scope,
      patient: context.patient,
      ...(context.encounter === undefined ? {} : { encounter: context.encounter }),
      ...(refreshToken === undefined ? {} : { refreshed: true as const }),
    });
    let refresh = refreshToken;
    if (refresh === undefined && grantsRefreshToken(grant.scope)) {
      refresh = randomId();
      refreshTokens.set(refresh, { clientId: grant.clientId, scope: grant.scope, context, expiresAt: Date.now() + REFRESH_LIFETIME_MS });
    }
    const idToken =
      refreshToken === undefined && scopes.includes('openid') && scopes.includes('fhirUser') && options.fhirUser !== undefined
        ? await new SignJWT({ fhirUser: options.fhirUser })
            .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
            .setIssuer(issuer)
            .setSubject(options.fhirUser)
            .setAudience(grant.clientId)
            .setIssuedAt()
            .setExpirationTime(`${lifetimeS}s`)
            .sign(idTokenSecret)
        : undefined;
    return {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: lifetimeS,
      scope: grant.scope,
      ...(refresh === undefined ? {} : { refresh_token: refresh }),
      patient: context.patient,
      ...(context.encounter === undefined ? {} : { encounter: context.encounter }),
      need_patient_banner: context.needPatientBanner ?? true,
      ...(context.appContext === undefined ? {} : { appContext: context.appContext }),
      ...(context.intent === undefined ? {} : { intent: context.intent }),
      ...(idToken === undefined ? {} : { id_token: idToken }),
    };
  };

  /**
   * RFC 6749 §6 for a public client: `refresh_token` once; `client_id`, when sent, must be the grant's;
   * `scope`, when sent, must not exceed the grant's. Refused while `refuseRefresh(true)`.
   */
  const refreshGrant = async (
    form: URLSearchParams,
    refuse: (error: string, description: string) => void,
    grant: (answer: Record<string, unknown>) => void,
  ): Promise<void> => {
    const token = form.get('refresh_token') ?? '';
    if (form.getAll('refresh_token').length !== 1 || token === '' || form.getAll('client_id').length > 1 || form.getAll('scope').length > 1) {
      refuse('invalid_request', 'The refresh_token grant needs one refresh_token (and at most one client_id and scope).');
      return;
    }
    const known = refreshTokens.get(token);
    const clientId = form.get('client_id');
    if (known === undefined || known.expiresAt <= Date.now()) {
      refuse('invalid_grant', 'The refresh token is unknown or expired.');
    } else if (clientId !== null && clientId !== known.clientId) {
      refuse('invalid_grant', 'The refresh token was issued to another client.');
    } else if (refreshRefused) {
      refuse('invalid_grant', 'The session has ended: refreshes are refused (refuseRefresh).');
    } else {
      const asked = form.get('scope');
      const scope = asked === null ? known.scope : narrowedScope(known.scope, asked);
      if (scope === undefined) {
        refuse('invalid_scope', 'A refresh may ask only for scopes already granted.');
        return;
      }
      grant(await tokenResponse({ clientId: known.clientId, scope, context: known.context }, token));
    }
  };

  const tokenEndpoint = async (req: Request, res: Response): Promise<void> => {
    const refuse = (error: string, description: string): void => sendJson(req, res, 400, { error, error_description: description }, NO_STORE);
    const body = await readBody(req);
    if (!(req.headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')) {
      refuse('invalid_request', 'The token request must be application/x-www-form-urlencoded.');
      return;
    }
    const form = new URLSearchParams(body.toString('utf8'));
    const grantType = form.get('grant_type');
    if (grantType === 'refresh_token' && form.getAll('grant_type').length === 1) {
      await refreshGrant(form, refuse, (answer) => sendJson(req, res, 200, answer, NO_STORE));
      return;
    }
    const names = ['grant_type', 'code', 'redirect_uri', 'client_id', 'code_verifier'];
    const missing = names.filter((n) => form.getAll(n).length !== 1 || form.get(n) === '');
    if (grantType !== null && form.getAll('grant_type').length === 1 && grantType !== 'authorization_code') {
      refuse('unsupported_grant_type', 'Only grant_type=authorization_code and refresh_token are supported.');
      return;
    }
    if (missing.length > 0) {
      refuse('invalid_request', `Missing or repeated: ${missing.join(', ')}.`);
      return;
    }
    const verifier = form.get('code_verifier') ?? '';
    if (!PKCE_VALUE.test(verifier)) {
      refuse('invalid_request', 'code_verifier must be 43 to 128 unreserved characters.');
      return;
    }
    const code = form.get('code') ?? '';
    const pending = codes.get(code);
    codes.delete(code);
    if (pending === undefined || pending.expiresAt <= Date.now()) {
      refuse('invalid_grant', 'The code is unknown, used or expired.');
    } else if (pending.clientId !== form.get('client_id') || pending.redirectUri !== form.get('redirect_uri')) {
      refuse('invalid_grant', 'The code was issued to another client or redirect_uri.');
    } else if (s256(verifier) !== pending.codeChallenge) {
      refuse('invalid_grant', 'The code_verifier does not match the code_challenge.');
    } else {
      sendJson(req, res, 200, await tokenResponse(pending), NO_STORE);
    }
  };

  return {
    grants,
    authorizeEndpoint,
    tokenEndpoint,
    accessFor(authorization) {
      const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
      const token = match?.[1] === undefined ? undefined : tokens.get(match[1]);
      return token === undefined || token.expiresAt <= Date.now() ? undefined : token;
    },
    registerLaunch(context) {
      const id = randomId();
      launches.set(id, { ...context });
      return id;
    },
    expireAccessTokens() {
      const now = Date.now();
      for (const [token, access] of tokens) tokens.set(token, { ...access, expiresAt: Math.min(access.expiresAt, now) });
    },
    refuseRefresh(refuse) {
      refreshRefused = refuse;
    },
    async issueToken(grant) {
      if (!clients.has(grant.clientId)) throw new RangeError(`issueToken: client ${grant.clientId} is not registered`);
      const response = await tokenResponse({ clientId: grant.clientId, scope: grant.scope, context: { patient: grant.patient } });
      return { access_token: String(response['access_token']), token_type: 'Bearer', expires_in: lifetimeS, scope: grant.scope, patient: grant.patient };
    },
  };
}
