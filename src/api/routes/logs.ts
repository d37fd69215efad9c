import { resolve } from '../../cluster/controlapi/resolve.js';
import type { ServiceObject, TaskObject } from '../../cluster/types.js';
import type { LogLine, LogOptions } from '../../runtime/types.js';
import { errorMessage, invalidArgument } from '../../util/errors.js';
import { view, type RequestContext } from '../context.js';
import { LogMerger, formatLine, frame, swarmDetails } from '../log-stream.js';
import { boolParam } from '../query.js';
import type { Route } from '../router.js';

interface Chunk {
  stream: 'stdout' | 'stderr';
  data: Buffer;
}

function logOptions(query: URLSearchParams, signal: AbortSignal): LogOptions {
  const opts: LogOptions = { follow: boolParam(query, 'follow'), stdout: boolParam(query, 'stdout'), stderr: boolParam(query, 'stderr'), signal };
  if (!opts.stdout && !opts.stderr) throw invalidArgument('Bad parameters: you must choose at least one stream');
  // Like Docker, a tail that is not a number means all lines.
  const tail = Number(query.get('tail') ?? 'all');
  if (Number.isInteger(tail) && tail >= 0) opts.tail = tail;
  for (const name of ['since', 'until'] as const) {
    const v = Number(query.get(name) ?? '');
    if (query.get(name) && Number.isFinite(v) && v > 0) opts[name] = v;
  }
  return opts;
}

/**
 * Streams the logs of a service's tasks (or one task) as Docker does: 200, chunked, no
 * Content-Type, multiplexed frames unless the service has a TTY, each line prefixed with the
 * task's IDs when `details=1` (the CLI turns them into `name.slot.id@node | line`).
 */
async function streamLogs(ctx: RequestContext, tasks: TaskObject[], how: { tty: boolean; followService?: string }): Promise<void> {
  const { res, query, backend } = ctx;
  const abort = new AbortController();
  const opts = logOptions(query, abort.signal);
  const timestamps = boolParam(query, 'timestamps');
  const details = boolParam(query, 'details');
  const { tty } = how;
  const merger = new LogMerger<Chunk>(opts.follow);
  const started = new Set<string>();
  const start = (task: TaskObject): void => {
    if (started.has(task.ID)) return;
    started.add(task.ID);
    const prefix = details ? swarmDetails(task.NodeID ?? '', task.ServiceID, task.ID) : undefined;
    const source = mapLines(backend.taskLogs(task.ID, opts), (line) => ({
      stream: line.stream,
      data: formatLine(line, { timestamps, details: prefix }),
    }));
    merger.add(source, (err) => (abort.signal.aborted ? undefined : { stream: 'stderr', data: Buffer.from(`Error grabbing logs: ${errorMessage(err)}\n`) }));
  };
  for (const t of tasks) start(t);
  // With --follow, tasks that start later (a scale-up, a restart) join the stream.
  const followService = opts.follow ? how.followService : undefined;
  const stopWatching = followService
    ? backend.onStoreEvents((changes) => {
        for (const c of changes) {
          const t = c.object as TaskObject;
          if (c.table === 'tasks' && c.action !== 'remove' && t.ServiceID === followService && t.NodeID) start(t);
        }
      })
    : undefined;
  res.on('close', () => abort.abort());
  res.writeHead(200, {});
  res.flushHeaders();
  try {
    for await (const chunk of merger) {
      if (abort.signal.aborted) break;
      const ok = res.write(tty ? chunk.data : frame(chunk.stream, chunk.data));
      if (!ok) await new Promise<void>((r) => res.once('drain', r).once('close', r));
    }
  } finally {
    stopWatching?.();
    res.end();
  }
}

const hasTty = (service: ServiceObject | undefined): boolean => service?.Spec.TaskTemplate.ContainerSpec?.TTY === true;

async function* mapLines<T>(source: AsyncIterable<LogLine>, fn: (line: LogLine) => T): AsyncIterable<T> {
  for await (const line of source) yield fn(line);
}

async function serviceLogs(ctx: RequestContext): Promise<void> {
  const { service, tasks } = view(ctx, (tx) => {
    const s = resolve(tx, 'services', ctx.params['id']!);
    return { service: s, tasks: tx.find('tasks', 'service', s.ID).filter((t) => t.NodeID) };
  });
  await streamLogs(ctx, tasks, { tty: hasTty(service), followService: service.ID });
}

async function taskLogs(ctx: RequestContext): Promise<void> {
  const { service, task } = view(ctx, (tx) => {
    const t = resolve(tx, 'tasks', ctx.params['id']!);
    return { task: t, service: tx.get('services', t.ServiceID) };
  });
  await streamLogs(ctx, [task], { tty: hasTty(service) });
}

export const logRoutes: Route[] = [
  { method: 'GET', pattern: '/services/{id}/logs', handler: serviceLogs },
  { method: 'GET', pattern: '/tasks/{id}/logs', handler: taskLogs },
];
