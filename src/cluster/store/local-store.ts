import { ShoalError } from '../../util/errors.js';
import type { Logger } from '../../util/logger.js';
import type { Clock } from '../../util/clock.js';
import { systemClock } from '../../util/clock.js';
import { Journal } from './journal.js';
import { Tables } from './tables.js';
import { applyChanges, notifyWatchers } from './apply-changes.js';
import { Transaction, tablesReader } from './transaction.js';
import type { ReadTx, Store, StoreEvent, WriteTx } from './types.js';

/**
 * The cluster store on one host: in-memory tables with secondary indexes, made durable by a
 * local journal. Transactions run one at a time; each commit gets the next index, which
 * becomes the `Version.Index` of every object it wrote.
 */
export class LocalStore implements Store {
  private readonly tables = new Tables();
  private index = 0;
  private readonly listeners = new Set<(events: StoreEvent[]) => void>();
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly journal: Journal,
    private readonly log: Logger,
    private readonly clock: Clock,
  ) {}

  /** Opens (or creates) the store kept in `dir`, replaying what was committed before. */
  static open(dir: string, log: Logger, clock: Clock = systemClock): LocalStore {
    const journal = new Journal(dir, log);
    const store = new LocalStore(journal, log, clock);
    const { snapshot, entries } = journal.open();
    store.tables.load(snapshot.tables);
    store.index = snapshot.index;
    for (const entry of entries) {
      applyChanges(store.tables, entry.changes, entry.index);
      store.index = entry.index;
    }
    log.info({ dir, index: store.index, replayed: entries.length }, 'store opened');
    return store;
  }

  view<R>(fn: (tx: ReadTx) => R): R {
    return fn(new Transaction(tablesReader(this.tables), this.index, () => this.timestamp()));
  }

  update<R>(fn: (tx: WriteTx) => R): Promise<R> {
    const run = this.queue.then(() => this.commit(fn));
    this.queue = run.catch(() => undefined);
    return run;
  }

  watch(listener: (events: StoreEvent[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.queue;
    this.journal.close();
  }

  private commit<R>(fn: (tx: WriteTx) => R): R {
    if (this.closed) throw new ShoalError('unavailable', 'the store is closed (the node is leaving the swarm or shutting down)');
    const tx = new Transaction(tablesReader(this.tables), this.index, () => this.timestamp());
    const result = fn(tx);
    const changes = tx.changes();
    if (changes.length === 0) return result;
    const index = this.index + 1;
    for (const c of changes) if (c.action !== 'remove') (c.object as { Version: { Index: number } }).Version = { Index: index };
    this.journal.append({ index, changes });
    const events = applyChanges(this.tables, changes, index);
    this.index = index;
    if (this.journal.wantsSnapshot) this.journal.writeSnapshot({ index, tables: this.tables.dump() });
    notifyWatchers(this.listeners, events, this.log);
    return result;
  }

  private timestamp(): string {
    return new Date(this.clock.now()).toISOString();
  }
}
