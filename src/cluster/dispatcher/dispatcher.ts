import { status, type ServerWritableStream, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Logger } from '../../util/logger.js';
import type { Clock, TimerHandle } from '../../util/clock.js';
import { mutable, type Store, type WriteTx } from '../store/index.js';
import type { NodeObject, TaskObject } from '../types.js';
import { GOODBYE_MESSAGE, deriveEndpointTable } from '../endpoints/derive.js';
import { unary } from '../rpc/cluster-server.js';
import { RpcError, failStream } from '../rpc/rpc-error.js';
import { callerIdentity } from '../rpc/tls.js';
import { notTheLeader, type HeartbeatRequest, type SessionMessage, type StatusUpdate } from '../rpc/services.js';
import { managerAddresses } from '../membership/ca-service.js';
import { applyTaskStatus } from './task-status.js';
import { SessionState } from './session-state.js';
import { AppliedVersions, CurrentTable } from './table-versions.js';
import { DrainBarrier } from './drain-barrier.js';

/** A host is marked down after this many heartbeat periods without a word (Swarm's grace). */
const MISSED_HEARTBEATS = 3;
/** How long a host saying goodbye is kept waiting for the others to drop its tasks from their mesh (it waits 2 s). */
const GOODBYE_DRAIN_MS = 1500;

export interface DispatcherOptions {
  store: Store;
  log: Logger;
  clock: Clock;
  caCertPem: () => string;
  /** Only the leader dispatches; other managers send hosts on to the leader, if they know it. */
  isLeader: () => boolean;
  /** The leader's node ID, as this manager knows it. */
  leader: () => string | undefined;
}

interface Session {
  state: SessionState;
  call: ServerWritableStream<unknown, SessionMessage>;
}

/**
 * The managers' side of every host's session: streams each host its assignments and the
 * endpoint table as they change, takes heartbeats and task status, and marks hosts that stop
 * answering `down` so their tasks are replaced elsewhere.
 */
export class Dispatcher {
  private readonly sessions = new Map<string, Session>();
  /** Each host's latest session state with this leader, kept after the session ends: a reconnect resumes from it. */
  private readonly states = new Map<string, SessionState>();
  private readonly lastSeen = new Map<string, number>();
  /** When each host's current session opened: a host whose tables never apply is made ready from then on, after a grace. */
  private readonly openedAt = new Map<string, number>();
  /** The heartbeat period each host was last told: it may still wait that long after a shorter one is set. */
  private readonly toldPeriod = new Map<string, number>();
  /** Hosts that said goodbye and have not opened a session since: their late heartbeats do not make them ready. */
  private readonly departed = new Set<string>();
  private table = new CurrentTable();
  private applied = new AppliedVersions();
  /** When the hosts' applied versions last went to the store. */
  private persistedAt = 0;
  private barrier: DrainBarrier;
  private barrierTimer?: TimerHandle;
  private unwatch?: () => void;
  private pushScheduled = false;
  private livenessTimer?: TimerHandle;
  /** The last liveness round was skipped for coming late: the next one runs however late. */
  private skippedLate = false;
  /** Hosts get a full grace period from when this manager started dispatching. */
  private startedAt = 0;
  private active = false;

  constructor(private readonly o: DispatcherOptions) {
    this.barrier = this.newBarrier();
  }

  private newBarrier(): DrainBarrier {
    return new DrainBarrier(this.o.clock, this.o.log, (node) => this.applied.applied(node));
  }

  /** The version of the endpoint table this manager sends while it dispatches (leader), else undefined. */
  get tableVersion(): number | undefined {
    return this.active && this.table.currentVersion > 0 ? this.table.currentVersion : undefined;
  }

  /** Starts dispatching (on becoming leader). */
  start(): void {
    this.active = true;
    this.startedAt = this.o.clock.now();
    this.lastSeen.clear();
    this.states.clear();
    this.table = new CurrentTable();
    this.applied = new AppliedVersions();
    this.barrier = this.newBarrier();
    this.unwatch = this.o.store.watch(() => this.schedulePush());
    this.scheduleLiveness();
  }

  /** Stops dispatching and ends every session, so hosts move to the new leader. */
  stop(): void {
    this.active = false;
    this.unwatch?.();
    if (this.livenessTimer) this.o.clock.clearTimeout(this.livenessTimer);
    this.livenessTimer = undefined;
    if (this.barrierTimer) this.o.clock.clearTimeout(this.barrierTimer);
    this.barrierTimer = undefined;
    for (const s of this.sessions.values()) s.call.end();
    this.sessions.clear();
  }

