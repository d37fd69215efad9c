import { test } from 'node:test';
import assert from 'node:assert/strict';
import { leaderNamedIn, NOT_THE_LEADER, notTheLeader } from '../../../src/cluster/rpc/services.js';

test('a manager that is not the leader names the leader it knows, and the host reads it back from the gRPC error', () => {
  const refusal = notTheLeader('10.0.0.1:2377');
  assert.ok(refusal.includes(NOT_THE_LEADER), 'still matched as a refusal by hosts that only look for the phrase');
  // As the host sees it: gRPC prefixes the status code.
  assert.equal(leaderNamedIn(`14 UNAVAILABLE: ${refusal}`), '10.0.0.1:2377');
  assert.equal(leaderNamedIn(`14 UNAVAILABLE: ${notTheLeader('[fd00::1]:2377')}`), '[fd00::1]:2377');
  assert.equal(notTheLeader(undefined), NOT_THE_LEADER, 'no leader known (an election): the plain refusal');
  assert.equal(leaderNamedIn(`14 UNAVAILABLE: ${NOT_THE_LEADER}`), undefined);
  assert.equal(leaderNamedIn('heartbeat failed: rpc error: code = DeadlineExceeded'), undefined);
});
