import type { StoreEvent } from '../cluster/store/types.js';
import { checkFilterNames, filterValues, matchesExact, matchesLabels, type Filters } from '../cluster/controlapi/filters.js';
import type { ApiBackend } from './backend.js';
import { drafts, type DockerEvent, type EventDraft, type EventRefs, type NameLookup } from './event-shapes.js';

export type { DockerEvent } from './event-shapes.js';

export const EVENT_FILTERS = ['config', 'container', 'daemon', 'event', 'image', 'label', 'network', 'node', 'plugin', 'scope', 'secret', 'service', 'type', 'volume'] as const;
/** Filters that name an object: an event matches by the actor's ID (or a prefix) or name, or by the objects it concerns. */
const OBJECT_FILTERS = ['config', 'container', 'daemon', 'image', 'network', 'node', 'plugin', 'secret', 'service', 'volume'];

/** Events kept for `since` (Docker keeps 256; Shoal keeps more, since clients resume from cursors). */
export const DEFAULT_HISTORY = 10_000;

/** One event in the stream, with what filters match it by. */
export interface StreamEvent {
  event: DockerEvent;
  refs: EventRefs;
}

const NS_PER_MS = 1_000_000n;
const NS_PER_S = 1_000_000_000n;

/** `<seconds>.<nanoseconds>`: the form `since`/`until` take (and the docker CLI passes through). */
export const formatNano = (nano: bigint): string => `${nano / NS_PER_S}.${(nano % NS_PER_S).toString().padStart(9, '0')}`;

/** Docker's `since`/`until` (unix seconds with up to 9 decimals), exactly, in nanoseconds. */
export function parseNano(value: string): bigint | undefined {
  const m = /^(\d+)(?:\.(\d{1,9}))?$/.exec(value);
  if (!m) return undefined;
  return BigInt(m[1]!) * NS_PER_S + BigInt((m[2] ?? '').padEnd(9, '0'));
}

/** One event as a line of the stream: JSON with `timeNano` as an exact integer. */
export function eventLine(e: DockerEvent): string {
  return `${JSON.stringify({ ...e, timeNano: '@timeNano@' }).replace('"@timeNano@"', e.timeNano.toString())}\n`;
}

/** Whether an event passes Docker's event filters (object filters also match the service, node and networks of task and endpoint events). */
export function eventMatches({ event: e, refs }: StreamEvent, filters: Filters): boolean {
  const byObject = OBJECT_FILTERS.every((key) => {
    const wanted = filterValues(filters, key);
    if (wanted.length === 0) return true;
    const name = e.Actor.Attributes['name'] ?? '';
    const own = e.Type === key ? [e.Actor.ID, name] : [];
    const candidates = [...own, ...(refs.objects[key] ?? [])].filter((c) => c !== '');
    return wanted.some((w) => candidates.some((c) => c === w || c.startsWith(w)));
  });
  return (
    byObject &&
    matchesExact(e.Type, filterValues(filters, 'type')) &&
    matchesExact(e.Action, filterValues(filters, 'event')) &&
    matchesExact(e.scope, filterValues(filters, 'scope')) &&
    matchesLabels({ ...refs.labels, ...e.Actor.Attributes }, filterValues(filters, 'label'))
  );
}

export const checkEventFilters = (filters: Filters): void => checkFilterNames(filters, EVENT_FILTERS);

/** What `replay` gives: the kept events from `since` on, and a resync event first when some in between are no longer known. */
export interface Replay {
  resync?: StreamEvent;
  events: StreamEvent[];
}

/**
 * The daemon's event stream, made from the changes of the replicated store as this manager applies
 * them. Every event gets a time from its transaction's proposal time (replicated), made strictly
 * increasing in log order, so every manager gives each event the same time and cursor: a client may
 * resume from its last cursor on any manager. The last `limit` events are kept; a `since` older than
 * what is kept (or than this daemon's view of the store) gets a `resync` event first.
 */
export class EventLog {
  private readonly history: StreamEvent[] = [];
  private readonly subscribers = new Set<(e: StreamEvent) => void>();
  private readonly unsubscribe: () => void;
  private last = 0n;
  /** Every event with a time at or after this is kept (or was never missed). */
  private coveredFrom: bigint;

