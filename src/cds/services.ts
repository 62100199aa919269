/**
 * The CDS services, read from `cds-hooks/*.json`: one file per service, the single source of both the
 * discovery response and the routes (CDS Hooks 2.0, "Discovery"). Checked at start-up: a file that
 * does not parse, a duplicate id, an unsupported hook, or prefetch templates that differ from what the
 * configured code lists need all stop the service with a message.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { CodeLists } from '../fhir/codes';
import { PREFETCH_KEYS, prefetchTemplates } from '../fhir/prefetch';
import { PROJECT_ROOT } from '../paths';

export const SUPPORTED_HOOKS = ['patient-view', 'order-select', 'order-sign'] as const;
export type Hook = (typeof SUPPORTED_HOOKS)[number];

export const SERVICES_DIR = path.join(PROJECT_ROOT, 'cds-hooks');

const serviceSchema = z.strictObject({
  hook: z.enum(SUPPORTED_HOOKS),
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'a lowercase URL-safe id'),
  title: z.string().min(1),
  description: z.string().min(1),
  prefetch: z.record(z.enum(PREFETCH_KEYS), z.string().min(1)),
  usageRequirements: z.string().min(1).optional(),
});

export type ServiceDefinition = z.infer<typeof serviceSchema>;

/** Loads and checks every service definition under `dir`. */
export function loadServices(codes: CodeLists, dir: string = SERVICES_DIR): ServiceDefinition[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  const expected = prefetchTemplates(codes);
  const services = files.map((file) => {
    const parsed = serviceSchema.safeParse(JSON.parse(readFileSync(path.join(dir, file), 'utf8')));
    if (!parsed.success) throw new Error(`cds-hooks/${file}: ${z.prettifyError(parsed.error).replace(/\n/g, '; ')}`);
    const service = parsed.data;
    if (`${service.id}.json` !== file) throw new Error(`cds-hooks/${file}: the file must be named after the service id (${service.id}.json)`);
    for (const key of PREFETCH_KEYS) {
      if (service.prefetch[key] !== expected[key]) {
        throw new Error(`cds-hooks/${file}: prefetch "${key}" differs from the template the configured code lists need; update the file (see docs/configuration.md)`);
      }
    }
    return service;
  });
  if (services.length === 0) throw new Error(`no CDS service definitions in ${dir}`);
  return services;
}
