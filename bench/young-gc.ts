import type { ChildProcess } from 'node:child_process';

/** A scavenge as `node --trace-gc` prints it: `Scavenge 19.4 (38.7) -> 6.4 (38.7) MB, 10.46 / 0.00 ms`. */
const SCAVENGE = /Scavenge ([\d.]+) \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB, ([\d.]+) /;

/** What a Node child's young-generation collections have freed and how long each took, so far. */
export interface YoungGc {
  /** Bytes freed by scavenges: what the child allocated and dropped (less the little that was promoted). */
  freedBytes: number;
  pausesMs: number[];
}

/** Tallies the scavenges a child started with `--trace-gc` reports on its stdout (which this reads, so it never blocks). */
export function watchYoungGc(child: ChildProcess): YoungGc {
  const tally: YoungGc = { freedBytes: 0, pausesMs: [] };
  let partial = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      const m = SCAVENGE.exec(line);
      if (!m) continue;
      tally.freedBytes += (Number(m[1]) - Number(m[2])) * 1024 * 1024;
      tally.pausesMs.push(Number(m[3]));
    }
  });
  return tally;
}
