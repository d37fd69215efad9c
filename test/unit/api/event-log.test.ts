import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiBackend } from '../../../src/api/backend.js';
import { EventLog, eventMatches, formatNano, parseNano, type StreamEvent } from '../../../src/api/events.js';
import { parseFilters } from '../../../src/cluster/controlapi/filters.js';
import type { Store, StoreEvent } from '../../../src/cluster/store/types.js';
import { cliServiceSpec, openStore, runningTask } from '../controlapi/fixture.js';

/** An EventLog fed by a real store, as a manager's daemon feeds it, opened before the swarm existed. */
function eventLog(store: Store, limit?: number): { log: EventLog; events: StreamEvent[] } {
  let open = false;
  const backend = { store: () => (open ? store : undefined), onStoreEvents: (l: (e: StoreEvent[]) => void) => store.watch(l) } as unknown as ApiBackend;
  const log = new EventLog(backend, limit);
  open = true;
  const events: StreamEvent[] = [];
  log.subscribe((e) => events.push(e));
  return { log, events };
}

test('cursors: exact nanoseconds, strictly increasing, and `since=<cursor>` resumes right after the event', async () => {
  assert.equal(parseNano('1700000000.000000001'), 1_700_000_000_000_000_001n);
  assert.equal(parseNano('1700000000.5'), 1_700_000_000_500_000_000n);
  assert.equal(formatNano(1_700_000_000_000_000_001n), '1700000000.000000001');
  assert.equal(parseNano('1h'), undefined);
  const f = await openStore();
  try {
    const { log, events } = eventLog(f.store);
    const service = await f.store.update((tx) => tx.create('services', { ID: 'svcweb', Spec: cliServiceSpec('web') } as never));
    await f.store.update((tx) => {
      for (let slot = 1; slot <= 3; slot++) tx.create('tasks', runningTask(service.ID, slot, service));
    });
    const times = events.map((e) => e.event.timeNano);
    for (let i = 1; i < times.length; i++) assert.ok(times[i]! > times[i - 1]!, 'strictly increasing');
    const middle = events[1]!;
    const after = log.replay(parseNano(middle.event.cursor!)!);
    assert.equal(after.resync, undefined);
    assert.deepEqual(after.events.map((e) => e.event.timeNano), times.slice(2));
  } finally {
    await f.close();
  }
});

test('task and endpoint events: state changes, add, drain, remove; filtered by service, node, type and event', async () => {
  const f = await openStore();
  try {
    const { events } = eventLog(f.store);
    const web = await f.store.update((tx) => tx.create('services', { ID: 'svcweb', Spec: cliServiceSpec('web', { Labels: { tier: 'front' } }) } as never));
    const other = await f.store.update((tx) => tx.create('services', { ID: 'svcother', Spec: cliServiceSpec('other') } as never));
    const task = await f.store.update((tx) => tx.create('tasks', runningTask(web.ID, 1, web, 'starting')));
    await f.store.update((tx) => tx.create('tasks', runningTask(other.ID, 1, other)));
    const running = await f.store.update((tx) => tx.update('tasks', { ...tx.get('tasks', task.ID)!, Status: { ...task.Status, State: 'running' } }));
    const told = await f.store.update((tx) => tx.update('tasks', { ...running, DesiredState: 'shutdown' }));
    await f.store.update((tx) => tx.update('tasks', { ...told, Status: { ...told.Status, State: 'shutdown' } }));
    const webEvents = events.filter((e) => eventMatches(e, parseFilters('{"service":{"web":true}}')));
    assert.deepEqual(webEvents.map((e) => `${e.event.Type} ${e.event.Action}`), [
      'service create',
      'task create',
      'task update',
      'endpoint add',
      'task update',
      'endpoint drain',
      'task update',
    ]);
    const endpoint = webEvents.find((e) => e.event.Type === 'endpoint')!;
    assert.equal(endpoint.event.Actor.Attributes['service'], 'web');
    assert.equal(endpoint.event.Actor.Attributes['name'], 'web.1');
    const update = webEvents[2]!.event.Actor.Attributes;
    assert.deepEqual([update['state.old'], update['state.new']], ['starting', 'running']);
    assert.equal(events.filter((e) => eventMatches(e, parseFilters('{"type":{"endpoint":true},"event":{"add":true}}'))).length, 2);
    assert.equal(events.filter((e) => eventMatches(e, parseFilters('{"label":{"tier=front":true},"type":{"service":true}}'))).length, 1);
    assert.equal(events.filter((e) => eventMatches(e, parseFilters(`{"node":{"${task.NodeID}":true},"type":{"task":true}}`))).length, 5);
  } finally {
    await f.close();
  }
});

test('a since older than the kept window gets a resync event first, then what is kept', async () => {
  const f = await openStore();
  try {
    const { log, events } = eventLog(f.store, 3);
    for (const name of ['a', 'b', 'c', 'd', 'e']) await f.store.update((tx) => tx.create('secrets', { ID: `sec${name}`, Spec: { Name: name, Labels: {}, Data: '' } } as never));
    const first = events[0]!;
    const r = log.replay(first.event.timeNano);
    assert.equal(r.resync?.event.Action, 'resync');
    assert.deepEqual(r.events.map((e) => e.event.Actor.Attributes['name']), ['c', 'd', 'e']);
    assert.equal(r.resync?.event.cursor, formatNano(r.events[0]!.event.timeNano));
    assert.equal(log.replay(parseNano(events[1]!.event.cursor!)!).resync, undefined, 'from b on, nothing was dropped');
  } finally {
    await f.close();
  }
});
