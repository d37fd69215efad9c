import { checkFilterNames, parseFilters } from '../../cluster/controlapi/filters.js';
import { NETWORK_FILTERS, createNetwork, listNetworks, removeNetwork, type NetworkCreateRequest } from '../../cluster/controlapi/networks.js';
import { resolve } from '../../cluster/controlapi/resolve.js';
import type { ReadTx } from '../../cluster/store/types.js';
import { notFound } from '../../util/errors.js';
import { managerStore, update, type RequestContext } from '../context.js';
import { readJson, sendEmpty, sendJson } from '../http.js';
import type { Route } from '../router.js';
import { networkCreateSchema } from '../schemas.js';
import { shapeNetwork } from '../shape/network.js';
import { networkDetail } from '../shape/network-detail.js';

/**
 * Reads swarm networks where there are some: outside a swarm (or on a worker) Shoal has no
 * networks to list, where Docker would show its local ones.
 */
function readNetworks<R>(ctx: RequestContext, fn: (tx: ReadTx) => R, none: () => R): R {
  const store = ctx.backend.swarm.state().controlAvailable ? ctx.backend.store() : undefined;
  return store ? store.view(fn) : none();
}

async function list(ctx: RequestContext): Promise<void> {
  const filters = parseFilters(ctx.query.get('filters'));
  const body = readNetworks(ctx, (tx) => listNetworks(tx, filters).map((n) => shapeNetwork(n)), () => {
    checkFilterNames(filters, NETWORK_FILTERS);
    return [];
  });
  sendJson(ctx.res, 200, body);
}

async function inspect(ctx: RequestContext): Promise<void> {
  const id = ctx.params['id']!;
  const body = readNetworks(ctx, (tx) => {
    const network = resolve(tx, 'networks', id);
    return shapeNetwork(network, networkDetail(tx, network));
  }, () => {
    throw notFound(`network ${id} not found`);
  });
  sendJson(ctx.res, 200, body);
}

async function create(ctx: RequestContext): Promise<void> {
  managerStore(ctx.backend);
  const req = await readJson<NetworkCreateRequest>(ctx.req, networkCreateSchema);
  const network = await update(ctx, (tx) => createNetwork(tx, req));
  sendJson(ctx.res, 201, { Id: network.ID, Warning: '' });
}

async function remove(ctx: RequestContext): Promise<void> {
  await update(ctx, (tx) => removeNetwork(tx, ctx.params['id']!));
  sendEmpty(ctx.res, 204);
}

export const networkRoutes: Route[] = [
  { method: 'GET', pattern: '/networks', handler: list },
  { method: 'POST', pattern: '/networks/create', handler: create },
  { method: 'GET', pattern: '/networks/{id}', handler: inspect },
  { method: 'DELETE', pattern: '/networks/{id}', handler: remove },
];
