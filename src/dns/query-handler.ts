import type { Logger } from '../util/logger.js';
import type { Forwarder, Transport } from './forward/forwarder.js';
import { NameIndex } from './names/name-index.js';
import { observeLatency, type DnsMetrics } from './metrics.js';
import { resolve, type Resolution } from './resolve.js';
import { buildResponse, headerOnlyResponse, truncatedResponse, type QueryFrame } from './response.js';
import { CLASSIC_UDP_LIMIT, Flag, HEADER_LENGTH, MAX_MESSAGE_LENGTH, opcodeOf, RCode, RCODE_MASK } from './wire/constants.js';
import type { Edns } from './wire/message.js';
import { DnsFormatError } from './wire/name.js';
import { parseMessageWithLayout, type ParsedMessage } from './wire/parse.js';

export interface QueryHandlerOptions {
  forwarder: Pick<Forwarder, 'forward'>;
  metrics: DnsMetrics;
  /** Largest UDP answer sent, whatever a query's EDNS0 size says; also advertised in our OPT records. */
  maxUdpPayload: number;
  /** Queries longer than this are dropped unread (a real query is a few dozen bytes). */
  maxQueryBytes: number;
  log: Logger;
}

export type Answer = Buffer | undefined;

/**
 * Answers one DNS message: from the name index for Shoal's names, through the forwarder for the
 * rest. Returns the answer's bytes, or undefined when the message gets no answer (it is too
 * short to answer, is itself a response, or is oversized). Knows nothing of sockets.
 */
export class QueryHandler {
  /** The latest applied table's names; replaced whole by the server on apply. */
  index = NameIndex.EMPTY;

  constructor(private readonly opts: QueryHandlerOptions) {}

  /** `query` is only read during this call (a forwarded query is copied), so callers may reuse its buffer. */
  handle(query: Buffer, source: string, transport: Transport): Answer | Promise<Answer> {
    const started = performance.now();
    const { metrics } = this.opts;
    if (query.length < HEADER_LENGTH || query.length > this.opts.maxQueryBytes || query.readUInt16BE(2) & Flag.QR) {
      metrics.dropped++;
      return undefined;
    }
    let parsed: ParsedMessage;
    try {
      parsed = parseMessageWithLayout(query);
    } catch (err) {
      if (!(err instanceof DnsFormatError)) throw err;
      this.opts.log.debug({ source, reason: err.message }, 'malformed DNS query');
      metrics.formerr++;
      return headerOnlyResponse(query, RCode.FORMERR);
    }
    const { message } = parsed;
    const frame: QueryFrame = { buf: query, questionEnd: parsed.questionEnd, edns: message.edns };
    const limit = transport === 'tcp' ? MAX_MESSAGE_LENGTH : this.udpLimit(message.edns);
    const udpSize = this.opts.maxUdpPayload;
    if (opcodeOf(message.flags) !== 0) {
      metrics.notimp++;
      return message.questions.length === 1 ? buildResponse(frame, RCode.NOTIMP, false, undefined, limit, udpSize) : headerOnlyResponse(query, RCode.NOTIMP);
    }
    const question = message.questions[0];
    if (!question || message.questions.length > 1) {
      metrics.formerr++;
      return headerOnlyResponse(query, RCode.FORMERR);
    }
    if (message.edns && message.edns.version > 0) return buildResponse(frame, RCode.BADVERS, false, undefined, limit, udpSize);

    const resolution = resolve(this.index, source.startsWith('::ffff:') ? source.slice(7) : source, question.name.toLowerCase(), question.type, question.class);
    // The query's bytes may be a receive buffer reused after this call returns: forwarding keeps a copy.
    if (resolution.kind === 'forward') return this.forward({ ...frame, buf: Buffer.from(query) }, transport, limit, started);
    return this.answerInternal(frame, resolution, limit, started);
  }

  /** The answer to one of Shoal's names (or a name it refuses), with the class's counters. */
  private answerInternal(frame: QueryFrame, resolution: Exclude<Resolution, { kind: 'forward' }>, limit: number, started: number): Buffer {
    const { metrics, maxUdpPayload } = this.opts;
    const counters = metrics.byClass[resolution.nameClass];
    counters.queries++;
    let answer: Buffer;
    if (resolution.kind === 'answer') {
      if (resolution.records.count === 0) counters.nodata++;
      answer = buildResponse(frame, RCode.NOERROR, true, resolution.records, limit, maxUdpPayload);
      if (answer.readUInt16BE(2) & Flag.TC) metrics.truncated++;
    } else if (resolution.kind === 'nxdomain') {
      counters.nxdomain++;
      answer = buildResponse(frame, RCode.NXDOMAIN, true, undefined, limit, maxUdpPayload);
    } else {
      metrics.refused++;
      answer = buildResponse(frame, RCode.REFUSED, false, undefined, limit, maxUdpPayload);
    }
    observeLatency(counters.latency, performance.now() - started);
    return answer;
  }

  /** What a UDP answer may weigh: 512 bytes, or what the asker's EDNS0 says up to our maximum. */
  private udpLimit(edns: Edns | undefined): number {
    return edns ? Math.min(Math.max(edns.udpSize, CLASSIC_UDP_LIMIT), this.opts.maxUdpPayload) : CLASSIC_UDP_LIMIT;
  }

  private async forward(frame: QueryFrame, transport: Transport, limit: number, started: number): Promise<Buffer> {
    const counters = this.opts.metrics.byClass.forwarded;
    counters.queries++;
    const upstream = await this.opts.forwarder.forward(frame.buf, frame.questionEnd, transport);
    let answer: Buffer;
    if (!upstream) answer = buildResponse(frame, RCode.SERVFAIL, false, undefined, limit, this.opts.maxUdpPayload);
    else if (upstream.length > limit) {
      this.opts.metrics.truncated++;
      answer = truncatedResponse(frame, upstream, this.opts.maxUdpPayload);
    } else answer = upstream;
    if ((answer.readUInt16BE(2) & RCODE_MASK) === RCode.NXDOMAIN) counters.nxdomain++;
    observeLatency(counters.latency, performance.now() - started);
    return answer;
  }
}
