import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClusterState } from '../../../src/cluster/raft/cluster-state.js';
import type { Command } from '../../../src/cluster/raft/command.js';
import { silentLogger } from '../../../src/util/logger.js';

const cmd = (id: string): Command => ({ id, at: 0, changes: [], reads: [], scans: [] });

test('a member that caught up from a snapshot learns from it whether its forwarded write landed', () => {
  const leader = new ClusterState(silentLogger);
  leader.apply(1, cmd('m2/a/1'));
  leader.apply(2, cmd('m3/b/7'));
  const follower = new ClusterState(silentLogger);
  follower.restore(leader.snapshot(), 2);
  assert.equal(follower.applied('m3/b/7', 0), true, 'applied: listed in the snapshot');
  assert.equal(follower.applied('m3/b/8', 0), false, 'not applied: every command since index 0 is listed');
});

test('once the oldest IDs are forgotten, a write sent before them is unknown, not "not applied"', () => {
  const s = new ClusterState(silentLogger);
  for (let i = 1; i <= 5000; i++) s.apply(i, cmd(`m1/a/${i}`));
  assert.equal(s.applied('m1/a/10', 0), undefined, 'forgotten');
  assert.equal(s.applied('m1/a/4999', 0), true);
  assert.equal(s.applied('m2/x/1', 4990), false, 'sent after index 4990: every command since is listed');
  assert.equal(s.applied('m2/x/1', 10), undefined, 'sent at index 10: a command from then may be forgotten');
});

test('a snapshot from before command IDs were kept tells nothing about what it covers', () => {
  const s = new ClusterState(silentLogger);
  s.restore(JSON.stringify({ index: 40, tables: {}, tableVersions: {}, members: [] }), 40);
  assert.equal(s.applied('m1/a/1', 30), undefined);
  s.apply(41, cmd('m1/a/2'));
  assert.equal(s.applied('m1/a/2', 40), true);
  assert.equal(s.applied('m1/a/3', 40), false);
});
