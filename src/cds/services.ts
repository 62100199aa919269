/**
 * The CDS services: `cds-hooks/*.json` holds each service's id, hook, title and description (one file
 * per service); the prefetch templates are built at start-up from the configured code lists
 * (`prefetchTemplates(codes)`), the one source of both the discovery response and the queries the
 * service and the app run when prefetch is missing (CDS Hooks 2.0, "Discovery"). Checked at start-up: a
 * file that does not parse, a duplicate id, an unsupported hook, or a file that still carries its own
 * `prefetch` stop the service with a message.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as z from 'zod';
import type { CodeLists } from '../fhir/codes';
import { prefetchTemplates, type PrefetchQueries } from '../fhir/prefetch';
import { PROJECT_ROOT } from '../paths';

export const SUPPORTED_HOOKS = ['patient-view', 'order-select', 'order-sign'] as const;
export type Hook = (typeof SUPPORTED_HOOKS)[number];

export const SERVICES_DIR = path.join(PROJECT_ROOT, 'cds-hooks');

const serviceSchema = z.strictObject({
  hook: z.enum(SUPPORTED_HOOKS),
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'a lowercase URL-safe id'),
  title: z.string().min(1),
  description: z.string().min(1),
  usageRequirements: z.string().min(1).optional(),
});

/** A service as discovery lists it and the routes serve it: the file's members and the built prefetch templates. */
export type ServiceDefinition = z.infer<typeof serviceSchema> & { readonly prefetch: PrefetchQueries };

/** Loads and checks every service definition under `dir`, each with the prefetch templates of `codes`. */
export function loadServices(codes: CodeLists, dir: string = SERVICES_DIR): ServiceDefinition[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  const prefetch = prefetchTemplates(codes);
  const services = files.map((file) => {
    const json: unknown = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
    if (typeof json === 'object' && json !== null && Object.hasOwn(json, 'prefetch')) {
      throw new Error(`cds-hooks/${file}: remove "prefetch": the prefetch templates are built from the configured code lists at start-up (see docs/configuration.md)`);
    }
    const parsed = serviceSchema.safeParse(json);
    if (!parsed.success) throw new Error(`cds-hooks/${file}: ${z.prettifyError(parsed.error).replace(/\n/g, '; ')}`);
    const service = parsed.data;
    if (`${service.id}.json` !== file) throw new Error(`cds-hooks/${file}: the file must be named after the service id (${service.id}.json)`);
    return { ...service, prefetch };
  });
  if (services.length === 0) throw new Error(`no CDS service definitions in ${dir}`);
  return services;
}
