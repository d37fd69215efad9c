// A splice thread of the userspace proxy (a worker_thread started by Splicer). It accepts TCP
// connections on the listening sockets it is given, connects each to a backend (round robin shared
// with the other threads, another backend on a refusal, a timeout, or a failure before it answered:
// the client's bytes so far are kept until then and sent again), and relays their bytes (relay.ts:
// small reads copied with recv/send, large transfers spliced). A thread holding more connections
// than another hands new ones over (balance.ts). One epoll loop, no JavaScript per chunk and no Node
// socket per connection. The loop is synchronous: commands arrive on a MessagePort read with
// receiveMessageOnPort when the eventfd it waits on is signalled.
import { receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { EPOLLERR, EPOLLET, EPOLLEXCLUSIVE, EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLRDHUP, EPOLL_EVENT_SIZE, epollEventAt, openLibc } from '../../../../native/libc.js';
import { proxyHeader } from '../../proxy-protocol/header.js';
import { AffinityTable, ipv4Number, stickyPick } from './affinity.js';
import { ThreadBalance, type HandedOver } from './balance.js';
import { Direction, pipePools } from './relay.js';
import { FAILED_BACKEND_COOLDOWN_MS } from './route.js';
import type { SpliceCommand, SpliceReport, SpliceThreadData, ThreadRoute, ThreadTable, UpstreamReport } from './splice-protocol.js';

const libc = openLibc();
const { port, wakeFds, index, balance: memory } = workerData as SpliceThreadData & { port: MessagePort };
const wakeFd = wakeFds[index]!;
const threads = wakeFds.length;
const balance = new ThreadBalance(memory, index, wakeFds, libc.signal);
/** How often byte counts of long connections are reported while they last. */
const REPORT_MS = 500;
/**
 * Reports wait this long at most, to go to the main thread together: each message wakes it, and one
 * per turn of a busy loop (a turn or two per short connection) cost it more than counting them.
 */
const POST_MS = 10;
/** How often pending connects are checked against their deadline. */
const CONNECT_CHECK_MS = 50;
/** Connections taken per wake of a listening socket, so one busy port does not starve the others. */
const ACCEPT_BATCH = 64;
const READ_EVENTS = EPOLLIN | EPOLLRDHUP | EPOLLHUP;
const SOCKET_EVENTS = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
const pipes = pipePools(libc);

class Listener {
  private byLocal = new Map<string, number>();
  private wildcard?: number;
  private refused = new Set<string>();
  /** Whether a connection's local address must be read to find its route. */
  private byAddress = false;
  routeIds: number[] = [];

  constructor(
    readonly id: number,
    readonly fd: number,
    readonly connectTimeoutMs: number,
  ) {}

  setTable(t: ThreadTable): void {
    for (const r of t.routes) routes.set(r.id, { ...r, live: new Set(r.backends), drained: new Set(r.draining), sticky: r.affinity && new AffinityTable(r.affinity.memory, r.affinity.timeoutSeconds) });
    this.routeIds = t.routes.map((r) => r.id);
    this.byLocal = new Map(t.byLocal);
    this.wildcard = t.wildcard;
    this.refused = new Set(t.refused);
    this.byAddress = this.byLocal.size > 0 || this.refused.size > 0;
  }

  routeOf(fd: number): number | undefined {
    if (!this.byAddress) return this.wildcard;
    const local = libc.localAddress(fd);
    return this.byLocal.get(local) ?? (this.refused.has(local) ? undefined : this.wildcard);
  }
}

/** A connection: its client, and its upstream once connecting; `up`/`down` once connected. */
class Conn {
  upstream = -1;
  /** Tags of the epoll registrations of the client and upstream sockets (see `register`). */
  clientTag = 0;
  upstreamTag = 0;
  backend?: string;
  up?: Direction;
  down?: Direction;
  /** The client's way to a backend that failed before answering, kept while the next one connects: its bytes are sent again. */
  sent?: Direction;
  tried?: Set<string>;
  failed: string[] = [];
  left?: string;
  reported = false;
  deadline = 0;
  /** The client's events while its upstream connects (ignored then: `relay` reads what they told of). */
  clientEvents = 0;
  /** The PROXY protocol header every backend it is connected to gets first (a route with the option). */
  header?: Buffer;
  /** The client's address (a number), read once when its route has affinity. */
  peer?: number;

  constructor(
    readonly id: number,
    readonly client: number,
    readonly listener: Listener,
    readonly route: number,
  ) {}

  /** The backend has not answered and every byte the client sent is kept: it may still be swapped unnoticed. */
  get movable(): boolean {
    return !!this.up && this.down!.bytes === 0 && (this.up.bytes === 0 || this.up.keeping);
  }
}

type Route = ThreadRoute & { live: Set<string>; drained: Set<string>; sticky?: AffinityTable | undefined };
const routes = new Map<number, Route>();
const listeners = new Map<number, Listener>();
const epfd = libc.epollCreate();
/** What an event on an fd is for: a listening socket, or a connection's client or upstream. */
const byFd = new Map<number, Listener | Conn>();
const conns = new Map<number, Conn>();
const connecting = new Set<Conn>();
/** When a backend last failed to take a connection (this thread's view; each thread keeps its own). */
const failedAt = new Map<string, number>();
const out: SpliceReport[] = [];
let accepted = 0;
let tags = 0;
libc.epollAdd(epfd, wakeFd, EPOLLIN);

/**
 * Adds a connection's socket to the epoll set with a tag of its own: an fd closed and reused (by an
 * accept or connect) while the events of one epoll_wait are handled must not get its old events.
 */
function register(c: Conn, fd: number): void {
  const tag = (tags = (tags + 1) | 0);
  if (fd === c.client) c.clientTag = tag;
  else c.upstreamTag = tag;
  libc.epollAdd(epfd, fd, SOCKET_EVENTS, tag);
}

/** The next backend of a route not in `tried`: round robin over every thread's picks, backends that failed lately only when nothing else is left. */
function pick(route: Route, tried: ReadonlySet<string> | undefined, now: number): string | undefined {
  const n = route.backends.length;
  if (n === 0) return undefined;
  const start = (Atomics.add(route.turn, 0, 1) >>> 0) % n;
  let fallback: string | undefined;
  for (let i = 0; i < n; i++) {
    const b = route.backends[(start + i) % n]!;
    if (tried?.has(b)) continue;
    if (cooling(b, now)) fallback ??= b;
    else return b;
  }
  return fallback;
}

/** With affinity: the backend the client went to last, if still usable, else the next by round robin, which it keeps. */
function pickSticky(route: Route, table: AffinityTable, c: Conn, now: number): string | undefined {
  const usable = (b: string) => route.live.has(b) && !c.tried?.has(b) && !cooling(b, now);
  return stickyPick(table, (c.peer ??= ipv4Number(libc.socketAddress(c.client, 'peer').ip)), now, usable, () => pick(route, c.tried, now));
}

const cooling = (backend: string, now: number): boolean => {
  const failed = failedAt.get(backend);
  return failed !== undefined && now - failed < FAILED_BACKEND_COOLDOWN_MS;
};

function acceptOn(l: Listener): void {
  for (let i = 0; i < ACCEPT_BATCH; i++) {
    const fd = libc.accept(l.fd);
    if (fd < 0) return; // -EAGAIN: none left (or another thread took it)
    const route = l.routeOf(fd);
    if (route === undefined) libc.reset(fd);
    else if (!balance.handOver({ fd, listener: l.id, route })) {
      balance.opened();
      start(fd, l, route);
    }
  }
}

/** Takes the connections other threads handed to this one (counted as its own already). */
function takeHandedOver(): void {
  for (const h of balance.take()) {
    const l = listeners.get(h.listener);
    if (l) start(h.fd, l, h.route);
    else dropHandedOver(h); // its listener closed here before it came (as one left in the backlog)
  }
}

function dropHandedOver(h: HandedOver): void {
  libc.reset(h.fd);
  balance.closed();
}

function start(fd: number, l: Listener, route: number): void {
  const c = new Conn(++accepted * threads + index, fd, l, route);
  const version = routes.get(route)?.proxyProtocol;
  if (version) c.header = proxyHeader(version, libc.socketAddress(fd, 'peer'), libc.socketAddress(fd, 'local'));
  conns.set(c.id, c);
  byFd.set(fd, c);
  register(c, fd);
  connectNext(c, Date.now());
}

/** Connects `c` to the next backend of its route it has not tried; resets the client when none is left. */
function connectNext(c: Conn, now: number): void {
  const route = routes.get(c.route);
  for (;;) {
    const backend = route && (route.sticky ? pickSticky(route, route.sticky, c, now) : pick(route, c.tried, now));
    if (!backend) {
      report(c, undefined);
      finish(c, true);
      return;
    }
    const fd = libc.connectTcp(backend, route.port);
    if (fd < 0) {
      failed(c, backend, now);
      continue;
    }
    c.upstream = fd;
    c.backend = backend;
    c.deadline = now + c.listener.connectTimeoutMs;
    connecting.add(c);
    byFd.set(fd, c);
    register(c, fd);
    return;
  }
}

function failed(c: Conn, backend: string, now: number): void {
  failedAt.set(backend, now);
  c.failed.push(backend);
  (c.tried ??= new Set()).add(backend);
}

function report(c: Conn, backend: string | undefined): void {
  const r: UpstreamReport = { op: 'upstream', id: c.id, listener: c.listener.id, route: c.route, first: !c.reported, backend, failed: c.failed };
  if (c.left) r.left = c.left;
  out.push(r);
  c.reported = true;
  c.failed = [];
  c.left = undefined;
}

/** Drops the upstream of a connection its backend has not answered and tries the next backend (which gets the client's bytes again). */
function retry(c: Conn, now: number): void {
  connecting.delete(c);
  byFd.delete(c.upstream);
  libc.reset(c.upstream);
  if (c.up) {
    c.left = c.backend;
    c.sent = c.up;
    c.down!.release();
    c.up = c.down = undefined;
  }
  failed(c, c.backend!, now);
  c.upstream = -1;
  connectNext(c, now);
}

function connected(c: Conn, events: number, now: number): void {
  // The header goes first, on its own (not the client's bytes, not counted): a new socket's empty send buffer takes it whole.
  if (c.header && libc.send(c.upstream, c.header, c.header.length) !== c.header.length) return retry(c, now);
  connecting.delete(c);
  report(c, c.backend);
  relay(c, events);
}

/**
 * Starts relaying once the upstream connected (its event: `events`). Only what the events told of
 * is read (each later byte is a new event), except after a move: the client's socket may then hold
 * bytes the way before left unread, their event long gone, so it is read to EAGAIN.
 */
function relay(c: Conn, events: number): void {
  const clientEvents = c.sent ? undefined : c.clientEvents;
  c.clientEvents = 0;
  c.up = c.sent?.keeping ? c.sent.resend(c.upstream) : new Direction(libc, pipes, c.client, c.upstream, true);
  c.sent = undefined;
  c.down = new Direction(libc, pipes, c.upstream, c.client);
  c.down.holdEnd = true;
  settle(c, reads(c.up, clientEvents) && reads(c.down, events), Date.now());
}

/** Reads what an event of `d`'s socket tells of (no read without EPOLLIN or an end; false on an error); `undefined`: not known, read to EAGAIN. */
function reads(d: Direction, events: number | undefined): boolean {
  return events === undefined ? d.pump() : !(events & EPOLLERR) && (!(events & READ_EVENTS) || d.pump(events));
}

/** Ends a connection: both sockets closed (with a reset when `reset`), its last counts reported. */
function finish(c: Conn, reset: boolean): void {
  if (conns.delete(c.id)) balance.closed();
  connecting.delete(c);
  byFd.delete(c.client);
  const close = reset ? libc.reset : libc.close;
  // Closing a socket also takes it out of the epoll set.
  close(c.client);
  if (c.upstream >= 0) {
    byFd.delete(c.upstream);
    close(c.upstream);
  }
  c.sent?.release();
  if (!c.up) return;
  c.up.release();
  c.down!.release();
  out.push({ op: 'closed', id: c.id, bytesIn: c.up.bytes - c.up.reported, bytesOut: c.down!.bytes - c.down!.reported, reset });
}

/** Moves what an event on `fd` allows: reading from it, writing to it (EPOLLOUT is reported with every edge). */
function progress(c: Conn, fd: number, events: number, now: number): void {
  if (!c.up) {
    // Connecting: the upstream's first event tells how it went; the client waits (its bytes are read once connected).
    if (fd !== c.upstream) {
      c.clientEvents |= events;
      return;
    }
    if (events & (EPOLLERR | EPOLLHUP) && libc.socketError(fd) !== 0) retry(c, now);
    else if (events & EPOLLOUT) connected(c, events, now);
    return;
  }
  const from = fd === c.client ? c.up : c.down!;
  const to = fd === c.client ? c.down! : c.up;
  settle(c, reads(from, events) && (!(events & EPOLLOUT) || to.writable()), now);
}

/**
 * Resets a connection after an error, closes one that ended both ways. A backend that resets, or
 * closes while the client still sends, before answering is one going away (stopped or crashed after
 * accepting): the connection moves to another backend with the client's bytes so far, unless the
 * error was the client's. A backend closing without a word once the client ended is an answer.
 */
function settle(c: Conn, ok: boolean, now: number): void {
  if (c.up!.keeping && c.down!.bytes > 0) c.up!.stopKeeping(); // answered: no replay any more
  if (c.movable && (!ok || (c.down!.ended && !c.up!.done))) {
    if (!ok && libc.socketError(c.client) !== 0) finish(c, true);
    else retry(c, now);
    return;
  }
  if (c.down!.holdEnd && (!c.movable || c.up!.done)) {
    // Past the first byte, or the client's end passed: the backend's end is the client's to see.
    c.down!.holdEnd = false;
    ok &&= c.down!.pump();
  }
  if (!ok) finish(c, true);
  else if (c.up!.done && c.down!.done) finish(c, false);
}

function listen(cmd: Extract<SpliceCommand, { op: 'listen' }>): void {
  const l = new Listener(cmd.listener, cmd.fd, cmd.connectTimeoutMs);
  l.setTable(cmd.table);
  listeners.set(l.id, l);
  byFd.set(l.fd, l);
  // One thread is woken per connection, not all of them.
  libc.epollAdd(epfd, l.fd, EPOLLIN | EPOLLEXCLUSIVE);
  acceptOn(l);
}

/**
 * A new table for a listener: connections not answered yet by a backend that left it move to another
 * one, except those that sent something to a backend left to drain (it may still answer them).
 */
function setTable(cmd: Extract<SpliceCommand, { op: 'table' }>): void {
  const l = listeners.get(cmd.listener);
  if (!l) return;
  l.setTable(cmd.table);
  const now = Date.now();
  for (const c of conns.values()) {
    if (c.listener !== l || !c.movable) continue;
    const route = routes.get(c.route);
    if (!route?.live.has(c.backend!) && (c.up!.bytes === 0 || !route?.drained.has(c.backend!))) retry(c, now);
  }
}

function unlisten(cmd: Extract<SpliceCommand, { op: 'unlisten' }>): void {
  const l = listeners.get(cmd.listener);
  if (l) {
    listeners.delete(l.id);
    byFd.delete(l.fd);
    // Other threads hold the same socket: closing this duplicate alone would leave it in the epoll set.
    libc.epollDel(epfd, l.fd);
    libc.close(l.fd);
  }
  // Also those of a listener that stopped accepting before (draining).
  if (cmd.reset) for (const c of [...conns.values()]) if (c.listener.id === cmd.listener) finish(c, true);
}

/** Forgets the routes no listener or connection uses any more (a removed service's). */
function pruneRoutes(): void {
  const used = new Set<number>();
  for (const l of listeners.values()) for (const id of l.routeIds) used.add(id);
  for (const c of conns.values()) used.add(c.route);
  for (const id of routes.keys()) if (!used.has(id)) routes.delete(id);
}

/** Takes the commands Splicer sent; false once told to stop. (The eventfd also wakes this thread for connections handed to it: often no command then.) */
function commands(): boolean {
  libc.drain(wakeFd);
  let any = false;
  for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
    any = true;
    const cmd = m.message as SpliceCommand;
    if (cmd.op === 'listen') listen(cmd);
    else if (cmd.op === 'table') setTable(cmd);
    else if (cmd.op === 'unlisten') unlisten(cmd);
    else {
      for (const l of [...listeners.values()]) unlisten({ op: 'unlisten', listener: l.id, reset: true });
      for (const c of [...conns.values()]) finish(c, true);
      balance.close().forEach(dropHandedOver);
      return false;
    }
  }
  if (any) pruneRoutes();
  return true;
}

