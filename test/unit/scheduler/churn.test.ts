import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mutable } from '../../../src/cluster/store/index.js';
import { nodes, SECOND, serviceSpec, withHarness, type Harness } from './harness.js';

/** A small deterministic PRNG (LCG), so a failing run can be replayed. */
function random(seed: number): (n: number) => number {
  let s = seed;
  return (n) => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return (s >>> 8) % n; // the low bits of an LCG cycle too fast
  };
}

/** One random change, written without waiting for the loops to react. */
function randomChange(h: Harness, id: string, pick: (n: number) => number, global: boolean): Promise<unknown> {
  return h.store.update((tx) => {
    switch (pick(5)) {
      case 0: {
        const s = mutable(tx.get('services', id)!);
        s.PreviousSpec = structuredClone(s.Spec);
        if (!global) s.Spec.Mode = { Replicated: { Replicas: pick(7) } };
        if (pick(2)) s.Spec.TaskTemplate = { ...s.Spec.TaskTemplate, ContainerSpec: { Image: `busybox:${pick(3)}` } };
        s.Spec.UpdateConfig = { ...s.Spec.UpdateConfig, Order: pick(2) ? 'start-first' : 'stop-first' };
        delete s.UpdateStatus;
        s.SpecVersion = { Index: tx.index + 1 };
        tx.update('services', s);
        break;
      }
      case 1:
      case 2: {
        const running = tx.find('tasks', 'service', id).filter((t) => t.Status.State === 'running');
        const t = running[pick(Math.max(1, running.length))];
        if (!t) break;
        const copy = mutable(t);
        copy.Status = { ...copy.Status, State: pick(2) ? 'failed' : 'complete' };
        tx.update('tasks', copy);
        break;
      }
      default: {
        const n = mutable(tx.get('nodes', `n${1 + pick(4)}`)!);
        const roll = pick(4);
        if (roll === 0) n.Status.State = n.Status.State === 'down' ? 'ready' : 'down';
        else n.Spec.Availability = (['active', 'drain', 'active'] as const)[roll - 1];
        tx.update('nodes', n);
      }
    }
  });
}

for (const global of [false, true]) {
  for (const seed of [1, 2, 3, 4, 5]) {
    const mode = global ? { Global: {} } : { Replicated: { Replicas: 3 } };
    test(`churn, ${global ? 'global' : 'replicated'} (seed ${seed}): scaling, failures, updates and node changes at once never double a slot`, withHarness(nodes(4), async (h) => {
      const pick = random(seed);
      const id = await h.createService(serviceSpec('web', { Mode: mode, UpdateConfig: { Parallelism: 2, Monitor: SECOND, FailureAction: 'continue' } }));
      for (let round = 0; round < 40; round++) {
        await Promise.all([randomChange(h, id, pick, global), randomChange(h, id, pick, global), randomChange(h, id, pick, global)]);
        await h.advance(1000 * pick(8), 1000);
      }
      // Calm down: every node back, then give restarts and the update time to finish.
      for (const n of ['n1', 'n2', 'n3', 'n4']) await h.editNode(n, (node) => ((node.Status.State = 'ready'), (node.Spec.Availability = 'active')));
      await h.advance(120_000, 1000);
      const service = h.service(id);
      const live = h.live(id);
      assert.equal(live.length, global ? 4 : service.Spec.Mode.Replicated!.Replicas);
      assert.equal(new Set(live.map((t) => t.Slot ?? t.NodeID)).size, live.length, 'one live task per slot');
      assert.ok(live.every((t) => t.Status.State === 'running' && t.Spec.ContainerSpec?.Image === service.Spec.TaskTemplate.ContainerSpec?.Image));
    }));
  }
}
