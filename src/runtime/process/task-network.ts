import { ShoalError } from '../../util/errors.js';
import { exec } from '../../util/exec.js';
import type { TaskNetworkAttachment } from '../types.js';

/**
 * A task's network: a named network namespace (/run/netns/<prefix>-<taskid12>) and, per attachment,
 * a veth pair created straight between the daemon's namespace (host end on the attachment's bridge)
 * and the task's (ethN). Two `ip -batch` runs in all, whatever the number of attachments; a process
 * task's supervisor runs them (see supervisor-script.ts), the docker executor runs them for a container.
 */

export const netnsName = (prefix: string, taskId: string): string => `${prefix}-${taskId.slice(0, 12)}`;
export const netnsPath = (name: string): string => `/run/netns/${name}`;

/** The host end of the task's n-th veth: `v<taskid12><n>`, 14 characters at most (IFNAMSIZ is 16 with the NUL). */
export const hostVethName = (taskId: string, index: number): string => `v${taskId.slice(0, 12)}${index.toString(36)}`;

/** Docker's MAC for an IPv4 address (02:42 and the four octets), so peers can know it without asking. */
export function macAddress(address: string): string {
  const octets = address.split('/')[0]!.split('.').map(Number);
  return ['02', '42', ...octets.map((o) => o.toString(16).padStart(2, '0'))].join(':');
}

/**
 * `ip -batch` lines run in the daemon's namespace: the namespace, the veths, their bridge ports. The
 * namespace is a new one, or with `pid` the one that process runs in (a container's), named in /run/netns.
 */
export function hostSideBatch(netns: string, networks: readonly TaskNetworkAttachment[], veths: readonly string[], pid?: number): string {
  const lines = [pid === undefined ? `netns add ${netns}` : `netns attach ${netns} ${pid}`];
  networks.forEach((n, i) => {
    const mac = macAddress(n.address);
    lines.push(
      `link add ${veths[i]} mtu ${n.mtu} master ${n.bridge} up type veth peer name eth${i} mtu ${n.mtu} address ${mac} netns ${netns}`,
      // Hairpin lets a task reach itself through a service VIP that the host NATs back to it.
      `link set ${veths[i]} type bridge_slave hairpin on`,
    );
  });
  return `${lines.join('\n')}\n`;
}

/** `ip -n <netns> -batch` lines: loopback, addresses, the default route via the first attachment's gateway. */
export function taskSideBatch(networks: readonly TaskNetworkAttachment[]): string {
  const lines = ['link set lo up'];
  networks.forEach((n, i) => lines.push(`link set eth${i} up`, `addr add ${n.address} dev eth${i}`));
  if (networks[0]) lines.push(`route add default via ${networks[0].gateway} dev eth0`);
  return `${lines.join('\n')}\n`;
}

/** One `ip <args> -batch -` run, the batch on its stdin. */
export interface IpBatch {
  args: string[];
  batch: string;
}

/** The two runs that build a task's network: in the daemon's namespace, then in the task's (see hostSideBatch for `pid`). */
export function networkBatches(netns: string, networks: readonly TaskNetworkAttachment[], veths: readonly string[], pid?: number): IpBatch[] {
  return [
    { args: [], batch: hostSideBatch(netns, networks, veths, pid) },
    { args: ['-n', netns], batch: taskSideBatch(networks) },
  ];
}

/** The error for a failed network build, naming the missing bridge when that is the cause. */
export function networkError(ipErrors: string, netns: string, networks: readonly TaskNetworkAttachment[]): ShoalError {
  const missing = networks.find((n) => ipErrors.includes(`argument "${n.bridge}" is wrong`));
  if (missing) {
    return new ShoalError(
      'unavailable',
      `network ${missing.networkName}: bridge ${missing.bridge} does not exist in the daemon's network namespace; the network layer must create it before the task starts`,
    );
  }
  return new ShoalError('internal', `creating the network of ${netns} failed: ${ipErrors}`);
}

/** Deletes the veths and the namespace; what is already gone is skipped, so it can run again after a crash. */
export async function removeTaskNetwork(netns: string, veths: readonly string[]): Promise<void> {
  const batch = [...veths.map((v) => `link del ${v}`), `netns del ${netns}`].join('\n');
  const res = await exec('ip', ['-force', '-batch', '-'], { input: `${batch}\n`, allowFail: true });
  const errors = res.stderr
    .split('\n')
    .filter((l) => l.trim() !== '' && !/Cannot find device|No such file or directory|^Command failed/.test(l));
  if (errors.length > 0) throw new ShoalError('internal', `removing the network of ${netns} failed: ${errors.join('; ')}`);
}
