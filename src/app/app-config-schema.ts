/**
 * The check the SMART app runs on `/app/config.json` before using it. Written with `zod/mini`, the
 * tree-shakable form of zod 4, because the launch page needs nothing else of zod: the same checks and
 * messages as the classic API for a fraction of its bytes (docs/decisions/0006-smart-app.md, "Bundle
 * budget"). Mini registers no locale, so English, the classic API's default, is registered here unless a
 * locale is set already.
 */
import { en } from 'zod/locales';
import * as z from 'zod/mini';
import { globalConfig } from 'zod/v4/core';
import type { SmartAppConfig } from './app-config';

if (globalConfig.localeError === undefined) z.config(en());

const nonEmpty = () => z.string().check(z.minLength(1));

const shape = z.looseObject({
  clientId: nonEmpty(),
  scope: nonEmpty(),
  redirectUri: z.url(),
  standaloneIss: z.optional(z.url()),
  allowedIss: z.array(z.url()),
  fhirDeadlineMs: z.number().check(z.int(), z.positive()),
  // Validated by the server at start-up (src/config.ts); the app checks only that they are there.
  thresholds: z.looseObject({ tbf: z.looseObject({ id: z.string() }), ictos: z.looseObject({ id: z.string() }) }),
  codes: z.looseObject({ projectSystem: z.string() }),
  normalization: z.optional(z.looseObject({})),
  sites: z.optional(z.array(z.looseObject({ id: nonEmpty(), fhirServers: z.array(z.string()), thresholds: z.looseObject({ tbf: z.looseObject({ id: z.string() }) }) }))),
});

/** The app's configuration from the server's JSON, or an error message for the page. */
export function parseSmartAppConfig(json: unknown): { ok: true; config: SmartAppConfig } | { ok: false; message: string } {
  const r = shape.safeParse(json);
  if (!r.success) return { ok: false, message: `The app's configuration is invalid: ${z.prettifyError(r.error).replace(/\n/g, '; ')}` };
  return { ok: true, config: r.data as unknown as SmartAppConfig };
}
