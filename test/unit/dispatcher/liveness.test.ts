import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dispatcher } from '../../../src/cluster/dispatcher/dispatcher.js';
import type { Clock, TimerHandle } from '../../../src/util/clock.js';
import { silentLogger } from '../../../src/util/logger.js';
import { openStore } from '../controlapi/fixture.js';
import { nodeObject } from '../scheduler/harness.js';

/**
 * A clock whose timers can fire late, as on a process that was stalled. It starts just after the
 * wall clock (the store stamps the node's creation with it) and moves by `runTo`, in ms from its start.
 */
class StallingClock implements Clock {
  private readonly start = Date.now() + 1000;
  private t = this.start;
  private nextId = 1;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, { at: this.t + ms, fn });
    return { id };
  }

  clearTimeout(h: TimerHandle): void {
    this.timers.delete(h.id);
  }

  /** Time runs to `to`; timers fire on time, or, when `stalled`, all at `to`. */
  async runTo(fromStart: number, stalled = false): Promise<void> {
    const to = this.start + fromStart;
    for (;;) {
      const due = [...this.timers].filter(([, t]) => t.at <= to).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.t = stalled ? to : due[1].at;
      due[1].fn();
      await new Promise((r) => setImmediate(r)); // the round's store write
    }
    this.t = to;
  }
}

const PERIOD_MS = 5000; // no cluster object: Swarm's default heartbeat period
const UNSEEN_GRACE_MS = 2 * 3 * PERIOD_MS; // a host not heard from since this manager took over

/** One node in the store that never sends a heartbeat, and the leader's dispatcher watching it. */
async function withSilentHost(fn: (clock: StallingClock, state: () => string) => Promise<void>): Promise<void> {
  const fx = await openStore({ swarm: false });
  await fx.store.update((tx) => tx.create('nodes', nodeObject({ id: 'n1' })));
  const clock = new StallingClock();
  const dispatcher = new Dispatcher({ store: fx.store, log: silentLogger, clock, caCertPem: () => '', isLeader: () => true, leader: () => 'n1' });
  dispatcher.start();
  try {
    await fn(clock, () => fx.store.view((tx) => tx.get('nodes', 'n1'))!.Status.State);
  } finally {
    dispatcher.stop();
    await fx.close();
  }
}

test('a silent host is marked down after its grace; a liveness round that comes late (a stalled manager) waits one more round first', () =>
  withSilentHost(async (clock, state) => {
    await clock.runTo(UNSEEN_GRACE_MS + 100, true); // the manager stalled past the grace: the first round fires now
    assert.equal(state(), 'ready', 'not judged by a round that came late');
    await clock.runTo(UNSEEN_GRACE_MS + 100 + PERIOD_MS / 2);
    assert.equal(state(), 'down', 'the next round, on time, marks it down');
  }));

test('a manager late at every round still marks silent hosts down: only one round in a row is skipped', () =>
  withSilentHost(async (clock, state) => {
    await clock.runTo(UNSEEN_GRACE_MS + 100, true);
    assert.equal(state(), 'ready');
    await clock.runTo(UNSEEN_GRACE_MS + 100 + 2 * PERIOD_MS, true);
    assert.equal(state(), 'down');
  }));

test('on time, a host unseen since this manager took over is marked down once its grace (2 × 3 periods) is over, not before', () =>
  withSilentHost(async (clock, state) => {
    await clock.runTo(UNSEEN_GRACE_MS - 100);
    assert.equal(state(), 'ready');
    await clock.runTo(UNSEEN_GRACE_MS + PERIOD_MS / 2);
    assert.equal(state(), 'down');
  }));
