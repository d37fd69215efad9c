import { mutable, type WriteTx } from '../store/index.js';
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

/**
 * Records on the node the table version its host reports applied and the managers' version at
 * that report, when either changed (one write per table change per host, none per heartbeat).
 */
export function recordTableVersions(tx: WriteTx, nodeId: string, applied: number, managers: number): void {
  const node = tx.get('nodes', nodeId);
  if (!node || (node.EndpointTableVersions?.Applied === applied && node.EndpointTableVersions.Managers === managers)) return;
  const copy = mutable(node);
  copy.EndpointTableVersions = { Applied: applied, Managers: managers };
  tx.update('nodes', copy);
}
