import type { LocalTask } from '../../agent/agent.js';
import { checkFilterNames, filterValues, parseFilters, type Filters } from '../../cluster/controlapi/filters.js';
import { parseSignal } from '../../runtime/process/signals.js';
import { invalidArgument, notFound } from '../../util/errors.js';
import type { RequestContext } from '../context.js';
import { sendEmpty, sendJson } from '../http.js';
import { boolParam } from '../query.js';
import type { Route } from '../router.js';
import { containerLabels, containerName, shapeContainer } from '../shape/container.js';

// Shoal runs tasks, not containers; these routes show this host's tasks as Docker shows a swarm
// task's container, so `docker ps`, `docker kill` and `docker stop` on a host work as in the walkthroughs.

const FILTERS = ['id', 'name', 'label', 'status'];

function matches(t: LocalTask, filters: Filters): boolean {
  const ids = filterValues(filters, 'id');
  const names = filterValues(filters, 'name');
  const labels = filterValues(filters, 'label');
  const status = filterValues(filters, 'status');
  const own = containerLabels(t);
  return (
    (ids.length === 0 || ids.some((id) => t.containerId.startsWith(id))) &&
    (names.length === 0 || names.some((n) => containerName(t).includes(n.replace(/^\//, '')))) &&
    labels.every((l) => (l.includes('=') ? own[l.slice(0, l.indexOf('='))] === l.slice(l.indexOf('=') + 1) : l in own)) &&
    (status.length === 0 || status.includes(t.exit ? 'exited' : 'running'))
  );
}

async function list(ctx: RequestContext): Promise<void> {
  const filters = parseFilters(ctx.query.get('filters'));
  checkFilterNames(filters, FILTERS);
  const all = boolParam(ctx.query, 'all');
  const tasks = ctx.backend.containers.list().filter((t) => (all || !t.exit) && matches(t, filters));
  tasks.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  const now = Date.now();
  sendJson(ctx.res, 200, tasks.map((t) => shapeContainer(t, now)));
}

/** A container by full ID, name or unique ID prefix, as Docker finds them. */
function find(ctx: RequestContext): LocalTask {
  const ref = ctx.params['id']!;
  const tasks = ctx.backend.containers.list();
  const exact = tasks.find((t) => t.containerId === ref || containerName(t) === ref.replace(/^\//, ''));
  if (exact) return exact;
  const byPrefix = tasks.filter((t) => t.containerId.startsWith(ref));
  if (byPrefix.length > 1) throw invalidArgument(`multiple IDs found with provided prefix: ${ref}`);
  if (!byPrefix[0]) throw notFound(`No such container: ${ref}`);
  return byPrefix[0];
}

async function kill(ctx: RequestContext): Promise<void> {
  const t = find(ctx);
  const signal = parseSignal(ctx.query.get('signal') || 'SIGKILL');
  await ctx.backend.containers.interrupt(t.task.ID, { signal });
  sendEmpty(ctx.res, 204);
}

async function stop(ctx: RequestContext): Promise<void> {
  const t = find(ctx);
  if (t.exit) return sendEmpty(ctx.res, 304);
  const raw = ctx.query.get('t');
  if (raw !== null && !/^-?\d+$/.test(raw)) throw invalidArgument(`invalid value for t: ${raw}: give the seconds to wait before killing the container`);
  await ctx.backend.containers.interrupt(t.task.ID, raw === null || Number(raw) < 0 ? {} : { graceMs: Number(raw) * 1000 });
  sendEmpty(ctx.res, 204);
}

export const containerRoutes: Route[] = [
  { method: 'GET', pattern: '/containers/json', handler: list },
  { method: 'POST', pattern: '/containers/{id}/kill', handler: kill },
  { method: 'POST', pattern: '/containers/{id}/stop', handler: stop },
];
