import type { ProxyProtocol } from '../../proxy-protocol/header.js';
import type { DataPlanePlan, L4Protocol } from '../plan.js';

/** The wildcard address listeners of published ports bind. */
export const ANY = '0.0.0.0';

/** A route's identity: entry point and backend port (a VIP has one route per port). */
export interface RouteSpec {
  key: string;
  service: string;
  entry: string;
  port: number;
  backends: DataPlanePlan['ports'][number]['backends'];
  /** A published TCP port's PROXY protocol header, sent to the backend first. */
  proxyProtocol?: ProxyProtocol;
  /** Client-IP affinity timeout in seconds (published ports only). */
  affinity?: number;
}

/** One socket to listen on and where its connections go, by the local address they arrived at. */
export interface ListenerSpec {
  key: string;
  protocol: L4Protocol;
  host: string;
  port: number;
  /** Route key by local address: a VIP, or `*` for any address that is not a VIP. */
  routes: Map<string, string>;
}

export interface Layout {
  routes: Map<string, RouteSpec>;
  listeners: Map<string, ListenerSpec>;
}

/**
 * The sockets the userspace data plane needs for a plan. Published ports listen on every address.
 * A VIP port listens on the VIP, except for TCP where a published port already holds the port:
 * Linux refuses a specific listener beside a wildcard one, so that listener tells VIP connections
 * apart by their local address. UDP sockets cannot see it, but may share the port (SO_REUSEADDR).
 */
export function listenerLayout(plan: DataPlanePlan): Layout {
  const routes = new Map<string, RouteSpec>();
  const listeners = new Map<string, ListenerSpec>();
  const listen = (protocol: L4Protocol, host: string, port: number, local: string, route: string) => {
    const key = `${protocol}/${host}:${port}`;
    let l = listeners.get(key);
    if (!l) listeners.set(key, (l = { key, protocol, host, port, routes: new Map() }));
    l.routes.set(local, route);
  };
  for (const p of plan.ports) {
    // A route is made with its header: a label changed makes another route.
    const key = `${p.protocol}/${p.port}>${p.targetPort}${p.proxyProtocol ? `+proxy-${p.proxyProtocol}` : ''}`;
    const options = { ...(p.proxyProtocol ? { proxyProtocol: p.proxyProtocol } : {}), ...(p.affinity ? { affinity: p.affinity } : {}) };
    routes.set(key, { key, service: p.service, entry: `${p.protocol}/${p.port}`, port: p.targetPort, backends: p.backends, ...options });
    listen(p.protocol, ANY, p.port, '*', key);
  }
  const published = new Set(plan.ports.map((p) => `${p.protocol}/${p.port}`));
  for (const v of plan.vips) {
    for (const { protocol, port } of v.ports) {
      const key = `vip/${v.vip}:${protocol}/${port}`;
      routes.set(key, { key, service: v.service, entry: `vip/${v.vip}`, port, backends: v.backends });
      listen(protocol, protocol === 'tcp' && published.has(`tcp/${port}`) ? ANY : v.vip, port, v.vip, key);
    }
  }
  return { routes, listeners };
}
