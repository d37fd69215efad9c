import type { Logger } from '../../util/logger.js';
import type { Clock } from '../../util/clock.js';
import type { DnsMetrics } from '../metrics.js';
import { RCode, RCODE_MASK } from '../wire/constants.js';
import type { Upstream } from './resolv-conf.js';
import { tcpExchange } from './tcp-exchange.js';
import { UdpExchange } from './udp-exchange.js';

export type Transport = 'udp' | 'tcp';

export interface ForwarderOptions {
  upstreams: Upstream[];
  /** How long one upstream gets before the next is asked. */
  attemptTimeoutMs: number;
  /** Queries being forwarded at once, at most; more are answered SERVFAIL at once. */
  maxInFlight: number;
  clock: Clock;
  metrics: DnsMetrics;
  log: Logger;
}

/** Rcodes after which the next upstream is asked, as glibc's resolver does. */
const TRY_NEXT = new Set<number>([RCode.SERVFAIL, RCode.REFUSED, RCode.NOTIMP]);

/**
 * Forwards queries that are not Shoal's names to the host's resolvers, over the transport the
 * asker used. Upstreams are tried in turn, starting with the one that last answered, so a dead
 * first resolver costs one timeout once rather than on every query.
 */
export class Forwarder {
  private readonly udp: UdpExchange;
  private inFlight = 0;
  private preferred = 0;

  constructor(private readonly opts: ForwarderOptions) {
    this.udp = new UdpExchange(opts.clock);
  }

  /** The upstream's answer (ID as the query's), or undefined if none answered: the caller answers SERVFAIL. */
  async forward(query: Buffer, questionEnd: number, transport: Transport): Promise<Buffer | undefined> {
    const { upstreams, metrics } = this.opts;
    if (this.inFlight >= this.opts.maxInFlight) {
      metrics.overloaded++;
      return undefined;
    }
    this.inFlight++;
    try {
      let last: Buffer | undefined;
      for (let i = 0; i < upstreams.length; i++) {
        const at = (this.preferred + i) % upstreams.length;
        const upstream = upstreams[at]!;
        const answer =
          transport === 'udp'
            ? await this.udp.exchange(query, questionEnd, upstream, this.opts.attemptTimeoutMs)
            : await tcpExchange(query, questionEnd, upstream, this.opts.attemptTimeoutMs, this.opts.clock);
        if (!answer) {
          metrics.upstreamTimeouts++;
          this.opts.log.debug({ upstream, transport }, 'upstream did not answer');
          continue;
        }
        last = answer;
        if (!TRY_NEXT.has(answer.readUInt16BE(2) & RCODE_MASK)) {
          this.preferred = at;
          return answer;
        }
      }
      if (!last) metrics.upstreamFailures++;
      return last;
    } finally {
      this.inFlight--;
    }
  }

  close(): void {
    this.udp.close();
  }
}
