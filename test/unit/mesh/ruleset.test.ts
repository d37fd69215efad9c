import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planDataPlane } from '../../../src/mesh/dataplane/plan.js';
import { MASQUERADE_MARK, nftDelete, nftReplace, nftUpdate, probeRuleset } from '../../../src/mesh/dataplane/nftables/ruleset.js';
import { hostPort, ingressPort, service, table, task } from './table-fixture.js';

const MARK = `0x${MASQUERADE_MARK.toString(16)}`;
/** Counted, marked as entry 1 for byte counting, given the TCP timeout policy, marked for masquerade, counted for numgen's position. */
const PORT_COUNTED = `counter name "port_tcp_8080_conn" ct mark set 1 ct timeout set "tcp_flows" meta mark set meta mark | ${MARK} counter`;
const web = service('web', [ingressPort('tcp', 8080, 80)], { app: '10.0.1.5/24' });
const webTask = (i: number) => task(`t${i}`, 'web', 'n1', { ing: `10.0.0.${10 + i}/24`, app: `10.0.1.${10 + i}/24` });
const plan = (n: number, version = 1, services = [web]) => planDataPlane(table(services, Array.from({ length: n }, (_, i) => webTask(i + 1)), version), 'n1');

test('a full replacement resets the table, then builds base chains, maps, rules and dispatch entries', () => {
  const { commands, next } = nftReplace(plan(2));
  const lines = commands.split('\n');
  assert.deepEqual(lines.slice(0, 3), ['table ip shoal', 'delete table ip shoal', 'table ip shoal {']);
  for (const expected of [
    'fib daddr type local meta l4proto . th dport vmap @published',
    `meta mark & ${MARK} == ${MARK} oifname "shoal*" masquerade`,
    'iif != "lo" ip daddr 127.0.0.0/8 drop',
    'add map ip shoal port_tcp_8080_be { typeof numgen inc mod 1 : ip daddr; counter; }',
    'add counter ip shoal port_tcp_8080_conn',
    'add element ip shoal acct_orig { 1 : "port_tcp_8080_tx" }',
    'ct mark != 0 ct direction reply counter name ct mark map @acct_reply',
    'ct mark != 0 ct direction reply ct status & assured == 0 tcp flags & rst == rst ip daddr . tcp dport @refused_once accept',
    'ct mark != 0 ct direction reply ct status & assured == 0 tcp flags & rst == rst add @refused_once { ip daddr . tcp dport } drop',
    'add element ip shoal port_tcp_8080_be { 0 : 10.0.0.11, 1 : 10.0.0.12 }',
    `add rule ip shoal port_tcp_8080 meta l4proto tcp ${PORT_COUNTED} dnat ip to numgen inc mod 2 map @port_tcp_8080_be : 80`,
    'add element ip shoal published { tcp . 8080 : goto port_tcp_8080 }',
    `add rule ip shoal vip_10_0_1_5 counter name "vip_10_0_1_5_conn" ct mark set 2 ct timeout set "tcp_flows" meta mark set meta mark | ${MARK} counter dnat ip to numgen inc mod 2 map @vip_10_0_1_5_be`,
    'add element ip shoal vip_addrs { 10.0.1.5 }',
    'add element ip shoal vips { 10.0.1.5 . tcp : goto vip_10_0_1_5, 10.0.1.5 . udp : goto vip_10_0_1_5 }',
  ]) {
    assert.ok(lines.some((l) => l.trim() === expected), `missing: ${expected}\n${commands}`);
  }
  assert.deepEqual(next.get('port_tcp_8080')!.slots, ['10.0.0.11', '10.0.0.12']);
});

test('an unchanged plan is no transaction at all', () => {
  const { next } = nftReplace(plan(3));
  assert.equal(nftUpdate(next, plan(3, 2)).commands, '');
});

