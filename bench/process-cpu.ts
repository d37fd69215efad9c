import { readdirSync, readFileSync } from 'node:fs';

/** CPU time of a process, all its threads, in ms (from the scheduler's nanosecond counts); 0 once it is gone. */
export function cpuMs(pid: number): number {
  let ns = 0;
  try {
    for (const t of readdirSync(`/proc/${pid}/task`)) ns += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]);
  } catch {
    return 0;
  }
  return ns / 1e6;
}
