import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ReadTx, Store, WriteTx } from '../cluster/store/types.js';
import { ShoalError } from '../util/errors.js';
import { SWARM_LOCKED } from '../cluster/raft/storage/encryption.js';
import type { Logger } from '../util/logger.js';
import type { ApiBackend } from './backend.js';
import type { EventLog } from './events.js';

/** Everything a route handler gets for one request. */
export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
  backend: ApiBackend;
  events: EventLog;
  log: Logger;
}

export type Handler = (ctx: RequestContext) => Promise<void>;

const NOT_IN_SWARM =
  'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.';
const WORKER =
  "This node is not a swarm manager. Worker nodes can't be used to view or modify cluster state. Please run this command on a manager node or promote the current node to a manager.";

/** The cluster store, or Docker's 503 when this node cannot serve swarm endpoints. */
export function managerStore(backend: ApiBackend): Store {
  const state = backend.swarm.state();
  const store = backend.store();
  if (state.localNodeState === 'locked') throw new ShoalError('failed_precondition', SWARM_LOCKED);
  if (state.localNodeState !== 'active') throw new ShoalError('failed_precondition', NOT_IN_SWARM);
  if (!state.controlAvailable || !store) throw new ShoalError('failed_precondition', WORKER);
  return store;
}

export const view = <R>(ctx: RequestContext, fn: (tx: ReadTx) => R): R => managerStore(ctx.backend).view(fn);

export const update = <R>(ctx: RequestContext, fn: (tx: WriteTx) => R): Promise<R> => managerStore(ctx.backend).update(fn);
