import type { ClientReadableStream } from '@grpc/grpc-js';
import type { Logger } from '../util/logger.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { errorMessage } from '../util/errors.js';
import type { NodeObject, TaskObject, TaskStatus } from '../cluster/types.js';
import type { EndpointTable, ServiceEndpoint } from '../cluster/endpoints/types.js';
import { RpcClient, withClusterPort } from '../cluster/rpc/client.js';
import { DISPATCHER_SERVICE, leaderNamedIn, NOT_THE_LEADER, type HeartbeatRequest, type SessionCA, type SessionMessage, type StatusUpdate } from '../cluster/rpc/services.js';
import { clusterClientCredentials, type NodeCredentials } from '../cluster/rpc/tls.js';
import type { AgentControlPlane } from './control-plane.js';

const RECONNECT_MS = 1000;
/** A manager that answered it is not the leader: the next one is tried almost at once (after a failover, finding the new leader fast keeps this host from being marked down). */
const NOT_LEADER_RETRY_MS = 100;

export interface RemoteControlPlaneOptions {
  /** The managers' cluster addresses to try, in order (asked again at every reconnect). */
  managers: () => string[];
  credentials: () => NodeCredentials;
  log: Logger;
  clock: Clock;
  /** Each new endpoint table the managers send. */
  onEndpoints?: (table: EndpointTable) => void;
  /** The managers' addresses, whenever they change (to remember them across restarts). */
  onManagers?: (addrs: string[]) => void;
  /** This host's node object, whenever the managers send a new version (role changes show here). */
  onNode?: (node: NodeObject) => void;
  /** The version of the endpoint table this host has applied, reported with every heartbeat. */
  appliedTableVersion?: () => number;
  /** This host's trust root and certificate issuer, reported with every heartbeat. */
  tlsInfo?: () => HeartbeatRequest['tlsInfo'];
  /** The swarm's roots, when the managers send them (first message, and a root rotation's steps). */
  onCA?: (ca: SessionCA) => void;
}

/**
 * The host's session with the managers over the cluster port: receives assignments (a full set,
 * then changes), sends heartbeats at the period the managers ask for (each with the endpoint table
 * version applied here), and reports task status.
 * Reconnects to the next manager when one goes away.
 */
export class RemoteControlPlane implements AgentControlPlane {
  private readonly tasks = new Map<string, TaskObject>();
  private readonly secrets = new Map<string, Buffer>();
  private readonly configs = new Map<string, Buffer>();
  private readonly serviceNames = new Map<string, string>();
  private endpointServices = new Map<string, ServiceEndpoint>();
  private readonly watchers = new Set<(tasks: TaskObject[]) => void>();
  private next = 0;
  private client?: RpcClient;
  private stream?: ClientReadableStream<SessionMessage>;
  private heartbeatTimer?: TimerHandle;
  private reconnectTimer?: TimerHandle;
  private periodMs = 5000;
  private ownNode?: NodeObject;
  private lastManagers: SessionMessage['managers'] = [];
  private haveFullSet = false;
  /** Managers in a row that refused the session as not the leader. */
  private refusals = 0;
  private stopped = false;
  /** Status reports that could not be delivered yet, latest per task. */
  private readonly undelivered = new Map<string, TaskStatus>();

  constructor(private readonly o: RemoteControlPlaneOptions) {}

  start(): void {
    this.connect();
  }

  /**
   * Tells the managers this host is stopping (it is marked down at once, its tasks go elsewhere),
   * before its tasks are stopped. Heartbeats and reconnects end; status reports still go out
   * until stop(). Bounded: a manager that does not answer leaves it to the missed heartbeats.
   */
  async goodbye(timeoutMs = 2000): Promise<void> {
    this.stopped = true;
    if (this.heartbeatTimer) this.o.clock.clearTimeout(this.heartbeatTimer);
    if (this.reconnectTimer) this.o.clock.clearTimeout(this.reconnectTimer);
    await this.client?.call('Goodbye', {}, timeoutMs).catch((err: unknown) => this.o.log.warn({ err: errorMessage(err) }, 'the managers did not hear this host\'s goodbye: they will see it down once its heartbeats stop'));
  }

  stop(): void {
    this.stopped = true;
    if (this.heartbeatTimer) this.o.clock.clearTimeout(this.heartbeatTimer);
    if (this.reconnectTimer) this.o.clock.clearTimeout(this.reconnectTimer);
    this.stream?.cancel();
    this.client?.close();
  }

  watchAssignments(onChange: (tasks: TaskObject[]) => void): () => void {
    this.watchers.add(onChange);
    if (this.haveFullSet) onChange([...this.tasks.values()]);
    return () => this.watchers.delete(onChange);
  }

  async reportStatus(updates: StatusUpdate[]): Promise<void> {
    for (const u of updates) this.undelivered.set(u.taskId, u.status);
    await this.deliver();
  }

  secretData(id: string): Buffer | undefined {
    return this.secrets.get(id);
  }

  configData(id: string): Buffer | undefined {
    return this.configs.get(id);
  }

  node(): NodeObject | undefined {
    return this.ownNode;
  }

  /** The managers (ID and cluster address) as the last session message named them. */
  knownManagers(): SessionMessage['managers'] {
    return this.lastManagers;
  }

  /** The address of the manager this host's session is with. */
  get currentManager(): string | undefined {
    return this.client?.address;
  }

  serviceName(serviceId: string): string | undefined {
    return this.serviceNames.get(serviceId);
  }

