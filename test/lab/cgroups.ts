import { readFileSync, readdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';

/** Mount points of the cgroup hierarchies (v1 and v2). */
function cgroupMounts(): string[] {
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' '))
    .filter((f) => f[2] === 'cgroup' || f[2] === 'cgroup2')
    .map((f) => f[1]!);
}

/**
 * Cgroups whose name starts with `namePrefix`, in every hierarchy, up to a few levels deep: a
 * Docker engine given a relative `--cgroup-parent` creates them next to its own cgroup.
 */
export function findCgroups(namePrefix: string, maxDepth = 4): string[] {
  const found: string[] = [];
  const visit = (dir: string, depth: number): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const sub = join(dir, e.name);
      if (e.name.startsWith(namePrefix)) found.push(sub);
      else if (depth < maxDepth) visit(sub, depth + 1);
    }
  };
  for (const mount of cgroupMounts()) visit(mount, 1);
  return found;
}

/** Removes the cgroups named by `namePrefix` (and their child cgroups); they must hold no process. */
export function removeCgroups(namePrefix: string): void {
  for (const dir of findCgroups(namePrefix)) removeCgroupTree(dir);
}

function removeCgroupTree(dir: string): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) removeCgroupTree(join(dir, e.name));
  }
  try {
    rmdirSync(dir);
  } catch {
    // still holds a process that is dying; a later cleanup of the prefix retries
  }
}
