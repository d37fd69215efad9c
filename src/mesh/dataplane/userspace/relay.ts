// What a splice thread relays a connection with: one Direction per way, each a pipe that bytes
// cross from one socket to the other by splice(2); the client's way also keeps a copy of what it
// sent (tee(2)) until the backend answers, to send it again to another backend if that one fails.
// Used only inside splice threads.
import { openSync } from 'node:fs';
import { EAGAIN, EINTR, type Libc } from '../../../../native/libc.js';

const CHUNK = 1 << 16;
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

/** The pools a connection's pipes come from: relaying ones, and the larger ones kept copies are held in; `/dev/null` to empty a kept copy into. */
export interface Pipes {
  relay: PipePool;
  kept: PipePool;
  devNull: number;
}

export const pipePools = (libc: Libc): Pipes => ({ relay: new PipePool(libc), kept: new PipePool(libc, KEPT_PIPE_SIZE), devNull: openSync('/dev/null', 'w') });

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

  /** Copies the `n` bytes `from` holds (all it holds) into the kept pipe; false if it did not take them all. */
  private keep(from: number, n: number): boolean {
    const t = this.libc.tee(from, this.kept![1], n);
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
   * on to EAGAIN (edge-triggered): a splice into a pipe may stop short of what the socket holds (a
   * pipe has 16 slots, one per segment), so a short read does not mean the socket is drained.
   */
  pump(): boolean {
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
      const n = this.libc.splice(this.from, pipeW, CHUNK);
      if (n > 0) {
        this.inPipe += n;
        this.bytes += n;
        // The pipe was empty: the bytes just read are all it holds.
        if (this.kept && (this.bytes > REPLAY_CAP || !this.keep(pipeR, n))) this.stopKeeping();
      } else if (n === 0) this.ended = true;
      else if (n === -EAGAIN) return true; // nothing to read: EPOLLIN resumes
      else if (n !== -EINTR) return false;
    }
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