  /** The calling host, if this manager dispatches now. */
  private caller(call: Parameters<typeof callerIdentity>[0]): string {
    const { nodeId } = callerIdentity(call, this.o.caCertPem());
    if (!this.active || !this.o.isLeader()) throw new RpcError(status.UNAVAILABLE, notTheLeader(this.leaderAddr()));
    this.knownNode(nodeId);
    return nodeId;
  }

  /** The leader's cluster address, when it is another manager this one knows. */
  private leaderAddr(): string | undefined {
    const lead = this.o.leader();
    return lead ? managerAddresses(this.o.store).find((m) => m.nodeId === lead)?.addr : undefined;
  }

  private heartbeatPeriodMs(): number {
    const c = this.o.store.view((tx) => tx.list('cluster')[0]);
    return (c?.Spec.Dispatcher.HeartbeatPeriod ?? 5e9) / 1e6;
  }

  service(): UntypedServiceImplementation {
    return {
      Session: (call: ServerWritableStream<unknown, SessionMessage>) => {
        try {
          this.openSession(call);
        } catch (err) {
          failStream(call, err);
        }
      },
      Heartbeat: unary(async (req: HeartbeatRequest, call) => {
        const nodeId = this.caller(call);
        this.lastSeen.set(nodeId, this.o.clock.now());
        if (this.departed.has(nodeId)) return { periodMs: this.heartbeatPeriodMs() }; // one still on its way when the host said goodbye
        await this.markReadyOnceServing(nodeId, req?.appliedTableVersion);
        this.recordApplied(nodeId, req?.appliedTableVersion);
        await this.recordTLSInfo(nodeId, req?.tlsInfo);
        const periodMs = this.heartbeatPeriodMs();
        this.toldPeriod.set(nodeId, periodMs);
        return { periodMs };
      }),
      UpdateTaskStatus: unary(async (req: { updates: StatusUpdate[] }, call) => {
        const nodeId = this.caller(call);
        await this.o.store.update((tx) => applyTaskStatus(tx, nodeId, req.updates ?? []));
        return {};
      }),
      // A host stopping cleanly (or leaving) says so before it stops its tasks: it is down at once,
      // so its tasks are replaced on other hosts, never on it, without waiting for missed heartbeats.
      Goodbye: unary(async (_req, call) => {
        const nodeId = this.caller(call);
        this.departed.add(nodeId);
        await this.o.store.update((tx) => {
          const node = tx.get('nodes', nodeId);
          if (node) this.markDown(tx, node, GOODBYE_MESSAGE);
        });
        // Its tasks stop once this returns: first every other host has them draining in its mesh, so
        // none sends them a new connection while they stop (bounded: the host waits 2 s at most).
        await new Promise((r) => setImmediate(r)); // the push of the table without its tasks
        const t0 = this.o.clock.now();
        const lagging = await this.hostsApplying(this.table.currentVersion, nodeId, GOODBYE_DRAIN_MS);
        const fields = { node: nodeId, tableVersion: this.table.currentVersion, waitedMs: this.o.clock.now() - t0 };
        if (lagging.length) this.o.log.warn({ ...fields, lagging }, 'host said goodbye: marked down; hosts still to confirm its tasks left their mesh');
        else this.o.log.info(fields, 'host said goodbye: marked down, its tasks out of every host\'s mesh');
        return {};
      }),
    };
  }

  private openSession(call: ServerWritableStream<unknown, SessionMessage>): void {
    const nodeId = this.caller(call);
    this.sessions.get(nodeId)?.call.end(); // a host has one session: the newest wins
    const session: Session = { state: new SessionState(nodeId, this.states.get(nodeId)), call };
    this.states.set(nodeId, session.state);
    this.sessions.set(nodeId, session);
    this.lastSeen.set(nodeId, this.o.clock.now());
    this.openedAt.set(nodeId, this.o.clock.now());
    this.departed.delete(nodeId);
    const close = () => {
      if (this.sessions.get(nodeId) === session) this.sessions.delete(nodeId);
    };
    call.on('cancelled', close);
    call.on('error', close);
    call.on('close', close);
    // Ready comes with the host's heartbeat saying its first endpoint table applied (markReadyOnceServing).
    this.o.log.info({ node: nodeId }, 'host session opened');
    this.schedulePush();
  }

