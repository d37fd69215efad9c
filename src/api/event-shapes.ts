import type { StoreEvent } from '../cluster/store/types.js';
import type { Labels, NodeObject, ServiceObject, TableName, TaskObject } from '../cluster/types.js';
import { isServing } from '../cluster/endpoints/derive.js';
import { failedHealthCheck } from '../cluster/task-health.js';

/** An event in Docker's shape (`GET /events`), plus Shoal's resume cursor. */
export interface DockerEvent {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: 'swarm' | 'local';
  time: number;
  /** Unix nanoseconds: exact as a bigint (a double cannot hold nanoseconds since 1970). */
  timeNano: bigint;
  /** Pass as `since` to get exactly the events after this one (`<seconds>.<nanoseconds>`). */
  cursor?: string;
}

/** What filters match an event by besides its actor: names and IDs of the objects it concerns, and their labels. */
export interface EventRefs {
  /** By filter name (service, node, network): the IDs and names the event concerns. */
  objects: Partial<Record<string, string[]>>;
  labels: Labels;
}

/** An event before it gets its place in the stream (time and cursor). */
export interface EventDraft {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  refs: EventRefs;
}

/** Names of objects a task event mentions, read from the store as of the change (the same on every manager). */
export interface NameLookup {
  service(id: string): string | undefined;
  node(id: string): string | undefined;
  network(id: string): string | undefined;
}

const TYPE_BY_TABLE: Partial<Record<TableName, string>> = {
  services: 'service',
  nodes: 'node',
  networks: 'network',
  secrets: 'secret',
  configs: 'config',
};

/**
 * The events of one store change: Docker's swarm events for services, nodes, networks, secrets and
 * configs; for tasks, a `task` event when its state, desired state or node changes, `endpoint`
 * events when it starts or stops taking new connections (add, drain, remove), and `health_status`.
 */
export function drafts(c: StoreEvent, names: NameLookup): EventDraft[] {
  if (c.table === 'tasks') return taskDrafts(c as StoreEvent<'tasks'>, names);
  const type = TYPE_BY_TABLE[c.table];
  if (!type) return [];
  const obj = c.object as { ID: string; Spec: { Name?: string; Labels?: Labels } };
  return [{
    Type: type,
    Action: c.action,
    Actor: { ID: obj.ID, Attributes: attributes(c) },
    refs: { objects: { [type]: [obj.ID, obj.Spec.Name ?? ''] }, labels: obj.Spec.Labels ?? {} },
  }];
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

function taskDrafts(c: StoreEvent<'tasks'>, names: NameLookup): EventDraft[] {
  const t = c.object;
  const old = c.action === 'create' ? undefined : c.old;
  const serviceName = names.service(t.ServiceID) ?? t.ServiceID;
  const nodeName = t.NodeID ? (names.node(t.NodeID) ?? '') : '';
  const networks = (t.NetworksAttachments ?? []).map((a) => ({ id: a.Network.ID, name: names.network(a.Network.ID) ?? a.Network.Spec.Name, addr: a.Addresses[0] ?? '' }));
  const base: Record<string, string> = {
    name: `${serviceName}.${t.Slot && t.Slot > 0 ? t.Slot : (t.NodeID ?? '')}`,
    service: serviceName,
    'service.id': t.ServiceID,
    ...(t.NodeID ? { 'node.id': t.NodeID, node: nodeName } : {}),
  };
  const refs: EventRefs = {
    objects: { service: [t.ServiceID, serviceName], node: t.NodeID ? [t.NodeID, nodeName] : [], network: networks.flatMap((n) => [n.id, n.name]) },
    labels: t.Labels ?? {},
  };
  const out: EventDraft[] = [];
  const add = (Type: string, Action: string, attrs: Record<string, string>) => out.push({ Type, Action, Actor: { ID: t.ID, Attributes: { ...base, ...attrs } }, refs });

  const moved = !old || old.Status.State !== t.Status.State || old.DesiredState !== t.DesiredState || old.NodeID !== t.NodeID || c.action === 'remove';
  if (moved) {
    const a: Record<string, string> = { state: t.Status.State, desiredstate: t.DesiredState };
    if (old) {
      changed(a, 'state', old.Status.State, t.Status.State);
      changed(a, 'desiredstate', old.DesiredState, t.DesiredState);
    }
    if (t.Status.Err) a['error'] = t.Status.Err;
    add('task', c.action, a);
  }
  const health = healthChange(old, t);
  if (health && c.action !== 'remove') add('task', `health_status: ${health}`, {});

  const wasServing = !!old && isServing(old, true);
  const serving = c.action !== 'remove' && isServing(t, true);
  const addresses = networks.filter((n) => n.addr).map((n) => `${n.name}=${n.addr}`).join(',');
  const endpoint = { addresses };
  if (!wasServing && serving) add('endpoint', 'add', endpoint);
  // Told to stop while still running: out of the table for new connections, established ones drain.
  else if (wasServing && !serving && c.action !== 'remove' && t.Status.State === 'running') add('endpoint', 'drain', endpoint);
  else if (wasServing && !serving) add('endpoint', 'remove', endpoint);
  return out;
}

/** `healthy` when a health-checked task turns running (it is healthy), `unhealthy` when it failed its check. */
function healthChange(old: TaskObject | undefined, t: TaskObject): 'healthy' | 'unhealthy' | undefined {
  if (!old) return undefined;
  if (t.Status.State === 'running' && old.Status.State === 'starting' && t.Spec.ContainerSpec?.HealthCheck?.Test?.length) return 'healthy';
  if (failedHealthCheck(t) && !failedHealthCheck(old)) return 'unhealthy';
  return undefined;
}
