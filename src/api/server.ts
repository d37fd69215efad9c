import type { IncomingMessage, ServerResponse } from 'node:http';
import { notFound } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import type { ApiBackend } from './backend.js';
import { EventLog } from './events.js';
import { sendError } from './http.js';
import { closeListeners, listen, type ListenOptions } from './listen.js';
import { Router } from './router.js';
import { imageRoutes } from './routes/images.js';
import { containerRoutes } from './routes/containers.js';
import { logRoutes } from './routes/logs.js';
import { networkRoutes } from './routes/networks.js';
import { nodeRoutes } from './routes/nodes.js';
import { secretAndConfigRoutes } from './routes/secrets.js';
import { serviceRoutes } from './routes/services.js';
import { swarmRoutes } from './routes/swarm.js';
import { systemRoutes } from './routes/system.js';
import { taskRoutes } from './routes/tasks.js';
import { traceRoutes } from './routes/trace.js';
import { shoalRoutes } from './routes/shoal.js';
import { API_VERSION, splitVersion } from './version.js';

export interface ApiServerOptions extends ListenOptions {
  backend: ApiBackend;
  logger: Logger;
}

export interface ApiServer {
  /** The unix socket path and TCP address actually listened on. */
  readonly socketPath?: string;
  readonly tcpAddress?: { host: string; port: number };
  /** The request handler, for other listeners that serve part of the API (the live cluster view). */
  readonly handler: (req: IncomingMessage, res: ServerResponse) => void;
  close(): Promise<void>;
}

const router = new Router([
  ...systemRoutes,
  ...swarmRoutes,
  ...nodeRoutes,
  ...serviceRoutes,
  ...logRoutes,
  ...taskRoutes,
  ...networkRoutes,
  ...secretAndConfigRoutes,
  ...imageRoutes,
  ...containerRoutes,
  ...traceRoutes,
  ...shoalRoutes,
]);

/** The request handler: Docker's headers on every answer, version negotiation, routing, error bodies. */
export function apiHandler(backend: ApiBackend, events: EventLog, logger: Logger): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const started = Date.now();
    res.setHeader('Api-Version', API_VERSION);
    res.setHeader('Docker-Experimental', 'false');
    res.setHeader('Ostype', 'linux');
    res.setHeader('Server', `Shoal/${backend.host().version} (linux)`);
    const url = new URL(req.url ?? '/', 'http://shoal');
    const log = logger.child({ method: req.method, path: url.pathname });
    const handle = async (): Promise<void> => {
      const { path } = splitVersion(url.pathname);
      const route = router.match(req.method ?? 'GET', path);
      if (!route) throw notFound('page not found');
      await route.handler({ req, res, params: route.params, query: url.searchParams, backend, events, log });
    };
    handle().then(
      () => log.debug({ status: res.statusCode, ms: Date.now() - started }, 'request'),
      (err: unknown) => {
        const status = sendError(res, err);
        if (status >= 500 && status !== 503) log.error({ err, status }, 'request failed');
        else log.debug({ status, message: (err as Error).message }, 'request refused');
      },
    );
  };
}

/**
 * Starts the Engine API on a unix socket and, optionally, TCP (TLS with client certificates,
 * or plain only when `insecureTcp` says so).
 */
export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const events = new EventLog(opts.backend);
  const log = opts.logger.child({ component: 'api' });
  const handler = apiHandler(opts.backend, events, log);
  try {
    const listeners = await listen(opts, handler, log);
    return {
      socketPath: listeners.socketPath,
      tcpAddress: listeners.tcpAddress,
      handler,
      close: async () => {
        events.close();
        await closeListeners(listeners);
      },
    };
  } catch (err) {
    events.close();
    throw err;
  }
}
