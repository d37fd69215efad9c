import type { TaskObject } from '../cluster/types.js';
import { nodeMatches, parseConstraints } from './constraints.js';
import type { NodeInfo } from './node-info.js';

/** swarmkit's filters, in its order: a node is turned down by the first one it fails. */
export type FilterName = 'ready' | 'resources' | 'constraints' | 'platform' | 'host-port' | 'max-replicas';

const plural = (n: number): string => (n === 1 ? '1 node' : `${n} nodes`);

/** The words `docker service ps` shows for each reason (swarmkit's Explain). */
const EXPLAIN: Record<FilterName, (nodes: number) => string> = {
  ready: (n) => `${plural(n)} not available for new tasks`,
  resources: (n) => `insufficient resources on ${plural(n)}`,
  constraints: (n) => `scheduling constraints not satisfied on ${plural(n)}`,
  platform: (n) => `unsupported platform on ${plural(n)}`,
  'host-port': (n) => `host-mode port already in use on ${plural(n)}`,
  'max-replicas': () => 'max replicas per node limit exceed',
};

/** The checks one task needs, worked out once and run against every node. */
export class Pipeline {
  private readonly constraints;
  private readonly platforms;

  constructor(
    private readonly task: TaskObject,
    private readonly hostPorts: readonly string[],
  ) {
    this.constraints = parseConstraints(task.Spec.Placement?.Constraints);
    this.platforms = task.Spec.Placement?.Platforms ?? [];
  }

  /** The first filter the node fails, or undefined when the task can go there. */
  firstFailure(info: NodeInfo): FilterName | undefined {
    const { node } = info;
    if (node.Status.State !== 'ready' || node.Spec.Availability !== 'active') return 'ready';
    const r = this.task.Spec.Resources?.Reservations;
    if ((r?.NanoCPUs ?? 0) > info.freeNanoCPUs || (r?.MemoryBytes ?? 0) > info.freeMemoryBytes) return 'resources';
    if (!nodeMatches(this.constraints, node)) return 'constraints';
    if (this.platforms.length > 0 && !this.platforms.some((p) => samePlatform(p, node.Description?.Platform))) return 'platform';
    if (this.hostPorts.some((p) => info.hostPorts.has(p))) return 'host-port';
    const max = this.task.Spec.Placement?.MaxReplicas ?? 0;
    if (max > 0 && info.tasksOf(this.task.ServiceID) >= max) return 'max-replicas';
    return undefined;
  }
}

/** `no suitable node (...)`'s parenthesis: each reason with its node count, most frequent first. */
export function explainFailures(counts: ReadonlyMap<FilterName, number>): string {
  return [...counts]
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([name, n]) => EXPLAIN[name](n))
    .join('; ');
}

// Images and nodes name some architectures two ways.
const ARCH_ALIASES: Record<string, string> = { x86_64: 'amd64', aarch64: 'arm64' };
const arch = (a: string | undefined): string | undefined => (a ? (ARCH_ALIASES[a] ?? a) : a);

function samePlatform(wanted: { Architecture?: string; OS?: string }, node: { Architecture: string; OS: string } | undefined): boolean {
  if (!node) return false;
  return (!wanted.Architecture || arch(wanted.Architecture) === arch(node.Architecture)) && (!wanted.OS || wanted.OS === node.OS);
}
