import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConntrack, parseNftJson } from '../../../src/mesh/dataplane/nftables/counters.js';
import { NftStats, nftTrace } from '../../../src/mesh/dataplane/nftables/entry-stats.js';
import { nftReplace } from '../../../src/mesh/dataplane/nftables/ruleset.js';
import type { DataPlanePlan } from '../../../src/mesh/dataplane/plan.js';

const plan: DataPlanePlan = {
  version: 1,
  ports: [{ protocol: 'tcp', port: 8080, targetPort: 80, mode: 'ingress', serviceId: 's1', service: 'web', backends: [{ taskId: 't1', address: '10.0.0.11' }, { taskId: 't2', address: '10.0.0.12' }] }],
  vips: [],
  draining: [],
};

/** `nft -j list table ip shoal` as nft 1.0.6 prints it (trimmed to what is read): counters, the slot map with element counters, the rule. */
const kernel = (conn: number, ruleCount: number, slots: [number, string, number][]) =>
  JSON.stringify({
    nftables: [
      { metainfo: { version: '1.0.6' } },
      { counter: { family: 'ip', name: 'port_tcp_8080_conn', table: 'shoal', packets: conn, bytes: conn * 60 } },
      { counter: { family: 'ip', name: 'port_tcp_8080_tx', table: 'shoal', packets: 30, bytes: 1800 } },
      { counter: { family: 'ip', name: 'port_tcp_8080_rx', table: 'shoal', packets: 30, bytes: 9000 } },
      { counter: { family: 'ip', name: 'port_tcp_8080_refused', table: 'shoal', packets: 1, bytes: 40 } },
      { map: { family: 'ip', name: 'port_tcp_8080_be', table: 'shoal', type: 'integer', map: 'ipv4_addr', elem: slots.map(([val, addr, packets]) => [{ elem: { val, counter: { packets, bytes: packets * 60 } } }, addr]) } },
      { rule: { family: 'ip', table: 'shoal', chain: 'port_tcp_8080', expr: [{ match: {} }, { counter: 'port_tcp_8080_conn' }, { mangle: {} }, { counter: { packets: ruleCount, bytes: 0 } }, { dnat: {} }] } },
    ],
  });

test('kernel counters become entry statistics; per-backend totals survive a slot refill', () => {
  const { next: state } = nftReplace(plan);
  const stats = new NftStats();
  const open = parseConntrack(
    [
      'tcp      6 431999 ESTABLISHED src=10.250.0.254 dst=10.250.0.1 sport=40000 dport=8080 src=10.0.0.12 dst=10.0.0.2 sport=80 dport=40000 [ASSURED] mark=1 use=1',
      'tcp      6 119 TIME_WAIT src=10.250.0.254 dst=10.250.0.1 sport=40001 dport=8080 src=10.0.0.11 dst=10.0.0.2 sport=80 dport=40001 [ASSURED] mark=1 use=1',
      'udp      17 29 src=10.0.1.5 dst=10.0.1.9 sport=5000 dport=53 src=10.0.1.7 dst=10.0.1.5 sport=53 dport=5000 mark=0 use=1',
    ].join('\n'),
  );
  const [first] = stats.collect(plan, state, parseNftJson(kernel(5, 5, [[0, '10.0.0.11', 3], [1, '10.0.0.12', 2]])), open);
  assert.deepEqual({ ...first, backends: undefined }, { service: 'web', entry: 'tcp/8080', connections: 5, active: 1, failed: 1, retries: 0, bytesIn: 1800, bytesOut: 9000, backends: undefined });
  assert.deepEqual(first!.backends, [
    { address: '10.0.0.11', taskId: 't1', connections: 3, active: 0 },
    { address: '10.0.0.12', taskId: 't2', connections: 2, active: 1 },
  ]);
  // Slot 0 was refilled with the same backend (its element counter starts again at 0), then counted 1 more.
  const [second] = stats.collect(plan, state, parseNftJson(kernel(8, 8, [[0, '10.0.0.11', 1], [1, '10.0.0.12', 4]])), new Map());
  assert.deepEqual(second!.backends.map((b) => b.connections), [4, 4]);
});

test('trace: the rule counter says how many connections numgen balanced, so the next takes that count mod n', () => {
  const { next: state } = nftReplace(plan);
  const t = nftTrace(plan, state, parseNftJson(kernel(7, 7, [[0, '10.0.0.11', 4], [1, '10.0.0.12', 3]])), { protocol: 'tcp', port: 8080 });
  assert.deepEqual(t?.backend, { address: '10.0.0.12', taskId: 't2' });
  assert.match(t!.why, /balanced 7 connections .* slot 7 mod 2 = 1/);
  assert.match(t!.rule, /^table ip shoal chain port_tcp_8080: meta l4proto tcp counter name "port_tcp_8080_conn" ct mark set 1 /);
  assert.equal(nftTrace(plan, state, parseNftJson(kernel(0, 0, [])), { protocol: 'udp', port: 8080 }), undefined, 'an entry this host does not serve');
});
