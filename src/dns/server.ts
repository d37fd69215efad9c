import type { Logger } from '../util/logger.js';
import type { EndpointTable } from '../cluster/endpoints/types.js';
import { systemClock, type Clock } from '../util/clock.js';
import { Forwarder } from './forward/forwarder.js';
import { readResolvConf, upstreamsOf, type Upstream } from './forward/resolv-conf.js';
import { TcpListener } from './listen/tcp-listener.js';
import { bindUdp, type UdpListenerKind, type UdpSide } from './listen/udp.js';
import { newMetrics, type DnsMetrics } from './metrics.js';
import { NameIndex } from './names/name-index.js';
import type { DnsTtls } from './names/network-names.js';
import { QueryHandler } from './query-handler.js';
import { CLASSIC_UDP_LIMIT } from './wire/constants.js';

export interface DnsServerOptions {
  log: Logger;
  /** Resolvers for names that are not Shoal's; read from `resolvConfPath` when not given. */
  upstreams?: Upstream[];
  /** Default /etc/resolv.conf. */
  resolvConfPath?: string;
  /** Seconds; default: service (VIP) 600, task 5. */
  ttl?: Partial<DnsTtls>;
  /** How long one upstream gets before the next is asked; default 1500 ms. */
  upstreamTimeoutMs?: number;
  /** Default 1024. */
  maxForwardsInFlight?: number;
  /** Largest UDP answer, whatever EDNS0 asks; default 1232 (no IP fragments on a 1450-byte overlay). */
  maxUdpPayload?: number;
  /** Default 256. */
  maxTcpConnections?: number;
  /** Default 10 s. */
  tcpIdleTimeoutMs?: number;
  /** Default `batched` (many datagrams per system call; Node's dgram where libc cannot be loaded). */
  udpListener?: UdpListenerKind;
  clock?: Clock;
}

export interface ListenAddress {
  host: string;
  /** 0 picks a free port (the same for UDP and TCP). */
  port: number;
}

interface Bound {
  udp: UdpSide;
  tcp: TcpListener;
}

const MAX_QUERY_BYTES = 4096;
const DEFAULT_MAX_UDP_PAYLOAD = 1232;
/** Port 0 lets the kernel pick for UDP; TCP may find that port taken, then both try again. */
const EPHEMERAL_BIND_TRIES = 5;

/**
 * The embedded DNS server of one host: answers Shoal's names from the latest applied endpoint
 * table, scoped to the networks of the asking task, and forwards everything else to the host's
 * resolvers. Listens on UDP and TCP on each given address (the host's address on each overlay).
 */
export class DnsServer {
  readonly metrics: DnsMetrics = newMetrics();
  private readonly ttls: DnsTtls;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly bound = new Map<string, Bound>();
  private handler: QueryHandler | undefined;
  private forwarder: Forwarder | undefined;
  private index = NameIndex.EMPTY;

  constructor(private readonly opts: DnsServerOptions) {
    this.ttls = { service: opts.ttl?.service ?? 600, task: opts.ttl?.task ?? 5 };
    this.clock = opts.clock ?? systemClock;
    this.log = opts.log.child({ component: 'dns' });
  }

