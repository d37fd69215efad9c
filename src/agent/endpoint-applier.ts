import type { Logger } from '../util/logger.js';
import { errorMessage } from '../util/errors.js';
import type { EndpointTable } from '../cluster/endpoints/types.js';
import type { Overlay } from '../mesh/overlay/overlay.js';
import type { DnsServer } from '../dns/index.js';
import type { DataPlane } from '../mesh/dataplane/index.js';

export interface EndpointApplierOptions {
  nodeId: string;
  overlay: Overlay;
  mesh: DataPlane;
  dns: DnsServer;
  log: Logger;
}

/**
 * Applies each endpoint table the managers send to this host's overlay, routing mesh and DNS, in version
 * order, one at a time; the newest table waiting replaces any older one not yet applied.
 */
export class EndpointApplier {
  private pending?: EndpointTable;
  private running?: Promise<void>;
  private applied = 0;

  constructor(private readonly o: EndpointApplierOptions) {}

  /** The version of the last table fully applied on this host. */
  get appliedVersion(): number {
    return this.applied;
  }

  offer(table: EndpointTable): void {
    if (table.version <= this.applied || (this.pending && table.version <= this.pending.version)) return;
    this.pending = table;
    this.running ??= this.drain().finally(() => (this.running = undefined));
  }

  /** Waits for what is being applied (for shutdown). */
  async idle(): Promise<void> {
    await this.running;
  }

  private async drain(): Promise<void> {
    while (this.pending) {
      const table = this.pending;
      this.pending = undefined;
      try {
        await this.o.overlay.apply(table);
        await this.o.mesh.apply(table);
        // DNS listeners follow the overlay's networks (Overlay onNetworks), not the table.
        this.o.dns.apply(table);
        this.applied = table.version;
        this.o.log.debug({ version: table.version }, 'endpoint table applied');
      } catch (err) {
        // The next table (or a retry of this one, with a later version) converges from what the kernel holds.
        this.o.log.warn({ version: table.version, err: errorMessage(err) }, 'applying the endpoint table failed; will apply the next one');
      }
    }
  }
}
