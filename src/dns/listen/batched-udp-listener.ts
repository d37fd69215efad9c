import { BatchedUdpSocket } from '../../../native/batched-udp.js';
import type { Logger } from '../../util/logger.js';
import type { QueryHandler } from '../query-handler.js';

/** Datagrams read per system call, and answers sent per system call. */
const BATCH = 64;
/** Batches answered per wake-up before the event loop gets a turn (it wakes us again while more wait). */
const BATCHES_PER_WAKE = 8;

export interface BatchedUdpLimits {
  /** Longer queries are dropped by the handler; the socket keeps one byte more to see them. */
  maxQueryBytes: number;
  /** Largest answer the handler gives over UDP. */
  maxAnswerBytes: number;
}

/**
 * The UDP side of one listening address, many datagrams per system call: each wake-up reads up to
 * 64 queries with one recvmmsg, answers those it can at once, and sends those answers with one
 * sendmmsg. Forwarded queries are sent on their own when the upstream answers.
 */
export class BatchedUdpListener {
  readonly port: number;

  private constructor(
    private readonly socket: BatchedUdpSocket,
    private readonly handler: QueryHandler,
    private readonly log: Logger,
  ) {
    this.port = socket.port;
    socket.watch(() => this.drain());
  }

  /** Throws what binding throws (EADDRNOTAVAIL: the address is not on this host yet), or when libc cannot be loaded. */
  static bind(host: string, port: number, handler: QueryHandler, limits: BatchedUdpLimits, log: Logger): BatchedUdpListener {
    const socket = BatchedUdpSocket.bind(host, port, { batch: BATCH, maxDatagram: limits.maxQueryBytes, maxReply: limits.maxAnswerBytes });
    return new BatchedUdpListener(socket, handler, log);
  }

  close(): Promise<void> {
    this.socket.close();
    return Promise.resolve();
  }

  private drain(): void {
    const { socket } = this;
    for (let round = 0; round < BATCHES_PER_WAKE; round++) {
      const n = socket.receive();
      if (n === 0) return;
      const received = performance.now();
      for (let i = 0; i < n; i++) {
        // Shoal's names, asked the common way, are answered straight into a send slot: nothing allocated.
        const ip = socket.sourceIpv4(i);
        if (ip !== undefined) {
          const length = this.handler.answerInPlace(socket.datagramSlot(i), socket.datagramLength(i), ip, socket.nextReplySlot());
          if (length >= 0) {
            socket.replyInSlot(i, length);
            continue;
          }
        }
        const answer = this.handler.handle(socket.datagram(i), socket.source(i), 'udp');
        if (answer instanceof Promise) {
          const to = socket.sourceAddress(i);
          answer.then((a) => a && this.sendNow(to, a)).catch((err: unknown) => this.log.error({ err }, 'DNS query failed'));
        } else if (answer) socket.reply(i, answer);
      }
      this.flush();
      this.handler.answeredInPlace(received);
      if (n < BATCH) return;
    }
  }

  private sendNow(to: Buffer, answer: Buffer): void {
    this.socket.replyTo(to, answer);
    this.flush();
  }

  private flush(): void {
    const { failed } = this.socket.flush();
    if (failed) this.log.debug({ failed }, 'DNS UDP answers not sent');
  }
}
