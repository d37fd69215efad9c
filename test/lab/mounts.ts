import { readFileSync, rmSync } from 'node:fs';
import { exec } from '../../src/util/exec.js';

/** Mount points at or below `dir` in this mount namespace, deepest first. */
export function mountsUnder(dir: string): string[] {
  const base = dir.replace(/\/+$/, '');
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((mp): mp is string => mp !== undefined)
    .map((mp) => mp.replace(/\\040/g, ' '))
    .filter((mp) => mp === base || mp.startsWith(base + '/'))
    .sort((a, b) => b.length - a.length);
}

/** Unmounts everything below `dir`, then deletes it: never recurse into a mounted filesystem. */
export async function removeTree(dir: string): Promise<void> {
  for (const mp of mountsUnder(dir)) await exec('umount', ['--lazy', mp], { allowFail: true });
  const left = mountsUnder(dir);
  if (left.length) throw new Error(`cannot unmount ${left.join(', ')}; not removing ${dir}`);
  rmSync(dir, { recursive: true, force: true });
}
