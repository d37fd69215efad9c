import { RaftCore, defaultRaftConfig, type RaftConfig } from '../../../src/cluster/raft/core/raft.js';
import { bootstrapEntries, decodeConfChange } from '../../../src/cluster/raft/core/conf-change.js';
import type { Entry, Message, NodeId } from '../../../src/cluster/raft/core/types.js';

/**
 * Raft cores wired together in memory, messages delivered synchronously until the network is
 * quiet (after etcd's raft_test `network`). Each member's applied entries are recorded.
 */
export class TestNetwork {
  readonly nodes = new Map<NodeId, RaftCore>();
  readonly applied = new Map<NodeId, Entry[]>();
  /** Links that drop messages, as `from→to`. */
  private readonly cut = new Set<string>();
  /** Message types dropped everywhere. */
  readonly ignore = new Set<Message['type']>();
  private seed = 1;

  constructor(ids: NodeId[], tune: Partial<RaftConfig> = {}) {
    const entries = bootstrapEntries(ids.map((node) => ({ node })));
    for (const id of ids) this.add(id, tune, entries);
    this.settle();
  }

  /** A member; without `entries`, one that starts empty and learns everything from the leader. */
  add(id: NodeId, tune: Partial<RaftConfig> = {}, entries: Entry[] = []): RaftCore {
    const cfg = { ...defaultRaftConfig(id), random: () => this.random(), ...tune };
    const core = new RaftCore(cfg, { entries, hardState: { term: entries.length ? 1 : 0, vote: '', commit: entries.length } });
    this.nodes.set(id, core);
    this.applied.set(id, []);
    return core;
  }

  node(id: NodeId): RaftCore {
    return this.nodes.get(id)!;
  }

  leader(): RaftCore | undefined {
    return [...this.nodes.values()].find((n) => n.role === 'leader');
  }

  isolate(id: NodeId): void {
    for (const other of this.nodes.keys()) {
      if (other === id) continue;
      this.cut.add(`${id}→${other}`);
      this.cut.add(`${other}→${id}`);
    }
  }

  cutLink(a: NodeId, b: NodeId): void {
    this.cut.add(`${a}→${b}`);
    this.cut.add(`${b}→${a}`);
  }

  heal(): void {
    this.cut.clear();
  }

  campaign(id: NodeId): void {
    this.node(id).campaign();
    this.settle();
  }

  propose(id: NodeId, data: string): { index: number; term: number } | undefined {
    const r = this.node(id).propose(data);
    this.settle();
    return r;
  }

  tick(id: NodeId, n = 1): void {
    for (let i = 0; i < n; i++) this.node(id).tick();
    this.settle();
  }

  tickAll(n = 1): void {
    for (let i = 0; i < n; i++) {
      for (const core of this.nodes.values()) core.tick();
      this.settle();
    }
  }

  /** Processes every member's Ready and delivers messages until nothing moves. */
  settle(): void {
    for (let rounds = 0; rounds < 10_000; rounds++) {
      const out: Message[] = [];
      for (const [id, core] of this.nodes) {
        if (!core.hasReady()) continue;
        const rd = core.ready();
        for (const e of rd.committed) {
          this.applied.get(id)!.push(e);
          if (e.type === 'conf') core.applyConfChange(decodeConfChange(e.data));
        }
        out.push(...rd.messages);
        core.advance(rd);
      }
      if (out.length === 0 && ![...this.nodes.values()].some((c) => c.hasReady())) return;
      for (const m of out) this.deliver(m);
    }
    throw new Error('network did not settle');
  }

  private deliver(m: Message): void {
    if (this.cut.has(`${m.from}→${m.to}`) || this.ignore.has(m.type)) return;
    this.nodes.get(m.to)?.step(m);
  }

  private random(): number {
    this.seed = (this.seed * 48271) % 2147483647;
    return this.seed / 2147483647;
  }
}