test('removing one backend rewrites two slots and the rule, nothing else', () => {
  const { next } = nftReplace(plan(3));
  const p = plan(3, 2);
  p.ports[0]!.backends.splice(0, 1); // t1 leaves the port (not the VIP)
  assert.deepEqual(nftUpdate(next, p).commands.trim().split('\n'), [
    'delete element ip shoal port_tcp_8080_be { 0, 2 }',
    'add element ip shoal port_tcp_8080_be { 0 : 10.0.0.13 }',
    'flush chain ip shoal port_tcp_8080',
    `add rule ip shoal port_tcp_8080 meta l4proto tcp ${PORT_COUNTED} dnat ip to numgen inc mod 2 map @port_tcp_8080_be : 80`,
  ]);
});

test('replacing a backend with another keeps the rule: element changes only', () => {
  const { next } = nftReplace(plan(2));
  const p = plan(2, 2);
  p.ports[0]!.backends[1] = { taskId: 'x', address: '10.0.0.99' };
  assert.deepEqual(nftUpdate(next, p).commands.trim().split('\n'), [
    'delete element ip shoal port_tcp_8080_be { 1 }',
    'add element ip shoal port_tcp_8080_be { 1 : 10.0.0.99 }',
  ]);
});

test('the last backend leaving empties the chain, so connections are refused rather than sent nowhere', () => {
  const { next } = nftReplace(plan(1));
  const { commands, next: after } = nftUpdate(next, plan(0, 2));
  assert.match(commands, /flush chain ip shoal port_tcp_8080\n/);
  assert.doesNotMatch(commands, /add rule/);
  assert.equal(after.get('port_tcp_8080')!.rule, '');
});

const accountingGone = (mark: number) => ['acct_orig', 'acct_reply', 'acct_refused'].map((m) => `delete element ip shoal ${m} { ${mark} }`);
const countersGone = (chain: string) => ['conn', 'tx', 'rx', 'refused'].map((c) => `delete counter ip shoal ${chain}_${c}`);

test('a removed entry leaves its dispatch entries, then its chain and map', () => {
  const { next } = nftReplace(plan(2));
  assert.deepEqual(nftUpdate(next, { version: 2, ports: [], vips: [], draining: [] }).commands.trim().split('\n'), [
    'delete element ip shoal published { tcp . 8080 }',
    ...accountingGone(1),
    'flush chain ip shoal port_tcp_8080',
    'delete chain ip shoal port_tcp_8080',
    'delete map ip shoal port_tcp_8080_be',
    ...countersGone('port_tcp_8080'),
    'delete element ip shoal vips { 10.0.1.5 . tcp, 10.0.1.5 . udp }',
    'delete element ip shoal vip_addrs { 10.0.1.5 }',
    ...accountingGone(2),
    'flush chain ip shoal vip_10_0_1_5',
    'delete chain ip shoal vip_10_0_1_5',
    'delete map ip shoal vip_10_0_1_5_be',
    ...countersGone('vip_10_0_1_5'),
  ]);
});

test('host-mode ports DNAT without the masquerade mark (the local task sees the client)', () => {
  const api = service('api', [hostPort('udp', 9053, 53)], {});
  const p = planDataPlane(table([api], [task('a1', 'api', 'n1', { app: '10.0.1.21/24' })]), 'n1');
  assert.match(nftReplace(p).commands, /add rule ip shoal port_udp_9053 meta l4proto udp counter name "port_udp_9053_conn" ct mark set 1 counter dnat ip to numgen inc mod 1 map @port_udp_9053_be : 53\n/);
});

