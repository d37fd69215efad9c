import { waitUntil } from '../../lab/index.js';
import type { ShoaldInHost } from '../shoald-harness.js';
import type { Run } from './cluster-checks.js';

interface LogLine {
  time: number;
  msg: string;
  hostname?: string;
  committedAt?: number;
}

/** The JSON lines a shoald logged that say `msg`. */
function logged(host: ShoaldInHost, msg: string): LogLine[] {
  return host.process.output().split('\n').filter((l) => l.includes(`"msg":"${msg}"`)).map((l) => JSON.parse(l) as LogLine);
}

/** What the shoalds of `by` logged when they marked a host down for missed heartbeats since `since`. */
function downMarks(hosts: Record<string, ShoaldInHost>, by: string[], since: number): LogLine[] {
  return by.flatMap((h) => logged(hosts[h]!, 'node missed its heartbeats: marked down').filter((l) => l.time >= since));
}

/**
 * The hosts the managers among `by` marked down for missed heartbeats since `since`. A host that
 * kept running and stayed reachable must never be among them: its tasks would be replaced for nothing.
 */
export function markedDownSince(hosts: Record<string, ShoaldInHost>, by: string[], since: number): string[] {
  return [...new Set(downMarks(hosts, by, since).map((l) => l.hostname ?? '?'))].sort();
}

/** Whether `host` runs a task of `service` now. */
export async function runsTaskOf(run: Run, via: string, host: string, service: string): Promise<boolean> {
  const nodes = await run(via, 'service', 'ps', service, '--filter', 'desired-state=running', '--format', '{{.Node}} {{.CurrentState}}');
  return nodes.split('\n').some((l) => l.startsWith(`${host} Running`));
}

/**
 * A host lost (cut off or killed) at `since`: waits until the managers, asked through `via`, mark it
 * Down, then until every host in `others` applied an endpoint table carrying that change, which
 * drops the lost host's tasks from their mesh (the leader logs when it marked the host down, each
 * shoald when it applied a table and the time of the change it carries). Until then requests could
 * still be sent to the lost host's tasks. Returns when it was seen Down and when that table was live everywhere.
 */
export async function lostHostDropped(run: Run, hosts: Record<string, ShoaldInHost>, via: string, lost: string, others: string[], since: number): Promise<{ downSeenAt: number; droppedAt: number }> {
  await waitUntil(`${lost} Down`, async () => (await run(via, 'node', 'inspect', lost, '--format', '{{.Status.State}}')).trim() === 'down', { timeoutMs: 30_000, intervalMs: 200 });
  const downSeenAt = Date.now();
  const markedAt = Math.min(...downMarks(hosts, others, since).filter((l) => l.hostname === lost).map((l) => l.time));
  if (!Number.isFinite(markedAt)) throw new Error(`no manager logged marking ${lost} down`);
  const droppedAt = await waitUntil(`every other host applied the table without ${lost}'s tasks`, async () => {
    const times = others.map((h) => logged(hosts[h]!, 'endpoint table applied').find((l) => (l.committedAt ?? 0) >= markedAt)?.time);
    return times.every((t) => t !== undefined) && Math.max(...(times as number[]));
  }, { timeoutMs: 20_000, intervalMs: 500 });
  return { downSeenAt, droppedAt };
}
