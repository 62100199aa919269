/**
 * Imported first by every browser entry point, before any module builds a zod schema: zod then neither
 * compiles its object parsers with `new Function` nor probes whether it may. Under the pages' content
 * security policy (no eval) that probe, although caught, reports a `script-src` violation on every page.
 */
import { config } from 'zod/v4/core';

config({ jitless: true });