test('the probe is a full ruleset; deletion removes the table whether or not it exists', () => {
  assert.match(probeRuleset(), /^table ip shoal\ndelete table ip shoal\ntable ip shoal \{/);
  assert.equal(nftDelete(), 'table ip shoal\ndelete table ip shoal\n');
});

const stickyPlan = (n: number, affinity: number | undefined, version = 1) => {
  const p = plan(n, version);
  if (affinity) p.ports[0]!.affinity = affinity;
  return p;
};
const STICKY_RULE = `add rule ip shoal port_tcp_8080 meta l4proto tcp ip saddr @port_tcp_8080_aff counter name "port_tcp_8080_conn" ct mark set 1 ct timeout set "tcp_flows" meta mark set meta mark | ${MARK} dnat ip to ip saddr map @port_tcp_8080_aff : 80`;

test('a port with affinity DNATs known clients by its map first, then balances, and records new connections by their mark', () => {
  const { commands, next } = nftReplace(stickyPlan(2, 600));
  const lines = commands.split('\n').map((l) => l.trim());
  for (const expected of [
    'map affinity { type mark : verdict; }',
    'ct state new ct mark vmap @affinity',
    'add map ip shoal port_tcp_8080_aff { type ipv4_addr : ipv4_addr; flags dynamic, timeout; timeout 600s; }',
    'add rule ip shoal port_tcp_8080_rec update @port_tcp_8080_aff { ip saddr : ip daddr }',
    'add element ip shoal affinity { 1 : goto port_tcp_8080_rec }',
  ]) {
    assert.ok(lines.includes(expected), `missing: ${expected}\n${commands}`);
  }
  const sticky = lines.indexOf(STICKY_RULE);
  assert.ok(sticky >= 0 && lines[sticky + 1] === `add rule ip shoal port_tcp_8080 meta l4proto tcp ${PORT_COUNTED} dnat ip to numgen inc mod 2 map @port_tcp_8080_be : 80`, commands);
  assert.ok(lines.indexOf('add map ip shoal port_tcp_8080_aff { type ipv4_addr : ipv4_addr; flags dynamic, timeout; timeout 600s; }') < sticky, 'the map exists before the rule looks it up');
  assert.equal(next.get('port_tcp_8080')!.affinity, 600);
  // The VIP takes no affinity.
  assert.doesNotMatch(commands, /vip_10_0_1_5_aff/);
});

test('a backend leaving flushes the affinity map in the same transaction; one joining keeps it', () => {
  const { next } = nftReplace(stickyPlan(3, 600));
  const leave = stickyPlan(3, 600, 2);
  leave.ports[0]!.backends.splice(0, 1);
  const tx = nftUpdate(next, leave);
  assert.ok(tx.commands.includes('flush map ip shoal port_tcp_8080_aff\n'), tx.commands);
  const join = nftUpdate(tx.next, stickyPlan(3, 600, 3));
  assert.doesNotMatch(join.commands, /flush map/);
  assert.match(join.commands, /add element ip shoal port_tcp_8080_be \{ 2 : 10\.0\.0\.11 \}/);
});

test('affinity added, changed and removed by label: the map is made anew with its timeout, and goes with the entry', () => {
  const { next } = nftReplace(stickyPlan(2, undefined));
  const on = nftUpdate(next, stickyPlan(2, 60, 2));
  assert.deepEqual(on.commands.trim().split('\n').slice(0, 5), [
    'flush chain ip shoal port_tcp_8080',
    'add map ip shoal port_tcp_8080_aff { type ipv4_addr : ipv4_addr; flags dynamic, timeout; timeout 60s; }',
    'add chain ip shoal port_tcp_8080_rec',
    'add rule ip shoal port_tcp_8080_rec update @port_tcp_8080_aff { ip saddr : ip daddr }',
    'add element ip shoal affinity { 1 : goto port_tcp_8080_rec }',
  ]);
  const changed = nftUpdate(on.next, stickyPlan(2, 30, 3));
  assert.match(changed.commands, /^flush chain ip shoal port_tcp_8080\ndelete element ip shoal affinity \{ 1 \}\nflush chain ip shoal port_tcp_8080_rec\ndelete chain ip shoal port_tcp_8080_rec\ndelete map ip shoal port_tcp_8080_aff\nadd map .* timeout 30s; \}\n/);
  const off = nftUpdate(changed.next, stickyPlan(2, undefined, 4));
  assert.match(off.commands, /delete map ip shoal port_tcp_8080_aff\n/);
  assert.doesNotMatch(off.commands, /add map/);
  const gone = nftUpdate(changed.next, { version: 5, ports: [], vips: [], draining: [] });
  const cmds = gone.commands.trim().split('\n');
  assert.ok(cmds.indexOf('delete chain ip shoal port_tcp_8080') < cmds.indexOf('delete map ip shoal port_tcp_8080_aff'), gone.commands);
});
