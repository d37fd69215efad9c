import { labelValue } from './constraints.js';
import type { NodeInfo } from './node-info.js';

/**
 * Picks the node for the next task of a service among the nodes that passed the filters.
 * Placement preferences (`spread=node.labels.zone`, ...) split the nodes into a tree, one
 * level per preference; at each level the task goes to the branch holding the fewest tasks
 * of the service, so branches fill evenly (nodes without the label form a branch of their
 * own, as in swarmkit). Within the last branch: fewest tasks of the service, then fewest
 * tasks in all, then node ID so the choice is the same every time.
 */
export function pickNode(candidates: readonly NodeInfo[], serviceId: string, spreadOver: readonly string[]): NodeInfo | undefined {
  let branch = candidates;
  for (const descriptor of spreadOver) {
    const groups = new Map<string, NodeInfo[]>();
    for (const info of branch) {
      const value = labelValue(descriptor, info.node) ?? '';
      const group = groups.get(value);
      if (group) group.push(info);
      else groups.set(value, [info]);
    }
    let best: { value: string; tasks: number; nodes: NodeInfo[] } | undefined;
    for (const [value, nodes] of groups) {
      const tasks = nodes.reduce((sum, n) => sum + n.tasksOf(serviceId), 0);
      if (!best || tasks < best.tasks || (tasks === best.tasks && value < best.value)) best = { value, tasks, nodes };
    }
    if (!best) return undefined;
    branch = best.nodes;
  }
  let chosen: NodeInfo | undefined;
  for (const info of branch) if (!chosen || spreadsBetter(info, chosen, serviceId)) chosen = info;
  return chosen;
}

export function spreadsBetter(a: NodeInfo, b: NodeInfo, serviceId: string): boolean {
  const byService = a.tasksOf(serviceId) - b.tasksOf(serviceId);
  if (byService !== 0) return byService < 0;
  if (a.activeTasks !== b.activeTasks) return a.activeTasks < b.activeTasks;
  return a.node.ID < b.node.ID;
}

