import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestNetwork } from './network.js';
import type { Entry } from '../../../src/cluster/raft/core/types.js';

const datas = (es: Entry[]): string[] => es.filter((e) => e.type === 'normal' && e.data !== '').map((e) => e.data);

test('§5.3: entries commit once on a majority, and every member applies them in order', () => {
  const net = new TestNetwork(['a', 'b', 'c']);
  net.campaign('a');
  for (const d of ['1', '2', '3']) net.propose('a', d);
  net.tickAll(2);
  for (const id of ['a', 'b', 'c']) assert.deepEqual(datas(net.applied.get(id)!), ['1', '2', '3']);
});

test('§5.3: with a minority down, entries still commit; the member coming back catches up', () => {
  const net = new TestNetwork(['a', 'b', 'c']);
  net.campaign('a');
  net.isolate('c');
  net.propose('a', '1');
  assert.deepEqual(datas(net.applied.get('a')!), ['1']);
  net.heal();
  net.tickAll(2);
  assert.deepEqual(datas(net.applied.get('c')!), ['1']);
});

test('§5.3: a leader without a majority commits nothing', () => {
  const net = new TestNetwork(['a', 'b', 'c']);
  net.campaign('a');
  const committed = net.node('a').log.committed;
  net.isolate('b');
  net.isolate('c');
  net.propose('a', '1');
  assert.equal(net.node('a').log.committed, committed);
});

test('§5.3 log matching: a follower drops its conflicting uncommitted suffix for the leader\'s', () => {
  const net = new TestNetwork(['a', 'b', 'c']);
  net.campaign('a');
  net.isolate('a');
  net.node('a').propose('lost1');
  net.node('a').propose('lost2');
  net.settle();
  net.tickAll(25); // b or c leads a new term
  const leader = net.leader()!;
  assert.notEqual(leader.id, 'a');
  net.propose(leader.id, 'kept');
  net.heal();
  net.tickAll(3);
  for (const id of ['a', 'b', 'c']) assert.deepEqual(datas(net.applied.get(id)!), ['kept'], id);
  const a = net.node('a').log;
  assert.equal(a.lastIndex(), leader.log.lastIndex());
  assert.deepEqual(a.slice(1)!, leader.log.slice(1)!);
});

test('§5.4.2 (figure 8): an entry of an earlier term is not committed by counting replicas', () => {
  const net = new TestNetwork(['a', 'b', 'c', 'd', 'e']);
  net.campaign('a');
  // a appends "old" in its term, reaching only b, then is cut off.
  for (const id of ['c', 'd', 'e']) net.cutLink('a', id);
  net.propose('a', 'old');
  const oldIndex = net.node('a').log.lastIndex();
  assert.equal(net.node('b').log.lastIndex(), oldIndex);
  net.isolate('a');
  net.isolate('b');
  net.campaign('e'); // e leads term 2+ with c, d; it appends its no-op at oldIndex, then is cut off
  net.isolate('e');
  net.heal();
  for (const id of ['c', 'd', 'e']) net.cutLink('e', id);
  net.cutLink('a', 'e');
  net.cutLink('b', 'e');
  net.tickAll(0);
  // a comes back, wins a new term with b, c (its log is as new as theirs by term) and replicates "old" to c:
  net.isolate('e');
  net.isolate('d');
  net.campaign('a');
  if (net.node('a').role === 'leader') {
    // "old" is on a majority (a, b, c) but of an old term: it commits only with a's new no-op.
    const a = net.node('a');
    assert.equal(a.log.term(a.log.committed), a.term);
  }
  // Whatever happened, no two members applied different entries at one index.
  const byIndex = new Map<number, string>();
  for (const es of net.applied.values()) {
    for (const e of es) {
      const k = `${e.term}/${e.data}`;
      assert.equal(byIndex.get(e.index) ?? k, k, `index ${e.index}`);
      byIndex.set(e.index, k);
    }
  }
});

