/** The public types of the SMART launch stand-in (see index.ts). */
/** A public client registered at the stand-in. */
export interface SmartClientRegistration {
  readonly clientId: string;
  /** Compared exactly with the `redirect_uri` of an authorization request. */
  readonly redirectUris: readonly string[];
}

/** The context of an EHR launch (or the patient picked on a standalone launch). */
export interface LaunchContext {
  /** Patient id. */
  readonly patient: string;
  /** Encounter id. */
  readonly encounter?: string;
  /** A CDS Hooks link's appContext, returned in the token response as `appContext`. */
  readonly appContext?: string;
  /** Default true. */
  readonly needPatientBanner?: boolean;
  readonly intent?: string;
}

/** Options of `startSmartLauncher`. */
export interface SmartLauncherOptions {
  /** Upstream FHIR base, e.g. http://127.0.0.1:41234/fhir */
  readonly fhirBaseUrl: string;
  /** Sent upstream as `Authorization: Bearer <token>` when the upstream requires one. */
  readonly upstreamBearerToken?: string;
  readonly clients: readonly SmartClientRegistration[];
  /** The patient "picked" on a standalone launch (stands in for a patient picker). */
  readonly standalonePatient?: string;
  /** E.g. `Practitioner/dr-lee`: the id_token's `fhirUser` when `openid` and `fhirUser` are granted. */
  readonly fhirUser?: string;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Keep every request in `requests` (default true; the long-running demo turns it off). */
  readonly recordRequests?: boolean;
  /** Lifetime of access tokens (and of id_tokens), in seconds; default 3600. */
  readonly accessTokenLifetimeS?: number;
}

/** One request the launcher answered. */
export interface LauncherRequest {
  readonly method: string;
  /** Path and query, e.g. `/fhir/Observation?patient=pat-1`. */
  readonly path: string;
  readonly status: number;
  /** True when the request carried a valid, unexpired access token issued by this launcher. */
  readonly authorized: boolean;
}

/** One access token the launcher issued. */
export interface SmartGrant {
  readonly clientId: string;
  readonly scope: string;
  readonly patient: string;
  readonly encounter?: string;
  /** True for an access token issued by the refresh_token grant. */
  readonly refreshed?: true;
}

/** A running launcher. */
export interface SmartLauncher {
  /** http://127.0.0.1:<port> */
  readonly origin: string;
  /** The FHIR base the app sees: `${origin}/fhir` (the proxy). */
  readonly issuer: string;
  /** Registers an EHR launch context; returns an opaque launch id (reusable). */
  registerLaunch(context: LaunchContext): string;
  /** `${appLaunchUrl}?iss=<issuer>&launch=<id>`, URL-encoded (keeps a query appLaunchUrl already has). */
  ehrLaunchUrl(appLaunchUrl: string, launchId: string): string;
  /**
   * While set, POST/PUT/PATCH/DELETE to the proxy from an authenticated client answer this status with
   * an OperationOutcome and nothing is sent upstream. `undefined` restores normal writes.
   */
  failWrites(status: number | undefined): void;
  /** Likewise for reads (GET) of the given resource type through the proxy; `undefined` restores them. */
  failReads(resourceType: string, status: number | undefined): void;
  /** Every access token issued so far expires now (refresh tokens stay valid): what time passing does. */
  expireAccessTokens(): void;
  /** While true, the refresh_token grant is refused with `invalid_grant` (the EHR ended the session). */
  refuseRefresh(refuse: boolean): void;
  /**
   * An access token for a client of the EHR itself (no authorization code): what an EHR hands a CDS
   * service as `fhirAuthorization`, or uses for its own prefetch reads. The client must be registered.
   */
  issueToken(grant: { readonly clientId: string; readonly scope: string; readonly patient: string }): Promise<{
    readonly access_token: string;
    readonly token_type: 'Bearer';
    readonly expires_in: number;
    readonly scope: string;
    readonly patient: string;
  }>;
  /** Every request seen (proxy and authorization server), in order. */
  readonly requests: readonly LauncherRequest[];
  /** Every access token issued, in order. */
  readonly grants: readonly SmartGrant[];
  close(): Promise<void>;
}
