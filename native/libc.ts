// The thin binding to the libc calls the userspace proxy's splice thread needs (through koffi, as native/nftables.ts).
import koffi from 'koffi';

export const EPOLLIN = 0x001;
export const EPOLLOUT = 0x004;
export const EPOLLERR = 0x008;
export const EPOLLHUP = 0x010;
export const EPOLLRDHUP = 0x2000;
export const EPOLLET = 0x80000000;
export const EPOLLEXCLUSIVE = 1 << 28;
export const EPOLL_CTL_ADD = 1;
const EPOLL_CTL_DEL = 2;
export const EAGAIN = 11;
export const EINTR = 4;
export const EINPROGRESS = 115;
const O_NONBLOCK = 0o4000;
const O_CLOEXEC = 0o2000000;
const F_DUPFD_CLOEXEC = 1030;
const F_SETPIPE_SZ = 1031;
const SPLICE_F_MOVE = 1;
const SPLICE_F_NONBLOCK = 2;
const MSG_DONTWAIT = 0x40;
const MSG_NOSIGNAL = 0x4000;
const SOL_SOCKET = 1;
const SO_LINGER = 13;
const SO_REUSEADDR = 2;
const SO_ERROR = 4;
const IPPROTO_TCP = 6;
const TCP_NODELAY = 1;
const SHUT_WR = 1;
const AF_INET = 2;
const SOCK_STREAM = 1;
/** struct sockaddr_in: family, port (big-endian), IPv4 address, padding. */
const SOCKADDR_IN_SIZE = 16;

/** struct epoll_event: packed (12 bytes) on x86-64, 16 bytes with the data at 8 elsewhere. */
export const EPOLL_EVENT_SIZE = process.arch === 'x64' ? 12 : 16;
const EPOLL_DATA_AT = process.arch === 'x64' ? 4 : 8;

export interface Libc {
  /** A close-on-exec duplicate of `fd` (the same socket, which stays open while either is). */
  dup(fd: number): number;
  close(fd: number): void;
  /** A non-blocking pipe: [read end, write end], of `size` bytes if given (and allowed; else the default 64 KiB). */
  pipe(size?: number): [number, number];
  /** Moves up to `len` bytes without blocking; the byte count, 0 at end of stream, or -errno. */
  splice(from: number, to: number, len: number): number;
  /** Reads up to `len` bytes of a socket into `buf` without blocking; the byte count, 0 at end of stream, or -errno. */
  recv(fd: number, buf: Buffer, len: number): number;
  /** Sends the first `len` bytes of `buf` on a socket without blocking (no SIGPIPE); the byte count or -errno. */
  send(fd: number, buf: Buffer, len: number): number;
  /** Writes the first `len` bytes of `buf` to a (non-blocking) pipe; the byte count or -errno. */
  write(fd: number, buf: Buffer, len: number): number;
  /** Copies up to `len` bytes from the start of one pipe to another without consuming them; the byte count or -errno. */
  tee(from: number, to: number, len: number): number;
  shutdownWrite(fd: number): void;
  /** Closes a socket with a reset (SO_LINGER 0), as Node's resetAndDestroy does. */
  reset(fd: number): void;
  epollCreate(): number;
  /** Adds `fd` to an epoll set, its own number and `tag` as the event's data. */
  epollAdd(epfd: number, fd: number, events: number, tag?: number): void;
  /** Waits for events into `out` (EPOLL_EVENT_SIZE bytes each); their count, or -errno. */
  epollWait(epfd: number, out: Buffer, timeoutMs: number): number;
  eventFd(): number;
  /** Takes `fd` out of an epoll set. */
  epollDel(epfd: number, fd: number): void;
  /** A non-blocking IPv4 TCP socket bound to `host:port` and listening (SO_REUSEADDR, as Node's; TCP_NODELAY, which accepted connections inherit); throws an Error with `code` (EADDRINUSE…). */
  listenTcp(host: string, port: number, backlog: number): number;
  /** A connection accepted on a non-blocking listening socket (non-blocking; TCP_NODELAY from `listenTcp`), or -errno (-EAGAIN: none waiting). */
  accept(fd: number): number;
  /** A non-blocking connect to `host:port` started: the socket (the result comes as EPOLLOUT, then `socketError`), or -errno. */
  connectTcp(host: string, port: number): number;
  /** The pending error of a socket (0: none; after a non-blocking connect: connected). */
  socketError(fd: number): number;
  /** The local IPv4 address a socket is bound to. */
  localAddress(fd: number): string;
  /** A connected socket's IPv4 address and port: its own (`local`) or its peer's. */
  socketAddress(fd: number, side: 'local' | 'peer'): { ip: string; port: number };
  /** Adds 1 to an eventfd (wakes whoever waits on it). */
  signal(fd: number): void;
  /** Clears an eventfd. */
  drain(fd: number): void;
}

