import { parseFilters } from '../../cluster/controlapi/filters.js';
import { resolve } from '../../cluster/controlapi/resolve.js';
import { serviceStatus } from '../../cluster/controlapi/service-status.js';
import { createService, listServices, removeService, updateService } from '../../cluster/controlapi/services.js';
import type { ServiceSpec } from '../../cluster/types.js';
import { invalidArgument } from '../../util/errors.js';
import { managerStore, update, view, type RequestContext } from '../context.js';
import { readJson, sendEmpty, sendJson } from '../http.js';
import { boolParam, versionParam } from '../query.js';
import type { Route } from '../router.js';
import { serviceSpecSchema } from '../schemas.js';
import { shapeService } from '../shape/service.js';

async function list(ctx: RequestContext): Promise<void> {
  const filters = parseFilters(ctx.query.get('filters'));
  const withStatus = boolParam(ctx.query, 'status');
  const body = view(ctx, (tx) =>
    listServices(tx, filters).map((s) => shapeService(s, { insertDefaults: false, status: withStatus ? serviceStatus(tx, s) : undefined })),
  );
  sendJson(ctx.res, 200, body);
}

async function inspect(ctx: RequestContext): Promise<void> {
  const insertDefaults = boolParam(ctx.query, 'insertDefaults');
  const body = view(ctx, (tx) => shapeService(resolve(tx, 'services', ctx.params['id']!), { insertDefaults }));
  sendJson(ctx.res, 200, body);
}

async function create(ctx: RequestContext): Promise<void> {
  managerStore(ctx.backend);
  const spec = await readJson<ServiceSpec>(ctx.req, serviceSpecSchema);
  const service = await update(ctx, (tx) => createService(tx, spec, registryAuthHeader(ctx)));
  sendJson(ctx.res, 201, { ID: service.ID });
}

async function updateRoute(ctx: RequestContext): Promise<void> {
  managerStore(ctx.backend);
  const version = versionParam(ctx.query, 'service');
  const rollback = ctx.query.get('rollback') ?? '';
  if (rollback !== '' && rollback !== 'previous') throw invalidArgument(`unrecognized rollback option ${rollback}: the only one is rollback=previous`);
  const authFrom = ctx.query.get('registryAuthFrom') ?? '';
  if (!['', 'spec', 'previous-spec'].includes(authFrom)) throw invalidArgument(`unsupported registryAuthFrom '${authFrom}': use spec or previous-spec`);
  const spec = await readJson<ServiceSpec>(ctx.req, serviceSpecSchema);
  const opts = { rollback: rollback === 'previous', now: new Date().toISOString(), registryAuth: registryAuthHeader(ctx), registryAuthFrom: (authFrom || 'spec') as 'spec' | 'previous-spec' };
  await update(ctx, (tx) => updateService(tx, ctx.params['id']!, version, spec, opts));
  sendJson(ctx.res, 200, { Warnings: null });
}

/** `--with-registry-auth`: the CLI's base64url-encoded credentials, kept as they came (the node's engine decodes them). */
const registryAuthHeader = (ctx: RequestContext): string => {
  const header = ctx.req.headers['x-registry-auth'];
  return (Array.isArray(header) ? header[0] : header)?.trim() ?? '';
};

async function remove(ctx: RequestContext): Promise<void> {
  await update(ctx, (tx) => removeService(tx, ctx.params['id']!));
  sendEmpty(ctx.res, 200);
}

export const serviceRoutes: Route[] = [
  { method: 'GET', pattern: '/services', handler: list },
  { method: 'POST', pattern: '/services/create', handler: create },
  { method: 'GET', pattern: '/services/{id}', handler: inspect },
  { method: 'POST', pattern: '/services/{id}/update', handler: updateRoute },
  { method: 'DELETE', pattern: '/services/{id}', handler: remove },
];
