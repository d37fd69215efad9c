import { join } from 'node:path';
import type { Logger } from '../util/logger.js';
import type { Clock } from '../util/clock.js';
import { LocalStore, type Store } from '../cluster/store/index.js';
import { Allocator } from '../cluster/allocator/allocator.js';
import { bootstrapCluster, type InitRequest } from '../cluster/membership/bootstrap.js';
import { startManagerLoops } from '../scheduler/index.js';
import { Agent } from '../agent/agent.js';
import { LocalControlPlane } from '../agent/control-plane.js';
import type { TaskExecutor } from '../runtime/types.js';
import { ensureBridge, removeBridges } from '../mesh/overlay/bridge.js';
import { clearSwarmState, swarmDir, writeNodeState, type NodeState } from './node-state.js';

export interface SwarmNodeDeps {
  dataDir: string;
  executor: TaskExecutor;
  log: Logger;
  clock: Clock;
}

/**
 * This host as a member of a swarm: the store and the manager's reconcilers (on managers), and
 * the agent that runs the tasks assigned here. Exists from `swarm init` (or a restart that
 * finds the swarm state) until `swarm leave`.
 */
export class SwarmNode {
  private stopLoops?: () => Promise<void>;

  private constructor(
    readonly state: NodeState,
    readonly store: Store,
    private readonly allocator: Allocator,
    private readonly agent: Agent,
    private readonly deps: SwarmNodeDeps,
  ) {}

  /** `swarm init`: a new cluster with this host as its only manager. */
  static async init(deps: SwarmNodeDeps, state: NodeState, req: InitRequest): Promise<SwarmNode> {
    const store = LocalStore.open(join(swarmDir(deps.dataDir), 'store'), deps.log, deps.clock);
    try {
      await store.update((tx) => bootstrapCluster(tx, req));
      writeNodeState(deps.dataDir, state);
    } catch (err) {
      await store.close();
      clearSwarmState(deps.dataDir);
      throw err;
    }
    deps.log.info({ node: state.nodeId, addr: state.advertiseAddr }, 'swarm initialised: this host is its first manager');
    return SwarmNode.start(deps, state, store);
  }

  /** A restart that finds this host's swarm state: everything acknowledged before is there. */
  static async resume(deps: SwarmNodeDeps, state: NodeState): Promise<SwarmNode> {
    const store = LocalStore.open(join(swarmDir(deps.dataDir), 'store'), deps.log, deps.clock);
    deps.log.info({ node: state.nodeId }, 'rejoined the swarm from the state on disk');
    return SwarmNode.start(deps, state, store);
  }

  private static async start(deps: SwarmNodeDeps, state: NodeState, store: Store): Promise<SwarmNode> {
    const log = deps.log;
    const cluster = store.view((tx) => tx.list('cluster')[0]);
    const allocator = new Allocator({
      store,
      log: log.child({ component: 'allocator' }),
      clock: deps.clock,
      defaultAddrPool: cluster?.DefaultAddrPool ?? ['10.0.0.0/8'],
      subnetSize: cluster?.SubnetSize ?? 24,
    });
    const agent = new Agent({
      nodeId: state.nodeId,
      controlPlane: new LocalControlPlane(store),
      executor: deps.executor,
      bridges: { ensure: ensureBridge },
      log: log.child({ component: 'agent' }),
      clock: deps.clock,
    });
    const node = new SwarmNode(state, store, allocator, agent, deps);
    allocator.start();
    node.stopLoops = startManagerLoops({ store, clock: deps.clock, log: log.child({ component: 'orchestrator' }) });
    await agent.start();
    return node;
  }

  /** Stops everything this host runs for the swarm. `leave` also forgets the swarm. */
  async shutdown(leave: boolean): Promise<void> {
    await this.agent.stop(true);
    await this.stopLoops?.();
    await this.allocator.stop();
    await this.store.close();
    await removeBridges().catch((err) => this.deps.log.warn({ err }, 'removing network bridges failed'));
    if (leave) clearSwarmState(this.deps.dataDir);
  }
}
