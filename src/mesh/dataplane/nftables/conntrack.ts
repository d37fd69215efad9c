import { exec } from '../../../util/exec.js';
import type { Logger } from '../../../util/logger.js';
import type { EntryChange } from '../plan-changes.js';

/** More removed backends than this on one entry: clear the entry's UDP flows at once instead of one run per backend. */
const PER_BACKEND_LIMIT = 16;

/**
 * Deletes the conntrack entries of UDP flows NATed to removed backends. A UDP "connection" has no
 * end, so its entry (and the backend it pinned) would outlive the backend by its timeout
 * (dataplane-lab §6); the next datagram is balanced again. TCP flows are left to drain.
 */
export async function clearRemovedUdpFlows(changes: readonly EntryChange[], log: Logger): Promise<void> {
  const runs: string[][] = [];
  for (const c of changes) {
    if (!c.protocols.includes('udp') || c.removed.length === 0) continue;
    const entry = c.vip ? ['--orig-dst', c.vip] : ['--orig-port-dst', String(c.port)];
    const base = ['-D', '-p', 'udp', ...entry];
    if (c.removed.length > PER_BACKEND_LIMIT) runs.push(base);
    else for (const b of c.removed) runs.push([...base, '--reply-src', b.address]);
  }
  await Promise.all(
    runs.map(async (args) => {
      // Exit 1 with "0 flow entries" is the common case: nothing was pinned to that backend.
      const res = await exec('conntrack', args, { allowFail: true }).catch((err: unknown) => ({ code: -1, stderr: String(err), stdout: '' }));
      const deleted = /(\d+) flow entries have been deleted/.exec(res.stderr)?.[1];
      if (deleted === undefined) log.warn({ args: args.join(' '), error: res.stderr.trim() }, 'clearing UDP conntrack entries failed');
      else if (deleted !== '0') log.info({ args: args.join(' '), deleted: Number(deleted) }, 'cleared UDP flows of removed backends');
    }),
  );
}
