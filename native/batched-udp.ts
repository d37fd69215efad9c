// A UDP socket read and written many datagrams per system call (recvmmsg/sendmmsg from libc, through
// koffi), woken by libuv's poll on the event loop. Node's dgram costs one libuv callback and one send
// per datagram; this costs one of each per batch.
import koffi from 'koffi';
import { isIPv6 } from 'node:net';
import { endianness } from 'node:os';
import { getSystemErrorName } from 'node:util';
import { copyBytes } from '../src/util/copy-bytes.js';
import { EAGAIN, EINTR } from './libc.js';

const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_DGRAM = 2;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const MSG_DONTWAIT = 0x40;
/** sizeof(struct sockaddr_in6), the larger of the two families; rounded up to keep slots aligned. */
const SOCKADDR_LENGTH = 28;
const SOCKADDR_SLOT = 32;
const IPV6_TEXT_LENGTH = 46;

interface Libc {
  socket(domain: number, type: number, protocol: number): number;
  bind(fd: number, addr: Buffer, len: number): number;
  getsockname(fd: number, addr: Buffer, len: Uint32Array): number;
  recvmmsg(fd: number, vec: Buffer, vlen: number, flags: number, timeout: null): number;
  sendmmsg(fd: number, vec: Buffer, vlen: number, flags: number): number;
  close(fd: number): number;
  inet_pton(af: number, src: string, dst: Buffer): number;
  inet_ntop(af: number, src: Buffer, dst: Buffer, size: number): string | null;
}

/** Where the fields of struct mmsghdr and struct iovec sit on this platform. */
interface Layout {
  mmsg: number;
  name: number;
  namelen: number;
  iov: number;
  iovlen: number;
  flags: number;
  len: number;
  iovec: number;
  iovLen: number;
}

/** What koffi's typings say its poll calls back with. */
type PollCallback = (events: { readable: boolean }) => void;

let loaded: { libc: Libc; layout: Layout } | undefined;

/** libc's socket calls and the structure layout; throws when koffi or libc cannot be loaded. */
function native(): { libc: Libc; layout: Layout } {
  if (loaded) return loaded;
  // Pointers and integers below are written little-endian and 64-bit (x86-64, arm64).
  if (endianness() !== 'LE' || koffi.sizeof('void *') !== 8) throw new Error('batched UDP needs a 64-bit little-endian platform');
  const lib = koffi.load('libc.so.6');
  const libc: Libc = {
    socket: lib.func('int socket(int domain, int type, int protocol)'),
    bind: lib.func('int bind(int fd, const void *addr, uint32_t len)'),
    getsockname: lib.func('int getsockname(int fd, void *addr, void *len)'),
    recvmmsg: lib.func('int recvmmsg(int fd, void *vec, unsigned int vlen, int flags, void *timeout)'),
    sendmmsg: lib.func('int sendmmsg(int fd, void *vec, unsigned int vlen, int flags)'),
    close: lib.func('int close(int fd)'),
    inet_pton: lib.func('int inet_pton(int af, const char *src, void *dst)'),
    inet_ntop: lib.func('const char *inet_ntop(int af, const void *src, void *dst, uint32_t size)'),
  };
  const msghdr = koffi.struct({ name: 'void *', namelen: 'uint32_t', iov: 'void *', iovlen: 'size_t', control: 'void *', controllen: 'size_t', flags: 'int' });
  const mmsghdr = koffi.struct({ hdr: msghdr, len: 'uint32_t' });
  const iovec = koffi.struct({ base: 'void *', len: 'size_t' });
  const layout: Layout = {
    mmsg: koffi.sizeof(mmsghdr),
    name: koffi.offsetof(msghdr, 'name'),
    namelen: koffi.offsetof(msghdr, 'namelen'),
    iov: koffi.offsetof(msghdr, 'iov'),
    iovlen: koffi.offsetof(msghdr, 'iovlen'),
    flags: koffi.offsetof(msghdr, 'flags'),
    len: koffi.offsetof(mmsghdr, 'len'),
    iovec: koffi.sizeof(iovec),
    iovLen: koffi.offsetof(iovec, 'len'),
  };
  loaded = { libc, layout };
  return loaded;
}

