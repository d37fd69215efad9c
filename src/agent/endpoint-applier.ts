import type { Logger } from '../util/logger.js';
import { errorMessage } from '../util/errors.js';
import type { EndpointTable } from '../cluster/endpoints/types.js';
import type { Overlay } from '../mesh/overlay/overlay.js';
import type { DnsServer } from '../dns/index.js';
import type { DataPlane } from '../mesh/dataplane/index.js';
import { Histogram } from '../metrics/histogram.js';
import { meshFirst } from './apply-order.js';

export interface EndpointApplierOptions {
  nodeId: string;
  overlay: Overlay;
  mesh: DataPlane;
  dns: DnsServer;
  log: Logger;
  /** After each table applied: the managers wait for every host's word before a draining task stops. */
  onApplied?: (version: number) => void;
}

const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 30_000;

/**
 * Applies each endpoint table the managers send to this host's overlay and routing mesh (in the
 * order `meshFirst` tells) and DNS, in version order, one at a time; the newest table waiting
 * replaces any older one not yet applied. A table that failed to apply is tried again (1 s,
 * doubling to 30 s) until it or a newer one applies: the managers send a table only when it
 * changes, so without this a host would stay behind.
 */
export class EndpointApplier {
  private pending?: EndpointTable;
  private running?: Promise<void>;
  private applied = 0;
  /** The last table fully applied. */
  private last?: EndpointTable;
  private retryMs = RETRY_FIRST_MS;
  private retryTimer?: NodeJS.Timeout;
  private stopped = false;
  /** Seconds from the store commit a table carries to its rules being live here (same clock on one machine; NTP-close across hosts). */
  readonly commitToLive = new Histogram();

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

  /** Waits for what is being applied and retries no more (for shutdown). */
  async idle(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    await this.running;
  }

  private async drain(): Promise<void> {
    while (this.pending) {
      const table = this.pending;
      this.pending = undefined;
      try {
        if (meshFirst(this.last, table)) {
          await this.o.mesh.apply(table);
          await this.o.overlay.apply(table);
        } else {
          await this.o.overlay.apply(table);
          await this.o.mesh.apply(table);
        }
        // DNS listeners follow the overlay's networks (Overlay onNetworks), not the table.
        this.o.dns.apply(table);
        this.applied = table.version;
        this.last = table;
        this.retryMs = RETRY_FIRST_MS;
        if (table.committedAt !== undefined) this.commitToLive.observe(Math.max(0, Date.now() - table.committedAt) / 1000);
        this.o.log.debug({ version: table.version, committedAt: table.committedAt }, 'endpoint table applied');
        this.o.onApplied?.(table.version);
      } catch (err) {
        // A retry (or the next table) converges from what the kernel holds.
        this.o.log.warn({ version: table.version, err: errorMessage(err), retryInMs: this.retryMs }, 'applying the endpoint table failed; will try again');
        this.retryLater(table);
      }
    }
  }

  private retryLater(table: EndpointTable): void {
    if (this.stopped) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.offer(table), this.retryMs);
    this.retryTimer.unref();
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
  }
}
