import { parseFilters } from '../../cluster/controlapi/filters.js';
import { resolve } from '../../cluster/controlapi/resolve.js';
import { listTasks } from '../../cluster/controlapi/tasks.js';
import { view, type RequestContext } from '../context.js';
import { sendJson } from '../http.js';
import type { Route } from '../router.js';
import { shapeTask } from '../shape/task.js';

async function list(ctx: RequestContext): Promise<void> {
  const filters = parseFilters(ctx.query.get('filters'));
  sendJson(ctx.res, 200, view(ctx, (tx) => listTasks(tx, filters).map(shapeTask)));
}

async function inspect(ctx: RequestContext): Promise<void> {
  sendJson(ctx.res, 200, view(ctx, (tx) => shapeTask(resolve(tx, 'tasks', ctx.params['id']!))));
}

export const taskRoutes: Route[] = [
  { method: 'GET', pattern: '/tasks', handler: list },
  { method: 'GET', pattern: '/tasks/{id}', handler: inspect },
];
