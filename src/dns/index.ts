// The embedded DNS server: Shoal's names from the endpoint table, everything else forwarded.
export { DnsServer, type DnsServerOptions, type ListenAddress } from './server.js';
export { type UdpListenerKind } from './listen/udp.js';
export { type DnsMetrics, type ClassCounters, type LatencyHistogram, LATENCY_BOUNDS_MS } from './metrics.js';
export { type NameClass, NAME_CLASSES } from './names/entry.js';
export { type DnsTtls } from './names/network-names.js';
export { type Upstream, type ResolvConf, parseResolvConf, readResolvConf } from './forward/resolv-conf.js';
