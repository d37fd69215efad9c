import { BlockList, isIP } from 'node:net';
import type { NodeObject } from '../cluster/types.js';

/** One placement constraint, `key==value` or `key!=value`, as swarmkit reads them. */
export interface Constraint {
  key: string;
  equal: boolean;
  value: string;
}

const EXPRESSION = /^\s*([^=!]+?)\s*(==|!=)\s*(.*?)\s*$/;
const NODE_LABEL = 'node.labels.';
const ENGINE_LABEL = 'engine.labels.';

const parsed = new WeakMap<readonly string[], Constraint[]>();

/**
 * Parses constraint expressions (controlapi has validated them; one that does not parse is
 * ignored, as swarmkit does). Results are kept per array: specs in the store are frozen and
 * shared, so a task's constraints are parsed once, not on every pass.
 */
export function parseConstraints(expressions: readonly string[] | undefined): Constraint[] {
  if (!expressions || expressions.length === 0) return [];
  let out = parsed.get(expressions);
  if (!out) {
    out = [];
    for (const e of expressions) {
      const m = EXPRESSION.exec(e);
      if (m) out.push({ key: m[1], equal: m[2] === '==', value: m[3] });
    }
    parsed.set(expressions, out);
  }
  return out;
}

/** Whether the node satisfies every constraint. An unknown key matches no node. */
export function nodeMatches(constraints: readonly Constraint[], node: NodeObject): boolean {
  return constraints.every((c) => matches(c, node));
}

function matches(c: Constraint, node: NodeObject): boolean {
  const key = c.key.toLowerCase();
  if (key === 'node.ip') return matchesAddress(c, node.Status.Addr);
  const actual = attribute(c.key, key, node);
  if (actual === undefined) return false;
  // Values compare without regard to case; label names (the key's tail) do not.
  const same = actual.toLowerCase() === c.value.toLowerCase();
  return same === c.equal;
}

function attribute(rawKey: string, key: string, node: NodeObject): string | undefined {
  switch (key) {
    case 'node.id':
      return node.ID;
    case 'node.hostname':
      return node.Description?.Hostname ?? '';
    case 'node.role':
      return node.Spec.Role;
    case 'node.platform.os':
      return node.Description?.Platform?.OS ?? '';
    case 'node.platform.arch':
      return node.Description?.Platform?.Architecture ?? '';
  }
  return labelValue(rawKey, node);
}

/**
 * The value of `node.labels.<name>` or `engine.labels.<name>` on a node ('' when the node has
 * no such label); undefined when the key names no label. The prefix is case-insensitive, the
 * label name is not.
 */
export function labelValue(key: string, node: NodeObject): string | undefined {
  const lower = key.toLowerCase();
  if (lower.startsWith(NODE_LABEL) && key.length > NODE_LABEL.length) return node.Spec.Labels?.[key.slice(NODE_LABEL.length)] ?? '';
  if (lower.startsWith(ENGINE_LABEL) && key.length > ENGINE_LABEL.length) {
    return node.Description?.Engine?.Labels?.[key.slice(ENGINE_LABEL.length)] ?? '';
  }
  return undefined;
}

/** `node.ip==10.0.0.5` or `node.ip!=10.1.0.0/16`; a malformed address matches no node. */
function matchesAddress(c: Constraint, addr: string): boolean {
  const family = isIP(addr);
  if (family === 0) return false;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const list = new BlockList();
  const slash = c.value.indexOf('/');
  try {
    if (slash < 0) list.addAddress(c.value, isIP(c.value) === 6 ? 'ipv6' : 'ipv4');
    else list.addSubnet(c.value.slice(0, slash), Number(c.value.slice(slash + 1)), isIP(c.value.slice(0, slash)) === 6 ? 'ipv6' : 'ipv4');
  } catch {
    return false;
  }
  return list.check(addr, type) === c.equal;
}
