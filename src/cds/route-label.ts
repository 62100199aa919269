/**
 * What a log line names a request by: the template of the express route that matched it
 * (`/cds-services/:id/feedback`), never its path or query, which may carry a patient's id or name
 * (`/fhir/Patient/MRN-998877-Jane-Doe`).
 */
import type { Request, RequestHandler, Response } from 'express';

/** Unmatched: no route, no mount of ours. */
export const UNMATCHED = '(unmatched)';

const MOUNT = 'npcCdsMount';

/** Names every request under a mount (static files, a sub-router) by `label` unless a route of the mount matches. */
export function labelMount(label: string): RequestHandler {
  return (_req, res, next) => {
    (res.locals as Record<string, unknown>)[MOUNT] = label;
    next();
  };
}

/**
 * The route template of a request, for its log line: the matched route's path (prefixed by its mount's
 * label when it is inside one), the mount's label, or {@link UNMATCHED}.
 */
export function routeLabel(req: Request, res: Response): string {
  const mount = (res.locals as Record<string, unknown>)[MOUNT];
  const prefix = typeof mount === 'string' ? mount : undefined;
  const route: unknown = req.route;
  const path = typeof route === 'object' && route !== null && 'path' in route ? route.path : undefined;
  if (typeof path === 'string') return prefix === undefined ? path : `${prefix}${path === '/' ? '' : path}`;
  if (path !== undefined) return `${prefix ?? ''}(route)`;
  return prefix === undefined ? UNMATCHED : `${prefix}/*`;
}
