import type { Logger } from '../util/logger.js';
import type { Forwarder, Transport } from './forward/forwarder.js';
import { NAME_CLASSES, type NameClass } from './names/entry.js';
import { NameIndex } from './names/name-index.js';
import { observeLatency, type DnsMetrics } from './metrics.js';
import type { RecordSet } from './names/record-set.js';
import { recordsOf, resolve, type Resolution } from './resolve.js';
import { buildResponse, headerOnlyResponse, recordsThatFit, responseLength, truncatedResponse, writeResponse, type QueryFrame } from './response.js';
import { CLASSIC_UDP_LIMIT, Flag, HEADER_LENGTH, MAX_MESSAGE_LENGTH, opcodeOf, RCode, RCODE_MASK, RRClass } from './wire/constants.js';
import { DnsFormatError } from './wire/name.js';
import { parseMessageWithLayout, type ParsedMessage } from './wire/parse.js';
import { QueryScan } from './wire/query-scan.js';

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
  private readonly scan = new QueryScan();
  /** Answers per name class (in NAME_CLASSES order) given in place and not yet in the latency histograms. */
  private readonly unobserved = new Int32Array(NAME_CLASSES.length);

  constructor(private readonly opts: QueryHandlerOptions) {}

  /**
   * The hot path of UDP: the common query (see QueryScan) for a name in the asker's view, answered
   * straight into `out` (a send slot of at least maxUdpPayload bytes) from the precomputed records,
   * allocating nothing. `query` holds the datagram in its first `length` bytes; `sourceIpv4` is the
   * asker's address as a signed 32-bit number. Returns the answer's length, or -1 when the query is
   * anything else (malformed, unusual, forwarded, not in the view): then handle() answers it. The
   * bytes are handle()'s for the same query (test/unit/dns/fast-path.test.ts holds them equal over
   * corpora). The answer's latency is observed by the next answeredInPlace().
   */
  answerInPlace(query: Buffer, length: number, sourceIpv4: number, out: Buffer): number {
    const { scan } = this;
    if (length > this.opts.maxQueryBytes || !scan.scan(query, length)) return -1;
    if (scan.qclass !== RRClass.IN && scan.qclass !== RRClass.ANY) return -1;
    const view = this.index.viewForIpv4(sourceIpv4);
    const entry = view ? view.byWire.get(query, HEADER_LENGTH, scan.nameEnd) : undefined;
    if (!entry) return -1;
    const records = recordsOf(entry, scan.type);
    const hasOpt = scan.ednsUdpSize >= 0;
    const fit = recordsThatFit(scan.questionEnd, hasOpt, records, hasOpt ? this.udpLimit(scan.ednsUdpSize) : CLASSIC_UDP_LIMIT);
    if (responseLength(scan.questionEnd, hasOpt, records, fit) > out.length) return -1;
    const answered = writeResponse(out, query, scan.questionEnd, hasOpt, RCode.NOERROR, true, records, fit, this.opts.maxUdpPayload);
    this.countAnswer(entry.nameClass, records, fit);
    this.unobserved[NAME_CLASSES.indexOf(entry.nameClass)]!++;
    return answered;
  }

  /**
   * The answers given by answerInPlace() since the last call were handed to the socket now; they
   * arrived at `started` (performance.now()). One clock reading per batch rather than two per query.
   */
  answeredInPlace(started: number): void {
    const ms = performance.now() - started;
    const { byClass } = this.opts.metrics;
    for (let i = 0; i < NAME_CLASSES.length; i++) {
      if (this.unobserved[i] === 0) continue;
      observeLatency(byClass[NAME_CLASSES[i]!].latency, ms, this.unobserved[i]);
      this.unobserved[i] = 0;
    }
  }

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
    const limit = transport === 'tcp' ? MAX_MESSAGE_LENGTH : message.edns ? this.udpLimit(message.edns.udpSize) : CLASSIC_UDP_LIMIT;
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
    if (resolution.kind === 'answer') {
      const { records } = resolution;
      const fit = recordsThatFit(frame.questionEnd, frame.edns !== undefined, records, limit);
      const answer = buildResponse(frame, RCode.NOERROR, true, records, limit, maxUdpPayload);
      this.countAnswer(resolution.nameClass, records, fit);
      observeLatency(metrics.byClass[resolution.nameClass].latency, performance.now() - started);
      return answer;
    }
    const counters = metrics.byClass[resolution.nameClass];
    counters.queries++;
    let answer: Buffer;
    if (resolution.kind === 'nxdomain') {
      counters.nxdomain++;
      answer = buildResponse(frame, RCode.NXDOMAIN, true, undefined, limit, maxUdpPayload);
    } else {
      metrics.refused++;
      answer = buildResponse(frame, RCode.REFUSED, false, undefined, limit, maxUdpPayload);
    }
    observeLatency(counters.latency, performance.now() - started);
    return answer;
  }

  /** The counters (but latency) of a NOERROR answer with `fit` of `records`. */
  private countAnswer(nameClass: NameClass, records: RecordSet, fit: number): void {
    const { metrics } = this.opts;
    const counters = metrics.byClass[nameClass];
    counters.queries++;
    if (records.count === 0) counters.nodata++;
    if (fit < records.count) metrics.truncated++;
  }

  /** What a UDP answer may weigh when the asker's EDNS0 says `udpSize`: at least 512 bytes, at most our maximum. */
  private udpLimit(udpSize: number): number {
    return Math.min(Math.max(udpSize, CLASSIC_UDP_LIMIT), this.opts.maxUdpPayload);
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
