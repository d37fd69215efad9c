import type { RaftCore } from '../../src/cluster/raft/core/raft.js';

/**
 * Raft's safety properties, checked on the live members after every simulated step: election
 * safety (one leader per term), state machine safety and log matching on committed entries (no
 * two members commit different entries at one index), and leader completeness (a leader holds
 * every entry committed before its term).
 */
export class SafetyChecker {
  private readonly leaders = new Map<number, string>();
  /** index → `term/type/data` of the committed entry. */
  private readonly committed = new Map<number, string>();
  private maxCommitted = 0;
  private readonly checkedTo = new Map<string, number>();
  private readonly leadersChecked = new Set<string>();

  check(cores: readonly RaftCore[]): void {
    for (const c of cores) {
      if (c.role === 'leader') {
        const other = this.leaders.get(c.term);
        if (other && other !== c.id) throw new Error(`election safety: ${other} and ${c.id} both lead term ${c.term}`);
        this.leaders.set(c.term, c.id);
      }
      this.checkCommitted(c);
    }
    for (const c of cores) if (c.role === 'leader') this.checkLeaderCompleteness(c);
  }

  private checkCommitted(c: RaftCore): void {
    const from = Math.max(this.checkedTo.get(c.id) ?? 0, c.log.firstIndex() - 1);
    const to = c.log.committed;
    const ents = from < to ? c.log.slice(from + 1) ?? [] : [];
    for (const e of ents) {
      if (e.index > to) break;
      const k = `${e.term}/${e.type}/${e.data}`;
      const seen = this.committed.get(e.index);
      if (seen !== undefined && seen !== k) throw new Error(`state machine safety: ${c.id} committed ${k.slice(0, 80)} at ${e.index}, another member ${seen.slice(0, 80)}`);
      this.committed.set(e.index, k);
      this.maxCommitted = Math.max(this.maxCommitted, e.index);
    }
    this.checkedTo.set(c.id, Math.max(this.checkedTo.get(c.id) ?? 0, to));
  }

  private checkLeaderCompleteness(c: RaftCore): void {
    const key = `${c.id}@${c.term}`;
    if (this.leadersChecked.has(key)) return;
    this.leadersChecked.add(key);
    for (let i = c.log.firstIndex(); i <= this.maxCommitted; i++) {
      const want = this.committed.get(i);
      if (want === undefined) continue;
      const term = c.log.term(i);
      if (term === undefined || `${term}` !== want.slice(0, want.indexOf('/'))) {
        throw new Error(`leader completeness: ${c.id} leads term ${c.term} without committed entry ${i} (${want.slice(0, 60)}); it has term ${term}`);
      }
    }
  }
}
