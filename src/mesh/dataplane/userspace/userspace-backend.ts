import { errorMessage } from '../../../util/errors.js';
import type { Logger } from '../../../util/logger.js';
import type { DataPlanePlan } from '../plan.js';
import type { EntryStats, PlanBackend, TraceAnswer, TraceTarget } from '../types.js';
import { listenerLayout, type ListenerSpec } from './layout.js';
import { FAILED_BACKEND_COOLDOWN_MS, Route } from './route.js';
import { TcpListener, type ListenerRoutes, type TcpProxyOptions } from './tcp-listener.js';
import { Splicer } from './splicer.js';
import { UdpListener, type UdpProxyOptions } from './udp-listener.js';

export type UserspaceOptions = Omit<TcpProxyOptions, 'splicer'> &
  UdpProxyOptions & {
    /** Hand established TCP connections to a thread relaying them with splice(2) (splicer.ts). */
    splice: boolean;
  };

export const USERSPACE_DEFAULTS: UserspaceOptions = { connectTimeoutMs: 1000, flowIdleMs: 30_000, splice: true };

type Listener = { spec: ListenerSpec; tcp: TcpListener; udp?: never } | { spec: ListenerSpec; udp: UdpListener; tcp?: never };

/**
 * The userspace data plane: TCP and UDP proxies in this process on published ports and VIPs. A plan
 * is applied by binding the sockets it adds, then swapping every route in one synchronous step, then
 * closing the sockets it drops; TCP listeners that go keep their connections until these end. A
 * socket that cannot be bound (its port taken by another process) is logged and left out.
 */
export class UserspaceBackend implements PlanBackend {
  readonly kind = 'userspace';
  private routes = new Map<string, Route>();
  private listeners = new Map<string, Listener>();
  private readonly draining = new Set<TcpListener>();
  /** Started with the first TCP listener. */
  private splicer?: Splicer;

  constructor(
    private readonly log: Logger,
    private readonly opts: UserspaceOptions = USERSPACE_DEFAULTS,
  ) {}

  async apply(plan: DataPlanePlan): Promise<void> {
    const layout = listenerLayout(plan);
    const draining = new Set(plan.draining);
    const routes = new Map<string, Route>();
    for (const [key, spec] of layout.routes) {
      let route = this.routes.get(key);
      if (!route) {
        route = new Route(spec.service, spec.entry, spec.port, spec.proxyProtocol);
        route.setBackends(spec.backends); // live as soon as its listener binds
      }
      route.setAffinity(spec.affinity);
      routes.set(key, route);
    }
    const vips = new Set(plan.vips.map((v) => v.vip));
    const added: Listener[] = [];
    for (const spec of layout.listeners.values()) {
      if (this.listeners.has(spec.key)) continue;
      const l = this.makeListener(spec, routes, vips);
      try {
        await (l.tcp ?? l.udp).listen(spec.host, spec.port);
        added.push(l);
      } catch (err) {
        // A port another process holds must not stop the rest of the mesh; the next table tries it again.
        if (l.tcp) await l.tcp.destroy();
        else l.udp.close();
        const services = [...new Set([...spec.routes.values()].map((k) => routes.get(k)!.service))];
        this.log.error({ listen: spec.key, services, err: errorMessage(err) }, 'cannot listen; this port is not served on this host');
      }
    }
    // The swap: from here to the end of the loop nothing awaits, so no connection sees half a plan.
    for (const [key, spec] of layout.routes) routes.get(key)!.setBackends(spec.backends, draining);
    const dropped: Listener[] = [];
    for (const [key, l] of this.listeners) {
      const spec = layout.listeners.get(key);
      if (!spec) dropped.push(l);
      else if (l.tcp) l.tcp.setRoutes(routesFor(spec, routes, vips));
      else l.udp.setRoute(routeOf(spec, routes));
    }
    for (const l of dropped) this.listeners.delete(l.spec.key);
    for (const l of added) {
      this.listeners.set(l.spec.key, l);
      l.tcp?.setRoutes(routesFor(l.spec, routes, vips)); // the threads took its routes before the swap
    }
    this.routes = routes;
    for (const l of dropped) {
      if (l.udp) l.udp.close();
      else {
        this.draining.add(l.tcp);
        void l.tcp.stopAccepting().then(() => this.draining.delete(l.tcp));
      }
    }
  }

