import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exec } from '../../../util/exec.js';
import type { Logger } from '../../../util/logger.js';
import type { EntryChange } from '../plan-changes.js';

/** More removed backends than this on one entry: clear the entry's UDP flows at once instead of one command per backend. */
const PER_BACKEND_LIMIT = 16;
/**
 * The TCP states in which a client's next SYN on the same address and port keeps the entry, so its
 * DNAT to the gone backend: a SYN retransmitted (SYN_SENT), and every state of a connection still
 * open or closing, whose new SYN conntrack ignores. Not TIME_WAIT, the bulk of a load of short
 * connections, which a new SYN always reopens as a new entry; not CLOSE, which the table's TCP
 * timeout policy has the kernel forget at once (ruleset.ts).
 */
const PINNED_TCP_STATES = ['SYN_SENT', 'SYN_RECV', 'ESTABLISHED', 'FIN_WAIT', 'CLOSE_WAIT', 'LAST_ACK'];

/** `conntrack` deletions (its command-line syntax, one command a line), by protocol. */
export interface FlowDeletions {
  udp: string[];
  tcp: string[];
}

/**
 * Which conntrack entries pinned to backends that left the plan to delete, so their next packet is
 * balanced again. UDP flows of every removed backend: a UDP "connection" has no end, so its entry
 * would outlive the backend by its timeout (dataplane-lab §6). TCP flows only of backends that are
 * gone (their host is down or they stopped), not of `draining` ones, whose established connections
 * finish: a SYN retransmitted to a dead host would otherwise keep its DNAT to it until the client
 * gives up, and an established flow would hang instead of being reset by the next backend (which
 * states: PINNED_TCP_STATES). `markOf` gives the entry's conntrack mark, when known: the kernel then
 * returns only that entry's flows to each command.
 */
export function removedFlowDeletions(changes: readonly EntryChange[], draining: ReadonlySet<string>, markOf: (c: EntryChange) => number | undefined): FlowDeletions {
  const out: FlowDeletions = { udp: [], tcp: [] };
  for (const c of changes) {
    if (c.removed.length === 0) continue;
    const mark = markOf(c);
    const entry = `${mark ? `--mark ${mark} ` : ''}${c.vip ? `--orig-dst ${c.vip}` : `--orig-port-dst ${c.port}`}`;
    if (c.protocols.includes('udp')) {
      const base = `-D -p udp ${entry}`;
      if (c.removed.length > PER_BACKEND_LIMIT) out.udp.push(base);
      else for (const b of c.removed) out.udp.push(`${base} --reply-src ${b.address}`);
    }
    if (c.protocols.includes('tcp')) {
      const gone = c.removed.filter((b) => !draining.has(b.address));
      // A deleted entry whose backends are all gone (its service removed): its pinned flows at once, not a command per backend.
      const whole = c.deleted && gone.length === c.removed.length && gone.length > PER_BACKEND_LIMIT;
      for (const state of PINNED_TCP_STATES) {
        if (whole) out.tcp.push(`-D -p tcp --state ${state} ${entry}`);
        else for (const b of gone) out.tcp.push(`-D -p tcp --state ${state} ${entry} --reply-src ${b.address}`);
      }
    }
  }
  return out;
}

let batches = 0;

/**
 * Runs conntrack deletions in one `conntrack -R` process (each spawn from the daemon costs
 * milliseconds; each command reads the conntrack table, or the entry's flows when it names a mark).
 */
export async function deleteFlows(commands: readonly string[], log: Logger): Promise<void> {
  if (commands.length === 0) return;
  const t0 = performance.now();
  // conntrack opens the file by name: not a pipe from the daemon (a socket, which cannot be opened).
  const file = join(tmpdir(), `shoal-conntrack-${process.pid}-${++batches}`);
  try {
    await writeFile(file, commands.join('\n') + '\n');
    // Each flow deleted is listed on stdout; nothing deleted is no error.
    const res = await exec('conntrack', ['-R', file], { allowFail: true }).catch((err: unknown) => ({ code: -1, stderr: String(err), stdout: '' }));
    // A removed service may bring thousands of commands: the log names the first few and the count.
    const shown = { commands: commands.slice(0, 8), count: commands.length };
    if (res.code !== 0) log.warn({ ...shown, error: res.stderr.trim() }, 'clearing conntrack entries failed');
    const deleted = res.stdout.split('\n').filter(Boolean).length;
    const fields = { ...shown, deleted, ms: Math.round(performance.now() - t0) };
    if (deleted > 0) log.info(fields, 'cleared flows of removed backends');
    else log.debug(fields, 'no flows of removed backends to clear');
  } finally {
    await rm(file, { force: true });
  }
}