test('the follower commits with heartbeats no further than its matched index', () => {
  const net = new TestNetwork(['a', 'b', 'c']);
  net.campaign('a');
  net.cutLink('a', 'c');
  net.propose('a', '1');
  net.heal();
  net.ignore.add('app');
  net.tick('a');
  assert.ok(net.node('c').log.committed <= net.node('c').log.lastIndex());
});

test('flow control: at most maxInflight appends go out to a silent follower', () => {
  const net = new TestNetwork(['a', 'b'], { maxInflight: 3, maxEntriesPerMsg: 1 });
  net.campaign('a');
  net.ignore.add('appResp');
  const a = net.node('a');
  let appsToB = 0;
  for (let i = 0; i < 10; i++) {
    a.propose(String(i));
    appsToB += a.ready().messages.filter((m) => m.type === 'app' && m.to === 'b').length;
    a.advance({ sendNow: false, entries: [], committed: [], messages: [], readStates: [] });
  }
  assert.equal(appsToB, 3);
  assert.equal(a.status().progress['b']!.state, 'replicate');
});

test('a rejected append makes the leader probe back a whole term at a time to the match', () => {
  const net = new TestNetwork(['a', 'b', 'c']);
  net.campaign('a');
  net.isolate('c');
  for (let i = 0; i < 50; i++) net.propose('a', `x${i}`);
  net.heal();
  let appsToC = 0;
  const deliveries = net.node('a');
  deliveries.tick(); // heartbeat → c answers behind → probing starts
  net.settle();
  appsToC = net.node('c').log.lastIndex();
  assert.equal(appsToC, net.node('a').log.lastIndex());
});

test('a lost acknowledgement: the next heartbeat has the leader ask again, and the entry commits', () => {
  const net = new TestNetwork(['a', 'b']);
  net.campaign('a');
  const a = net.node('a');
  net.ignore.add('appResp');
  net.propose('a', 'x');
  assert.ok(a.log.committed < a.log.lastIndex());
  net.ignore.delete('appResp');
  net.tick('a');
  assert.equal(a.log.committed, a.log.lastIndex());
  assert.deepEqual(datas(net.applied.get('b')!), ['x']);
});

test('§10.2.1: while a leader writes a Ready, what it proposes meanwhile goes to its followers at once, and commits on their copies', () => {
  const net = new TestNetwork(['a', 'b', 'c']);
  net.campaign('a');
  const a = net.node('a');
  a.propose('1');
  const writing = a.ready(); // being written: not advanced yet
  assert.ok(writing.sendNow);
  a.propose('2');
  const now = a.leaderMessagesNow();
  assert.deepEqual(now.filter((m) => m.type === 'app').map((m) => [m.to, m.entries!.map((e) => e.data)]), [['b', ['2']], ['c', ['2']]]);
  // The followers take both appends (the first Ready's, then the one sent early) and answer; both commit without a's own copy.
  for (const m of [...writing.messages, ...now]) net.node(m.to).step(m);
  for (const id of ['b', 'c']) {
    const rd = net.node(id).ready();
    net.node(id).advance(rd);
    for (const m of rd.messages) a.step(m);
  }
  assert.deepEqual(a.takeCommitted().filter((e) => e.data !== '').map((e) => e.data), ['1', '2']);
  assert.deepEqual(net.node('b').leaderMessagesNow(), [], 'a follower sends nothing outside a Ready');
});

test('§10.2.1: a leader whose new term is not on its disk yet sends nothing outside a Ready', () => {
  const net = new TestNetwork(['a', 'b', 'c']);
  const a = net.node('a');
  /** Sends a's Ready to the others and steps their answers into a, without writing a's Ready. */
  const round = (): ReturnType<typeof a.ready> => {
    const rd = a.ready();
    for (const m of rd.messages) net.node(m.to).step(m);
    for (const id of ['b', 'c']) {
      const theirs = net.node(id).ready();
      net.node(id).advance(theirs);
      for (const m of theirs.messages) a.step(m);
    }
    return rd;
  };
  a.campaign();
  a.advance(round()); // the pre-vote (no new term)
  round(); // the vote: a leads, its new term and vote not written
  assert.equal(a.role, 'leader');
  a.propose('x');
  assert.deepEqual(a.leaderMessagesNow(), []);
});
