/**
 * Which FHIR servers may be called: the allowlist matcher the service (ALLOWED_FHIR_SERVERS) and the SMART
 * app (SMART_ALLOWED_ISS) share. A module of its own, without imports, so that the app's launch page
 * bundles only this from src/fhir.
 */

/** A base URL without credentials, query or fragment. */
function parseBase(url: string): URL | undefined {
  try {
    const parsed = new URL(url);
    return parsed.username || parsed.password || parsed.search || parsed.hash ? undefined : parsed;
  } catch {
    return undefined;
  }
}

/** Same origin, and the path equals the base path or continues it at a segment boundary. */
export function isWithin(target: URL, base: URL): boolean {
  const basePath = base.pathname.replace(/\/+$/, '');
  return target.origin === base.origin && (target.pathname === basePath || target.pathname.startsWith(`${basePath}/`));
}

const isLoopbackHttp = (url: URL): boolean =>
  url.protocol === 'http:' && (url.hostname === '127.0.0.1' || url.hostname === 'localhost');

/** How many rounds of percent-decoding a path is normalised through (a server may decode twice: `%252f`). */
const DECODE_ROUNDS = 3;

/**
 * The path a server may see once it percent-decodes `url`'s path (`%2f` as `/`, `%5c` as a backslash, `%2e` as
 * `.`) and removes the dot segments, decoded up to {@link DECODE_ROUNDS} times; undefined when a round is
 * not valid percent-encoding.
 */
function decodedPaths(url: URL): URL[] | undefined {
  const paths: URL[] = [];
  let path = url.pathname;
  for (let round = 0; round < DECODE_ROUNDS; round++) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(path);
    } catch {
      return undefined;
    }
    if (decoded === path) {
      break;
    }
    path = decoded;
    // Parsed against the origin as a server resolves it (dot segments removed, a backslash read as `/`); a decoded `?` or `#` stays in the path.
    paths.push(new URL(path.replace(/[?#]/g, (c) => encodeURIComponent(c)), url.origin));
  }
  return paths;
}

/**
 * The parsed `fhirServer` when an allowlist entry covers it (same origin, path prefix), else undefined.
 * Entries must be https, or http on 127.0.0.1 / localhost; an http `fhirServer` matches only such an entry.
 * The path is checked as given and after percent-decoding and removing dot segments, so that
 * `https://ehr.example/fhir/..%2fadmin`, which a server may read as `/admin`, is not covered by
 * `https://ehr.example/fhir`; a path that is not valid percent-encoding is refused.
 */
export function allowedFhirServer(fhirServer: string, allowlist: readonly string[]): URL | undefined {
  const target = parseBase(fhirServer);
  if (target === undefined) {
    return undefined;
  }
  const decoded = decodedPaths(target);
  if (decoded === undefined) {
    return undefined;
  }
  const covered = allowlist.some((entry) => {
    const base = parseBase(entry);
    return base !== undefined && (base.protocol === 'https:' || isLoopbackHttp(base)) && [target, ...decoded].every((t) => isWithin(t, base));
  });
  return covered ? target : undefined;
}
