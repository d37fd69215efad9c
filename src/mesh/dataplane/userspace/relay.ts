// What a splice thread relays a connection with: one Direction per way. Small reads (a request, an
// answer) are copied: recv(2) into the thread's buffer and send(2) on, what the receiver cannot take
// yet waiting in the way's pipe; past one buffer full, bytes cross from one socket to the other by
// splice(2) through the pipe. The client's way also keeps a copy of what it sent (in a second pipe)
// until the backend answers, to send it again to another backend if that one fails.
// Used only inside splice threads.
import { openSync } from 'node:fs';
import { EAGAIN, EINTR, EPOLLHUP, EPOLLRDHUP, type Libc } from '../../../../native/libc.js';

const CHUNK = 1 << 16;
/**
 * A read this size or smaller is copied (recv, send: two calls, where splicing is three, the last to
 * find the socket empty); one that fills it switches its way to splice(2), which moves large
 * transfers without copying. An empty pipe holds it whole (16 slots of 4 KiB for written bytes).
 */
const COPY = 16 * 1024;
/** Empty pipes kept for the next connections (two a connection): a pipe2 and two closes saved each time. */
const POOLED_PIPES = 256;
/** The client's bytes kept for a replay, at most: past this, its connection cannot move to another backend. */
export const REPLAY_CAP = 64 * 1024;
/** A kept copy's pipe: room for REPLAY_CAP in 64 slots (a pipe holds one socket segment a slot, however small). */
const KEPT_PIPE_SIZE = 4 * REPLAY_CAP;
/** Pipes of connections that ended with nothing left in them, for the next connections. */
export class PipePool {
  private readonly free: [number, number][] = [];

  constructor(
    private readonly libc: Libc,
    private readonly size?: number,
  ) {}

  take(): [number, number] {
    return this.free.pop() ?? this.libc.pipe(this.size);
  }

  give(pipe: [number, number], empty: boolean): void {
    if (empty && this.free.length < POOLED_PIPES) this.free.push(pipe);
    else {
      this.libc.close(pipe[0]);
      this.libc.close(pipe[1]);
    }
  }
}

/** The pools a connection's pipes come from: relaying ones, and the larger ones kept copies are held in; `/dev/null` to empty a kept copy into; the thread's buffer small reads are copied through. */
export interface Pipes {
  relay: PipePool;
  kept: PipePool;
  devNull: number;
  copy: Buffer;
}

export const pipePools = (libc: Libc): Pipes => ({ relay: new PipePool(libc), kept: new PipePool(libc, KEPT_PIPE_SIZE), devNull: openSync('/dev/null', 'w'), copy: Buffer.alloc(COPY) });

/**
 * One direction of a connection: bytes read from `from` wait in the pipe until `to` takes them.
 * A keeping Direction (the client's, until the backend answers) also tees every byte it reads into
 * its kept pipe, up to REPLAY_CAP; `resend` starts the same way to another backend with them.
 */
export class Direction {
  private pipe: [number, number];
  private pool: PipePool;
  private kept?: [number, number];
  private keptBytes = 0;
  inPipe = 0;
  /** `from` reached its end (and, once the pipe is empty and the end is not held, `to` was half-closed). */
  ended = false;
  /** The end is not passed on yet: a backend closing before a byte passed may be swapped for another. */
  holdEnd = false;
  /** A read filled the copy buffer: this way splices from now on. */
  private spliced = false;
  done = false;
  bytes = 0;
  reported = 0;

  constructor(
    private readonly libc: Libc,
    private readonly pipes: Pipes,
    readonly from: number,
    readonly to: number,
    keep = false,
  ) {
    this.pool = pipes.relay;
    this.pipe = this.pool.take();
    if (keep) this.kept = pipes.kept.take();
  }

  /** Every byte read so far is kept (none read counts): they can be sent to another backend. */
  get keeping(): boolean {
    return this.kept !== undefined;
  }

  /** Drops the kept copy (emptied into /dev/null, so its pipe serves the next connection): the backend answered, or the bytes outgrew it. */
  stopKeeping(): void {
    if (!this.kept) return;
    const held = this.keptBytes;
    this.pipes.kept.give(this.kept, held === 0 || this.libc.splice(this.kept[0], this.pipes.devNull, held) === held);
    this.kept = undefined;
  }