function reportBytes(): void {
  const counts: number[] = [];
  for (const c of conns.values()) {
    if (!c.up || (c.up.bytes === c.up.reported && c.down!.bytes === c.down!.reported)) continue;
    counts.push(c.id, c.up.bytes - c.up.reported, c.down!.bytes - c.down!.reported);
    c.up.reported = c.up.bytes;
    c.down!.reported = c.down!.bytes;
  }
  if (counts.length > 0) out.push({ op: 'bytes', counts });
}

function timeouts(now: number): void {
  for (const c of [...connecting]) if (now >= c.deadline) retry(c, now);
}

/** How long the loop may wait for events: until a check is due (last: from then on, connections handed to it wake it). */
function waitMs(): number {
  const ms = Math.min(connecting.size > 0 ? CONNECT_CHECK_MS : REPORT_MS, out.length > 0 ? POST_MS : REPORT_MS);
  return balance.mayWait() ? ms : 0;
}

const events = Buffer.alloc(256 * EPOLL_EVENT_SIZE);
let lastReport = Date.now();
let lastPost = 0;
for (let running = true; running; ) {
  const n = libc.epollWait(epfd, events, waitMs());
  balance.busy();
  const now = Date.now();
  for (let i = 0; i < n; i++) {
    const { events: ev, fd, tag } = epollEventAt(events, i);
    if (fd === wakeFd) running = commands() && running;
    else {
      const h = byFd.get(fd);
      if (h instanceof Listener) acceptOn(h);
      else if (h && tag === (fd === h.client ? h.clientTag : h.upstreamTag)) progress(h, fd, ev, now);
    }
  }
  if (running && balance.handed) takeHandedOver();
  if (connecting.size > 0) timeouts(now);
  if (now - lastReport >= REPORT_MS) {
    lastReport = now;
    reportBytes();
  }
  balance.wake();
  if (out.length > 0 && (!running || now - lastPost >= POST_MS)) {
    port.postMessage(out.splice(0));
    lastPost = now;
  }
}
libc.close(epfd);
port.close();
