// What Splicer (main thread) and the splice threads tell each other.
import type { ProxyProtocol } from '../../proxy-protocol/header.js';
import type { BalanceMemory } from './balance.js';

/** A route as the splice threads see it: its backends' addresses and port, and the round-robin turn shared with every thread (Route.turn). */
export interface ThreadRoute {
  id: number;
  port: number;
  backends: string[];
  /** Backends that just left it to drain (their task was told to stop): they may still answer what they have, so only connections that sent them nothing move off them. */
  draining: string[];
  turn: Int32Array;
  /** Each connection sends its backend this PROXY protocol header before the client's bytes (on every backend it is moved to). */
  proxyProtocol?: ProxyProtocol;
  /** Client-IP affinity (affinity.ts): the route's table, shared with every thread, and its timeout. */
  affinity?: { memory: SharedArrayBuffer; timeoutSeconds: number };
}

/** Where a listener's connections go by the local address they arrived at (layout.ts); a `refused` address (a VIP without a route here) gets a reset. */
export interface ThreadTable {
  byLocal: [string, number][];
  wildcard?: number;
  refused: string[];
  routes: ThreadRoute[];
}

export type SpliceCommand =
  /** Accept on `fd` (this thread's duplicate of the listening socket): connect to a backend, retry others, relay. */
  | { op: 'listen'; listener: number; fd: number; table: ThreadTable; connectTimeoutMs: number }
  | { op: 'table'; listener: number; table: ThreadTable }
  /** Stop accepting on a listener; `reset` also cuts its connections, else they go on until they end. */
  | { op: 'unlisten'; listener: number; reset: boolean }
  | { op: 'stop' };

/**
 * A connection accepted by a thread got a backend (`backend`), or none answered (the client was
 * reset). `first`: its first report (it counts as a connection). `failed`: backends that refused,
 * timed out or closed before a byte passed, since the last report. `left`: the backend it had
 * before, which closed before a byte passed or left the table.
 */
export interface UpstreamReport {
  op: 'upstream';
  id: number;
  listener: number;
  route: number;
  first: boolean;
  backend?: string;
  failed: string[];
  left?: string;
}

export type SpliceReport = { op: 'bytes'; counts: number[] } | { op: 'closed'; id: number; bytesIn: number; bytesOut: number; reset: boolean } | UpstreamReport;

export interface SpliceThreadData {
  /** Every thread's eventfd (a thread is woken through its own: commands, connections handed to it). */
  wakeFds: number[];
  /** Connections of thread `index` get ids n × threads + index. */
  index: number;
  balance: BalanceMemory;
}
