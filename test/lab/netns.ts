import { exec, type ExecOptions, type ExecResult } from '../../src/util/exec.js';

export const netnsPath = (name: string): string => `/run/netns/${name}`;

/** `ip -n <ns> ...`: iproute2 acting inside a namespace without a shell in it. */
export function ipIn(ns: string, args: readonly string[], opts?: ExecOptions): Promise<ExecResult> {
  return exec('ip', ['-n', ns, ...args], opts);
}

export async function listNetns(): Promise<string[]> {
  const { stdout } = await exec('ip', ['netns', 'list']);
  return stdout
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter(Boolean);
}

export async function addNetns(name: string): Promise<void> {
  await exec('ip', ['netns', 'add', name]);
  await ipIn(name, ['link', 'set', 'lo', 'up']);
}

export async function deleteNetns(name: string): Promise<void> {
  await exec('ip', ['netns', 'delete', name], { allowFail: true });
}

/**
 * Writes sysctls inside a namespace. New namespaces copy some values from the root namespace
 * (ip_forward, rp_filter), so every value a lab relies on is set explicitly.
 */
export async function setSysctls(ns: string, values: Record<string, string | number>): Promise<void> {
  const args = Object.entries(values).map(([k, v]) => `${k}=${v}`);
  await exec('nsenter', [`--net=${netnsPath(ns)}`, '--', 'sysctl', '-q', '-w', ...args]);
}

/** A veth pair from a device in namespace `a` to a device in namespace `b`, never touching the root namespace. */
export async function addVethBetween(a: string, aName: string, b: string, bName: string): Promise<void> {
  await ipIn(a, ['link', 'add', aName, 'type', 'veth', 'peer', 'name', bName, 'netns', b]);
}
