import { parseFilters } from '../../cluster/controlapi/filters.js';
import { resolve } from '../../cluster/controlapi/resolve.js';
import { createSecret, listSecrets, removeSecret, updateSecret, type SecretTable } from '../../cluster/controlapi/secrets.js';
import type { ConfigObject, SecretObject, SecretSpec } from '../../cluster/types.js';
import { managerStore, update, view, type RequestContext } from '../context.js';
import { readJson, sendEmpty, sendJson } from '../http.js';
import { versionParam } from '../query.js';
import type { Route } from '../router.js';
import { configSpecSchema, secretSpecSchema } from '../schemas.js';
import { shapeSecret } from '../shape/secret.js';

/** The routes of `/secrets` or `/configs`: the same operations, with secret data never shown. */
function secretRoutes(table: SecretTable): Route[] {
  const base = `/${table}`;
  const kind = table === 'secrets' ? 'secret' : 'config';
  const schema = table === 'secrets' ? secretSpecSchema : configSpecSchema;
  const shape = (o: SecretObject | ConfigObject): object => (table === 'secrets' ? shapeSecret(o) : o);

  const list = async (ctx: RequestContext): Promise<void> => {
    const filters = parseFilters(ctx.query.get('filters'));
    sendJson(ctx.res, 200, view(ctx, (tx) => listSecrets(tx, table, filters).map(shape)));
  };
  const inspect = async (ctx: RequestContext): Promise<void> => {
    sendJson(ctx.res, 200, view(ctx, (tx) => shape(resolve(tx, table, ctx.params['id']!))));
  };
  const create = async (ctx: RequestContext): Promise<void> => {
    managerStore(ctx.backend);
    const spec = await readJson<SecretSpec>(ctx.req, schema);
    const created = await update(ctx, (tx) => createSecret(tx, table, spec));
    sendJson(ctx.res, 201, { ID: created.ID });
  };
  const updateRoute = async (ctx: RequestContext): Promise<void> => {
    managerStore(ctx.backend);
    const version = versionParam(ctx.query, kind);
    const spec = await readJson<SecretSpec>(ctx.req, schema);
    await update(ctx, (tx) => updateSecret(tx, table, ctx.params['id']!, version, spec));
    sendEmpty(ctx.res, 200);
  };
  const remove = async (ctx: RequestContext): Promise<void> => {
    await update(ctx, (tx) => removeSecret(tx, table, ctx.params['id']!));
    sendEmpty(ctx.res, 204);
  };
  return [
    { method: 'GET', pattern: base, handler: list },
    { method: 'POST', pattern: `${base}/create`, handler: create },
    { method: 'GET', pattern: `${base}/{id}`, handler: inspect },
    { method: 'POST', pattern: `${base}/{id}/update`, handler: updateRoute },
    { method: 'DELETE', pattern: `${base}/{id}`, handler: remove },
  ];
}

export const secretAndConfigRoutes: Route[] = [...secretRoutes('secrets'), ...secretRoutes('configs')];