  private knownNode(nodeId: string): NodeObject {
    const node = this.o.store.view((tx) => tx.get('nodes', nodeId));
    if (!node) throw new RpcError(status.PERMISSION_DENIED, `node ${nodeId} is not part of this swarm (it was removed): leave and join again`);
    return node;
  }

  /**
   * Notes the table version a host applied, next to the managers' current one, in this leader's
   * memory (the store gets it at the heartbeat period); a stop the drain barrier holds may go now.
   */
  private recordApplied(nodeId: string, applied: unknown): void {
    const managers = this.table.currentVersion;
    if (typeof applied !== 'number' || !Number.isSafeInteger(applied) || managers === 0) return;
    if (this.applied.report(nodeId, applied, managers) && this.barrier.holding) this.schedulePush();
  }

  /**
   * Waits until every ready host but `except` reported applying table `version` or later, or
   * `timeoutMs` passed; the hostnames still behind then.
   */
  private async hostsApplying(version: number, except: string, timeoutMs: number): Promise<string[]> {
    const deadline = this.o.clock.now() + timeoutMs;
    for (;;) {
      const behind = this.o.store.view((tx) => tx.list('nodes'))
        .filter((n) => n.ID !== except && n.Status.State === 'ready' && this.applied.applied(n) < version)
        .map((n) => n.Description.Hostname);
      if (behind.length === 0 || this.o.clock.now() >= deadline || !this.active) return behind;
      await new Promise((r) => this.o.clock.setTimeout(() => r(undefined), 20));
    }
  }

  /** Notes on the node the trust root and certificate issuer its host reports, when they changed. */
  private async recordTLSInfo(nodeId: string, info: HeartbeatRequest['tlsInfo']): Promise<void> {
    if (!info || typeof info.TrustRoot !== 'string' || typeof info.CertIssuerSubject !== 'string' || typeof info.CertIssuerPublicKey !== 'string') return;
    const want = { TrustRoot: info.TrustRoot, CertIssuerSubject: info.CertIssuerSubject, CertIssuerPublicKey: info.CertIssuerPublicKey };
    const same = (n: NodeObject | undefined) => !n || JSON.stringify(n.Description.TLSInfo) === JSON.stringify(want);
    if (same(this.o.store.view((tx) => tx.get('nodes', nodeId)))) return;
    await this.o.store.update((tx) => {
      const node = tx.get('nodes', nodeId);
      if (same(node)) return;
      const copy = mutable(node!);
      copy.Description = { ...copy.Description, TLSInfo: want };
      tx.update('nodes', copy);
    });
  }

  /** Marks a host down (its tasks are then replaced elsewhere) and ends its session. */
  private markDown(tx: WriteTx, node: NodeObject, message: string): void {
    const copy = mutable(node);
    copy.Status = { State: 'down', Message: message, Addr: node.Status.Addr };
    if (copy.ManagerStatus) copy.ManagerStatus.Reachability = 'unreachable';
    tx.update('nodes', copy);
    this.sessions.get(node.ID)?.call.end();
  }

  /**
   * A host is made ready once its routing mesh serves: its heartbeat reports an endpoint table
   * applied (the host sends one right after applying). A restarted shoald has no rules until its
   * first table applies (a second or more on a busy host: the overlay's devices first), and
   * refuses connections on every published port until then; ready before that, a rolling restart
   * that waits for Ready moved on while the host it had just restarted refused clients. A host
   * whose tables fail to apply is made ready after MISSED_HEARTBEATS periods anyway, so it runs tasks.
   */
  private async markReadyOnceServing(nodeId: string, applied: unknown): Promise<void> {
    if (typeof applied === 'number' && applied > 0) return this.markReady(nodeId);
    const graceMs = MISSED_HEARTBEATS * this.heartbeatPeriodMs();
    if (this.o.clock.now() - (this.openedAt.get(nodeId) ?? this.o.clock.now()) < graceMs) return;
    if (this.o.store.view((tx) => tx.get('nodes', nodeId)?.Status.State) !== 'ready') this.o.log.warn({ node: nodeId, graceMs }, 'host applied no endpoint table since its session opened: made ready anyway (its published ports may refuse connections)');
    return this.markReady(nodeId);
  }

