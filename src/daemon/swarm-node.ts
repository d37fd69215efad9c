import { join } from 'node:path';
import type { Logger } from '../util/logger.js';
import type { Clock } from '../util/clock.js';
import { newId } from '../util/ids.js';
import { LocalStore, type Store } from '../cluster/store/index.js';
import { Allocator } from '../cluster/allocator/allocator.js';
import { bootstrapCluster, type InitRequest } from '../cluster/membership/bootstrap.js';
import { caService } from '../cluster/membership/ca-service.js';
import { joinCluster } from '../cluster/membership/join.js';
import { createRootCA, generateNodeKey, issueNodeCertificate } from '../cluster/ca/certificates.js';
import { Dispatcher } from '../cluster/dispatcher/dispatcher.js';
import { ClusterServer } from '../cluster/rpc/cluster-server.js';
import { CA_SERVICE, DISPATCHER_SERVICE, type IssueRequest } from '../cluster/rpc/services.js';
import { NodeCertificateProvider, type NodeCredentials } from '../cluster/rpc/tls.js';
import { startManagerLoops } from '../scheduler/index.js';
import { Agent } from '../agent/agent.js';
import { RemoteControlPlane } from '../agent/remote-control-plane.js';
import type { TaskExecutor } from '../runtime/types.js';
import { Overlay } from '../mesh/overlay/overlay.js';
import { DnsServer } from '../dns/index.js';
import { EndpointApplier } from '../agent/endpoint-applier.js';
import { clearSwarmState, readCredentials, swarmDir, writeCredentials, writeNodeState, type NodeState } from './node-state.js';

export interface SwarmNodeDeps {
  dataDir: string;
  executor: TaskExecutor;
  log: Logger;
  clock: Clock;
}

/** What a manager runs besides the agent: the store, the reconcilers, and the cluster port. */
interface ManagerParts {
  store: Store;
  allocator: Allocator;
  stopLoops: () => Promise<void>;
  dispatcher: Dispatcher;
  server: ClusterServer;
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
  private dns?: DnsServer;
  private endpoints?: EndpointApplier;

  private constructor(
    readonly state: NodeState,
    private readonly certs: NodeCertificateProvider,
    private credentials: NodeCredentials,
    private readonly deps: SwarmNodeDeps,
  ) {}

  get store(): Store | undefined {
    return this.manager?.store;
  }

  /** `swarm init`: a new cluster with this host as its only manager. */
  static async init(deps: SwarmNodeDeps, base: Omit<NodeState, 'nodeId' | 'clusterId' | 'role' | 'managers'>, req: Omit<InitRequest, 'nodeId' | 'clusterId' | 'rootCA'>): Promise<SwarmNode> {
    const nodeId = newId();
    const clusterId = newId();
    const rootCA = await createRootCA();
    const key = generateNodeKey();
    const certPem = await issueNodeCertificate(rootCA, { nodeId, role: 'manager', clusterId, publicKeyPem: key.publicKeyPem, validityMs: 90 * 24 * 3600 * 1000 });
    const state: NodeState = { ...base, nodeId, clusterId, role: 'manager', managers: [] };
    const store = LocalStore.open(join(swarmDir(deps.dataDir), 'store'), deps.log, deps.clock);
    try {
      await store.update((tx) => bootstrapCluster(tx, { ...req, nodeId, clusterId, rootCA }));
      writeCredentials(deps.dataDir, { caCertPem: rootCA.certPem, certPem, keyPem: key.privateKeyPem });
      writeNodeState(deps.dataDir, state);
    } catch (err) {
      await store.close();
      clearSwarmState(deps.dataDir);
      throw err;
    }
    deps.log.info({ node: nodeId, cluster: clusterId, addr: state.advertiseAddr }, 'swarm initialised: this host is its first manager');
    return SwarmNode.start(deps, state, store);
  }

