import { resolve } from '../../cluster/controlapi/resolve.js';
import { view, type RequestContext } from '../context.js';
import { sendJson } from '../http.js';
import type { Route } from '../router.js';

/**
 * Shoal's own routes, outside the Engine API (unversioned, under /shoal/).
 * `GET /shoal/services/{id}/why`: for a service (name, ID or ID prefix), the managers' backends and, for
 * every host, the endpoint table version it applied and the backends its mesh and DNS hold.
 */
async function serviceWhy(ctx: RequestContext): Promise<void> {
  const service = view(ctx, (tx) => resolve(tx, 'services', ctx.params['id']!));
  sendJson(ctx.res, 200, await ctx.backend.serviceWhy(service));
}

export const shoalRoutes: Route[] = [{ method: 'GET', pattern: '/shoal/services/{id}/why', handler: serviceWhy }];
