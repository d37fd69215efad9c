import { cpuMs } from './process-cpu.js';
import { summarize, timeMs } from './stats.js';

/** One write to a replicated store, named by its key. */
export type Write = (key: string) => Promise<void>;

export const IN_FLIGHT = 64;

export const p99 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(0.99 * xs.length) - 1)]!;

/** Writes `total` keys `<prefix><i>` with `inFlight` writers; the latency of each. */
async function writeMany(write: Write, prefix: string, total: number, inFlight: number): Promise<number[]> {
  const times: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < total) {
        const i = next++;
        times.push(await timeMs(() => write(`${prefix}${i}`)));
      }
    }),
  );
  return times;
}

/**
 * The write workload of one system, gathered over rounds: writes one at a time, then writes with
 * 64 in flight. Rounds of the systems compared alternate, so a spell of load from elsewhere on
 * the machine falls on both.
 */
export class WriteLoad {
  readonly sequential: number[] = [];
  readonly pipelined: number[] = [];
  private pipelinedWallMs = 0;
  private clientCpuUs = 0;
  /** CPU of the store's processes (all members together), in ms, for the writes of each kind. */
  private readonly serverCpuMs = { sequential: 0, pipelined: 0 };

  /** `servers`: the store's member processes, whose CPU per write is reported (steadier than its latency on a busy machine). */
  constructor(
    readonly name: string,
    private readonly write: Write,
    private readonly servers: () => number[],
  ) {}

  private serverCpu(): number {
    return this.servers().reduce((sum, pid) => sum + cpuMs(pid), 0);
  }

  /**
   * Node's JIT compiles the hot paths (of Shoal's members and of both clients) only after a few
   * thousand calls, and those of writes one at a time differ from those of 64 in flight (a Ready
   * per entry, a commit notice per write). It goes on long after: in the 3,000 sequential writes
   * after 2,000, V8 still optimized about 240 functions in the three members (`--trace-opt`), up
   * to 20 ms of a core each, about 0.8 s of compiling on the machine's two cores, and those writes'
   * p99 was 4.1–4.6 ms; after 15,000, some 40 and 2.7–3.3 ms. A manager runs for days: the rounds
   * measure that steady state.
   */
  async warmUp(writes: number, sequential: number): Promise<void> {
    await writeMany(this.write, 'warm', writes, IN_FLIGHT);
    await writeMany(this.write, 'warmseq', sequential, 1);
  }

  async round(r: number, sequential: number): Promise<void> {
    let server = this.serverCpu();
    this.sequential.push(...(await writeMany(this.write, `seq${r}-`, sequential, 1)));
    this.serverCpuMs.sequential += this.serverCpu() - server;
    server = this.serverCpu();
    const cpu = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    this.pipelined.push(...(await writeMany(this.write, `par${r}-`, sequential * 4, IN_FLIGHT)));
    this.pipelinedWallMs += Number(process.hrtime.bigint() - t0) / 1e6;
    const { user, system } = process.cpuUsage(cpu);
    this.clientCpuUs += user + system;
    this.serverCpuMs.pipelined += this.serverCpu() - server;
  }

  /** The members' CPU per write, in µs, of the writes one at a time and of those with 64 in flight. */
  get serverCpuPerWrite(): { sequential: number; pipelined: number } {
    return { sequential: (this.serverCpuMs.sequential * 1000) / this.sequential.length, pipelined: (this.serverCpuMs.pipelined * 1000) / this.pipelined.length };
  }

  /** Wall time of the pipelined writes per 1,000 (the inverse of their throughput). */
  get per1000Pipelined(): number {
    return (this.pipelinedWallMs / this.pipelined.length) * 1000;
  }

  line(): string {
    const seqSecs = this.sequential.reduce((a, b) => a + b, 0) / 1000;
    return (
      `${this.name}: sequential ${(this.sequential.length / seqSecs).toFixed(0)} writes/s (p50 ${summarize(this.sequential).median} ms, p99 ${p99(this.sequential).toFixed(2)} ms); ` +
      `${IN_FLIGHT} in flight ${(1e6 / this.per1000Pipelined).toFixed(0)} writes/s (p50 ${summarize(this.pipelined).median} ms, p99 ${p99(this.pipelined).toFixed(2)} ms; ` +
      `the client's CPU ${(this.clientCpuUs / this.pipelined.length).toFixed(0)} µs per write); ` +
      `the members' CPU per write ${this.serverCpuPerWrite.sequential.toFixed(0)} µs sequential, ${this.serverCpuPerWrite.pipelined.toFixed(0)} µs with ${IN_FLIGHT} in flight`
    );
  }

  /** This system over a baseline: throughput with 64 in flight, sequential p50 and p99, and the members' CPU per write. */
  versus(base: WriteLoad): string {
    const r = (a: number, b: number): string => `${(a / b).toFixed(2)}×`;
    return (
      `${this.name}/${base.name}: ${IN_FLIGHT}-in-flight throughput ${r(base.per1000Pipelined, this.per1000Pipelined)}, ` +
      `sequential p50 ${r(summarize(this.sequential).median, summarize(base.sequential).median)}, p99 ${r(p99(this.sequential), p99(base.sequential))}; ` +
      `members' CPU per write ${r(this.serverCpuPerWrite.sequential, base.serverCpuPerWrite.sequential)} sequential, ${r(this.serverCpuPerWrite.pipelined, base.serverCpuPerWrite.pipelined)} with ${IN_FLIGHT} in flight (lower is better but for throughput)`
    );
  }
}
