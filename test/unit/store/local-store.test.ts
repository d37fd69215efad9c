import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalStore, mutable, type StoreEvent } from '../../../src/cluster/store/index.js';
import { silentLogger } from '../../../src/util/logger.js';
import type { SecretObject, TaskObject } from '../../../src/cluster/types.js';
import { isShoalError } from '../../../src/util/errors.js';

const secret = (id: string, name: string): SecretObject => ({
  ID: id,
  Version: { Index: 0 },
  CreatedAt: '',
  UpdatedAt: '',
  Spec: { Name: name, Labels: {} },
});

const task = (id: string, service: string, slot: number, node: string): TaskObject => ({
  ID: id,
  Version: { Index: 0 },
  CreatedAt: '',
  UpdatedAt: '',
  Labels: {},
  Spec: {},
  ServiceID: service,
  Slot: slot,
  NodeID: node,
  Status: { Timestamp: '', State: 'new', Message: 'created', PortStatus: {} },
  DesiredState: 'running',
});

function withDir(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shoal-store-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test('writes get versions, indexes find them, and watchers see each commit', withDir(async (dir) => {
  const store = LocalStore.open(dir, silentLogger);
  const seen: StoreEvent[][] = [];
  store.watch((evs) => seen.push(evs));
  await store.update((tx) => {
    tx.create('tasks', task('t1', 's1', 1, 'n1'));
    tx.create('tasks', task('t2', 's1', 2, 'n2'));
    tx.create('tasks', task('t3', 's2', 1, 'n1'));
  });
  const [onN1, ofS1, v] = store.view((tx) => [tx.find('tasks', 'node', 'n1'), tx.find('tasks', 'service', 's1'), tx.index] as const);
  assert.deepEqual(onN1.map((t) => t.ID).sort(), ['t1', 't3']);
  assert.equal(ofS1.length, 2);
  assert.equal(v, 1);
  assert.equal(onN1[0].Version.Index, 1);
  assert.ok(Object.isFrozen(onN1[0]));

  const t1 = mutable(store.view((tx) => tx.get('tasks', 't1'))!);
  t1.NodeID = 'n2';
  await store.update((tx) => tx.update('tasks', t1));
  assert.deepEqual(store.view((tx) => tx.find('tasks', 'node', 'n1')).map((t) => t.ID), ['t3']);
  assert.equal(seen.length, 2);
  assert.equal(seen[1][0].action, 'update');
  assert.equal((seen[1][0].old as TaskObject | undefined)?.NodeID, 'n1');
  assert.equal(seen[1][0].object.Version.Index, 2);
  await store.close();
}));

test('a stale version is refused and a failed transaction writes nothing', withDir(async (dir) => {
  const store = LocalStore.open(dir, silentLogger);
  const created = await store.update((tx) => tx.create('secrets', secret('a', 'one')));
  const copy1 = mutable(created);
  const copy2 = mutable(created);
  copy1.Spec.Labels = { x: '1' };
  await store.update((tx) => tx.update('secrets', copy1));
  copy2.Spec.Labels = { y: '2' };
  await assert.rejects(store.update((tx) => tx.update('secrets', copy2)), (e) => isShoalError(e, 'conflict'));
  await assert.rejects(
    store.update((tx) => {
      tx.create('secrets', secret('b', 'two'));
      throw new Error('validation failed');
    }),
  );
  assert.equal(store.view((tx) => tx.get('secrets', 'b')), undefined);
  assert.deepEqual(store.view((tx) => tx.get('secrets', 'a'))!.Spec.Labels, { x: '1' });
  assert.equal(store.view((tx) => tx.index), 2);
  await store.close();
}));

test('inside a transaction, reads see its own writes', withDir(async (dir) => {
  const store = LocalStore.open(dir, silentLogger);
  await store.update((tx) => {
    tx.create('tasks', task('t1', 's1', 1, 'n1'));
    assert.equal(tx.find('tasks', 'slot', 's1/1').length, 1);
    assert.equal(tx.list('tasks').length, 1);
    tx.remove('tasks', 't1');
    assert.equal(tx.list('tasks').length, 0);
  });
  assert.equal(store.view((tx) => tx.index), 0, 'a create then remove in one transaction writes nothing');
  await store.close();
}));

test('what was committed survives a reopen, and a torn journal tail is cut off', withDir(async (dir) => {
  const store = LocalStore.open(dir, silentLogger);
  for (let i = 0; i < 5; i++) await store.update((tx) => tx.create('secrets', secret(`s${i}`, `name${i}`)));
  await store.update((tx) => tx.remove('secrets', 's0'));
  await store.close();
  appendFileSync(join(dir, 'journal.log'), '0badc0de {"index":7,"chan'); // a crash mid-write

  const again = LocalStore.open(dir, silentLogger);
  assert.equal(again.view((tx) => tx.index), 6);
  assert.deepEqual(again.view((tx) => tx.list('secrets')).map((s) => s.ID).sort(), ['s1', 's2', 's3', 's4']);
  assert.equal(again.view((tx) => tx.find('secrets', 'name', 'name3'))[0].ID, 's3');
  await again.update((tx) => tx.create('secrets', secret('s9', 'name9')));
  await again.close();
  assert.ok(!readFileSync(join(dir, 'journal.log'), 'utf8').includes('0badc0de'));

  const third = LocalStore.open(dir, silentLogger);
  assert.equal(third.view((tx) => tx.index), 7);
  await third.close();
}));

test('a corrupt line (bad checksum) ends replay there', withDir(async (dir) => {
  const store = LocalStore.open(dir, silentLogger);
  await store.update((tx) => tx.create('secrets', secret('a', 'a')));
  await store.update((tx) => tx.create('secrets', secret('b', 'b')));
  await store.close();
  const path = join(dir, 'journal.log');
  const lines = readFileSync(path, 'utf8').split('\n');
  lines[1] = lines[1].replace('"b"', '"c"');
  writeFileSync(path, lines.join('\n'));
  const again = LocalStore.open(dir, silentLogger);
  assert.deepEqual(again.view((tx) => tx.list('secrets')).map((s) => s.ID), ['a']);
  await again.close();
}));
