import type { NodeObject } from '../../cluster/types.js';

/** A node as the Engine API shows it: without the internal `SpecVersion`. */
export function shapeNode(node: NodeObject): object {
  const { SpecVersion: _specVersion, ...rest } = node;
  return rest;
}
