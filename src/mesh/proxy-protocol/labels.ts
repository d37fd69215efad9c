// The operator's switch for the PROXY protocol: a service label per published TCP port,
// `shoal.proxy-protocol.<published port>=v1|v2` (Docker's PortConfig has no field for it).
import { PROXY_PROTOCOLS, type ProxyProtocol } from './header.js';

export const PROXY_PROTOCOL_LABEL = 'shoal.proxy-protocol.';

/** A published port as the labels are checked against it. */
interface Published {
  protocol: string;
  publishedPort: number;
}

/** The PROXY protocol version of each published TCP port of a service, by port; labels that name nothing valid are left out (the managers refuse them). */
export function proxyProtocols(labels: Record<string, string> | undefined, ports: readonly Published[]): Map<number, ProxyProtocol> {
  const out = new Map<number, ProxyProtocol>();
  for (const [key, value] of Object.entries(labels ?? {})) {
    if (!key.startsWith(PROXY_PROTOCOL_LABEL) || !PROXY_PROTOCOLS.includes(value as ProxyProtocol)) continue;
    const port = Number(key.slice(PROXY_PROTOCOL_LABEL.length));
    if (ports.some((p) => p.protocol === 'tcp' && p.publishedPort === port)) out.set(port, value as ProxyProtocol);
  }
  return out;
}

/** What is wrong with the service's PROXY protocol labels, worded for the operator; undefined when nothing is. */
export function proxyProtocolLabelError(labels: Record<string, string> | undefined, ports: readonly Published[]): string | undefined {
  for (const [key, value] of Object.entries(labels ?? {})) {
    if (!key.startsWith(PROXY_PROTOCOL_LABEL)) continue;
    const name = key.slice(PROXY_PROTOCOL_LABEL.length);
    if (!PROXY_PROTOCOLS.includes(value as ProxyProtocol)) return `invalid label ${key}=${value}: the PROXY protocol version is v1 or v2 (--label ${PROXY_PROTOCOL_LABEL}${name}=v2)`;
    const port = /^\d+$/.test(name) ? Number(name) : NaN;
    if (!ports.some((p) => p.protocol === 'tcp' && p.publishedPort === port)) {
      const tcp = ports.filter((p) => p.protocol === 'tcp' && p.publishedPort > 0).map((p) => p.publishedPort);
      return `invalid label ${key}: the service publishes no TCP port ${name} (the PROXY protocol is TCP only); label a published TCP port (${tcp.length ? tcp.join(', ') : 'none published: add -p <port>:<target port>'}) or remove the label`;
    }
  }
  return undefined;
}
