import { exec } from '../../../util/exec.js';
import type { Logger } from '../../../util/logger.js';
import type { EntryChange } from '../plan-changes.js';

/** More removed backends than this on one entry: clear the entry's UDP flows at once instead of one run per backend. */
const PER_BACKEND_LIMIT = 16;

/**
 * Deletes the conntrack entries pinned to backends that left the plan, so their next packet is
 * balanced again. UDP flows of every removed backend: a UDP "connection" has no end, so its entry
 * would outlive the backend by its timeout (dataplane-lab §6). TCP flows only of backends that are
 * gone (their host is down or they stopped), not of `draining` ones, whose established connections
 * finish: a SYN retransmitted to a dead host would otherwise keep its DNAT to it until the client
 * gives up, and an established flow would hang instead of being reset by the next backend.
 */
export async function clearRemovedFlows(changes: readonly EntryChange[], draining: ReadonlySet<string>, log: Logger): Promise<void> {
  const runs: string[][] = [];
  for (const c of changes) {
    if (c.removed.length === 0) continue;
    const entry = c.vip ? ['--orig-dst', c.vip] : ['--orig-port-dst', String(c.port)];
    if (c.protocols.includes('udp')) {
      const base = ['-D', '-p', 'udp', ...entry];
      if (c.removed.length > PER_BACKEND_LIMIT) runs.push(base);
      else for (const b of c.removed) runs.push([...base, '--reply-src', b.address]);
    }
    if (c.protocols.includes('tcp')) {
      for (const b of c.removed) if (!draining.has(b.address)) runs.push(['-D', '-p', 'tcp', ...entry, '--reply-src', b.address]);
    }
  }
  await Promise.all(
    runs.map(async (args) => {
      // Exit 1 with "0 flow entries" is the common case: nothing was pinned to that backend.
      const res = await exec('conntrack', args, { allowFail: true }).catch((err: unknown) => ({ code: -1, stderr: String(err), stdout: '' }));
      const deleted = /(\d+) flow entries have been deleted/.exec(res.stderr)?.[1];
      if (deleted === undefined) log.warn({ args: args.join(' '), error: res.stderr.trim() }, 'clearing conntrack entries failed');
      else if (deleted !== '0') log.info({ args: args.join(' '), deleted: Number(deleted) }, 'cleared flows of removed backends');
    }),
  );
}
