import { parseFilters } from '../../cluster/controlapi/filters.js';
import { invalidArgument } from '../../util/errors.js';
import type { RequestContext } from '../context.js';
import { checkEventFilters, eventLine, eventMatches, parseNano, type StreamEvent } from '../events.js';
import { sendJson } from '../http.js';
import type { Route } from '../router.js';
import { swarmInfo, systemInfo } from '../shape/info.js';
import { API_VERSION, MIN_API_VERSION } from '../version.js';

const GO_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386' };

/** `/_ping`: what the CLI negotiates the API version from (the version headers come with every answer). */
async function ping(ctx: RequestContext): Promise<void> {
  const body = ctx.req.method === 'HEAD' ? '' : 'OK';
  ctx.res.writeHead(200, {
    'Cache-Control': 'no-cache, no-store, must-revalidate',
    Pragma: 'no-cache',
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
  });
  ctx.res.end(body);
}

async function version(ctx: RequestContext): Promise<void> {
  const host = ctx.backend.host();
  const arch = GO_ARCH[process.arch] ?? process.arch;
  const details = {
    ApiVersion: API_VERSION,
    Arch: arch,
    BuildTime: '',
    Experimental: 'false',
    GitCommit: '',
    GoVersion: `node ${process.version}`,
    KernelVersion: host.kernelVersion,
    MinAPIVersion: MIN_API_VERSION,
    Os: 'linux',
  };
  sendJson(ctx.res, 200, {
    Platform: { Name: 'Shoal' },
    Components: [
      { Name: 'Engine', Version: host.version, Details: details },
      { Name: `shoal-${host.runtime}`, Version: host.version, Details: { DataPlane: host.dataPlane } },
    ],
    Version: host.version,
    ApiVersion: API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    GitCommit: '',
    GoVersion: details.GoVersion,
    Os: 'linux',
    Arch: arch,
    KernelVersion: host.kernelVersion,
    BuildTime: '',
  });
}

async function info(ctx: RequestContext): Promise<void> {
  const { backend } = ctx;
  const state = backend.swarm.state();
  const store = state.controlAvailable ? backend.store() : undefined;
  const images = (await backend.images.list()).length;
  sendJson(ctx.res, 200, systemInfo(backend.host(), swarmInfo(state, store), images, ctx.events.listenerCount));
}

/** Docker's `since`/`until`: unix seconds with an optional fraction (the CLI converts durations and dates), or a cursor. */
function parseTimestamp(value: string | null, name: string): bigint | undefined {
  if (value === null || value === '') return undefined;
  const nano = parseNano(value);
  if (nano === undefined) throw invalidArgument(`invalid ${name} timestamp '${value}': use unix seconds, e.g. 1700000000.5, or an event's cursor`);
  return nano;
}

/**
 * `GET /events`: past events from `since` (a resync event first when some are no longer kept), then
 * new ones as they happen, until `until` or the client leaves.
 */
async function events(ctx: RequestContext): Promise<void> {
  const filters = parseFilters(ctx.query.get('filters'));
  checkEventFilters(filters);
  const since = parseTimestamp(ctx.query.get('since'), 'since');
  const until = parseTimestamp(ctx.query.get('until'), 'until');
  const { res } = ctx;
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.flushHeaders();
  const send = (e: StreamEvent): void => {
    if (eventMatches(e, filters) && (until === undefined || e.event.timeNano <= until)) res.write(eventLine(e.event));
  };
  if (since !== undefined) {
    const replay = ctx.events.replay(since);
    if (replay.resync) res.write(eventLine(replay.resync.event));
    for (const e of replay.events) send(e);
  }
  const untilMs = until === undefined ? undefined : Number(until / 1_000_000n) - Date.now();
  if (untilMs !== undefined && untilMs <= 0) {
    res.end();
    return;
  }
  const unsubscribe = ctx.events.subscribe(send);
  await new Promise<void>((done) => {
    const timer = untilMs === undefined ? undefined : setTimeout(done, untilMs);
    res.on('close', () => {
      if (timer) clearTimeout(timer);
      done();
    });
  });
  unsubscribe();
  res.end();
}

export const systemRoutes: Route[] = [
  { method: 'GET', pattern: '/_ping', handler: ping },
  { method: 'HEAD', pattern: '/_ping', handler: ping },
  { method: 'GET', pattern: '/version', handler: version },
  { method: 'GET', pattern: '/info', handler: info },
  { method: 'GET', pattern: '/events', handler: events },
];