  /** Starts answering on every address; returns them with the ports actually bound. */
  async start(opts: { listen: ListenAddress[] }): Promise<ListenAddress[]> {
    if (this.handler) throw new Error('DNS server already started');
    const upstreams = this.opts.upstreams ?? upstreamsOf(readResolvConf(this.opts.resolvConfPath), opts.listen.map((l) => l.host));
    this.forwarder = new Forwarder({
      upstreams,
      attemptTimeoutMs: this.opts.upstreamTimeoutMs ?? 1500,
      maxInFlight: Math.min(this.opts.maxForwardsInFlight ?? 1024, 0x8000), // IDs to upstreams must stay unique
      clock: this.clock,
      metrics: this.metrics,
      log: this.log,
    });
    this.handler = new QueryHandler({ forwarder: this.forwarder, metrics: this.metrics, maxUdpPayload: this.opts.maxUdpPayload ?? DEFAULT_MAX_UDP_PAYLOAD, maxQueryBytes: MAX_QUERY_BYTES, log: this.log });
    this.handler.index = this.index;
    try {
      const addresses: ListenAddress[] = [];
      for (const l of opts.listen) addresses.push(await this.listen(l));
      this.log.info({ listen: addresses, upstreams }, 'DNS server started');
      return addresses;
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** Starts answering on one more address (a network attached to this host after start). */
  async listen(address: ListenAddress): Promise<ListenAddress> {
    const handler = this.handler;
    if (!handler) throw new Error('DNS server not started');
    const keyOf = (port: number): string => `${address.host}:${port}`;
    if (this.bound.has(keyOf(address.port))) throw new Error(`DNS server already listens on ${keyOf(address.port)}`);
    for (let attempt = 1; ; attempt++) {
      const udpLimits = { maxQueryBytes: MAX_QUERY_BYTES, maxAnswerBytes: Math.max(CLASSIC_UDP_LIMIT, this.opts.maxUdpPayload ?? DEFAULT_MAX_UDP_PAYLOAD) };
      const udp = await bindUdp(this.opts.udpListener ?? 'batched', address.host, address.port, handler, udpLimits, this.log);
      try {
        const tcpLimits = { maxConnections: this.opts.maxTcpConnections ?? 256, idleTimeoutMs: this.opts.tcpIdleTimeoutMs ?? 10_000, maxQueryBytes: MAX_QUERY_BYTES };
        const tcp = await TcpListener.bind(address.host, udp.port, handler, tcpLimits, this.log);
        this.bound.set(keyOf(udp.port), { udp, tcp });
        return { host: address.host, port: udp.port };
      } catch (err) {
        await udp.close();
        if (address.port !== 0 || attempt >= EPHEMERAL_BIND_TRIES) throw err;
      }
    }
  }

  /** Stops answering on one address (its network left this host), as listen() returned it. */
  async unlisten(address: ListenAddress): Promise<void> {
    const key = `${address.host}:${address.port}`;
    const b = this.bound.get(key);
    this.bound.delete(key);
    if (b) await Promise.all([b.udp.close(), b.tcp.close()]);
  }

  /**
   * Listens on exactly `hosts` at `port` (the host's overlay addresses as networks come and go:
   * see Overlay's onNetworks): new ones are bound, others closed. Every address is tried; if some could
   * not be bound (not configured yet), rejects with their errors afterwards.
   */
  async setListeners(hosts: readonly string[], port: number): Promise<void> {
    const wanted = new Set(hosts.map((host) => `${host}:${port}`));
    for (const key of [...this.bound.keys()].filter((k) => !wanted.has(k))) {
      const at = key.lastIndexOf(':');
      await this.unlisten({ host: key.slice(0, at), port: Number(key.slice(at + 1)) });
    }
    const errors: unknown[] = [];
    for (const host of hosts) {
      if (this.bound.has(`${host}:${port}`)) continue;
      await this.listen({ host, port }).catch((err: unknown) => errors.push(err));
    }
    if (errors.length) throw new AggregateError(errors, `DNS server could not listen on ${errors.length} address(es)`);
  }

  /**
   * Answers from `table` from now on: its names are indexed first, then swapped in whole. A table
   * older than the one applied is ignored (returns false).
   */
  apply(table: EndpointTable): boolean {
    if (table.version < this.index.version) return false;
    this.index = NameIndex.build(table, this.ttls);
    if (this.handler) this.handler.index = this.index;
    this.metrics.tableVersion = table.version;
    return true;
  }

  /** What a task on each network gets for `name` now (for `shoal service why`). */
  addressesOf(name: string): { networkId: string; addresses: string[] }[] {
    return this.index.addressesOf(name);
  }

  /** The version of the table answers come from (-1 before the first). */
  get tableVersion(): number {
    return this.index.version;
  }

  async stop(): Promise<void> {
    const bound = [...this.bound.values()];
    this.bound.clear();
    await Promise.all(bound.flatMap((b) => [b.udp.close(), b.tcp.close()]));
    this.forwarder?.close();
    this.forwarder = undefined;
    this.handler = undefined;
  }
}
