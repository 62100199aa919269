/**
 * The SMART session's access token, kept alive with fhirclient's own refresh: before every read and write
 * the token is refreshed when fhirclient knows it has expired (`refreshIfNeeded`, from `state.expiresAt`),
 * and a request the server answers 401 is sent once more after a `refresh`. When no refresh is possible
 * (no refresh token was granted, or the authorization server refuses it) the session has ended, and the
 * page says so instead of "try again".
 *
 * fhirclient's `request` is not used for this: on a 401 it clears the stored state, refresh token
 * included, before the caller can refresh. `create` and `fhirRequest` send the current token without
 * that side effect.
 */
import type Client from 'fhirclient/lib/Client';

/** What the page says when the session cannot be renewed. */
export const SESSION_ENDED = 'Your session has ended. Relaunch the app from the EHR.';

/** The access token expired and could not be renewed: only a new launch from the EHR helps. */
export class SessionEndedError extends Error {
  override readonly name = 'SessionEndedError';

  constructor() {
    super(SESSION_ENDED);
  }
}

const accessTokenOf = (client: Client): string | undefined => {
  const token = client.state.tokenResponse?.access_token;
  return typeof token === 'string' && token !== '' ? token : undefined;
};

/** The access token to send now, refreshed first when fhirclient knows it has expired or is about to. */
async function currentToken(client: Client): Promise<string> {
  try {
    await client.refreshIfNeeded();
  } catch {
    throw new SessionEndedError();
  }
  const token = accessTokenOf(client);
  if (token === undefined) throw new SessionEndedError();
  return token;
}

/**
 * A token other than `refused`: the one another request has refreshed meanwhile, or a new one from the
 * refresh token. No refresh token, no online_access / offline_access scope, or a refused refresh end the
 * session (fhirclient then forgets the refresh token).
 */
async function renewedToken(client: Client, refused: string): Promise<string> {
  const current = accessTokenOf(client);
  if (current !== undefined && current !== refused) return current;
  try {
    await client.refresh();
  } catch {
    throw new SessionEndedError();
  }
  const token = accessTokenOf(client);
  if (token === undefined || token === refused) throw new SessionEndedError();
  return token;
}

/** Whether a fhirclient request failed with HTTP 401. */
export function isUnauthorized(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'status' in error && error.status === 401;
}

/**
 * Runs `attempt` with a current access token; when `unauthorized(error)` says it was refused with 401,
 * renews the token once and runs it again. A second 401, or a renewal that is impossible, throws
 * {@link SessionEndedError}; any other failure is thrown as it came.
 */
export async function withAccessToken<T>(client: Client, attempt: (accessToken: string) => Promise<T>, unauthorized: (error: unknown) => boolean = isUnauthorized): Promise<T> {
  const token = await currentToken(client);
  try {
    return await attempt(token);
  } catch (error) {
    if (!unauthorized(error)) throw error;
  }
  const renewed = await renewedToken(client, token);
  try {
    return await attempt(renewed);
  } catch (error) {
    if (unauthorized(error)) throw new SessionEndedError();
    throw error;
  }
}
