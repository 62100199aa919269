/**
 * The admin endpoint's credentials: `Authorization: Bearer <token>` (RFC 6750 section 2.1), read by its
 * scheme. The scheme is case-insensitive; exactly one space, then exactly one credential of visible ASCII.
 */

/** Why an Authorization header gives no bearer token, for the 401's message and the log line. */
export type BearerRefusal = 'missing-token' | 'missing-scheme' | 'wrong-scheme' | 'malformed-credentials';

export type BearerCredential = { readonly token: string } | { readonly refused: BearerRefusal; readonly message: string };

const CREDENTIAL = /^[\x21-\x7e]+$/;

/** The bearer token of an Authorization header, or why there is none (never echoing the header's text). */
export function bearerToken(header: string | undefined): BearerCredential {
  if (header === undefined || header.trim() === '') return { refused: 'missing-token', message: 'Admin token required: send Authorization: Bearer <token>' };
  const space = header.indexOf(' ');
  if (space < 0 && header.toLowerCase() === 'bearer') {
    return { refused: 'malformed-credentials', message: 'The Authorization header has the scheme Bearer but no token: send Authorization: Bearer <token>' };
  }
  if (space < 0) {
    return { refused: 'missing-scheme', message: 'The Authorization header has no scheme: send Authorization: Bearer <token>' };
  }
  if (header.slice(0, space).toLowerCase() !== 'bearer') {
    return { refused: 'wrong-scheme', message: 'The Authorization scheme must be Bearer: send Authorization: Bearer <token>' };
  }
  const credential = header.slice(space + 1);
  if (!CREDENTIAL.test(credential)) {
    return { refused: 'malformed-credentials', message: 'After "Bearer" and one space, the Authorization header must hold exactly one token' };
  }
  return { token: credential };
}
