import type { EndpointTable } from '../../../src/cluster/endpoints/types.js';
import type { Transport } from '../../../src/dns/forward/forwarder.js';
import { newMetrics, type DnsMetrics } from '../../../src/dns/metrics.js';
import { NameIndex } from '../../../src/dns/names/name-index.js';
import type { DnsTtls } from '../../../src/dns/names/network-names.js';
import { QueryHandler } from '../../../src/dns/query-handler.js';
import type { DnsMessage } from '../../../src/dns/wire/message.js';
import { parseMessage } from '../../../src/dns/wire/parse.js';
import { serializeMessage } from '../../../src/dns/wire/serialize.js';
import { silentLogger } from '../../../src/util/logger.js';
import { query } from './client.js';

/** A QueryHandler on a table, without sockets; forwarded queries are recorded and answered by `upstream`. */
export class HandlerHarness {
  readonly metrics: DnsMetrics = newMetrics();
  readonly forwarded: Buffer[] = [];
  readonly handler: QueryHandler;

  constructor(
    table: EndpointTable,
    ttls: DnsTtls = { service: 600, task: 5 },
    upstream: (q: Buffer) => Buffer | undefined = () => undefined,
  ) {
    const forwarded = this.forwarded;
    this.handler = new QueryHandler({
      forwarder: {
        forward: (q: Buffer) => {
          forwarded.push(q);
          return Promise.resolve(upstream(q));
        },
      },
      metrics: this.metrics,
      maxUdpPayload: 1232,
      maxQueryBytes: 4096,
      log: silentLogger,
    });
    this.handler.index = NameIndex.build(table, ttls);
  }

  /** The raw answer to raw bytes. */
  async raw(bytes: Buffer, source: string, transport: Transport = 'udp'): Promise<Buffer | undefined> {
    return this.handler.handle(bytes, source, transport);
  }

  async ask(source: string, name: string, type?: number, transport: Transport = 'udp'): Promise<DnsMessage> {
    return this.send(source, query(name, type), transport);
  }

  async send(source: string, msg: DnsMessage, transport: Transport = 'udp'): Promise<DnsMessage> {
    const answer = await this.raw(serializeMessage(msg), source, transport);
    if (!answer) throw new Error(`no answer to ${msg.questions[0]?.name}`);
    return parseMessage(answer);
  }
}
