import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive, startTicks } from './pids.js';
import { LAB_STATE_ROOT, stateDir } from './names.js';

/** Which process owns a lab: pid and start time, so a reused pid does not count as the owner. */
interface OwnerRecord {
  pid: number;
  startTicks: number;
}

const ownerFile = (prefix: string): string => join(stateDir(prefix), 'owner.json');

/**
 * Creates the lab's state folder with its owner marker in one rename, before anything else of the
 * lab exists: a folder without a marker is never seen, and anything named by the prefix has an owner.
 */
export function claimPrefix(prefix: string): void {
  mkdirSync(LAB_STATE_ROOT, { recursive: true });
  const tmp = join(LAB_STATE_ROOT, `.${prefix}.${process.pid}`);
  mkdirSync(tmp);
  const record: OwnerRecord = { pid: process.pid, startTicks: startTicks(process.pid)! };
  writeFileSync(join(tmp, 'owner.json'), JSON.stringify(record));
  try {
    renameSync(tmp, stateDir(prefix));
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw new Error(`lab prefix ${prefix} is taken`, { cause: err });
  }
}

/** Whether the process that created the lab is still running. */
export function ownerAlive(prefix: string): boolean {
  let record: OwnerRecord;
  try {
    record = JSON.parse(readFileSync(ownerFile(prefix), 'utf8')) as OwnerRecord;
  } catch {
    return false;
  }
  return isAlive(record.pid) && startTicks(record.pid) === record.startTicks;
}
