import type { StoreEvent } from '../cluster/store/types.js';
import type { NodeObject, ServiceObject, TableName } from '../cluster/types.js';
import { checkFilterNames, filterValues, matchesExact, matchesLabels, type Filters } from '../cluster/controlapi/filters.js';
import type { ApiBackend } from './backend.js';

/** An event in Docker's shape (`GET /events`). */
export interface DockerEvent {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: 'swarm' | 'local';
  time: number;
  timeNano: number;
}

export const EVENT_FILTERS = ['config', 'container', 'daemon', 'event', 'image', 'label', 'network', 'node', 'plugin', 'scope', 'secret', 'service', 'type', 'volume'] as const;
/** Filters that name an object: an event matches by the actor's ID (or a prefix) or its name. */
const OBJECT_FILTERS = ['config', 'container', 'daemon', 'image', 'network', 'node', 'plugin', 'secret', 'service', 'volume'];

/** Docker keeps this many past events for `since`. */
const HISTORY = 256;

const TYPE_BY_TABLE: Partial<Record<TableName, string>> = {
  services: 'service',
  nodes: 'node',
  networks: 'network',
  secrets: 'secret',
  configs: 'config',
};

/** Docker's swarm events for a batch of store changes (tasks and the cluster object have none). */
export function toDockerEvents(changes: StoreEvent[]): DockerEvent[] {
  const out: DockerEvent[] = [];
  for (const c of changes) {
    const type = TYPE_BY_TABLE[c.table];
    if (!type) continue;
    const stamp = c.action === 'remove' ? Date.now() : Date.parse(c.object.UpdatedAt) || Date.now();
    out.push({
      Type: type,
      Action: c.action,
      Actor: { ID: c.object.ID, Attributes: attributes(c) },
      scope: 'swarm',
      time: Math.floor(stamp / 1000),
      timeNano: stamp * 1e6,
    });
  }
  return out;
}

function attributes(c: StoreEvent): Record<string, string> {
  if (c.table === 'nodes') return nodeAttributes(c.object as NodeObject, c.action === 'update' ? (c.old as NodeObject | undefined) : undefined);
  if (c.table === 'services') return serviceAttributes(c.object as ServiceObject, c.action === 'update' ? (c.old as ServiceObject | undefined) : undefined);
  return { name: (c.object as { Spec: { Name: string } }).Spec.Name };
}

function serviceAttributes(s: ServiceObject, old: ServiceObject | undefined): Record<string, string> {
  const a: Record<string, string> = { name: s.Spec.Name };
  if (!old) return a;
  changed(a, 'image', old.Spec.TaskTemplate.ContainerSpec?.Image, s.Spec.TaskTemplate.ContainerSpec?.Image);
  changed(a, 'replicas', old.Spec.Mode.Replicated?.Replicas?.toString(), s.Spec.Mode.Replicated?.Replicas?.toString());
  if (s.UpdateStatus && s.UpdateStatus.State !== old.UpdateStatus?.State) {
    if (old.UpdateStatus) a['updatestate.old'] = old.UpdateStatus.State;
    a['updatestate.new'] = s.UpdateStatus.State;
  }
  return a;
}

function nodeAttributes(n: NodeObject, old: NodeObject | undefined): Record<string, string> {
  const a: Record<string, string> = { name: n.Spec.Name || n.Description?.Hostname || '' };
  if (!old) return a;
  changed(a, 'state', old.Status.State, n.Status.State);
  changed(a, 'availability', old.Spec.Availability, n.Spec.Availability);
  changed(a, 'role', old.Spec.Role, n.Spec.Role);
  return a;
}

function changed(a: Record<string, string>, key: string, before: string | undefined, after: string | undefined): void {
  if (before === undefined || after === undefined || before === after) return;
  a[`${key}.old`] = before;
  a[`${key}.new`] = after;
}

/** Whether an event passes Docker's event filters. */
export function eventMatches(e: DockerEvent, filters: Filters): boolean {
  const byObject = OBJECT_FILTERS.every((key) => {
    const wanted = filterValues(filters, key);
    if (wanted.length === 0) return true;
    const name = e.Actor.Attributes['name'] ?? '';
    return e.Type === key && wanted.some((w) => e.Actor.ID.startsWith(w) || name.startsWith(w));
  });
  return (
    byObject &&
    matchesExact(e.Type, filterValues(filters, 'type')) &&
    matchesExact(e.Action, filterValues(filters, 'event')) &&
    matchesExact(e.scope, filterValues(filters, 'scope')) &&
    matchesLabels(e.Actor.Attributes, filterValues(filters, 'label'))
  );
}

export const checkEventFilters = (filters: Filters): void => checkFilterNames(filters, EVENT_FILTERS);

/** The daemon's event stream: Docker events made from store changes, with a short history for `since`. */
export class EventLog {
  private readonly history: DockerEvent[] = [];
  private readonly subscribers = new Set<(e: DockerEvent) => void>();
  private readonly unsubscribe: () => void;

  constructor(backend: ApiBackend) {
    this.unsubscribe = backend.onStoreEvents((changes) => {
      for (const e of toDockerEvents(changes)) this.publish(e);
    });
  }

  get listenerCount(): number {
    return this.subscribers.size;
  }

  /** Past events from `sinceNano` on (those still kept). */
  past(sinceNano: number): DockerEvent[] {
    return this.history.filter((e) => e.timeNano >= sinceNano);
  }

  subscribe(fn: (e: DockerEvent) => void): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }

  close(): void {
    this.unsubscribe();
    this.subscribers.clear();
  }

  private publish(e: DockerEvent): void {
    this.history.push(e);
    if (this.history.length > HISTORY) this.history.shift();
    for (const fn of this.subscribers) fn(e);
  }
}
