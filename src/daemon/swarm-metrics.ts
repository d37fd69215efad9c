import type { StoreEvent } from '../cluster/store/types.js';
import type { TaskObject } from '../cluster/types.js';
import { LATENCY_BOUNDS_MS } from '../dns/index.js';
import { family, type Collector, type MetricFamily } from '../metrics/exposition.js';
import { Histogram, histogramSamples } from '../metrics/histogram.js';
import type { SwarmNode } from './swarm-node.js';

/** Task states before a node is assigned: what the scheduler still has to place. */
const UNPLACED = new Set(['new', 'allocated', 'pending']);

/**
 * This host's part of the swarm as Prometheus metrics: the routing mesh per entry and backend,
 * DNS per name class, the endpoint table applied here, and on managers Raft and the scheduler.
 */
export class SwarmMetrics {
  /** Seconds from a task's creation to its assignment to a node, from the replicated store's timestamps. */
  private readonly placement = new Histogram();

  constructor(private readonly current: () => SwarmNode | undefined) {}

  /** Feeds store changes (every manager sees the same, so every manager has the same histogram). */
  onStoreEvents(events: StoreEvent[]): void {
    for (const e of events) {
      if (e.table !== 'tasks' || e.action !== 'update') continue;
      const t = e.object as TaskObject;
      const old = e.old as TaskObject | undefined;
      if (!old?.NodeID && t.NodeID) this.placement.observe(Math.max(0, Date.parse(t.UpdatedAt) - Date.parse(t.CreatedAt)) / 1000);
    }
  }

  readonly collectors: Collector[] = [() => this.mesh(), () => this.dns(), () => this.endpoints(), () => this.raft(), () => this.scheduler()];

  private async mesh(): Promise<MetricFamily[]> {
    const mesh = this.current()?.parts.mesh;
    if (!mesh) return [];
    const stats = await mesh.stats();
    const f = {
      connections: family('shoal_mesh_connections_total', 'counter', 'New connections (UDP: flows) balanced by a published port or VIP on this host.'),
      active: family('shoal_mesh_active_connections', 'gauge', 'Connections open now through a published port or VIP on this host.'),
      failed: family('shoal_mesh_failed_connects_total', 'counter', 'Connects a backend refused (userspace: also timed out or cut before any byte).'),
      retries: family('shoal_mesh_retries_total', 'counter', 'Connections moved to another backend after a failed connect (userspace data plane only).'),
      bytes: family('shoal_mesh_bytes_total', 'counter', 'Bytes through a published port or VIP: direction="in" client to backend, "out" back.'),
      backend: family('shoal_mesh_backend_connections_total', 'counter', 'New connections sent to one backend task.'),
      backendActive: family('shoal_mesh_backend_active_connections', 'gauge', 'Connections open now to one backend task.'),
    };
    for (const s of stats) {
      const l = { service: s.service, entry: s.entry, dataplane: mesh.kind };
      f.connections.samples.push({ labels: l, value: s.connections });
      f.active.samples.push({ labels: l, value: s.active });
      f.failed.samples.push({ labels: l, value: s.failed });
      f.retries.samples.push({ labels: l, value: s.retries });
      f.bytes.samples.push({ labels: { ...l, direction: 'in' }, value: s.bytesIn }, { labels: { ...l, direction: 'out' }, value: s.bytesOut });
      for (const b of s.backends) {
        const bl = { ...l, backend: b.address, task: b.taskId };
        f.backend.samples.push({ labels: bl, value: b.connections });
        f.backendActive.samples.push({ labels: bl, value: b.active });
      }
    }
    return Object.values(f);
  }

  private dns(): MetricFamily[] {
    const dns = this.current()?.parts.dns;
    if (!dns) return [];
    const m = dns.metrics;
    const queries = family('shoal_dns_queries_total', 'counter', 'DNS queries answered by name class (service, tasks, task, ptr, forwarded).');
    const nxdomain = family('shoal_dns_nxdomain_total', 'counter', 'Queries answered NXDOMAIN, by name class.');
    const nodata = family('shoal_dns_nodata_total', 'counter', 'Queries answered NOERROR without records, by name class.');
    const latency = family('shoal_dns_query_duration_seconds', 'histogram', 'From a query arriving to its answer handed to the socket, by name class.');
    const bounds = LATENCY_BOUNDS_MS.map((ms) => ms / 1000);
    for (const [cls, c] of Object.entries(m.byClass)) {
      const labels = { class: cls };
      queries.samples.push({ labels, value: c.queries });
      nxdomain.samples.push({ labels, value: c.nxdomain });
      nodata.samples.push({ labels, value: c.nodata });
      latency.samples.push(...histogramSamples(bounds, c.latency.counts, c.latency.sumMs / 1000, c.latency.count, labels));
    }
    return [
      queries,
      nxdomain,
      nodata,
      latency,
      family('shoal_dns_forwarded_total', 'counter', 'Queries for other names forwarded to the host resolvers.', [{ value: m.byClass.forwarded.queries }]),
      family('shoal_dns_upstream_failures_total', 'counter', 'Forwarded queries no upstream answered (the asker got SERVFAIL).', [{ value: m.upstreamFailures }]),
      family('shoal_dns_upstream_timeouts_total', 'counter', 'Single upstream attempts without a usable answer in time.', [{ value: m.upstreamTimeouts }]),
      family('shoal_dns_refused_total', 'counter', "Shoal names asked from an address on none of the table's networks.", [{ value: m.refused }]),
      family('shoal_dns_table_version', 'gauge', 'Version of the endpoint table the DNS answers come from.', [{ value: m.tableVersion }]),
    ];
  }

  private endpoints(): MetricFamily[] {
    const applier = this.current()?.parts.endpoints;
    if (!applier) return [];
    return [
      family('shoal_endpoint_table_version', 'gauge', 'Version (store index) of the endpoint table applied on this host: overlay, mesh and DNS.', [{ value: applier.appliedVersion }]),
      family('shoal_endpoint_commit_to_live_seconds', 'histogram', "From the leader applying a store change to this host's rules for it being live.", applier.commitToLive.samples()),
    ];
  }

  private raft(): MetricFamily[] {
    const raft = this.current()?.parts.raft;
    if (!raft) return [];
    const s = raft.status();
    return [
      family('shoal_raft_term', 'gauge', "This manager's Raft term.", [{ value: s.term }]),
      family('shoal_raft_commit_index', 'gauge', 'Highest log index known committed.', [{ value: s.commit }]),
      family('shoal_raft_applied_index', 'gauge', 'Highest log index applied to the store here.', [{ value: s.applied }]),
      family('shoal_raft_apply_lag_entries', 'gauge', 'Committed entries not yet applied here.', [{ value: Math.max(0, s.commit - s.applied) }]),
      family('shoal_raft_leader_changes_total', 'counter', 'Leader changes this manager saw since it started.', [{ value: s.leaderChanges }]),
      family('shoal_raft_is_leader', 'gauge', '1 on the leader taking writes, else 0.', [{ value: s.isLeader ? 1 : 0 }]),
    ];
  }

  private scheduler(): MetricFamily[] {
    const raft = this.current()?.parts.raft;
    if (!raft) return [];
    const pending = raft.view((tx) => tx.find('tasks', 'desired', 'running').filter((t) => UNPLACED.has(t.Status.State)).length);
    return [
      family('shoal_scheduler_pending_tasks', 'gauge', 'Tasks wanted running and not yet assigned to a node.', [{ value: pending }]),
      family('shoal_scheduler_placement_seconds', 'histogram', 'From a task being created to its assignment to a node.', this.placement.samples()),
    ];
  }
}
