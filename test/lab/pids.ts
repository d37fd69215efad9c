import { readdirSync, readFileSync, statSync } from 'node:fs';
import { sleep } from '../../src/util/clock.js';

/** Fields of /proc/<pid>/stat after the command name (which may hold spaces). */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** A process is alive while it exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  const f = statFields(pid);
  return f !== undefined && f[0] !== 'Z' && f[0] !== 'X';
}

/** Start time in clock ticks since boot: with the pid, it names one process even after pid reuse. */
export function startTicks(pid: number): number | undefined {
  const f = statFields(pid);
  return f ? Number(f[19]) : undefined;
}

/** The process IDs of those of `procs` that were started. */
export function startedPids(procs: readonly ({ pid?: number | undefined } | undefined)[]): number[] {
  return procs.flatMap((p) => (p?.pid === undefined ? [] : [p.pid]));
}

function allPids(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
}

/** The given pids and all their descendants, from one snapshot of the process table. */
export function withDescendants(roots: Iterable<number>): Set<number> {
  const children = new Map<number, number[]>();
  for (const pid of allPids()) {
    const ppid = Number(statFields(pid)?.[1]);
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid)!.push(pid);
  }
  const out = new Set<number>();
  const todo = [...roots];
  while (todo.length) {
    const pid = todo.pop()!;
    if (out.has(pid)) continue;
    out.add(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** Pids whose network namespace is the one bound at `nsPath` (what `ip netns pids` does). */
export function pidsInNetns(nsPath: string): number[] {
  let ino: number;
  try {
    ino = statSync(nsPath).ino;
  } catch {
    return [];
  }
  return allPids().filter((pid) => {
    try {
      return statSync(`/proc/${pid}/ns/net`).ino === ino;
    } catch {
      return false;
    }
  });
}

/** Pids whose command line mentions `text` (a daemon's own folder names its helpers too). */
export function pidsMentioning(text: string): number[] {
  return allPids().filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text);
    } catch {
      return false;
    }
  });
}

/**
 * SIGKILLs the pids and their descendants, again until none is left (a dying parent may still fork),
 * and waits for them to be gone. Each round stops them all first: otherwise a parent killed after its
 * children (the list's order) could see them die and exit on its own in between (a shell's `wait`),
 * not by SIGKILL, as a lost host's processes would not.
 */
export async function killTrees(roots: Iterable<number>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let pids = [...withDescendants(roots)].filter(isAlive);
  while (pids.length) {
    for (const signal of ['SIGSTOP', 'SIGKILL'] as const) signalAll(pids, signal);
    if (Date.now() > deadline) throw new Error(`processes ${pids.join(' ')} survived SIGKILL`);
    await sleep(20);
    pids = [...withDescendants(pids)].filter(isAlive);
  }
}

function signalAll(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}
