import type { EndpointTable } from '../../cluster/endpoints/types.js';
import type { DataPlanePlan } from './plan.js';
import type { EntryChange } from './plan-changes.js';

export type DataPlaneKind = 'nftables' | 'userspace';

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
  /** Removes everything the data plane made (rules, routes, listeners). */
  close(): Promise<void>;
}

/** A backend of the data plane (kernel or userspace), driven by plans. */
export interface PlanBackend {
  readonly kind: DataPlaneKind;
  /** Makes `plan` live at once; when it throws, the previous plan is still what is live. */
  apply(plan: DataPlanePlan, changes: readonly EntryChange[]): Promise<void>;
  close(): Promise<void>;
}
