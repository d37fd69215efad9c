// What a splice thread relays a connection with: one Direction per way, each a pipe that bytes
// cross from one socket to the other by splice(2). Used only inside splice threads.
import { EAGAIN, EINTR, type Libc } from '../../../../native/libc.js';

const CHUNK = 1 << 16;
/** Empty pipes kept for the next connections (two a connection): a pipe2 and two closes saved each time. */
const POOLED_PIPES = 256;

/** Pipes of connections that ended with nothing left in them, for the next connections. */
export class PipePool {
  private readonly free: [number, number][] = [];

  constructor(private readonly libc: Libc) {}

  take(): [number, number] {
    return this.free.pop() ?? this.libc.pipe();
  }

  give(pipe: [number, number], empty: boolean): void {
    if (empty && this.free.length < POOLED_PIPES) this.free.push(pipe);
    else {
      this.libc.close(pipe[0]);
      this.libc.close(pipe[1]);
    }
  }
}

/** One direction of a connection: bytes read from `from` wait in the pipe until `to` takes them. */
export class Direction {
  private readonly pipe: [number, number];
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
    private readonly pipes: PipePool,
    readonly from: number,
    readonly to: number,
  ) {
    this.pipe = pipes.take();
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
    this.pipes.give(this.pipe, this.inPipe === 0);
  }
}
