import { exec } from '../../util/exec.js';
import { networkBatches, networkError } from '../process/task-network.js';
import type { TaskNetworkAttachment } from '../types.js';

/**
 * Plugs a running sandbox into the task's networks exactly as a process task is plugged (the same
 * `ip` batches: veths on the bridges with hairpin, Docker MACs, addresses, default route), except
 * that its namespace is the container's, named `netns` in /run/netns after its PID.
 */
export async function plugSandbox(netns: string, networks: readonly TaskNetworkAttachment[], veths: readonly string[], pid: number): Promise<void> {
  if (networks.length === 0) return;
  for (const b of networkBatches(netns, networks, veths, pid)) {
    const res = await exec('ip', [...b.args, '-batch', '-'], { input: b.batch, allowFail: true });
    if (res.code !== 0) throw networkError(res.stderr.trim(), netns, networks);
  }
}
