import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRaftStore } from '../../../src/cluster/raft/open.js';
import { systemClock } from '../../../src/util/clock.js';
import { silentLogger } from '../../../src/util/logger.js';

const open = (dir: string, bootstrap?: { id: string; addr: string }[]) =>
  openRaftStore({ dir, nodeId: 'm1', listenAddr: '127.0.0.1:0', bootstrap, clock: systemClock, log: silentLogger, tickMs: 10 });

test('a single manager takes writes once elected (it never forwards them to itself) and, restarted, knows at once the members it added', { timeout: 30_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-raft-restart-'));
  try {
    let store = await open(dir, [{ id: 'm1', addr: '127.0.0.1:1' }]);
    // Written before the first election is over: the write waits for this member to lead.
    await store.update((tx) => tx.create('secrets', { ID: 's1', Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: { Name: 's1', Labels: {} } }));
    await store.addMember('m2', '127.0.0.1:2', { learner: true });
    await store.close();

    store = await open(dir);
    try {
      // Before any election: what it applies from its own disk already includes the membership change.
      assert.deepEqual(store.members().map((m) => m.id).sort(), ['m1', 'm2']);
      assert.equal(store.view((tx) => tx.get('secrets', 's1'))?.Spec.Name, 's1');
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
