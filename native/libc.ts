// The thin binding to the libc calls the userspace proxy's splice thread needs (through koffi, as native/nftables.ts).
import koffi from 'koffi';

export const EPOLLIN = 0x001;
export const EPOLLOUT = 0x004;
export const EPOLLERR = 0x008;
export const EPOLLHUP = 0x010;
export const EPOLLRDHUP = 0x2000;
export const EPOLLET = 0x80000000;
export const EPOLL_CTL_ADD = 1;
export const EAGAIN = 11;
export const EINTR = 4;
const O_NONBLOCK = 0o4000;
const O_CLOEXEC = 0o2000000;
const F_DUPFD_CLOEXEC = 1030;
const SPLICE_F_MOVE = 1;
const SPLICE_F_NONBLOCK = 2;
const SOL_SOCKET = 1;
const SO_LINGER = 13;
const SHUT_WR = 1;

/** struct epoll_event: packed (12 bytes) on x86-64, 16 bytes with the data at 8 elsewhere. */
export const EPOLL_EVENT_SIZE = process.arch === 'x64' ? 12 : 16;
const EPOLL_DATA_AT = process.arch === 'x64' ? 4 : 8;

export interface Libc {
  /** A close-on-exec duplicate of `fd` (the same socket, which stays open while either is). */
  dup(fd: number): number;
  close(fd: number): void;
  /** A non-blocking pipe: [read end, write end]. */
  pipe(): [number, number];
  /** Moves up to `len` bytes without blocking; the byte count, 0 at end of stream, or -errno. */
  splice(from: number, to: number, len: number): number;
  shutdownWrite(fd: number): void;
  /** Closes a socket with a reset (SO_LINGER 0), as Node's resetAndDestroy does. */
  reset(fd: number): void;
  epollCreate(): number;
  /** Adds `fd` to an epoll set, its own number as the event's data. */
  epollAdd(epfd: number, fd: number, events: number): void;
  /** Waits for events into `out` (EPOLL_EVENT_SIZE bytes each); their count, or -errno. */
  epollWait(epfd: number, out: Buffer, timeoutMs: number): number;
  eventFd(): number;
  /** Adds 1 to an eventfd (wakes whoever waits on it). */
  signal(fd: number): void;
  /** Clears an eventfd. */
  drain(fd: number): void;
}

/** The events and fd of the `i`th entry `epollWait` wrote. */
export function epollEventAt(out: Buffer, i: number): { events: number; fd: number } {
  const at = i * EPOLL_EVENT_SIZE;
  return { events: out.readUInt32LE(at), fd: out.readInt32LE(at + EPOLL_DATA_AT) };
}

/** Loads libc's calls; throws where koffi or libc cannot be loaded. Usable from any thread (each loads its own). */
export function openLibc(): Libc {
  const lib = koffi.load('libc.so.6');
  const fcntl = lib.func('int fcntl(int fd, int cmd, ...)');
  const close = lib.func('int close(int fd)');
  const pipe2 = lib.func('int pipe2(void *fds, int flags)');
  const splice = lib.func('intptr_t splice(int fd_in, void *off_in, int fd_out, void *off_out, size_t len, unsigned int flags)');
  const shutdown = lib.func('int shutdown(int fd, int how)');
  const setsockopt = lib.func('int setsockopt(int fd, int level, int name, void *value, uint32_t len)');
  const epollCreate1 = lib.func('int epoll_create1(int flags)');
  const epollCtl = lib.func('int epoll_ctl(int epfd, int op, int fd, void *event)');
  const epollWait = lib.func('int epoll_wait(int epfd, void *events, int maxevents, int timeout)');
  const eventfd = lib.func('int eventfd(unsigned int initval, int flags)');
  const read = lib.func('intptr_t read(int fd, void *buf, size_t n)');
  const write = lib.func('intptr_t write(int fd, void *buf, size_t n)');
  const failed = (what: string): never => {
    throw new Error(`${what} failed: errno ${koffi.errno()}`);
  };
  const pair = Buffer.alloc(8);
  const event = Buffer.alloc(EPOLL_EVENT_SIZE);
  const one = Buffer.alloc(8);
  one.writeBigUInt64LE(1n);
  const scratch = Buffer.alloc(8);
  const linger0 = Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]); // struct linger { l_onoff = 1, l_linger = 0 }
  return {
    dup: (fd) => {
      const d = fcntl(fd, F_DUPFD_CLOEXEC, 'int', 0) as number;
      return d < 0 ? failed('fcntl(F_DUPFD_CLOEXEC)') : d;
    },
    close: (fd) => void close(fd),
    pipe: () => {
      if ((pipe2(pair, O_NONBLOCK | O_CLOEXEC) as number) < 0) failed('pipe2');
      return [pair.readInt32LE(0), pair.readInt32LE(4)];
    },
    splice: (from, to, len) => {
      const n = Number(splice(from, null, to, null, len, SPLICE_F_MOVE | SPLICE_F_NONBLOCK));
      return n < 0 ? -koffi.errno() : n;
    },
    shutdownWrite: (fd) => void shutdown(fd, SHUT_WR),
    reset: (fd) => {
      setsockopt(fd, SOL_SOCKET, SO_LINGER, linger0, 8);
      close(fd);
    },
    epollCreate: () => {
      const fd = epollCreate1(O_CLOEXEC) as number;
      return fd < 0 ? failed('epoll_create1') : fd;
    },
    epollAdd: (epfd, fd, events) => {
      event.writeUInt32LE(events >>> 0, 0);
      event.writeInt32LE(fd, EPOLL_DATA_AT);
      if ((epollCtl(epfd, EPOLL_CTL_ADD, fd, event) as number) < 0) failed('epoll_ctl');
    },
    epollWait: (epfd, out, timeoutMs) => {
      const n = epollWait(epfd, out, Math.floor(out.length / EPOLL_EVENT_SIZE), timeoutMs) as number;
      return n < 0 ? -koffi.errno() : n;
    },
    eventFd: () => {
      const fd = eventfd(0, O_NONBLOCK | O_CLOEXEC) as number;
      return fd < 0 ? failed('eventfd') : fd;
    },
    signal: (fd) => void write(fd, one, 8),
    drain: (fd) => void read(fd, scratch, 8),
  };
}
