import { mutable, type WriteTx } from '../store/index.js';
import type { NodeObject } from '../types.js';
import type { EndpointTable } from '../endpoints/types.js';

/**
 * The managers' current endpoint table, versioned by the store index at which its content last
 * changed: every host is sent the same version for the same content, so a host's applied version
 * can be compared with the managers' one.
 */
export class CurrentTable {
  private json = '';
  private version = 0;
  private committedAt?: number;

  /**
   * The table derived now, carrying the version of the last content change and when the leader
   * applied that change (`committedAt`, unix ms); `json` leaves both out.
   */
  next(derived: EndpointTable, committedAt?: number): { table: EndpointTable; json: string } {
    const json = JSON.stringify({ ...derived, version: 0 });
    if (json !== this.json) {
      this.json = json;
      this.version = derived.version;
      this.committedAt = committedAt;
    }
    return { table: { ...derived, version: this.version, ...(this.committedAt !== undefined ? { committedAt: this.committedAt } : {}) }, json };
  }

  /** The version of the table the managers send now (0 before the first). */
  get currentVersion(): number {
    return this.version;
  }
}

type Versions = NonNullable<NodeObject['EndpointTableVersions']>;

/**
 * The table version each host reports applied (right after applying, and with every heartbeat),
 * next to the managers' version at that report. The leader keeps them in memory, where the drain
 * barrier reads them, and writes them to the store (`node inspect` shows them) only when asked,
 * at the heartbeat period: a Raft write per table change per host would be one per host for every
 * scale, update or failover.
 */
export class AppliedVersions {
  private readonly reported = new Map<string, Versions>();

  /** Notes a host's report; true when it changed what this leader knew. */
  report(nodeId: string, applied: number, managers: number): boolean {
    const known = this.reported.get(nodeId);
    if (known?.Applied === applied && known.Managers === managers) return false;
    this.reported.set(nodeId, { Applied: applied, Managers: managers });
    return true;
  }

  /** The version the host last reported applied: to this leader, else as the store has it (an earlier leader's record). */
  applied(node: NodeObject): number {
    return this.reported.get(node.ID)?.Applied ?? node.EndpointTableVersions?.Applied ?? 0;
  }

  /** Writes to the store the reports it does not hold yet (nothing when none changed). */
  persist(tx: WriteTx): void {
    for (const [nodeId, v] of this.reported) recordTableVersions(tx, nodeId, v.Applied, v.Managers);
  }
}

/** Records on the node the table version its host reports applied and the managers' version at that report, when either changed. */
export function recordTableVersions(tx: WriteTx, nodeId: string, applied: number, managers: number): void {
  const node = tx.get('nodes', nodeId);
  if (!node || (node.EndpointTableVersions?.Applied === applied && node.EndpointTableVersions.Managers === managers)) return;
  const copy = mutable(node);
  copy.EndpointTableVersions = { Applied: applied, Managers: managers };
  tx.update('nodes', copy);
}
