import type { TaskObject } from '../cluster/types.js';
import { explainFailures, Pipeline, type FilterName } from './filters.js';
import { MinHeap } from './node-heap.js';
import type { NodeInfo } from './node-info.js';
import { pickNode, spreadsBetter } from './placement.js';

/**
 * Pending tasks the filters and spreading see alike: same service, same reservations and
 * placement, same preassigned node (if any). In the order given.
 */
export function groupTasks(tasks: readonly TaskObject[]): TaskObject[][] {
  const groups = new Map<string, TaskObject[]>();
  for (const t of tasks) {
    const key = `${t.ServiceID}\0${t.NodeID ?? ''}\0${JSON.stringify([t.Spec.Resources?.Reservations, t.Spec.Placement])}`;
    const group = groups.get(key);
    if (group) group.push(t);
    else groups.set(key, [t]);
  }
  return [...groups.values()];
}

/** Chooses the nodes for the tasks of one group, one after the other, each placement counting for the next. */
export interface GroupPlacer {
  /** The node for the group's next task, or undefined when none can take it. */
  next(): NodeInfo | undefined;
  /** The node `next` returned took the task. */
  took(): void;
  /** Why `next` found no node, for `no suitable node (...)`. */
  explain(): string;
}

/** A placer for the group of `first` (see groupTasks) among `nodes`. */
export function placerFor(first: TaskObject, hostPorts: readonly string[], nodes: ReadonlyMap<string, NodeInfo>): GroupPlacer {
  const pipeline = new Pipeline(first, hostPorts);
  const spread = (first.Spec.Placement?.Preferences ?? []).map((p) => p.Spread.SpreadDescriptor);
  if (first.NodeID || spread.length > 0) return new ScanPlacer(pipeline, first, spread, nodes);
  return new HeapPlacer(pipeline, first.ServiceID, nodes.values());
}

/**
 * Without placement preferences the best node is the least loaded one that fits: nodes that
 * pass the filters sit in a heap ordered as spreading orders them. Placing only ever fills a
 * node, so a node the filters turn down stays turned down for the rest of the group and
 * leaves the heap; a node that takes a task sinks. Each placement costs O(log nodes).
 */
class HeapPlacer implements GroupPlacer {
  private readonly failures = new Map<FilterName, number>();
  private readonly heap: MinHeap<NodeInfo>;

  constructor(
    private readonly pipeline: Pipeline,
    serviceId: string,
    nodes: Iterable<NodeInfo>,
  ) {
    this.heap = new MinHeap((a, b) => spreadsBetter(a, b, serviceId));
    for (const info of nodes) if (this.fits(info)) this.heap.push(info);
  }

  next(): NodeInfo | undefined {
    for (let top = this.heap.top(); top; top = this.heap.top()) {
      if (this.fits(top)) return top;
      this.heap.pop();
    }
    return undefined;
  }

  took(): void {
    this.heap.siftTop();
  }

  explain(): string {
    return explainFailures(this.failures);
  }

  private fits(info: NodeInfo): boolean {
    const failure = this.pipeline.firstFailure(info);
    if (failure) this.failures.set(failure, (this.failures.get(failure) ?? 0) + 1);
    return !failure;
  }
}

/** Runs the filters over every node for each task: for a preassigned node (global tasks), or placement preferences. */
class ScanPlacer implements GroupPlacer {
  private failures = new Map<FilterName, number>();

  constructor(
    private readonly pipeline: Pipeline,
    private readonly first: TaskObject,
    private readonly spread: readonly string[],
    private readonly nodes: ReadonlyMap<string, NodeInfo>,
  ) {}

  next(): NodeInfo | undefined {
    this.failures = new Map();
    const candidates = this.first.NodeID ? [this.nodes.get(this.first.NodeID)].filter((n) => n !== undefined) : this.nodes.values();
    const fits: NodeInfo[] = [];
    for (const info of candidates) {
      const failure = this.pipeline.firstFailure(info);
      if (failure) this.failures.set(failure, (this.failures.get(failure) ?? 0) + 1);
      else fits.push(info);
    }
    return pickNode(fits, this.first.ServiceID, this.spread);
  }

  took(): void {}

  explain(): string {
    return explainFailures(this.failures);
  }
}