  serviceEndpoint(serviceId: string): ServiceEndpoint | undefined {
    return this.endpointServices.get(serviceId);
  }

  private connect(): void {
    if (this.stopped) return;
    const managers = this.o.managers().map(withClusterPort);
    const addr = managers[this.next % managers.length]!;
    this.client?.close();
    this.client = new RpcClient(DISPATCHER_SERVICE, addr, clusterClientCredentials(this.o.credentials().caCertPem, this.o.credentials()));
    const stream = this.client.stream<SessionMessage>('Session', {});
    this.stream = stream;
    stream.on('data', (msg: SessionMessage) => this.receive(msg));
    stream.on('error', (err) => this.lost(addr, errorMessage(err)));
    stream.on('end', () => this.lost(addr, 'the manager ended the session'));
    this.o.log.debug({ manager: addr }, 'opening a session with the managers');
    this.scheduleHeartbeat(0);
  }

  /** Opens a new session with the same manager now (this host's certificate changed: the managers should see the new one). */
  reconnect(): void {
    if (this.stopped || this.reconnectTimer) return;
    this.dropStream();
    this.connect();
  }

  private dropStream(): void {
    if (this.heartbeatTimer) this.o.clock.clearTimeout(this.heartbeatTimer);
    this.stream?.removeAllListeners();
    this.stream?.on('error', () => undefined);
    this.stream?.cancel();
  }

  private lost(addr: string, why: string): void {
    if (this.stopped || this.reconnectTimer) return;
    this.o.log.warn({ manager: addr, why }, 'session with the managers lost; reconnecting');
    this.next = this.nextManager(why);
    this.dropStream();
    this.reconnectTimer = this.o.clock.setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connect();
    }, this.nextRetryMs(why));
  }

  /** The leader a refusal named, if this host knows it as a manager; else the next manager in turn. */
  private nextManager(why: string): number {
    const named = leaderNamedIn(why);
    const at = named === undefined ? -1 : this.o.managers().map(withClusterPort).indexOf(withClusterPort(named));
    return at >= 0 ? at : this.next + 1;
  }

  /** Soon after a refusal by a manager that is not the leader, unless a whole round of them refused (an election under way). */
  private nextRetryMs(why: string): number {
    this.refusals = why.includes(NOT_THE_LEADER) ? this.refusals + 1 : 0;
    return this.refusals > 0 && this.refusals < this.o.managers().length ? NOT_LEADER_RETRY_MS : RECONNECT_MS;
  }

  private receive(msg: SessionMessage): void {
    this.refusals = 0;
    if (msg.kind === 'full') this.tasks.clear();
    for (const t of msg.tasks) this.tasks.set(t.ID, t);
    for (const id of msg.removedTasks) this.tasks.delete(id);
    for (const [id, data] of Object.entries(msg.secrets)) this.secrets.set(id, Buffer.from(data, 'base64'));
    for (const [id, data] of Object.entries(msg.configs)) this.configs.set(id, Buffer.from(data, 'base64'));
    for (const [id, name] of Object.entries(msg.serviceNames)) this.serviceNames.set(id, name);
    if (msg.node) {
      this.ownNode = msg.node;
      this.o.onNode?.(msg.node);
    }
    this.lastManagers = msg.managers;
    this.periodMs = msg.heartbeatPeriodMs;
    const addrs = msg.managers.map((m) => m.addr);
    if (addrs.length && addrs.join() !== this.o.managers().join()) this.o.onManagers?.(addrs);
    if (msg.endpoints) {
      this.endpointServices = new Map(msg.endpoints.services.map((s) => [s.serviceId, s]));
      this.o.onEndpoints?.(msg.endpoints);
    }
    if (msg.ca) this.o.onCA?.(msg.ca);
    this.haveFullSet = true;
    if (this.undelivered.size) void this.deliver();
    const tasks = [...this.tasks.values()];
    for (const w of this.watchers) w(tasks);
  }

  /** Tells the managers now (by an early heartbeat) which endpoint table this host applied. */
  reportApplied(): void {
    if (this.client && !this.stopped && !this.reconnectTimer) this.scheduleHeartbeat(0);
  }

  private scheduleHeartbeat(delayMs: number): void {
    if (this.heartbeatTimer) this.o.clock.clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = this.o.clock.setTimeout(async () => {
      const client = this.client;
      try {
        const req: HeartbeatRequest = { appliedTableVersion: this.o.appliedTableVersion?.() ?? 0, tlsInfo: this.o.tlsInfo?.() };
        const res = await client!.call<{ periodMs: number }>('Heartbeat', req, this.periodMs);
        this.periodMs = res.periodMs;
        if (client === this.client && !this.stopped) this.scheduleHeartbeat(this.periodMs);
      } catch (err) {
        if (client === this.client) this.lost(client!.address, `heartbeat failed: ${errorMessage(err)}`);
      }
    }, delayMs);
  }

  private async deliver(): Promise<void> {
    if (this.undelivered.size === 0 || !this.client) return;
    const updates = [...this.undelivered].map(([taskId, status]) => ({ taskId, status }));
    this.undelivered.clear();
    try {
      await this.client.call('UpdateTaskStatus', { updates });
    } catch (err) {
      // Kept for the next session: a newer report for the same task replaces it.
      for (const u of updates) if (!this.undelivered.has(u.taskId)) this.undelivered.set(u.taskId, u.status);
      this.o.log.warn({ err: errorMessage(err), tasks: updates.length }, 'task status not delivered yet; will resend');
    }
  }
}
