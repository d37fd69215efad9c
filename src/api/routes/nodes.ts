import { parseFilters } from '../../cluster/controlapi/filters.js';
import { listNodes, removeNode, updateNode } from '../../cluster/controlapi/nodes.js';
import { resolve } from '../../cluster/controlapi/resolve.js';
import type { NodeSpec } from '../../cluster/types.js';
import { managerStore, update, view, type RequestContext } from '../context.js';
import { readJson, sendEmpty, sendJson } from '../http.js';
import { boolParam, versionParam } from '../query.js';
import { shapeNode } from '../shape/node.js';
import type { Route } from '../router.js';
import { nodeSpecSchema } from '../schemas.js';

async function list(ctx: RequestContext): Promise<void> {
  const filters = parseFilters(ctx.query.get('filters'));
  sendJson(ctx.res, 200, view(ctx, (tx) => listNodes(tx, filters).map(shapeNode)));
}

async function inspect(ctx: RequestContext): Promise<void> {
  sendJson(ctx.res, 200, view(ctx, (tx) => shapeNode(resolve(tx, 'nodes', ctx.params['id']!))));
}

async function updateRoute(ctx: RequestContext): Promise<void> {
  managerStore(ctx.backend);
  const version = versionParam(ctx.query, 'node');
  const spec = await readJson<NodeSpec>(ctx.req, nodeSpecSchema);
  await update(ctx, (tx) => updateNode(tx, ctx.params['id']!, version, spec));
  sendEmpty(ctx.res, 200);
}

async function remove(ctx: RequestContext): Promise<void> {
  const force = boolParam(ctx.query, 'force');
  await update(ctx, (tx) => removeNode(tx, ctx.params['id']!, force));
  sendEmpty(ctx.res, 200);
}

export const nodeRoutes: Route[] = [
  { method: 'GET', pattern: '/nodes', handler: list },
  { method: 'GET', pattern: '/nodes/{id}', handler: inspect },
  { method: 'POST', pattern: '/nodes/{id}/update', handler: updateRoute },
  { method: 'DELETE', pattern: '/nodes/{id}', handler: remove },
];
