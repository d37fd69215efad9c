import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addressUsage, heldAddresses } from '../../../src/cluster/allocator/held-addresses.js';
import { AllocatorFixture, liveTaskAddresses } from './fixture.js';

/**
 * Thousands of tasks through one /24 with the real Allocator on a real LocalStore: tasks come in
 * batches, some finish (their addresses free), finished ones are deleted like the task reaper does,
 * and the allocator restarts now and then. After every step no live address is held twice; at the
 * end nothing leaked: the whole /24 can be filled again.
 */
test('churn: thousands of tasks through a /24, no address given twice while held, none leaked, across restarts', async (t) => {
  const f = await new AllocatorFixture().start();
  await f.network({ Name: 'churn', IPAM: { Config: [{ Subnet: '10.6.0.0/24' }] } });
  const svc = await f.service('web', ['churn']);
  const netId = f.store.view((tx) => tx.find('networks', 'name', 'churn')[0]!.ID);
  let seed = 11;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  const allocated = new Set<string>();
  let round = 0;
  for (; allocated.size < 3000; round++) {
    await f.addTasks(svc, 1 + rand(40));
    await f.settled();
    const tasks = f.tasks();
    const live = liveTaskAddresses(tasks, netId);
    assert.equal(new Set(live).size, live.length, `round ${round}: an address is held twice`);
    assert.ok(!live.includes('10.6.0.1') && !live.includes('10.6.0.0') && !live.includes('10.6.0.255'), `round ${round}: gateway/network/broadcast given`);
    const pending = tasks.filter((x) => x.Status.State === 'pending');
    for (const x of pending) allocated.add(x.ID);
    // Finish some (keep the network near full now and then), drop finished ones from the store.
    const finishing = pending.filter(() => rand(100) < (live.length > 200 ? 70 : 40)).map((t) => t.ID);
    await f.setState(finishing, rand(2) ? 'complete' : 'failed');
    await f.store.update((tx) => {
      for (const x of tx.list('tasks')) if (['complete', 'failed'].includes(x.Status.State) && rand(3) === 0) tx.remove('tasks', x.ID);
    });
    if (round % 20 === 19) await f.restart();
  }
  t.diagnostic(`${allocated.size} tasks allocated in ${round} rounds, ${Math.floor(round / 20)} allocator restarts`);
  // Everything finishes: only the gateway, the host and the VIP stay held (254 usable)...
  const running = f.tasks().filter((x) => x.Status.State === 'pending').map((x) => x.ID);
  await f.setState(running, 'complete');
  const waiting = f.tasks().filter((x) => x.Status.State === 'new');
  await f.store.update((tx) => waiting.forEach((x) => tx.remove('tasks', x.ID)));
  const usage = f.store.view((tx) => addressUsage(tx.get('networks', netId)!, heldAddresses(tx)));
  assert.deepEqual(usage, { inUse: 3, capacity: 254 });
  // ...and the whole /24 can be given again: 251 tasks, all distinct.
  await f.addTasks(svc, 252);
  await f.settled();
  const live = liveTaskAddresses(f.tasks(), netId);
  assert.equal(live.length, 251);
  assert.equal(new Set(live).size, 251);
  assert.equal(f.tasks().filter((x) => x.Status.State === 'new').length, 1, 'the 252nd waits');
  await f.close();
});
