import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { ShoalError, errorMessage } from '../util/errors.js';
import type { TimerHandle } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { Clock } from '../util/clock.js';
import { newId } from '../util/ids.js';
import type { Store } from '../cluster/store/index.js';
import { openRaftStore } from '../cluster/raft/open.js';
import type { RaftStore } from '../cluster/raft/raft-store.js';
import { GrpcTransport } from '../cluster/raft/transport/grpc.js';
import { bootstrapCluster, defaultSwarmSpec, mergeSwarmSpec, type InitRequest } from '../cluster/membership/bootstrap.js';
import { caService } from '../cluster/membership/ca-service.js';
import { joinCluster } from '../cluster/membership/join.js';
import { generateNodeKey, renewalDelayMs, signRenewal } from '../cluster/ca/certificates.js';
import { createCsr } from '../cluster/ca/csr.js';
import { signNodeCertificate } from '../cluster/ca/signer.js';
import { nodeTLSInfo, tlsInfo, trustedRoots } from '../cluster/ca/root-ca.js';
import { samePems } from '../cluster/ca/chain.js';
import { checkExternalCAs, initialRootCA, specCAConfig } from '../cluster/controlapi/ca-config.js';
import { Dispatcher } from '../cluster/dispatcher/dispatcher.js';
import { ClusterServer } from '../cluster/rpc/cluster-server.js';
import type { ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import { LOGS_SERVICE, logsService } from '../cluster/logs/logs-service.js';
import { remoteTaskLogs } from '../cluster/logs/remote-logs.js';
import { TRACE_SERVICE, traceService } from '../cluster/trace/trace-service.js';
import { traceConnection, type TraceReport } from '../cluster/trace/trace-report.js';
import type { TraceRequest } from '../cluster/trace/plan-trace.js';
import type { TraceAnswer } from '../mesh/dataplane/index.js';
import { ENDPOINTS_SERVICE, endpointsService, remoteServiceView, type HostServiceView, type ServiceViewRequest } from '../cluster/endpoints/service-view.js';
import { localServiceView, serviceWhy, type ServiceWhy } from './service-why.js';
import type { NodeObject, ServiceObject, SwarmSpec } from '../cluster/types.js';
import type { LogLine, LogOptions } from '../runtime/types.js';
import { CA_SERVICE, DISPATCHER_SERVICE, type IssueRequest, type IssueResponse, type SessionCA } from '../cluster/rpc/services.js';
import { RpcClient } from '../cluster/rpc/client.js';
import { NodeCertificateProvider, callerIdentity, clusterClientCredentials, type NodeCredentials } from '../cluster/rpc/tls.js';
import { LeaderDuties } from './leader-duties.js';
import { followUnlockKey } from './unlock-key-sealer.js';
import { Agent } from '../agent/agent.js';
import { RemoteControlPlane } from '../agent/remote-control-plane.js';
import type { TaskExecutor } from '../runtime/types.js';
import { Overlay } from '../mesh/overlay/overlay.js';
import { DnsServer } from '../dns/index.js';
import { EndpointApplier } from '../agent/endpoint-applier.js';
import { createDataPlane, type DataPlane, type DataPlaneKind } from '../mesh/dataplane/index.js';
import { clearSwarmState, readCredentials, swarmDir, writeCredentials, writeNodeState, type NodeState } from './node-state.js';

export interface SwarmNodeDeps {
  dataDir: string;
  executor: TaskExecutor;
  /** `--dataplane`: the routing mesh's backend (auto: nftables when the kernel takes a probe ruleset). */
  dataplane: DataPlaneKind | 'auto';
  log: Logger;
  clock: Clock;
}

/** What a manager runs besides the agent: the replicated store, its services on the cluster port, and the leader's duties. */
interface ManagerParts {
  store: RaftStore;
  transport: GrpcTransport;
  /** Stops following the cluster's unlock key. */
  unfollowKey: () => void;
  dispatcher: Dispatcher;
  services: ServiceDefinition[];
  duties: LeaderDuties;
}

/**
 * This host as a member of a swarm: on managers the store, the reconcilers and the cluster port
 * (CA and dispatcher); on every host the agent, whose session with the managers brings its
 * assignments. Exists from `swarm init` / `swarm join` (or a restart that finds the swarm state)
 * until `swarm leave`.
 */
export class SwarmNode {
  private manager?: ManagerParts;
  private controlPlane?: RemoteControlPlane;
  private agent?: Agent;
  private overlay?: Overlay;
  private mesh?: DataPlane;
  private dns?: DnsServer;
  private roleChange: Promise<void> = Promise.resolve();
  private renewalTimer?: TimerHandle;
  private stopped = false;
  private endpoints?: EndpointApplier;

  /** The cluster port: every host serves its tasks' logs there; managers also the CA, dispatcher and Raft. */
  private readonly server: ClusterServer;

  private constructor(
    readonly state: NodeState,
    private readonly certs: NodeCertificateProvider,
    private credentials: NodeCredentials,
    private readonly deps: SwarmNodeDeps,
  ) {
    this.server = new ClusterServer(certs, deps.log.child({ component: 'cluster-port' }));
    this.server.add(LOGS_SERVICE, logsService(deps.executor, () => this.credentials.caCertPem));
    this.server.add(TRACE_SERVICE, traceService(() => this.mesh, () => this.credentials.caCertPem));
    this.server.add(ENDPOINTS_SERVICE, endpointsService((req) => this.localServiceView(req), () => this.credentials.caCertPem));
  }

  /** Where a host answers on the cluster port (a manager's Raft address, else its node address). */
  private clusterAddr(node: NodeObject | undefined): string {
    return node?.ManagerStatus?.Addr ?? `${node?.Status.Addr}:${listenPort(this.state.listenAddr)}`;
  }

  private localServiceView(req: ServiceViewRequest): HostServiceView {
    return localServiceView(this.state.nodeId, this.endpoints?.appliedVersion ?? 0, this.mesh, this.dns, req);
  }

  /** `shoal service why` (managers): the managers' backends for the service and what every host's mesh and DNS hold. */
  serviceWhy(service: ServiceObject): Promise<ServiceWhy> {
    const creds = clusterClientCredentials(this.credentials.caCertPem, this.credentials);
    return serviceWhy(this.manager!.store, service, this.manager!.dispatcher.tableVersion, async (node, req) => (node.ID === this.state.nodeId ? this.localServiceView(req) : remoteServiceView(this.clusterAddr(node), creds, req)));
  }

  /** `shoal trace`: where a new connection from a client to a service would go now (managers only). */
  trace(req: TraceRequest): Promise<TraceReport> {
    const store = this.manager?.store;
    if (!store) throw new ShoalError('failed_precondition', 'trace needs a manager: this node is a worker');
    return traceConnection(store, req, async (hop) => {
      if (hop.nodeId === this.state.nodeId) return this.mesh?.trace(hop.target);
      const client = new RpcClient(TRACE_SERVICE, `${hop.addr}:${listenPort(this.state.listenAddr)}`, clusterClientCredentials(this.credentials.caCertPem, this.credentials));
      try {
        const answer = await client.call<TraceAnswer | Record<string, never>>('Next', hop.target, 5_000);
        return 'rule' in answer ? (answer as TraceAnswer) : undefined;
      } finally {
        client.close();
      }
    });
  }

  /** A task's log lines: from this host's executor, or from the host that runs it (managers only know where). */
  taskLogs(taskId: string, opts: LogOptions): AsyncIterable<LogLine> {
    const task = this.manager?.store.view((tx) => tx.get('tasks', taskId));
    if (!task?.NodeID || task.NodeID === this.state.nodeId) return this.deps.executor.logs(taskId, opts);
    const node = this.manager!.store.view((tx) => tx.get('nodes', task.NodeID!));
    return remoteTaskLogs(this.clusterAddr(node), clusterClientCredentials(this.credentials.caCertPem, this.credentials), taskId, opts);
  }

  /** The tasks this host started (`docker ps`); `docker kill` and `docker stop` go to the agent that runs them. */
  get localTasks(): Pick<Agent, 'localTasks' | 'interrupt'> | undefined {
    return this.agent;
  }

  /** The routing mesh's backend in use, once this host runs it. */
  get dataPlaneKind(): DataPlaneKind | undefined {
    return this.mesh?.kind;
  }

  get store(): Store | undefined {
    return this.manager?.store;
  }

  /** What this host's metrics and traces read: the Raft store (managers), the mesh, the DNS server and the endpoint applier. */
  get parts(): { raft?: RaftStore; mesh?: DataPlane; dns?: DnsServer; endpoints?: EndpointApplier } {
    return { raft: this.manager?.store, mesh: this.mesh, dns: this.dns, endpoints: this.endpoints };
  }

  /** The managers' cluster addresses: from Raft on a manager (once it has the membership), else as last heard. */
  private managerAddrs(): string[] {
    const members = this.manager?.store.members().map((m) => m.addr) ?? [];
    return members.length ? members : this.state.managers;
  }

  /** `swarm init`: a new cluster with this host as its only manager. */
  static async init(deps: SwarmNodeDeps, base: Omit<NodeState, 'nodeId' | 'clusterId' | 'role' | 'managers'>, req: Omit<InitRequest, 'nodeId' | 'clusterId' | 'rootCA'>): Promise<SwarmNode> {
    const nodeId = newId();
    const clusterId = newId();
    // The root: new, or an external CA's (whose key the swarm never holds); this host's certificate comes from it.
    const config = req.spec?.CAConfig;
    const externalCAs = checkExternalCAs(config?.ExternalCAs);
    const rootCA = await initialRootCA(config);
    const spec = req.spec && config ? { ...req.spec, CAConfig: specCAConfig(config, externalCAs) as SwarmSpec['CAConfig'] } : req.spec;
    const key = generateNodeKey();
    const validityMs = mergeSwarmSpec(defaultSwarmSpec(), spec).CAConfig.NodeCertExpiry / 1e6;
    const signed = await signNodeCertificate(rootCA, externalCAs, { nodeId, role: 'manager', clusterId, csrPem: await createCsr(key.privateKeyPem), validityMs });
    const state: NodeState = { ...base, nodeId, clusterId, role: 'manager', managers: [] };
    writeCredentials(deps.dataDir, { caCertPem: signed.trustPem, certPem: signed.certPem, keyPem: key.privateKeyPem });
    writeNodeState(deps.dataDir, state);
    let node: SwarmNode;
    try {
      node = await SwarmNode.start(deps, state, [{ id: nodeId, addr: `${state.advertiseAddr}:${listenPort(state.listenAddr)}` }]);
    } catch (err) {
      clearSwarmState(deps.dataDir);
      throw err;
    }
    try {
      await node.store!.update((tx) => bootstrapCluster(tx, { ...req, spec, nodeId, clusterId, rootCA }));
    } catch (err) {
      await node.shutdown(true);
      throw err;
    }
    deps.log.info({ node: nodeId, cluster: clusterId, addr: state.advertiseAddr }, 'swarm initialised: this host is its first manager');
    return node;
  }

  /** `swarm join`: admitted by a manager with a join token; the token decides the role. */
  static async join(deps: SwarmNodeDeps, base: Omit<NodeState, 'nodeId' | 'clusterId' | 'role' | 'managers'>, remoteAddrs: string[], token: string, req: Omit<IssueRequest, 'token' | 'csrPem'>): Promise<SwarmNode> {
    const joined = await joinCluster(remoteAddrs, token, { ...req, listenPort: listenPort(base.listenAddr) });
    const { identity } = joined;
    const managers = identity.managers.length ? identity.managers.map((m) => m.addr) : [joined.manager];
    const state: NodeState = { ...base, nodeId: identity.nodeId, clusterId: identity.clusterId, role: identity.role, managers };
    writeCredentials(deps.dataDir, joined.credentials);
    writeNodeState(deps.dataDir, state);
    deps.log.info({ node: state.nodeId, role: state.role, manager: joined.manager }, 'joined the swarm');
    // A new manager starts with an empty Raft log: the leader, which just added it, sends it
    // everything; it must know the managers' addresses to answer before the log tells it.
    return SwarmNode.start(deps, state, [], identity.managers.map((m) => ({ id: m.nodeId, addr: m.addr })));
  }

  /**
   * A restart that finds this host's swarm state: everything acknowledged before is there.
   * `forceNewCluster` (`swarm init --force-new-cluster` on a manager that lost its quorum): keep
   * the state and become the only manager.
   */
  static async resume(deps: SwarmNodeDeps, state: NodeState, opts: { forceNewCluster?: boolean; unlockKey?: string } = {}): Promise<SwarmNode> {
    const node = await SwarmNode.start(deps, state, [], [], opts);
    deps.log.info({ node: state.nodeId, role: state.role, forceNewCluster: Boolean(opts.forceNewCluster) }, 'rejoined the swarm from the state on disk');
    return node;
  }

  /** `bootstrap`: the founding Raft members of a new cluster (ignored when the store has state); managers only. */
  private static async start(
    deps: SwarmNodeDeps,
    state: NodeState,
    bootstrap: { id: string; addr: string }[],
    peers: { id: string; addr: string }[] = [],
    opts: { forceNewCluster?: boolean; unlockKey?: string } = {},
  ): Promise<SwarmNode> {
    const credentials = readCredentials(deps.dataDir);
    const node = new SwarmNode(state, new NodeCertificateProvider(credentials), credentials, deps);
    try {
      if (state.role === 'manager') await node.startManager(bootstrap, peers, opts);
      await node.server.listen(state.listenAddr);
      node.manager?.duties.start();
      await node.startAgent();
      node.scheduleRenewal();
    } catch (err) {
      await node.shutdown(false);
      throw err;
    }
    return node;
  }

  /** `unlockKey`: the autolock key that opens a locked store (a wrong or missing one throws before anything starts). */
  private async startManager(bootstrap: { id: string; addr: string }[], peers: { id: string; addr: string }[], opts: { forceNewCluster?: boolean; unlockKey?: string } = {}): Promise<void> {
    const { log, clock, dataDir } = this.deps;
    const services: ServiceDefinition[] = [];
    const register = (def: ServiceDefinition, impl: UntypedServiceImplementation) => {
      this.server.add(def, impl);
      services.push(def);
    };
    const transport = new GrpcTransport({
      id: this.state.nodeId,
      log,
      listen: { register, authorize: (call) => callerIdentity(call, this.trustPem(), ['manager']) },
      channelCredentials: clusterClientCredentials(this.credentials.caCertPem, this.credentials),
    });
    for (const p of peers) if (p.id !== this.state.nodeId) transport.setPeer(p.id, p.addr);
    const { forceNewCluster, unlockKey } = opts;
    const store = await openRaftStore({ dir: join(swarmDir(dataDir), 'raft'), nodeId: this.state.nodeId, bootstrap, forceNewCluster, unlockKey, transport, clock, log });
    const dispatcher = new Dispatcher({ store, log: log.child({ component: 'dispatcher' }), clock, caCertPem: () => this.trustPem(), isLeader: () => store.isLeader(), leader: () => store.leader() });
    register(CA_SERVICE, caService({ store, log: log.child({ component: 'ca' }), addManager: (id, addr) => store.addMember(id, addr), identity: () => this.credentials }));
    register(DISPATCHER_SERVICE, dispatcher.service());
    const unfollowKey = followUnlockKey(store, unlockKey, log.child({ component: 'autolock' }));
    this.manager = { store, transport, unfollowKey, dispatcher, services, duties: new LeaderDuties({ store, dispatcher, log, clock }) };
  }

  /** The roots a manager checks callers against: the swarm's, from the store (both during a root rotation), once it has them. */
  private trustPem(): string {
    const rootCA = this.manager?.store.view((tx) => tx.list('cluster')[0]?.RootCA);
    return rootCA ? trustedRoots(rootCA) : this.credentials.caCertPem;
  }

  private async startAgent(): Promise<void> {
    const { log, clock, dataDir, executor } = this.deps;
    const { nodeId } = this.state;
    this.overlay = new Overlay({
      nodeId,
      underlayAddr: this.state.advertiseAddr,
      log,
      onNetworks: (addresses) =>
        this.dns!.setListeners(addresses, 53).catch((err: unknown) => log.warn({ component: 'dns', addresses, err: errorMessage(err) }, 'the DNS server could not listen on every overlay address')),
    });
    this.mesh = await createDataPlane({ kind: this.deps.dataplane, nodeId, log: log.child({ component: 'mesh' }) });
    this.dns = new DnsServer({ log: log.child({ component: 'dns' }) });
    await this.dns.start({ listen: [] });
    this.endpoints = new EndpointApplier({
      nodeId,
      overlay: this.overlay,
      mesh: this.mesh,
      dns: this.dns,
      log: log.child({ component: 'endpoints' }),
      onApplied: () => this.controlPlane?.reportApplied(),
    });
    this.controlPlane = new RemoteControlPlane({
      managers: () => this.managerAddrs(),
      credentials: () => this.credentials,
      log: log.child({ component: 'session' }),
      clock,
      onEndpoints: (table) => this.endpoints?.offer(table),
      appliedTableVersion: () => this.endpoints?.appliedVersion ?? 0,
      tlsInfo: () => nodeTLSInfo(this.credentials.certPem, this.credentials.caCertPem),
      onCA: (ca) => this.followRootCA(ca),
      onNode: (node) => {
        if (node.Spec.Role !== this.state.role) void this.changeRole(node.Spec.Role);
      },
      onManagers: (addrs) => {
        if (this.state.role === 'manager') return;
        this.state.managers = addrs;
        writeNodeState(dataDir, this.state);
      },
    });
    this.agent = new Agent({ nodeId, controlPlane: this.controlPlane, executor, networks: this.overlay, log: log.child({ component: 'agent' }), clock });
    this.controlPlane.start();
    this.agent.start();
  }

  /**
   * `node promote|demote` seen from this host: a certificate for the new role from the CA, then
   * the manager's parts started (it was already added to Raft by the leader) or stopped.
   */
  private changeRole(role: 'manager' | 'worker'): Promise<void> {
    this.roleChange = this.roleChange.then(async () => {
      if (role === this.state.role) return;
      const { log, dataDir } = this.deps;
      log.info({ node: this.state.nodeId, from: this.state.role, to: role }, 'this host\'s role changed');
      await this.renewCertificate();
      if (role === 'manager') {
        this.state.role = 'manager';
        const peers = this.controlPlane!.knownManagers().map((m) => ({ id: m.nodeId, addr: m.addr }));
        await this.startManager([], peers);
        this.manager?.duties.start();
      } else {
        await this.stopManager();
        rmSync(join(swarmDir(dataDir), 'raft'), { recursive: true, force: true });
        this.state.role = 'worker';
      }
      writeNodeState(dataDir, this.state);
    }).catch((err) => this.deps.log.error({ err }, 'changing this host\'s role failed'));
    return this.roleChange;
  }

  /** Renews this host's certificate at a random point between 50% and 80% of its lifetime (at once if that passed, e.g. after a long time off). */
  private scheduleRenewal(delayMs = renewalDelayMs(this.credentials.certPem, this.deps.clock.now())): void {
    if (this.renewalTimer) this.deps.clock.clearTimeout(this.renewalTimer);
    // Timers cannot wait longer than about 24 days: a longer wait is taken in steps.
    const step = Math.min(Math.max(delayMs, 1000), MAX_TIMER_MS);
    this.renewalTimer = this.deps.clock.setTimeout(() => {
      if (step < delayMs) return this.scheduleRenewal(delayMs - step);
      this.renewCertificate().then(
        () => {
          this.deps.log.info({ node: this.state.nodeId }, 'node certificate renewed');
          if (!this.stopped) this.scheduleRenewal();
        },
        (err) => {
          this.deps.log.warn({ err: errorMessage(err) }, `renewing the node certificate failed; trying again in ${RENEWAL_RETRY_MS / 1000}s`);
          if (!this.stopped) this.scheduleRenewal(RENEWAL_RETRY_MS);
        },
      );
    }, step);
  }

  /** A new certificate for this host's key, with the role the managers now give it. */
  private async renewCertificate(): Promise<void> {
    const manager = this.controlPlane?.currentManager ?? this.managerAddrs()[0];
    if (!manager) throw new ShoalError('unavailable', 'no manager known to renew the certificate with');
    const client = new RpcClient(CA_SERVICE, manager, clusterClientCredentials(this.credentials.caCertPem, this.credentials));
    try {
      const csrPem = await createCsr(this.credentials.keyPem);
      const renewal = signRenewal(this.credentials.certPem, this.credentials.keyPem, csrPem);
      const res = await client.call<IssueResponse>('IssueNodeCertificate', { csrPem, hostname: '', advertiseAddr: this.state.advertiseAddr, renewal } satisfies IssueRequest);
      this.setCredentials({ ...this.credentials, certPem: res.certPem, caCertPem: res.caCertPem });
      // A new session, so the managers see the new certificate (and its issuer, which a root rotation waits for) at once.
      this.controlPlane?.reconnect();
    } finally {
      client.close();
    }
  }

  /** Keeps, writes and serves new TLS material: the cluster port, the session and Raft use it from now on. */
  private setCredentials(creds: NodeCredentials): void {
    this.credentials = creds;
    writeCredentials(this.deps.dataDir, creds);
    this.certs.update(creds);
    this.manager?.transport.setChannelCredentials(clusterClientCredentials(creds.caCertPem, creds));
  }

  /**
   * The swarm's roots as the session brings them: trust what it trusts, and when this host's
   * certificate is not from the root that signs now (a root rotation began), renew at once
   * rather than at the usual point of its lifetime.
   */
  private followRootCA(ca: SessionCA): void {
    if (!samePems(ca.trustPem, this.credentials.caCertPem)) {
      this.deps.log.info({ node: this.state.nodeId, roots: ca.trustPem.match(/BEGIN CERTIFICATE/g)?.length }, 'the swarm\'s trusted roots changed');
      this.setCredentials({ ...this.credentials, caCertPem: ca.trustPem });
    }
    if (nodeTLSInfo(this.credentials.certPem, this.credentials.caCertPem).CertIssuerPublicKey !== tlsInfo(ca.issuerPem).CertIssuerPublicKey && !this.stopped) {
      this.deps.log.info({ node: this.state.nodeId }, 'the swarm\'s root CA is rotating: renewing this host\'s certificate now');
      this.scheduleRenewal(0);
    }
  }

  private async stopManager(): Promise<void> {
    const m = this.manager;
    this.manager = undefined;
    if (!m) return;
    await m.duties.stop();
    m.unfollowKey();
    for (const def of m.services) this.server.remove(def);
    await m.store.close();
  }

  /** Stops everything this host runs for the swarm. `leave` also forgets the swarm. */
  async shutdown(leave: boolean): Promise<void> {
    this.stopped = true;
    if (this.renewalTimer) this.deps.clock.clearTimeout(this.renewalTimer);
    await this.controlPlane?.goodbye();
    await this.agent?.stop(true);
    this.controlPlane?.stop();
    await this.stopManager();
    await this.server.close();
    await this.endpoints?.idle();
    await this.mesh?.close().catch((err) => this.deps.log.warn({ err }, 'removing the routing mesh failed'));
    await this.dns?.stop();
    await this.overlay?.close().catch((err) => this.deps.log.warn({ err }, 'removing the overlay failed'));
    if (leave) clearSwarmState(this.deps.dataDir);
  }
}

const MAX_TIMER_MS = 2 ** 31 - 1;
const RENEWAL_RETRY_MS = 10_000;

/** The port of a listen address (`0.0.0.0:2377` → 2377). */
function listenPort(listenAddr: string): number {
  return Number(listenAddr.slice(listenAddr.lastIndexOf(':') + 1)) || 2377;
}
