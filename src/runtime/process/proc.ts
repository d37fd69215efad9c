import { readFile } from 'node:fs/promises';

/** A process's start time (clock ticks since boot, field 22 of /proc/<pid>/stat), or undefined if it is gone. */
export async function processStartTime(pid: number): Promise<number | undefined> {
  let stat: string;
  try {
    stat = await readFile(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: count fields after its closing one.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (fields[0] === 'Z') return undefined;
  return Number(fields[19]);
}

/** Whether the process that had `pid` and started at `start` still runs (not a later process given the same PID). */
export async function isRunning(pid: number, start: number): Promise<boolean> {
  return (await processStartTime(pid)) === start;
}

/** Signals the process if it is still the one that started at `start`; false if it is gone. */
export async function signalProcess(pid: number, start: number, signal: NodeJS.Signals): Promise<boolean> {
  if (!(await isRunning(pid, start))) return false;
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}