  /**
   * A heartbeat from a host already ready (nearly all of them) is answered without a write: a write
   * waits for the writes queued before it, and a host drops its session when a heartbeat goes
   * unanswered for a period (then, reconnecting, it can miss enough beats to be marked down).
   */
  private async markReady(nodeId: string): Promise<void> {
    if (this.o.store.view((tx) => tx.get('nodes', nodeId)?.Status.State) === 'ready') return;
    await this.o.store.update((tx) => {
      const node = tx.get('nodes', nodeId);
      if (!node || node.Status.State === 'ready') return;
      const copy = mutable(node);
      copy.Status = { State: 'ready', Addr: node.Status.Addr };
      if (copy.ManagerStatus) copy.ManagerStatus.Reachability = 'reachable';
      tx.update('nodes', copy);
      this.o.log.info({ node: nodeId, hostname: node.Description.Hostname }, 'node is ready');
    });
  }

  /** Pushes to every session once per burst of store changes. */
  private schedulePush(): void {
    if (this.pushScheduled) return;
    this.pushScheduled = true;
    const committedAt = this.o.clock.now();
    setImmediate(() => {
      this.pushScheduled = false;
      if (this.sessions.size === 0) return;
      this.o.store.view((tx) => {
        const { table, json: tableJson } = this.table.next(deriveEndpointTable(tx), committedAt);
        const period = this.heartbeatPeriodMs();
        const managers = managerAddresses(this.o.store);
        const maySend = (task: TaskObject) => this.barrier.maySend(tx, task, table.version);
        for (const s of this.sessions.values()) {
          const msg = s.state.next(tx, table, tableJson, period, managers, maySend);
          if (msg) s.call.write(msg);
        }
        this.barrier.prune(tx);
        this.pushAtDrainDeadline();
      });
    });
  }

  /** A stop held for the drain barrier goes out at its deadline even if no store change comes. */
  private pushAtDrainDeadline(): void {
    const inMs = this.barrier.nextDeadlineMs();
    if (inMs === undefined || this.barrierTimer) return;
    this.barrierTimer = this.o.clock.setTimeout(() => {
      this.barrierTimer = undefined;
      if (this.active) this.schedulePush();
    }, inMs + 1);
  }

  /**
   * Marks hosts down that missed their heartbeats; runs every half period. A round that comes over
   * half a period late is skipped once: this process was stalled (GC, a starved machine), and the
   * heartbeats that arrived meanwhile may still wait unread in its sockets.
   */
  private scheduleLiveness(): void {
    const period = this.heartbeatPeriodMs();
    const due = this.o.clock.now() + period / 2;
    this.livenessTimer = this.o.clock.setTimeout(() => {
      const lateMs = this.o.clock.now() - due;
      const skip = lateMs > period / 2 && !this.skippedLate;
      this.skippedLate = skip;
      if (skip) this.o.log.warn({ lateMs }, 'liveness check came late (this manager was stalled): hosts are judged at the next one, after their waiting heartbeats');
      (skip ? Promise.resolve() : this.checkLiveness(period))
        .catch((err) => this.o.log.error({ err }, 'checking node liveness failed'))
        .finally(() => this.active && this.scheduleLiveness());
    }, period / 2);
  }

  private async checkLiveness(period: number): Promise<void> {
    const now = this.o.clock.now();
    const persist = now - this.persistedAt >= period;
    if (persist) this.persistedAt = now;
    await this.o.store.update((tx) => {
      if (persist) this.applied.persist(tx);
      for (const node of tx.list('nodes')) {
        const seen = this.lastSeen.get(node.ID);
        // After `swarm update --dispatcher-heartbeat` shortened the period, a host keeps the old one until its next beat.
        // A host not heard from since this manager took over gets twice that (as swarmkit's nodes in `unknown` state):
        // it first has to notice its session with the old leader is gone and find this one.
        const allowed = (seen === undefined ? 2 : 1) * MISSED_HEARTBEATS * Math.max(period, this.toldPeriod.get(node.ID) ?? period);
        // A host that joined since then is counted from its joining: it has not had the time to open its session.
        const since = seen ?? Math.max(this.startedAt, Date.parse(node.CreatedAt) || 0);
        if (node.Status.State === 'down' || since >= now - allowed) continue;
        this.markDown(tx, node, 'heartbeat failure');
        this.o.log.warn({ node: node.ID, hostname: node.Description.Hostname, silentMs: now - since }, 'node missed its heartbeats: marked down');
      }
    });
  }
}
