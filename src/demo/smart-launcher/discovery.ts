/**
 * How clients find the launch stand-in's endpoints: `/fhir/.well-known/smart-configuration` and the
 * SMART OAuth URIs added to the upstream CapabilityStatement at `/fhir/metadata`.
 */
import type { Request, Response } from 'express';
import type { CapabilityStatement } from 'fhir/r4';
import { isRecord, parseJson, type Responder } from './http';
import type { Upstream } from './proxy';
import { SCOPES_SUPPORTED } from './scopes';

const CAPABILITIES = [
  'launch-ehr',
  'launch-standalone',
  'client-public',
  'context-ehr-patient',
  'context-ehr-encounter',
  'context-standalone-patient',
  'context-banner',
  'sso-openid-connect',
  'permission-patient',
  'permission-online',
  'permission-offline',
  'permission-v1',
  'permission-v2',
];

/** Where the endpoints are. */
export interface DiscoverySite {
  readonly origin: string;
  readonly issuer: string;
  readonly upstream: Upstream;
  readonly responder: Responder;
}

/** The two discovery endpoints of a launcher. */
export interface Discovery {
  smartConfiguration(req: Request, res: Response): void;
  /** The upstream CapabilityStatement with the SMART OAuth URIs added (or a minimal one of ours). */
  metadata(req: Request, res: Response): Promise<void>;
}

/** The discovery endpoints of a launcher at `site`. */
export function createDiscovery(site: DiscoverySite): Discovery {
  const { origin, issuer, upstream, responder } = site;
  return {
    smartConfiguration(req, res) {
      responder.sendJson(req, res, 200, {
        issuer,
        authorization_endpoint: `${origin}/authorize`,
        token_endpoint: `${origin}/token`,
        grant_types_supported: ['authorization_code', 'refresh_token'],
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['S256'],
        token_endpoint_auth_methods_supported: ['none'],
        scopes_supported: SCOPES_SUPPORTED,
        capabilities: CAPABILITIES,
      });
    },
    async metadata(req, res) {
      const response = await upstream.call('GET', '/metadata', req, undefined);
      const parsed = parseJson(response.body.split(upstream.base).join(issuer));
      const statement: CapabilityStatement =
        response.status === 200 && isRecord(parsed) && parsed['resourceType'] === 'CapabilityStatement'
          ? (parsed as unknown as CapabilityStatement)
          : { resourceType: 'CapabilityStatement', status: 'active', date: new Date().toISOString(), kind: 'instance', fhirVersion: '4.0.1', format: ['json'] };
      const [rest, ...others] = statement.rest ?? [{ mode: 'server' }];
      const security = {
        ...rest?.security,
        service: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' }] }],
        extension: [
          {
            url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
            extension: [
              { url: 'authorize', valueUri: `${origin}/authorize` },
              { url: 'token', valueUri: `${origin}/token` },
            ],
          },
        ],
      };
      responder.sendFhir(req, res, 200, { ...statement, rest: [{ mode: 'server', ...rest, security }, ...others] });
    },
  };
}