  /** `swarm join`: admitted by a manager with a join token; the token decides the role. */
  static async join(deps: SwarmNodeDeps, base: Omit<NodeState, 'nodeId' | 'clusterId' | 'role' | 'managers'>, remoteAddrs: string[], token: string, req: Omit<IssueRequest, 'token' | 'publicKeyPem'>): Promise<SwarmNode> {
    const joined = await joinCluster(remoteAddrs, token, req);
    const { identity } = joined;
    const managers = identity.managers.length ? identity.managers.map((m) => m.addr) : [joined.manager];
    const state: NodeState = { ...base, nodeId: identity.nodeId, clusterId: identity.clusterId, role: identity.role, managers };
    writeCredentials(deps.dataDir, joined.credentials);
    writeNodeState(deps.dataDir, state);
    deps.log.info({ node: state.nodeId, role: state.role, manager: joined.manager }, 'joined the swarm');
    return SwarmNode.start(deps, state);
  }

  /** A restart that finds this host's swarm state: everything acknowledged before is there. */
  static async resume(deps: SwarmNodeDeps, state: NodeState): Promise<SwarmNode> {
    const store = state.role === 'manager' ? LocalStore.open(join(swarmDir(deps.dataDir), 'store'), deps.log, deps.clock) : undefined;
    deps.log.info({ node: state.nodeId, role: state.role }, 'rejoined the swarm from the state on disk');
    return SwarmNode.start(deps, state, store);
  }

  private static async start(deps: SwarmNodeDeps, state: NodeState, store?: Store): Promise<SwarmNode> {
    const credentials = readCredentials(deps.dataDir);
    const node = new SwarmNode(state, new NodeCertificateProvider(credentials), credentials, deps);
    try {
      if (store) await node.startManager(store);
      await node.startAgent();
    } catch (err) {
      await node.shutdown(false);
      throw err;
    }
    return node;
  }

  private async startManager(store: Store): Promise<void> {
    const { log, clock } = this.deps;
    const cluster = store.view((tx) => tx.list('cluster')[0]);
    const allocator = new Allocator({
      store,
      log: log.child({ component: 'allocator' }),
      clock,
      defaultAddrPool: cluster?.DefaultAddrPool ?? ['10.0.0.0/8'],
      subnetSize: cluster?.SubnetSize ?? 24,
    });
    const dispatcher = new Dispatcher({ store, log: log.child({ component: 'dispatcher' }), clock, caCertPem: () => this.credentials.caCertPem });
    const server = new ClusterServer(this.certs, log.child({ component: 'cluster-port' }));
    server.add(CA_SERVICE, caService({ store, log: log.child({ component: 'ca' }), managersCanJoin: () => false }));
    server.add(DISPATCHER_SERVICE, dispatcher.service());
    this.manager = { store, allocator, dispatcher, server, stopLoops: async () => undefined };
    allocator.start();
    this.manager.stopLoops = startManagerLoops({ store, clock, log: log.child({ component: 'orchestrator' }) });
    dispatcher.start();
    const port = await server.listen(this.state.listenAddr);
    // The manager's own agent talks to it like any other host's.
    this.state.managers = [`${this.state.advertiseAddr}:${port}`];
  }

  private async startAgent(): Promise<void> {
    const { log, clock, dataDir, executor } = this.deps;
    const { nodeId } = this.state;
    this.overlay = new Overlay({ nodeId, underlayAddr: this.state.advertiseAddr, log });
    this.dns = new DnsServer({ log: log.child({ component: 'dns' }) });
    await this.dns.start({ listen: [] });
    this.endpoints = new EndpointApplier({ nodeId, overlay: this.overlay, dns: this.dns, log: log.child({ component: 'endpoints' }) });
    this.controlPlane = new RemoteControlPlane({
      managers: this.state.managers,
      credentials: () => this.credentials,
      log: log.child({ component: 'session' }),
      clock,
      onEndpoints: (table) => this.endpoints?.offer(table),
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

  /** Stops everything this host runs for the swarm. `leave` also forgets the swarm. */
  async shutdown(leave: boolean): Promise<void> {
    await this.agent?.stop(true);
    this.controlPlane?.stop();
    const m = this.manager;
    if (m) {
      m.dispatcher.stop();
      await m.server.close();
      await m.stopLoops();
      await m.allocator.stop();
      await m.store.close();
    }
    await this.endpoints?.idle();
    await this.dns?.stop();
    await this.overlay?.close().catch((err) => this.deps.log.warn({ err }, 'removing the overlay failed'));
    if (leave) clearSwarmState(this.deps.dataDir);
  }
}
