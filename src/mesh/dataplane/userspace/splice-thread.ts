// The splice thread of the userspace proxy (a worker_thread started by Splicer): relays the bytes of
// connections handed over to it with splice(2) through a pipe per direction, in one epoll loop, so
// no JavaScript runs per chunk. Its loop is synchronous: new work arrives on a MessagePort read with
// receiveMessageOnPort when the eventfd it waits on is signalled.
import { receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { EAGAIN, EINTR, EPOLLERR, EPOLLET, EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLRDHUP, EPOLL_EVENT_SIZE, epollEventAt, openLibc } from '../../../../native/libc.js';
import type { SpliceCommand, SpliceReport, SpliceThreadData } from './splicer.js';

const libc = openLibc();
const { port, wakeFd } = workerData as SpliceThreadData & { port: MessagePort };
const CHUNK = 1 << 16;
/** How often byte counts of long connections are reported while they last. */
const REPORT_MS = 500;
const READ_EVENTS = EPOLLIN | EPOLLRDHUP | EPOLLHUP;

/** One direction of a connection: bytes read from `from` wait in the pipe until `to` takes them. */
class Direction {
  readonly pipeR: number;
  readonly pipeW: number;
  inPipe = 0;
  /** `from` reached its end (and, once the pipe is empty, `to` was half-closed). */
  ended = false;
  done = false;
  bytes = 0;
  reported = 0;

  constructor(
    readonly from: number,
    readonly to: number,
  ) {
    [this.pipeR, this.pipeW] = libc.pipe();
  }

  /**
   * Moves what it can; false on an error of either socket (the connection is then reset). Reads go
   * on to EAGAIN (edge-triggered): a splice into a pipe may stop short of what the socket holds (a
   * pipe has 16 slots, one per segment), so a short read does not mean the socket is drained.
   */
  pump(): boolean {
    for (;;) {
      while (this.inPipe > 0) {
        const n = libc.splice(this.pipeR, this.to, this.inPipe);
        if (n > 0) this.inPipe -= n;
        else if (n === -EAGAIN) return true; // `to` is full: EPOLLOUT resumes
        else if (n !== -EINTR) return false;
      }
      if (this.ended) {
        if (!this.done) libc.shutdownWrite(this.to);
        this.done = true;
        return true;
      }
      const n = libc.splice(this.from, this.pipeW, CHUNK);
      if (n > 0) {
        this.inPipe += n;
        this.bytes += n;
      } else if (n === 0) this.ended = true;
      else if (n === -EAGAIN) return true; // nothing to read: EPOLLIN resumes
      else if (n !== -EINTR) return false;
    }
  }

  /** `from` became readable (or ended). */
  readable(): boolean {
    return this.pump();
  }

  /** `to` can take bytes: worth a call only while some wait in the pipe. */
  writable(): boolean {
    return this.inPipe === 0 || this.pump();
  }

  closePipe(): void {
    libc.close(this.pipeR);
    libc.close(this.pipeW);
  }
}

class Connection {
  readonly up: Direction;
  readonly down: Direction;

  constructor(
    readonly id: number,
    readonly client: number,
    readonly upstream: number,
  ) {
    this.up = new Direction(client, upstream);
    this.down = new Direction(upstream, client);
  }
}

const epfd = libc.epollCreate();
const byFd = new Map<number, Connection>();
const conns = new Map<number, Connection>();
libc.epollAdd(epfd, wakeFd, EPOLLIN);

function post(r: SpliceReport): void {
  port.postMessage(r);
}

/** Ends a connection: both sockets closed (with a reset when `reset`), its last counts reported. */
function finish(c: Connection, reset: boolean): void {
  conns.delete(c.id);
  byFd.delete(c.client);
  byFd.delete(c.upstream);
  // Closing a socket also takes it out of the epoll set.
  if (reset) {
    libc.reset(c.client);
    libc.reset(c.upstream);
  } else {
    libc.close(c.client);
    libc.close(c.upstream);
  }
  c.up.closePipe();
  c.down.closePipe();
  post({ op: 'closed', id: c.id, bytesIn: c.up.bytes - c.up.reported, bytesOut: c.down.bytes - c.down.reported, reset });
}

/** Moves what an event on `fd` allows: reading from it, writing to it (EPOLLOUT is reported with every edge). */
function progress(c: Connection, fd: number, events: number): void {
  const from = fd === c.client ? c.up : c.down;
  const to = fd === c.client ? c.down : c.up;
  const ok = !(events & EPOLLERR) && (!(events & READ_EVENTS) || from.readable()) && (!(events & EPOLLOUT) || to.writable());
  settle(c, ok);
}

/** Resets a connection after an error, closes one that ended both ways. */
function settle(c: Connection, ok: boolean): void {
  if (!ok) finish(c, true);
  else if (c.up.done && c.down.done) finish(c, false);
}

function adopt(cmd: Extract<SpliceCommand, { op: 'add' }>): void {
  const c = new Connection(cmd.id, cmd.client, cmd.upstream);
  conns.set(c.id, c);
  byFd.set(c.client, c);
  byFd.set(c.upstream, c);
  const events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  libc.epollAdd(epfd, c.client, events);
  libc.epollAdd(epfd, c.upstream, events);
  // Bytes that arrived before the handover may have had their edge already.
  settle(c, c.up.readable() && c.down.readable());
}

/** Takes the commands Splicer sent; false once told to stop. */
function commands(): boolean {
  libc.drain(wakeFd);
  for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
    const cmd = m.message as SpliceCommand;
    if (cmd.op === 'add') adopt(cmd);
    else if (cmd.op === 'reset') {
      const c = conns.get(cmd.id);
      if (c) finish(c, true);
    } else {
      for (const c of [...conns.values()]) finish(c, true);
      return false;
    }
  }
  return true;
}

function reportBytes(): void {
  const counts: number[] = [];
  for (const c of conns.values()) {
    if (c.up.bytes === c.up.reported && c.down.bytes === c.down.reported) continue;
    counts.push(c.id, c.up.bytes - c.up.reported, c.down.bytes - c.down.reported);
    c.up.reported = c.up.bytes;
    c.down.reported = c.down.bytes;
  }
  if (counts.length > 0) post({ op: 'bytes', counts });
}

const events = Buffer.alloc(256 * EPOLL_EVENT_SIZE);
let lastReport = Date.now();
for (let running = true; running; ) {
  const n = libc.epollWait(epfd, events, REPORT_MS);
  for (let i = 0; i < n; i++) {
    const { events: ev, fd } = epollEventAt(events, i);
    if (fd === wakeFd) running = commands() && running;
    else {
      const c = byFd.get(fd);
      if (c) progress(c, fd, ev);
    }
  }
  const now = Date.now();
  if (now - lastReport >= REPORT_MS) {
    lastReport = now;
    reportBytes();
  }
}
libc.close(epfd);
port.close();
