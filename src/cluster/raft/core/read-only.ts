import type { NodeId } from './types.js';

interface ReadRequest {
  index: number;
  from: NodeId;
  context: string;
  acks: Set<NodeId>;
}

/**
 * Read-index requests waiting for a quorum of heartbeat acknowledgements (Raft thesis §6.4):
 * once a quorum confirms the leader is still the leader, reads at the commit index it had when
 * the request came are linearizable. An acknowledgement of a later request confirms the earlier ones.
 */
export class ReadOnly {
  private readonly pending = new Map<string, ReadRequest>();
  private queue: string[] = [];

  add(index: number, from: NodeId, context: string): void {
    if (this.pending.has(context)) return;
    this.pending.set(context, { index, from, context, acks: new Set() });
    this.queue.push(context);
  }

  /** Records an acknowledgement; returns who acknowledged the request so far. */
  ack(from: NodeId, context: string): ReadonlySet<NodeId> | undefined {
    const req = this.pending.get(context);
    req?.acks.add(from);
    return req?.acks;
  }

  /** Releases the request with `context` and every request before it. */
  advance(context: string): ReadRequest[] {
    const at = this.queue.indexOf(context);
    if (at < 0) return [];
    const done = this.queue.slice(0, at + 1).map((c) => this.pending.get(c)!);
    this.queue = this.queue.slice(at + 1);
    for (const r of done) this.pending.delete(r.context);
    return done;
  }

  lastContext(): string | undefined {
    return this.queue[this.queue.length - 1];
  }

  reset(): void {
    this.pending.clear();
    this.queue = [];
  }
}