  constructor(
    private readonly backend: ApiBackend,
    private readonly limit = DEFAULT_HISTORY,
  ) {
    // Opened on a store that already holds state: what changed before is not known here.
    this.coveredFrom = backend.store() ? BigInt(Date.now()) * NS_PER_MS : 0n;
    this.unsubscribe = backend.onStoreEvents((changes) => this.onChanges(changes));
  }

  get listenerCount(): number {
    return this.subscribers.size;
  }

  /** Kept events at or after `sinceNano`; a resync event first when events after `sinceNano` may be missing. */
  replay(sinceNano: bigint): Replay {
    const events = this.history.filter((e) => e.event.timeNano >= sinceNano);
    if (sinceNano >= this.coveredFrom) return { events };
    const now = BigInt(Date.now()) * NS_PER_MS;
    const resume = events[0]?.event.timeNano ?? this.last + 1n;
    const reason = `events between ${formatNano(sinceNano)} and ${formatNano(this.coveredFrom)} are no longer kept (window of ${this.limit} events, or this manager started since); re-read the cluster state, then go on from here`;
    const resync: StreamEvent = {
      event: { Type: 'daemon', Action: 'resync', Actor: { ID: '', Attributes: { reason, oldest: formatNano(resume) } }, scope: 'swarm', time: Number(now / NS_PER_S), timeNano: now, cursor: formatNano(resume) },
      refs: { objects: {}, labels: {} },
    };
    return { resync, events };
  }

  subscribe(fn: (e: StreamEvent) => void): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }

  close(): void {
    this.unsubscribe();
    this.subscribers.clear();
  }

  private onChanges(changes: StoreEvent[]): void {
    if (changes.some((c) => c.fromSnapshot)) {
      // The state jumped: the changes in between are unknown.
      this.coveredFrom = BigInt(Date.now()) * NS_PER_MS;
      return;
    }
    const names = this.names(changes);
    for (const c of changes) {
      const stamp = c.time ?? (c.action === 'remove' ? undefined : Date.parse((c.object as { UpdatedAt?: string }).UpdatedAt ?? ''));
      for (const d of drafts(c, names)) this.publish(d, stamp);
    }
  }

  /** Names as of this change: the batch's own objects first (a service removed with its tasks), then the store. */
  private names(changes: StoreEvent[]): NameLookup {
    const inBatch = new Map<string, string>();
    for (const c of changes) {
      const o = c.object as { ID: string; Spec?: { Name?: string }; Description?: { Hostname?: string } };
      inBatch.set(o.ID, o.Spec?.Name || o.Description?.Hostname || '');
    }
    const store = this.backend.store();
    const read = (table: 'services' | 'nodes' | 'networks', id: string): string | undefined => {
      if (inBatch.has(id)) return inBatch.get(id);
      const o = store?.view((tx) => tx.get(table, id)) as { Spec: { Name?: string }; Description?: { Hostname?: string } } | undefined;
      return o ? o.Spec.Name || o.Description?.Hostname : undefined;
    };
    return { service: (id) => read('services', id), node: (id) => read('nodes', id), network: (id) => read('networks', id) };
  }

  private publish(d: EventDraft, stampMs: number | undefined): void {
    const at = stampMs !== undefined && Number.isFinite(stampMs) ? BigInt(stampMs) * NS_PER_MS : this.last + 1n;
    const nano = at > this.last ? at : this.last + 1n;
    this.last = nano;
    const e: StreamEvent = {
      event: { Type: d.Type, Action: d.Action, Actor: d.Actor, scope: 'swarm', time: Number(nano / NS_PER_S), timeNano: nano, cursor: formatNano(nano + 1n) },
      refs: d.refs,
    };
    this.history.push(e);
    if (this.history.length > this.limit) {
      const dropped = this.history.shift()!;
      if (dropped.event.timeNano + 1n > this.coveredFrom) this.coveredFrom = dropped.event.timeNano + 1n;
    }
    for (const fn of this.subscribers) fn(e);
  }
}
