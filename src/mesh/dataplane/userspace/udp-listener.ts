import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { Logger } from '../../../util/logger.js';
import type { Backend } from '../plan.js';
import type { Route } from './route.js';

export interface UdpProxyOptions {
  /** A flow with no datagram either way for this long is forgotten (like a conntrack UDP timeout). */
  flowIdleMs: number;
}

/** Datagrams of a new flow held while its upstream socket binds. */
const PENDING_LIMIT = 64;

/** One client's flow: its own upstream socket, connected to the backend the flow was given. */
interface Flow {
  upstream: Socket;
  backend: Backend;
  route: Route;
  lastSeen: number;
  /** Datagrams received before the upstream socket was ready; undefined once it is. */
  pending: Buffer[] | undefined;
}

/**
 * A UDP proxy listener. Each client address:port is a flow pinned to one backend (as conntrack
 * pins a NATed flow); replies come back from the listening socket. Flows end when idle, when their
 * backend leaves the route (the next datagram is balanced again) or when the backend refuses.
 */
export class UdpListener {
  private readonly socket: Socket;
  private readonly flows = new Map<string, Flow>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private route: Route,
    private readonly opts: UdpProxyOptions,
    private readonly log: Logger,
  ) {
    // reuseAddr: a VIP's socket and a published port's wildcard socket may share a port.
    this.socket = createSocket({ type: 'udp4', reuseAddr: true });
    this.socket.on('message', (msg, rinfo) => this.fromClient(msg, rinfo));
    this.socket.on('error', (err) => this.log.warn({ err: err.message, entry: this.route.entry }, 'UDP listener error'));
    this.sweeper = setInterval(() => this.sweep(), Math.max(1000, Math.floor(opts.flowIdleMs / 4)));
    this.sweeper.unref();
  }

  listen(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.once('error', reject);
      this.socket.bind({ address: host, port, exclusive: true }, () => {
        this.socket.off('error', reject);
        resolve();
      });
    });
  }

  /** Swaps the route; flows whose backend left it are dropped, so their next datagram is balanced again. */
  setRoute(route: Route): void {
    this.route = route;
    for (const [key, f] of this.flows) if (f.route !== route || !route.has(f.backend.address)) this.endFlow(key, f);
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const [key, f] of this.flows) this.endFlow(key, f);
    this.socket.close();
  }

  private fromClient(msg: Buffer, rinfo: RemoteInfo): void {
    const key = `${rinfo.address}:${rinfo.port}`;
    const now = Date.now();
    let flow = this.flows.get(key);
    if (!flow) {
      const backend = this.route.pick(undefined, now, rinfo.address);
      if (!backend) return;
      flow = this.openFlow(key, rinfo, backend);
    }
    flow.lastSeen = now;
    flow.route.counters.bytesIn += msg.length;
    if (flow.pending) {
      if (flow.pending.length < PENDING_LIMIT) flow.pending.push(msg);
    } else flow.upstream.send(msg);
  }

  private openFlow(key: string, client: RemoteInfo, backend: Backend): Flow {
    const upstream = createSocket('udp4');
    const route = this.route;
    const flow: Flow = { upstream, backend, route, lastSeen: Date.now(), pending: [] };
    this.flows.set(key, flow);
    const perBackend = route.counters.backend(backend.address);
    route.counters.connections++;
    route.counters.active++;
    perBackend.connections++;
    perBackend.active++;
    upstream.once('close', () => {
      route.counters.active--;
      perBackend.active--;
    });
    upstream.on('message', (reply) => {
      flow.lastSeen = Date.now();
      route.counters.bytesOut += reply.length;
      this.socket.send(reply, client.port, client.address);
    });
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      route.counters.failed++;
      // ECONNREFUSED: the backend's port is closed (ICMP unreachable); its next datagram goes elsewhere.
      if (route.markFailed(backend.address, Date.now())) {
        this.log.warn({ service: route.service, entry: route.entry, backend: `${backend.address}:${route.port}`, task: backend.taskId, why: err.code ?? err.message }, 'UDP backend failed');
      }
      this.endFlow(key, flow);
    });
    upstream.connect(route.port, backend.address, () => {
      const pending = flow.pending ?? [];
      flow.pending = undefined;
      for (const m of pending) upstream.send(m);
    });
    return flow;
  }

  private endFlow(key: string, flow: Flow): void {
    if (this.flows.get(key) === flow) this.flows.delete(key);
    try {
      flow.upstream.close();
    } catch {
      // already closed
    }
  }

  private sweep(): void {
    const cutoff = Date.now() - this.opts.flowIdleMs;
    for (const [key, f] of this.flows) if (f.lastSeen < cutoff) this.endFlow(key, f);
  }
}