/** The events, fd and tag of the `i`th entry `epollWait` wrote. */
export function epollEventAt(out: Buffer, i: number): { events: number; fd: number; tag: number } {
  const at = i * EPOLL_EVENT_SIZE;
  return { events: out.readUInt32LE(at), fd: out.readInt32LE(at + EPOLL_DATA_AT), tag: out.readInt32LE(at + EPOLL_DATA_AT + 4) };
}

/** Loads libc's calls; throws where koffi or libc cannot be loaded. Usable from any thread (each loads its own). */
export function openLibc(): Libc {
  const lib = koffi.load('libc.so.6');
  const fcntl = lib.func('int fcntl(int fd, int cmd, ...)');
  const close = lib.func('int close(int fd)');
  const pipe2 = lib.func('int pipe2(void *fds, int flags)');
  const splice = lib.func('intptr_t splice(int fd_in, void *off_in, int fd_out, void *off_out, size_t len, unsigned int flags)');
  const tee = lib.func('intptr_t tee(int fd_in, int fd_out, size_t len, unsigned int flags)');
  const shutdown = lib.func('int shutdown(int fd, int how)');
  const recv = lib.func('intptr_t recv(int fd, void *buf, size_t n, int flags)');
  const send = lib.func('intptr_t send(int fd, void *buf, size_t n, int flags)');
  const setsockopt = lib.func('int setsockopt(int fd, int level, int name, void *value, uint32_t len)');
  const epollCreate1 = lib.func('int epoll_create1(int flags)');
  const epollCtl = lib.func('int epoll_ctl(int epfd, int op, int fd, void *event)');
  const epollWait = lib.func('int epoll_wait(int epfd, void *events, int maxevents, int timeout)');
  const eventfd = lib.func('int eventfd(unsigned int initval, int flags)');
  const read = lib.func('intptr_t read(int fd, void *buf, size_t n)');
  const write = lib.func('intptr_t write(int fd, void *buf, size_t n)');
  const socket = lib.func('int socket(int domain, int type, int protocol)');
  const bind = lib.func('int bind(int fd, void *addr, uint32_t len)');
  const listen = lib.func('int listen(int fd, int backlog)');
  const accept4 = lib.func('int accept4(int fd, void *addr, void *len, int flags)');
  const connect = lib.func('int connect(int fd, void *addr, uint32_t len)');
  const getsockopt = lib.func('int getsockopt(int fd, int level, int name, void *value, void *len)');
  const getsockname = lib.func('int getsockname(int fd, void *addr, void *len)');
  const getpeername = lib.func('int getpeername(int fd, void *addr, void *len)');
  const failed = (what: string): never => {
    throw new Error(`${what} failed: errno ${koffi.errno()}`);
  };
  const pair = Buffer.alloc(8);
  const event = Buffer.alloc(EPOLL_EVENT_SIZE);
  const one = Buffer.alloc(8);
  one.writeBigUInt64LE(1n);
  const scratch = Buffer.alloc(8);
  const linger0 = Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]); // struct linger { l_onoff = 1, l_linger = 0 }
  const intOne = Buffer.from([1, 0, 0, 0]);
  const intOut = Buffer.alloc(4);
  const lenOut = Buffer.alloc(4);
  const addr = Buffer.alloc(SOCKADDR_IN_SIZE);
  const sockaddr = (host: string, port: number): Buffer => {
    addr.fill(0);
    addr.writeUInt16LE(AF_INET, 0);
    addr.writeUInt16BE(port, 2);
    host.split('.').forEach((o, i) => (addr[4 + i] = Number(o)));
    return addr;
  };
  /** A byte count returned by libc, or -errno. */
  const byteCount = (r: unknown): number => {
    const n = Number(r);
    return n < 0 ? -koffi.errno() : n;
  };
  const newSocket = (): number => socket(AF_INET, SOCK_STREAM | O_NONBLOCK | O_CLOEXEC, 0) as number;
  const noDelay = (fd: number) => setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, intOne, 4);
  return {
    dup: (fd) => {
      const d = fcntl(fd, F_DUPFD_CLOEXEC, 'int', 0) as number;
      return d < 0 ? failed('fcntl(F_DUPFD_CLOEXEC)') : d;
    },
    close: (fd) => void close(fd),
    pipe: (size) => {
      if ((pipe2(pair, O_NONBLOCK | O_CLOEXEC) as number) < 0) failed('pipe2');
      const fds: [number, number] = [pair.readInt32LE(0), pair.readInt32LE(4)];
      if (size !== undefined) fcntl(fds[1], F_SETPIPE_SZ, 'int', size);
      return fds;
    },
    splice: (from, to, len) => byteCount(splice(from, null, to, null, len, SPLICE_F_MOVE | SPLICE_F_NONBLOCK)),
    recv: (fd, buf, len) => byteCount(recv(fd, buf, len, MSG_DONTWAIT)),
    send: (fd, buf, len) => byteCount(send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL)),
    write: (fd, buf, len) => byteCount(write(fd, buf, len)),
    tee: (from, to, len) => byteCount(tee(from, to, len, SPLICE_F_NONBLOCK)),
    shutdownWrite: (fd) => void shutdown(fd, SHUT_WR),
    reset: (fd) => {
      setsockopt(fd, SOL_SOCKET, SO_LINGER, linger0, 8);
      close(fd);
    },
    epollCreate: () => {
      const fd = epollCreate1(O_CLOEXEC) as number;
      return fd < 0 ? failed('epoll_create1') : fd;
    },
    epollAdd: (epfd, fd, events, tag = 0) => {
      event.writeUInt32LE(events >>> 0, 0);
      event.writeInt32LE(fd, EPOLL_DATA_AT);
      event.writeInt32LE(tag, EPOLL_DATA_AT + 4);
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
    epollDel: (epfd, fd) => void epollCtl(epfd, EPOLL_CTL_DEL, fd, event),
    listenTcp: (host, port, backlog) => {
      const fd = newSocket();
      if (fd < 0) failed('socket');
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, intOne, 4);
      noDelay(fd);
      if ((bind(fd, sockaddr(host, port), SOCKADDR_IN_SIZE) as number) < 0 || (listen(fd, backlog) as number) < 0) {
        const errno = koffi.errno();
        close(fd);
        const code = errno === 98 ? 'EADDRINUSE' : errno === 99 ? 'EADDRNOTAVAIL' : errno === 13 ? 'EACCES' : `errno ${errno}`;
        throw Object.assign(new Error(`listen ${code} ${host}:${port}`), { code });
      }
      return fd;
    },
    accept: (fd) => {
      const c = accept4(fd, null, null, O_NONBLOCK | O_CLOEXEC) as number;
      return c < 0 ? -koffi.errno() : c;
    },
    connectTcp: (host, port) => {
      const fd = newSocket();
      if (fd < 0) return -koffi.errno();
      noDelay(fd);
      if ((connect(fd, sockaddr(host, port), SOCKADDR_IN_SIZE) as number) < 0) {
        const errno = koffi.errno();
        if (errno !== EINPROGRESS) {
          close(fd);
          return -errno;
        }
      }
      return fd;
    },
    socketError: (fd) => {
      lenOut.writeUInt32LE(4);
      return (getsockopt(fd, SOL_SOCKET, SO_ERROR, intOut, lenOut) as number) < 0 ? koffi.errno() : intOut.readInt32LE(0);
    },
    localAddress: (fd) => {
      lenOut.writeUInt32LE(SOCKADDR_IN_SIZE);
      getsockname(fd, addr, lenOut);
      return `${addr[4]}.${addr[5]}.${addr[6]}.${addr[7]}`;
    },
    socketAddress: (fd, side) => {
      lenOut.writeUInt32LE(SOCKADDR_IN_SIZE);
      addr.fill(0);
      (side === 'local' ? getsockname : getpeername)(fd, addr, lenOut);
      return { ip: `${addr[4]}.${addr[5]}.${addr[6]}.${addr[7]}`, port: addr.readUInt16BE(2) };
    },
    signal: (fd) => void write(fd, one, 8),
    drain: (fd) => void read(fd, scratch, 8),
  };
}
