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

/** The flows of one entry (its conntrack mark when known, its VIP or published port) in one TCP state, to one gone backend or, for a removed service, to any. */
export interface TcpDeletion {
  state: string;
  mark?: number;
  vip?: string;
  port?: number;
  backend?: string;
}

/** `conntrack` deletions: UDP as commands (its command-line syntax, one command a line), TCP as what to delete (tcpCommand). */
export interface FlowDeletions {
  udp: string[];
  tcp: TcpDeletion[];
}

/** The conntrack filter of an entry's flows. */
const entryFilter = (e: { mark?: number; vip?: string; port?: number }): string => `${e.mark ? `--mark ${e.mark} ` : ''}${e.vip ? `--orig-dst ${e.vip}` : `--orig-port-dst ${e.port}`}`;

export const tcpCommand = (d: TcpDeletion): string => `-D -p tcp --state ${d.state} ${entryFilter(d)}${d.backend ? ` --reply-src ${d.backend}` : ''}`;

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
    const entry = { mark: markOf(c), vip: c.vip, port: c.vip ? undefined : c.port };
    if (c.protocols.includes('udp')) {
      const base = `-D -p udp ${entryFilter(entry)}`;
      if (c.removed.length > PER_BACKEND_LIMIT) out.udp.push(base);
      else for (const b of c.removed) out.udp.push(`${base} --reply-src ${b.address}`);
    }
    if (c.protocols.includes('tcp')) {
      const gone = c.removed.filter((b) => !draining.has(b.address));
      // A deleted entry whose backends are all gone (its service removed): its pinned flows at once, not a command per backend.
      const whole = c.deleted && gone.length === c.removed.length && gone.length > PER_BACKEND_LIMIT;
      for (const state of PINNED_TCP_STATES) {
        if (whole) out.tcp.push({ state, ...entry });
        else for (const b of gone) out.tcp.push({ state, ...entry, backend: b.address });
      }
    }
  }
  return out;
}

/** A TCP flow as `conntrack -L -p tcp` lists it: `tcp 6 117 SYN_SENT src=… dst=<entry> sport=… dport=<port> [UNREPLIED] src=<backend> … mark=3 use=1`. */
export interface TcpFlow {
  state: string;
  dst: string;
  dport: number;
  backend: string;
  mark: number;
}

export function parseTcpFlows(text: string): TcpFlow[] {
  const out: TcpFlow[] = [];
  for (const line of text.split('\n')) {
    const state = /^tcp\s+\d+\s+\d+\s+([A-Z_0-9]+) /.exec(line)?.[1];
    const [dst, backend] = [...line.matchAll(/ (?:dst|src)=(\S+)/g)].map((m) => m[1]!).filter((_, i) => i === 1 || i === 2);
    const dport = / dport=(\d+)/.exec(line)?.[1];
    if (!state || !dst || !backend || !dport) continue;
    out.push({ state, dst, dport: Number(dport), backend, mark: Number(/ mark=(\d+)/.exec(line)?.[1] ?? 0) });
  }
  return out;
}

const matches = (d: TcpDeletion, f: TcpFlow): boolean =>
  (d.mark === undefined || d.mark === f.mark) && (d.vip ? f.dst === d.vip : f.dport === d.port) && (d.backend === undefined || d.backend === f.backend);

/**
 * The deletions that have something to delete in `flows`: each command costs a read of the whole
 * conntrack table (the kernel filters by mark alone, and every flow of an entry has its mark), and
 * under a load of short connections that table is mostly TIME_WAIT: 14 commands took 5.8 s after
 * ~25,000 connections. Most deletions (a state, a gone backend) find no flow: one read to find the
 * few that do.
 */
export function presentDeletions(pending: readonly TcpDeletion[], flows: readonly TcpFlow[]): TcpDeletion[] {
  const byState = new Map<string, TcpFlow[]>(pending.map((d) => [d.state, []]));
  for (const f of flows) byState.get(f.state)?.push(f);
  return pending.filter((d) => byState.get(d.state)!.some((f) => matches(d, f)));
}

/** Reads the TCP flows and runs the deletions that find some (all of them if the read fails). */
export async function deleteTcpFlows(pending: readonly TcpDeletion[], log: Logger): Promise<void> {
  if (pending.length === 0) return;
  const t0 = performance.now();
  const list = await exec('conntrack', ['-L', '-p', 'tcp'], { allowFail: true }).catch(() => undefined);
  const flows = list?.code === 0 ? parseTcpFlows(list.stdout) : undefined;
  const present = flows ? presentDeletions(pending, flows) : pending;
  log.debug({ pending: pending.length, present: present.length, flows: flows?.length, readMs: Math.round(performance.now() - t0) }, 'read the TCP flows of removed backends');
  await deleteFlows(present.map(tcpCommand), log);
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