  async stats(): Promise<EntryStats[]> {
    const byEntry = new Map<string, EntryStats>();
    for (const r of this.routes.values()) {
      let e = byEntry.get(r.entry);
      if (!e) byEntry.set(r.entry, (e = { service: r.service, entry: r.entry, connections: 0, active: 0, failed: 0, retries: 0, bytesIn: 0, bytesOut: 0, backends: [] }));
      const c = r.counters;
      e.connections += c.connections;
      e.active += c.active;
      e.failed += c.failed;
      e.retries += c.retries;
      e.bytesIn += c.bytesIn;
      e.bytesOut += c.bytesOut;
      for (const [address, b] of c.backends) {
        const same = e.backends.find((x) => x.address === address);
        if (same) {
          same.connections += b.connections;
          same.active += b.active;
        } else e.backends.push({ address, taskId: r.taskOf(address) ?? '', connections: b.connections, active: b.active });
      }
    }
    return [...byEntry.values()];
  }

  async trace(_plan: DataPlanePlan, target: TraceTarget): Promise<TraceAnswer | undefined> {
    const key = target.vip ? `vip/${target.vip}:${target.protocol}/${target.port}` : [...this.routes.keys()].find((k) => k.startsWith(`${target.protocol}/${target.port}>`));
    const route = key === undefined ? undefined : this.routes.get(key);
    if (!route) return undefined;
    const rule = `userspace proxy ${route.entry} (${target.protocol}) → backends' port ${route.port}${route.proxyProtocol ? `, PROXY protocol ${route.proxyProtocol} header first` : ''}, round robin over ${route.size}`;
    const next = route.peek(Date.now());
    if (!next) return { entry: route.entry, rule, why: 'the service has no task taking connections' };
    const why = next.cooling
      ? `every backend failed a connect in the last ${FAILED_BACKEND_COOLDOWN_MS} ms; this one is tried first`
      : `round robin: backend ${next.position + 1} of ${next.of} is next (backends that failed a connect in the last ${FAILED_BACKEND_COOLDOWN_MS} ms are skipped); a refused connect is retried on the next`;
    return { entry: route.entry, rule, backend: { address: next.backend.address, taskId: next.backend.taskId }, why };
  }

  private makeListener(spec: ListenerSpec, routes: Map<string, Route>, vips: ReadonlySet<string>): Listener {
    const log = this.log.child({ listen: `${spec.protocol}/${spec.host}:${spec.port}` });
    if (spec.protocol === 'tcp') {
      if (this.opts.splice) this.splicer ??= Splicer.start(this.log);
      return { spec, tcp: new TcpListener(routesFor(spec, routes, vips), { connectTimeoutMs: this.opts.connectTimeoutMs, splicer: this.splicer }, log) };
    }
    return { spec, udp: new UdpListener(routeOf(spec, routes), this.opts, log) };
  }

  async close(): Promise<void> {
    const all = [...this.listeners.values()];
    this.listeners.clear();
    this.routes.clear();
    await Promise.all([...all.map((l) => (l.tcp ? l.tcp.destroy() : l.udp.close())), ...[...this.draining].map((t) => t.destroy())]);
    this.draining.clear();
    await this.splicer?.close();
    this.splicer = undefined;
  }
}

/** A TCP listener's routes by local address; a VIP without a route on this port is refused, not taken for the published port. */
function routesFor(spec: ListenerSpec, routes: ReadonlyMap<string, Route>, vips: ReadonlySet<string>): ListenerRoutes {
  const byLocal = new Map<string, Route>();
  for (const [local, key] of spec.routes) if (local !== '*') byLocal.set(local, routes.get(key)!);
  const wildcard = spec.routes.get('*');
  return { byLocal, wildcard: wildcard === undefined ? undefined : routes.get(wildcard), vips };
}

/** A UDP socket has one route (it cannot see the local address of a datagram; see layout.ts). */
function routeOf(spec: ListenerSpec, routes: ReadonlyMap<string, Route>): Route {
  return routes.get([...spec.routes.values()][0]!)!;
}