  /** Copies the `n` bytes pipe `from` holds (all it holds) into the kept pipe; false if it did not take them all. */
  private keep(from: number, n: number): boolean {
    return this.held(this.libc.tee(from, this.kept![1], n), n);
  }

  /** Counts `t` bytes more in the kept pipe (a tee's or write's result); whether it took all `n`. */
  private held(t: number, n: number): boolean {
    if (t > 0) this.keptBytes += t;
    return t === n;
  }

  /**
   * This way, started again to another backend `to`: its pipe is the kept copy (every byte the client
   * sent, then its end if it ended), itself kept again in a new pipe. This one is released.
   */
  resend(to: number): Direction {
    const d = new Direction(this.libc, this.pipes, this.from, to);
    d.pool.give(d.pipe, true);
    [d.pipe, d.pool, d.inPipe] = [this.kept!, this.pipes.kept, this.bytes];
    d.kept = this.pipes.kept.take();
    if (this.bytes > 0 && !d.keep(d.pipe[0], this.bytes)) d.stopKeeping();
    [d.bytes, d.reported, d.ended] = [this.bytes, this.reported, this.ended];
    this.kept = undefined;
    this.release();
    return d;
  }

  /**
   * Moves what it can; false on an error of either socket (the connection is then reset). Reads go
   * on to EAGAIN (edge-triggered), except that a copied read short of the buffer drained the socket
   * when called for `events` of `from` (without an error) that did not report its end: a byte or the
   * end coming later is a new event. A splice into a pipe may stop short of what the socket holds (a
   * pipe has 16 slots, one per segment), so a short splice does not mean the socket is drained.
   * Without its event, a read of 0 may be a reset (a reset socket reads as ended): its error tells.
   */
  pump(events?: number): boolean {
    const edge = events !== undefined && !(events & (EPOLLRDHUP | EPOLLHUP));
    const [pipeR, pipeW] = this.pipe;
    for (;;) {
      while (this.inPipe > 0) {
        const n = this.libc.splice(pipeR, this.to, this.inPipe);
        if (n > 0) this.inPipe -= n;
        else if (n === -EAGAIN) return true; // `to` is full: EPOLLOUT resumes
        else if (n !== -EINTR) return false;
      }
      if (this.ended) {
        if (this.holdEnd) return true;
        if (!this.done) this.libc.shutdownWrite(this.to);
        this.done = true;
        return true;
      }
      const n = this.spliced ? this.libc.splice(this.from, pipeW, CHUNK) : this.libc.recv(this.from, this.pipes.copy, COPY);
      if (n > 0) {
        this.bytes += n;
        if (this.spliced) {
          this.inPipe += n;
          // The pipe was empty: the bytes just read are all it holds.
          if (this.kept && (this.bytes > REPLAY_CAP || !this.keep(pipeR, n))) this.stopKeeping();
          continue;
        }
        if (this.kept && (this.bytes > REPLAY_CAP || !this.held(this.libc.write(this.kept[1], this.pipes.copy, n), n))) this.stopKeeping();
        if (!this.forward(n)) return false;
        if (n === COPY) this.spliced = true;
        else if (edge) return true;
      } else if (n === 0) {
        if (events === undefined && this.libc.socketError(this.from) !== 0) return false;
        this.ended = true;
      } else if (n === -EAGAIN) return true; // nothing to read: EPOLLIN resumes
      else if (n !== -EINTR) return false;
    }
  }

  /** Sends the `n` bytes read into the copy buffer; what `to` does not take waits in the (empty) pipe. False on an error. */
  private forward(n: number): boolean {
    const buf = this.pipes.copy;
    let sent = this.libc.send(this.to, buf, n);
    if (sent === -EAGAIN || sent === -EINTR) sent = 0;
    else if (sent < 0) return false;
    if (sent === n) return true;
    this.inPipe = n - sent;
    return this.libc.write(this.pipe[1], sent === 0 ? buf : buf.subarray(sent), n - sent) === n - sent;
  }

  /** `to` can take bytes: worth a call only while some wait in the pipe. */
  writable(): boolean {
    return this.inPipe === 0 || this.pump();
  }

  release(): void {
    this.pool.give(this.pipe, this.inPipe === 0);
    this.stopKeeping();
  }
}
