import type { EndpointTable } from '../../cluster/endpoints/types.js';
import type { DataPlanePlan, PortRule, VipRule } from './plan.js';
import type { EntryChange } from './plan-changes.js';

export type DataPlaneKind = 'nftables' | 'userspace';

/** Counters of one entry point (a published port, `tcp/8080`, or a VIP, `vip/10.0.1.5`) since it was made. */
export interface EntryStats {
  service: string;
  entry: string;
  /** Connections (UDP: flows) balanced. */
  connections: number;
  /** Connections open now. */
  active: number;
  /** Connects a backend refused (or, in userspace, that timed out or were cut before any byte). */
  failed: number;
  /** Connections moved to another backend after a failed connect (userspace only: the kernel does not retry). */
  retries: number;
  /** Bytes from clients to backends, and back. */
  bytesIn: number;
  bytesOut: number;
  backends: BackendStats[];
}

export interface BackendStats {
  address: string;
  taskId: string;
  connections: number;
  active: number;
}

/** Where the next new connection to an entry goes, and why. */
export interface TraceAnswer {
  entry: string;
  /** The rule or route as the data plane holds it. */
  rule: string;
  backend?: { address: string; taskId: string };
  why: string;
}

/** What a trace asks for: a published port, or a VIP and port. */
export type TraceTarget = { protocol: 'tcp' | 'udp'; port: number; vip?: string };

/**
 * A host's routing mesh: published ports and service VIPs, driven by the endpoint table. Runs in
 * the host's network namespace (the one holding the overlay bridges).
 */
export interface DataPlane {
  readonly kind: DataPlaneKind;
  /** The version of the last table applied, if any. */
  readonly version: number | undefined;
  /**
   * Makes `table` live, atomically: new connections go to its tasks only; established ones keep
   * their backend. A table not newer than the applied one is ignored. Calls are queued.
   */
  apply(table: EndpointTable): Promise<void>;
  /** Counters of every entry point this host serves. */
  stats(): Promise<EntryStats[]>;
  /** Where a new connection to `target` would go now; undefined when this host does not serve it. */
  trace(target: TraceTarget): Promise<TraceAnswer | undefined>;
  /** The live rules of one service: its VIPs and the ports published on this host, with their backends. */
  serviceRules(serviceId: string): { vips: VipRule[]; ports: PortRule[] };
  /** Removes everything the data plane made (rules, routes, listeners). */
  close(): Promise<void>;
}

/** A backend of the data plane (kernel or userspace), driven by plans. */
export interface PlanBackend {
  readonly kind: DataPlaneKind;
  /** Makes `plan` live at once; when it throws, the previous plan is still what is live. */
  apply(plan: DataPlanePlan, changes: readonly EntryChange[]): Promise<void>;
  /** Counters of the entries of `plan` (the live one). */
  stats(plan: DataPlanePlan): Promise<EntryStats[]>;
  trace(plan: DataPlanePlan, target: TraceTarget): Promise<TraceAnswer | undefined>;
  close(): Promise<void>;
}
