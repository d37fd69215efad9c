import { invalidArgument } from '../../util/errors.js';
import { managerStore, type RequestContext } from '../context.js';
import { sendJson } from '../http.js';
import type { Route } from '../router.js';

/** `GET /shoal/trace?client=ADDR&service=NAME[&port=N&protocol=tcp|udp]`: Shoal's own endpoint behind `shoal trace`. */
async function trace(ctx: RequestContext): Promise<void> {
  managerStore(ctx.backend);
  const q = ctx.query;
  const client = q.get('client');
  const service = q.get('service');
  if (!client || !service) throw invalidArgument('trace needs client (an address) and service (a name or ID)');
  const protocol = q.get('protocol') ?? 'tcp';
  if (protocol !== 'tcp' && protocol !== 'udp') throw invalidArgument(`invalid protocol "${protocol}": use tcp or udp`);
  const portText = q.get('port');
  const port = portText === null ? undefined : Number(portText);
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) throw invalidArgument(`invalid port "${portText}": use 1-65535`);
  sendJson(ctx.res, 200, await ctx.backend.trace({ client, service, protocol, port }));
}

export const traceRoutes: Route[] = [{ method: 'GET', pattern: '/shoal/trace', handler: trace }];
