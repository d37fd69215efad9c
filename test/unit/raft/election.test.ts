import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RaftCore, defaultRaftConfig } from '../../../src/cluster/raft/core/raft.js';
import { TestNetwork } from './network.js';

test('a single member elects itself and commits alone', () => {
  const net = new TestNetwork(['a']);
  net.campaign('a');
  assert.equal(net.node('a').role, 'leader');
  const at = net.propose('a', 'x');
  assert.ok(at);
  assert.equal(net.node('a').log.committed, at.index);
  assert.deepEqual(net.applied.get('a')!.filter((e) => e.type === 'normal').map((e) => e.data), ['', 'x']);
});

test('§5.2: a candidate with a majority of votes leads; the others follow it in its term', () => {
  const net = new TestNetwork(['a', 'b', 'c']);
  net.campaign('a');
  assert.equal(net.node('a').role, 'leader');
  for (const id of ['b', 'c']) {
    assert.equal(net.node(id).role, 'follower');
    assert.equal(net.node(id).lead, 'a');
    assert.equal(net.node(id).term, net.node('a').term);
  }
});

test('§5.2: without a majority a candidate does not lead, and the term moves only past a pre-vote', () => {
  const net = new TestNetwork(['a', 'b', 'c']);
  net.isolate('a');
  const term = net.node('a').term;
  net.campaign('a');
  assert.equal(net.node('a').role, 'preCandidate');
  assert.equal(net.node('a').term, term, 'a lost pre-vote leaves the term alone');
});

test('an election timeout passes before a follower campaigns, randomized in [election, 2×election)', () => {
  const net = new TestNetwork(['a', 'b', 'c']);
  net.tick('a', 9);
  assert.equal(net.node('a').role, 'follower');
  net.tick('a', 11);
  assert.equal(net.node('a').role, 'leader');
});

test('§5.2: a member grants one vote per term, first come', () => {
  const core = new RaftCore({ ...defaultRaftConfig('a'), preVote: false }, { snapshot: { meta: { index: 0, term: 0, conf: { voters: ['a', 'b', 'c'], learners: [] } }, data: '' } });
  core.ready();
  core.step({ type: 'vote', from: 'b', to: 'a', term: 1, index: 0, logTerm: 0 });
  core.step({ type: 'vote', from: 'c', to: 'a', term: 1, index: 0, logTerm: 0 });
  const resps = core.ready().messages;
  assert.deepEqual(resps.map((m) => [m.to, !!m.reject]), [['b', false], ['c', true]]);
  assert.equal(core.vote, 'b');
});

test('§5.4.1: a vote is refused to a candidate whose log is behind', () => {
  const net = new TestNetwork(['a', 'b', 'c']);
  net.campaign('a');
  net.isolate('c');
  net.propose('a', 'x');
  net.heal();
  // c missed "x": its last term equals a's, its last index is lower.
  const b = net.node('b');
  b.step({ type: 'vote', from: 'c', to: 'b', term: b.term + 1, index: net.node('c').log.lastIndex(), logTerm: net.node('c').log.lastTerm(), context: 'transfer' });
  const resp = b.ready().messages.find((m) => m.type === 'voteResp')!;
  assert.equal(resp.reject, true);
});

test('pre-vote: a member cut off and back does not depose the leader or raise the term', () => {
  const net = new TestNetwork(['a', 'b', 'c']);
  net.campaign('a');
  const term = net.node('a').term;
  net.isolate('c');
  net.tick('c', 40);
  assert.equal(net.node('c').term, term, 'pre-votes that fail do not raise the term');
  net.heal();
  net.tickAll(3);
  assert.equal(net.node('a').role, 'leader');
  assert.equal(net.node('a').term, term);
  assert.equal(net.node('c').lead, 'a');
});

test('check-quorum: a leader cut off from a quorum steps down within an election timeout; the rest elect another', () => {
  const net = new TestNetwork(['a', 'b', 'c']);
  net.campaign('a');
  net.isolate('a');
  net.tickAll(25);
  assert.notEqual(net.node('a').role, 'leader');
  const leader = net.leader();
  assert.ok(leader && leader.id !== 'a');
  net.heal();
  net.tickAll(3);
  assert.equal(net.node('a').lead, leader.id);
  assert.equal(net.node('a').term, leader.term);
});

test('leader lease: a member that hears from a leader ignores a vote request of a higher term', () => {
  const net = new TestNetwork(['a', 'b', 'c']);
  net.campaign('a');
  const b = net.node('b');
  b.step({ type: 'vote', from: 'c', to: 'b', term: b.term + 5, index: 100, logTerm: 100 });
  assert.equal(b.lead, 'a');
  assert.equal(b.ready().messages.length, 0);
});

test('leader transfer: the transferee catches up, campaigns past the lease and leads', () => {
  const net = new TestNetwork(['a', 'b', 'c']);
  net.campaign('a');
  net.isolate('c');
  net.propose('a', 'x');
  net.heal();
  net.node('a').transferLeadership('c');
  net.settle();
  assert.equal(net.node('c').role, 'leader');
  assert.equal(net.node('a').lead, 'c');
  assert.equal(net.node('a').propose('y'), undefined, 'the old leader takes no proposals');
});

test('leader transfer stops proposals during the transfer and is given up after an election timeout', () => {
  const net = new TestNetwork(['a', 'b', 'c']);
  net.campaign('a');
  net.isolate('c');
  net.node('a').transferLeadership('c');
  net.settle();
  assert.equal(net.node('a').propose('x'), undefined);
  net.tick('a', 10);
  assert.equal(net.node('a').role, 'leader');
  assert.ok(net.node('a').propose('x'));
});

test('status: a member heard from in the last check-quorum round stays active while the next one begins; a silent one goes inactive', () => {
  const net = new TestNetwork(['a', 'b', 'c']);
  net.campaign('a');
  net.tickAll(3);
  net.cutLink('a', 'b');
  const a = net.node('a');
  // A check-quorum round begins and nothing is delivered yet: c answered in the round before.
  for (let i = 0; i < defaultRaftConfig("a").electionTicks; i++) a.tick();
  assert.equal(a.status().progress.c!.active, true, 'not shown lost just because a round began');
  net.settle();
  net.tickAll(2 * defaultRaftConfig("a").electionTicks);
  assert.equal(a.status().progress.b!.active, false, 'silent for a whole round');
  assert.equal(a.status().progress.c!.active, true);
  assert.equal(a.role, 'leader');
});
