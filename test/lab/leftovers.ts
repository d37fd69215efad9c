import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { Logger } from '../../src/util/logger.js';
import { isLabPrefix, LAB_STATE_ROOT, prefixOfNetns } from './names.js';
import { listNetns } from './netns.js';
import { ownerAlive } from './owner.js';
import { teardownRun } from './teardown.js';

function entries(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Prefixes of every lab with a trace on this machine: namespaces, state folders, work folders. */
async function labPrefixesOnMachine(): Promise<Set<string>> {
  const found = new Set<string>();
  for (const ns of await listNetns()) {
    const p = prefixOfNetns(ns);
    if (p) found.add(p);
  }
  for (const d of entries(LAB_STATE_ROOT)) if (isLabPrefix(d)) found.add(d);
  for (const d of entries(tmpdir())) {
    const m = /^shoal-lab-(shl[a-z0-9]+)$/.exec(d);
    if (m && isLabPrefix(m[1]!)) found.add(m[1]!);
  }
  return found;
}

/** Tears down the labs whose owning process is gone (crashed or killed runs); returns their prefixes. */
export async function removeLeftovers(log: Logger): Promise<string[]> {
  const removed: string[] = [];
  for (const prefix of await labPrefixesOnMachine()) {
    if (ownerAlive(prefix)) continue;
    log.warn({ prefix }, 'removing leftovers of a lab whose owner is gone');
    await teardownRun(prefix);
    removed.push(prefix);
  }
  return removed;
}
