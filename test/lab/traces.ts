import { existsSync, readFileSync } from 'node:fs';
import { exec } from '../../src/util/exec.js';
import { findCgroups } from './cgroups.js';
import { stateDir, workDir } from './names.js';
import { listNetns } from './netns.js';

/** Everything of a lab run that could outlive it, as the tests look for it after teardown. */
export interface LabTraces {
  namespaces: string[];
  mounts: string[];
  folders: string[];
  cgroups: string[];
}

export async function labTraces(prefix: string): Promise<LabTraces> {
  return {
    namespaces: (await listNetns()).filter((ns) => ns.startsWith(`${prefix}-`)),
    mounts: readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .filter((l) => l.includes(prefix)),
    folders: [workDir(prefix), stateDir(prefix)].filter((d) => existsSync(d)),
    cgroups: findCgroups(`${prefix}-`),
  };
}

export const NO_TRACES: LabTraces = { namespaces: [], mounts: [], folders: [], cgroups: [] };

/** Names of the network devices in the root namespace. */
export async function rootLinks(): Promise<string[]> {
  const { stdout } = await exec('ip', ['-o', 'link', 'show']);
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(': ')[1]!.split('@')[0]!)
    .sort();
}