/** Why batched UDP cannot be used in this process (koffi or libc missing, another platform), or undefined. */
export function batchedUdpUnavailable(): string | undefined {
  try {
    native();
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** A Node-style system error (`code`, `errno`, `syscall`), as dgram gives for the same failure. */
function systemError(syscall: string, errno: number, host: string, port: number): NodeJS.ErrnoException {
  const code = getSystemErrorName(-errno);
  return Object.assign(new Error(`${syscall} ${code} ${host}:${port}`), { code, errno: -errno, syscall, address: host, port });
}

/** One direction of the batch in native memory: its headers, addresses and data slots, as views and word offsets. */
interface Ring {
  hdrs: Buffer;
  addrs: Buffer;
  data: Buffer;
  /** Bytes per data slot. */
  slot: number;
  /** Index in `words` of the first header and of the first iovec. */
  hdrWord: number;
  iovWord: number;
  /** A view of each data slot, made once. */
  slots: Buffer[];
}

export interface BatchedUdpOptions {
  /** Datagrams read or written per system call. */
  batch: number;
  /** Bytes kept of a received datagram; a longer one arrives cut, but still longer than this. */
  maxDatagram: number;
  /** Largest datagram sent. */
  maxReply: number;
}

/**
 * A bound, non-blocking UDP socket with preallocated slots for `batch` datagrams each way.
 * receive() reads up to a batch; datagram(i) and source(i) are valid until the next receive();
 * reply()/replyTo() queue answers that flush() sends with one system call.
 */
export class BatchedUdpSocket {
  readonly port: number;
  private readonly recv: Ring;
  private readonly send: Ring;
  private readonly words: Uint32Array;
  private queued = 0;
  private received = 0;
  private poller: ReturnType<typeof koffi.node.poll> | undefined;
  private memory: unknown;
  private readonly ntop = Buffer.alloc(IPV6_TEXT_LENGTH);

  private constructor(
    private readonly libc: Libc,
    private readonly layout: Layout,
    private readonly fd: number,
    private readonly family: number,
    private readonly opts: BatchedUdpOptions,
  ) {
    const { batch } = opts;
    // A receive slot holds maxDatagram + 1 bytes: a longer datagram shows as longer than allowed.
    const slots = { recv: align(opts.maxDatagram + 1), send: align(opts.maxReply) };
    const ringBytes = batch * (layout.mmsg + layout.iovec + SOCKADDR_SLOT);
    const total = 2 * ringBytes + batch * (slots.recv + slots.send);
    this.memory = koffi.alloc('uint8_t', total);
    const base = koffi.address(this.memory);
    const all = Buffer.from(koffi.view(this.memory, total));
    all.fill(0);
    this.words = new Uint32Array(all.buffer, all.byteOffset, total / 4);
    let at = 0;
    const take = (bytes: number): number => (at += bytes) - bytes;
    const ring = (slot: number): Ring => {
      const hdrAt = take(batch * layout.mmsg);
      const iovAt = take(batch * layout.iovec);
      const addrAt = take(batch * SOCKADDR_SLOT);
      const dataAt = take(batch * slot);
      for (let i = 0; i < batch; i++) {
        const hdr = hdrAt + i * layout.mmsg;
        const iov = iovAt + i * layout.iovec;
        all.writeBigUInt64LE(base + BigInt(addrAt + i * SOCKADDR_SLOT), hdr + layout.name);
        all.writeUInt32LE(SOCKADDR_LENGTH, hdr + layout.namelen);
        all.writeBigUInt64LE(base + BigInt(iov), hdr + layout.iov);
        all.writeBigUInt64LE(1n, hdr + layout.iovlen);
        all.writeBigUInt64LE(base + BigInt(dataAt + i * slot), iov);
        all.writeBigUInt64LE(BigInt(slot), iov + layout.iovLen);
      }
      const view = (from: number, bytes: number): Buffer => all.subarray(from, from + bytes);
      const slots = Array.from({ length: batch }, (_, i) => view(dataAt + i * slot, slot));
      return { hdrs: view(hdrAt, batch * layout.mmsg), addrs: view(addrAt, batch * SOCKADDR_SLOT), data: view(dataAt, batch * slot), slot, hdrWord: hdrAt / 4, iovWord: iovAt / 4, slots };
    };
    this.recv = ring(slots.recv);
    this.send = ring(slots.send);
    this.port = this.boundPort();
  }

  /** Binds `host:port` (an IP address; port 0 picks one); throws dgram's error (e.g. EADDRNOTAVAIL) on failure. */
  static bind(host: string, port: number, opts: BatchedUdpOptions): BatchedUdpSocket {
    const { libc, layout } = native();
    const family = isIPv6(host) ? AF_INET6 : AF_INET;
    const addr = Buffer.alloc(SOCKADDR_LENGTH);
    addr.writeUInt16LE(family, 0); // sa_family_t, host order
    addr.writeUInt16BE(port, 2);
    if (libc.inet_pton(family, host, addr.subarray(family === AF_INET ? 4 : 8)) !== 1) throw new Error(`DNS listen address ${host} is not an IP address`);
    const fd = libc.socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) throw systemError('socket', koffi.errno(), host, port);
    if (libc.bind(fd, addr, family === AF_INET ? 16 : SOCKADDR_LENGTH) !== 0) {
      const errno = koffi.errno();
      libc.close(fd);
      throw systemError('bind', errno, host, port);
    }
    try {
      return new BatchedUdpSocket(libc, layout, fd, family, opts);
    } catch (err) {
      libc.close(fd);
      throw err;
    }
  }

  /** Calls `onReadable` from the event loop whenever datagrams wait (level-triggered: until they are read). */
  watch(onReadable: () => void): void {
    // koffi calls back with (status, events) (its typings say (events)). On a socket error libuv stops
    // polling and reports a negative status: reading consumes the error, then polling starts again.
    const onPoll = (status: number): void => {
      onReadable();
      if (status < 0 && this.poller) this.poller.start({ readable: true }, onPoll as unknown as PollCallback);
    };
    this.poller = koffi.node.poll(this.fd, { readable: true }, onPoll as unknown as PollCallback);
  }

  /** Reads up to a batch of waiting datagrams without blocking; returns how many (0: none waiting). */
  receive(): number {
    if (!this.memory) return 0;
    const { layout, words } = this;
    const stride = layout.mmsg / 4;
    for (let i = 0; i < this.received; i++) words[this.recv.hdrWord + i * stride + layout.namelen / 4] = SOCKADDR_LENGTH;
    for (;;) {
      const n = this.libc.recvmmsg(this.fd, this.recv.hdrs, this.opts.batch, MSG_DONTWAIT, null);
      if (n >= 0) return (this.received = n);
      if (koffi.errno() !== EINTR) return (this.received = 0);
    }
  }

  /** The bytes of received datagram `i` (a view: valid until the next receive()). */
  datagram(i: number): Buffer {
    return this.recv.slots[i]!.subarray(0, this.datagramLength(i));
  }

  /** The whole receive slot of datagram `i` (its first datagramLength(i) bytes are the datagram); made once, so free to get. */
  datagramSlot(i: number): Buffer {
    return this.recv.slots[i]!;
  }

  datagramLength(i: number): number {
    return this.words[this.recv.hdrWord + (i * this.layout.mmsg + this.layout.len) / 4]!;
  }

  /** The sender of received datagram `i` as dgram names it ("10.0.1.2", "::ffff:10.0.1.2", "fd00::2"). */
  source(i: number): string {
    const a = this.recv.addrs;
    const at = i * SOCKADDR_SLOT;
    if (this.family === AF_INET) return `${a[at + 4]}.${a[at + 5]}.${a[at + 6]}.${a[at + 7]}`;
    return this.libc.inet_ntop(AF_INET6, a.subarray(at + 8, at + 24), this.ntop, IPV6_TEXT_LENGTH) ?? '';
  }

  /**
   * The sender of datagram `i` as a signed 32-bit IPv4 number (`(a << 24) | (b << 16) | (c << 8) | d`),
   * also from an IPv4-mapped IPv6 address; undefined for any other IPv6 sender. Allocates nothing.
   */
  sourceIpv4(i: number): number | undefined {
    const a = this.recv.addrs;
    let at = i * SOCKADDR_SLOT + 4;
    if (this.family === AF_INET6) {
      at += 4; // sin6_flowinfo, then the address: ::ffff:a.b.c.d is 10 zero bytes, 0xffff, then a.b.c.d
      for (let b = 0; b < 10; b++) if (a[at + b] !== 0) return undefined;
      if (a[at + 10] !== 0xff || a[at + 11] !== 0xff) return undefined;
      at += 12;
    }
    return (a[at]! << 24) | (a[at + 1]! << 16) | (a[at + 2]! << 8) | a[at + 3]!;
  }

  /** A copy of the sender's socket address of datagram `i`, to answer it after later receives (replyTo). */
  sourceAddress(i: number): Buffer {
    return Buffer.from(this.recv.addrs.subarray(i * SOCKADDR_SLOT, i * SOCKADDR_SLOT + SOCKADDR_LENGTH));
  }

  /** Queues `answer` to the sender of received datagram `i`. */
  reply(i: number, answer: Buffer): void {
    this.queue(answer, this.recv.addrs, i * SOCKADDR_SLOT);
  }

  /** Queues `answer` to a socket address from sourceAddress(). */
  replyTo(address: Buffer, answer: Buffer): void {
    this.queue(answer, address, 0);
  }

  /**
   * The send slot the next queued answer goes in (flushing first if all are taken), to write an
   * answer straight into; replyInSlot() then queues it. Made once, so free to get.
   */
  nextReplySlot(): Buffer {
    if (this.queued === this.opts.batch) this.flush();
    return this.send.slots[this.queued]!;
  }

  /** Queues the first `length` bytes of nextReplySlot() to the sender of received datagram `i`. */
  replyInSlot(i: number, length: number): void {
    this.commit(this.recv.addrs, i * SOCKADDR_SLOT, length);
  }

  /**
   * Sends every queued answer (one system call unless one fails). A datagram the kernel refuses is
   * skipped; the rest go on. When the socket's buffer is full the remainder is dropped: the askers retry.
   */
  flush(): { sent: number; failed: number } {
    const result = { sent: 0, failed: 0 };
    const count = this.queued;
    this.queued = 0;
    for (let at = 0; at < count && this.memory; ) {
      const hdrs = at === 0 ? this.send.hdrs : this.send.hdrs.subarray(at * this.layout.mmsg);
      const n = this.libc.sendmmsg(this.fd, hdrs, count - at, MSG_DONTWAIT);
      if (n > 0) {
        at += n;
        result.sent += n;
        continue;
      }
      const errno = koffi.errno();
      if (errno === EINTR) continue;
      if (errno === EAGAIN) {
        result.failed += count - at;
        break;
      }
      result.failed++;
      at++;
    }
    return result;
  }

  /** Stops watching, closes the socket and frees the slots; queued answers are dropped. Idempotent. */
  close(): void {
    if (!this.memory) return;
    this.poller?.close();
    this.poller = undefined;
    this.libc.close(this.fd);
    koffi.free(this.memory);
    this.memory = undefined;
    this.queued = 0;
    this.received = 0;
  }

  private queue(answer: Buffer, address: Buffer, addressAt: number): void {
    if (!this.memory) return;
    if (answer.length > this.send.slot) throw new Error(`UDP answer of ${answer.length} bytes exceeds the ${this.send.slot}-byte send slot`);
    answer.copy(this.nextReplySlot());
    this.commit(address, addressAt, answer.length);
  }

  /** Queues the answer already in the next send slot. */
  private commit(address: Buffer, addressAt: number, length: number): void {
    if (!this.memory) return;
    const i = this.queued++;
    copyBytes(address, addressAt, addressAt + SOCKADDR_LENGTH, this.send.addrs, i * SOCKADDR_SLOT);
    const { layout, words } = this;
    words[this.send.hdrWord + (i * layout.mmsg + layout.namelen) / 4] = this.family === AF_INET ? 16 : SOCKADDR_LENGTH;
    // The iovec's length is a size_t: its low word on a little-endian host (the high one stays 0).
    words[this.send.iovWord + (i * layout.iovec + layout.iovLen) / 4] = length;
  }

  private boundPort(): number {
    const addr = Buffer.alloc(SOCKADDR_LENGTH);
    const len = new Uint32Array([SOCKADDR_LENGTH]);
    if (this.libc.getsockname(this.fd, addr, len) !== 0) throw systemError('getsockname', koffi.errno(), '', 0);
    return addr.readUInt16BE(2);
  }
}

function align(bytes: number): number {
  return Math.ceil(bytes / 8) * 8;
}

