import { isShoalError } from '../../src/util/errors.js';
import type { RaftStore } from '../../src/cluster/raft/raft-store.js';
import type { WriteTx } from '../../src/cluster/store/types.js';
import type { SecretObject } from '../../src/cluster/types.js';
import { nonLinearizableKeys, type Op } from './linearizability.js';
import { SimCluster, defaultFaults, type Faults } from './sim-cluster.js';

export interface SimOptions {
  seed: number;
  size: number;
  /** Simulated milliseconds with faults, before the network heals and every member comes back. */
  chaosMs: number;
  clients?: number;
  keys?: number;
  faults?: Faults;
}

export interface SimResult {
  ops: number;
  acknowledgedWrites: number;
  leaders: number;
  finalIndex: number;
}

const register = (key: string, value: string, prev?: SecretObject): SecretObject => ({
  ID: key,
  Version: prev?.Version ?? { Index: 0 },
  CreatedAt: '',
  UpdatedAt: '',
  Spec: { Name: key, Labels: { v: value } },
});

function write(tx: WriteTx, key: string, value: string): void {
  const cur = tx.get('secrets', key);
  if (cur) tx.update('secrets', register(key, value, cur));
  else tx.create('secrets', register(key, value));
}

const read = (store: RaftStore, key: string): string | undefined => store.view((tx) => tx.get('secrets', key)?.Spec.Labels?.['v']);

/**
 * One seeded run: clients write and read registers through random members while the network
 * drops, duplicates, delays and partitions, and members crash (some in the middle of a log
 * write) and restart. Then everything heals; the members must agree, and the client history
 * must be linearizable. Safety invariants are checked after every simulated millisecond.
 */
export async function simulate(o: SimOptions): Promise<SimResult> {
  // Every other seed, the cluster grows from one member, so membership changes are replayed on restarts.
  const grown = o.seed % 2 === 0;
  const sim = new SimCluster(o.seed, o.size, o.faults ?? defaultFaults, grown);
  const history: Op[] = [];
  const keys = Array.from({ length: o.keys ?? 3 }, (_, i) => `k${i}`);
  let running = true;
  const sleep = (ms: number): Promise<void> => new Promise((r) => sim.clock.setTimeout(r, ms));
  try {
    await sim.startAll();
    if (grown) await sim.grow();
    const client = async (c: number): Promise<void> => {
      let n = 0;
      while (running) {
        await sleep(sim.rng.int(1, 25));
        const live = sim.live();
        if (!running || live.length === 0) continue;
        const store = sim.rng.pick(live);
        const key = sim.rng.pick(keys);
        const call = sim.clock.now();
        if (sim.rng.chance(0.5)) {
          const value = `c${c}-${++n}`;
          try {
            await store.update((tx) => write(tx, key, value));
            history.push({ kind: 'write', key, value, call, ret: sim.clock.now() });
          } catch (err) {
            // a conflict is a definite refusal; anything else may or may not have been applied
            if (!isShoalError(err, 'conflict')) history.push({ kind: 'write', key, value, call, ret: Infinity });
          }
        } else {
          try {
            await store.readBarrier();
            history.push({ kind: 'read', key, value: read(store, key), call, ret: sim.clock.now() });
          } catch {
            // a failed read tells nothing
          }
        }
      }
    };
    const clients = Array.from({ length: o.clients ?? 4 }, (_, c) => client(c));
    await sim.run(o.chaosMs, true);

    // Heal: every member back, no more faults; the cluster must converge.
    sim.heal();
    for (const n of sim.nodes.values()) n.storage.tornWrite = undefined;
    for (const n of sim.nodes.values()) if (!n.store) await sim.start(n.id);
    await sim.run(1500, false);
    running = false;
    await sim.until(Promise.all(clients));

    const live = sim.live();
    const leaders = live.filter((s) => s.isLeader());
    if (leaders.length !== 1) throw new Error(`after healing, ${leaders.length} leaders`);
    for (const key of keys) {
      const store = sim.rng.pick(live);
      const call = sim.clock.now();
      await sim.until(store.readBarrier());
      history.push({ kind: 'read', key, value: read(store, key), call, ret: sim.clock.now() });
    }
    await sim.run(200, false);
    const states = live.map((s) => JSON.stringify({ index: s.status().applied, secrets: s.view((tx) => tx.list('secrets')).sort((a, b) => a.ID.localeCompare(b.ID)) }));
    if (new Set(states).size !== 1) throw new Error(`members disagree after healing:\n${states.join('\n')}`);
    const bad = nonLinearizableKeys(history);
    if (bad.length) {
      const lines = history.filter((h) => bad.includes(h.key)).sort((a, b) => a.call - b.call).map((h) => JSON.stringify(h));
      throw new Error(`history of ${bad.join(', ')} is not linearizable:\n${lines.join('\n')}`);
    }
    return { ops: history.length, acknowledgedWrites: history.filter((h) => h.kind === 'write' && h.ret !== Infinity).length, leaders: leaders.length, finalIndex: live[0]!.status().applied };
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    e.message = `seed ${o.seed} (${o.size} members${grown ? ', grown from one' : ''}): ${e.message}\nlast events: ${sim.events.slice(-15).join('; ')}`;
    throw e;
  } finally {
    running = false;
    for (const id of sim.ids) sim.crash(id, 'end');
  }
}
