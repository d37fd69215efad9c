import { availableParallelism } from 'node:os';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { openLibc, type Libc } from '../../../../native/libc.js';
import { errorMessage } from '../../../util/errors.js';
import type { Logger } from '../../../util/logger.js';
import { balanceMemory } from './balance.js';
import type { SpliceCommand, SpliceReport, SpliceThreadData, ThreadTable, UpstreamReport } from './splice-protocol.js';

/** What a connection the threads relay tells its owner: bytes as they pass (client → backend, back), and its end. */
export interface SpliceSink {
  bytes(bytesIn: number, bytesOut: number): void;
  closed(reset: boolean): void;
}

/** What owns a listening socket the threads accept on: told of each connection's backend; its sink, on the connection's first report with one. */
export interface ListenerOwner {
  upstream(r: UpstreamReport): SpliceSink | undefined;
}

/** A listening socket the threads accept on. */
export interface ThreadListener {
  /** New routes (backends) for its connections; connections not yet answered by a backend that left move. */
  setTable(table: ThreadTable): void;
  /** Stops accepting; its connections go on until they end, unless `reset`. */
  close(reset: boolean): void;
}

/** One splice thread: its worker, the port its commands go through, and the eventfd that wakes it. */
interface SpliceThread {
  worker: Worker;
  port: MessagePort;
  wakeFd: number;
}

/**
 * The threads of the userspace TCP proxy (splice-thread.ts), one per core: each accepts connections
 * on every listening socket it is given (the kernel wakes one thread per connection), connects them
 * to backends and relays their bytes with splice(2), so no JavaScript runs per connection or chunk
 * in this thread; they report what the listeners count (backends taken and failed, bytes, ends).
 */
export class Splicer {
  private nextListener = 1;
  private readonly sinks = new Map<number, SpliceSink>();
  private readonly owners = new Map<number, ListenerOwner>();
  private closed = false;

  private constructor(
    private readonly libc: Libc,
    private readonly threads: SpliceThread[],
  ) {}

  /** Starts the threads; undefined (logged) where koffi or libc cannot be loaded: connections are then proxied by Node. */
  static start(log: Logger, count = availableParallelism()): Splicer | undefined {
    let libc: Libc;
    try {
      libc = openLibc();
    } catch (err) {
      log.warn({ err: errorMessage(err) }, 'splice(2) is not available; the userspace proxy accepts and relays every connection in Node');
      return undefined;
    }
    const n = Math.max(1, count);
    const wakeFds = Array.from({ length: n }, () => libc.eventFd());
    const balance = balanceMemory(n);
    const threads = wakeFds.map((wakeFd, index): SpliceThread => {
      const { port1, port2 } = new MessageChannel();
      const data: SpliceThreadData & { port: MessagePort } = { wakeFds, index, balance, port: port2 };
      const worker = new Worker(new URL('./splice-thread.js', import.meta.url), { workerData: data, transferList: [port2] });
      worker.on('error', (err) => log.error({ err: errorMessage(err) }, 'a splice thread failed; its connections are lost'));
      worker.unref();
      port1.unref();
      return { worker, port: port1, wakeFd };
    });
    const splicer = new Splicer(libc, threads);
    for (const t of threads) t.port.on('message', (rs: SpliceReport[]) => rs.forEach((r) => splicer.report(r)));
    return splicer;
  }

  /**
   * Listens on `host:port` (throws as net.Server's listen would, with `code`), and has every thread
   * accept on the socket, connect each connection to a backend of `table` and relay it: no Node
   * socket is made for these connections.
   */
  listen(host: string, port: number, backlog: number, table: ThreadTable, connectTimeoutMs: number, owner: ListenerOwner): ThreadListener {
    const fd = this.libc.listenTcp(host, port, backlog);
    const listener = this.nextListener++;
    this.owners.set(listener, owner);
    // Each thread its own duplicate, which it closes when told to stop (the socket closes with the last).
    for (const t of this.threads) this.send(t, { op: 'listen', listener, fd: this.libc.dup(fd), table, connectTimeoutMs });
    this.libc.close(fd);
    return {
      setTable: (t) => this.threads.forEach((th) => this.send(th, { op: 'table', listener, table: t })),
      close: (reset) => {
        if (this.closed) return;
        // A listener that stops accepting still owns the connections it has (draining).
        if (reset) this.owners.delete(listener);
        for (const t of this.threads) this.send(t, { op: 'unlisten', listener, reset });
      },
    };
  }

  /** Resets every connection the threads hold and stops them. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(
      this.threads.map(async (t) => {
        const exited = new Promise((resolve) => t.worker.once('exit', resolve));
        this.send(t, { op: 'stop' });
        await exited;
        this.libc.close(t.wakeFd);
      }),
    );
    for (const s of this.sinks.values()) s.closed(true);
    this.sinks.clear();
  }

  private send(t: SpliceThread, cmd: SpliceCommand): void {
    t.port.postMessage(cmd);
    this.libc.signal(t.wakeFd);
  }

  private report(r: SpliceReport): void {
    if (r.op === 'bytes') {
      for (let i = 0; i < r.counts.length; i += 3) this.sinks.get(r.counts[i]!)?.bytes(r.counts[i + 1]!, r.counts[i + 2]!);
      return;
    }
    if (r.op === 'upstream') {
      const sink = this.owners.get(r.listener)?.upstream(r);
      if (sink) this.sinks.set(r.id, sink);
      else if (r.backend === undefined) this.sinks.delete(r.id); // refused after all: no 'closed' follows
      return;
    }
    const sink = this.sinks.get(r.id);
    this.sinks.delete(r.id);
    sink?.bytes(r.bytesIn, r.bytesOut);
    sink?.closed(r.reset);
  }
}
