import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTcpFlows, presentDeletions, removedFlowDeletions, tcpCommand } from '../../../src/mesh/dataplane/nftables/conntrack.js';
import type { EntryChange } from '../../../src/mesh/dataplane/plan-changes.js';

const backend = (n: number) => ({ taskId: `t${n}`, address: `10.0.0.${n}` });
const change = (over: Partial<EntryChange>): EntryChange => ({ entry: 'tcp/8080', service: 'web', protocols: ['tcp'], port: 8080, created: false, deleted: false, added: [], removed: [], ...over });

test('flows of removed backends: UDP of every one, TCP only of gone ones and only those a next packet would use, filtered by the entry mark', () => {
  const changes = [
    change({ removed: [backend(1), backend(2)] }),
    change({ entry: 'udp/8081', protocols: ['udp'], port: 8081, removed: [backend(1), backend(2)] }),
    change({ entry: 'vip/10.0.1.5', protocols: ['tcp', 'udp'], port: undefined, vip: '10.0.1.5', removed: [{ taskId: 't1', address: '10.0.1.1' }] }),
    change({ entry: 'tcp/9090', port: 9090, added: [backend(3)] }),
  ];
  const marks: Record<string, number> = { 'tcp/8080': 1, 'udp/8081': 2 };
  const { udp, tcp } = removedFlowDeletions(changes, new Set(['10.0.0.2']), (c) => marks[c.entry]);
  assert.deepEqual(udp, [
    '-D -p udp --mark 2 --orig-port-dst 8081 --reply-src 10.0.0.1',
    '-D -p udp --mark 2 --orig-port-dst 8081 --reply-src 10.0.0.2',
    '-D -p udp --orig-dst 10.0.1.5 --reply-src 10.0.1.1',
  ]);
  const pinned = ['SYN_SENT', 'SYN_RECV', 'ESTABLISHED', 'FIN_WAIT', 'CLOSE_WAIT', 'LAST_ACK'];
  assert.deepEqual(tcp.map(tcpCommand), [
    ...pinned.map((s) => `-D -p tcp --state ${s} --mark 1 --orig-port-dst 8080 --reply-src 10.0.0.1`),
    ...pinned.map((s) => `-D -p tcp --state ${s} --orig-dst 10.0.1.5 --reply-src 10.0.1.1`),
  ], 'not TIME_WAIT (a new SYN reopens it) nor CLOSE (the kernel forgets it at once); the draining 10.0.0.2 keeps its TCP flows; without a known mark the entry is matched by address and port alone');
});

test('many removed backends of one entry: its UDP flows go in one command', () => {
  const removed = Array.from({ length: 17 }, (_, i) => backend(i + 1));
  const { udp, tcp } = removedFlowDeletions([change({ entry: 'udp/53', protocols: ['udp'], port: 53, removed })], new Set(), () => 4);
  assert.deepEqual([udp, tcp], [['-D -p udp --mark 4 --orig-port-dst 53'], []]);
});

test('a deleted entry with many gone backends (its service removed): its pinned TCP flows in one command per state', () => {
  const removed = Array.from({ length: 10_000 }, (_, i) => ({ taskId: `t${i}`, address: `10.1.${i >> 8}.${i & 255}` }));
  const { tcp } = removedFlowDeletions([change({ deleted: true, removed })], new Set(), () => 3);
  assert.equal(tcp.length, 6);
  assert.deepEqual([tcp[0], tcp[5]].map((d) => tcpCommand(d!)), ['-D -p tcp --state SYN_SENT --mark 3 --orig-port-dst 8080', '-D -p tcp --state LAST_ACK --mark 3 --orig-port-dst 8080']);
  const stillDraining = removedFlowDeletions([change({ deleted: true, removed })], new Set(['10.1.0.7']), () => 3).tcp;
  assert.equal(stillDraining.length, 6 * 9_999, 'a draining backend keeps its flows, so the others go one by one');
});

test('of the TCP deletions, only those with a flow in the table are run (each reads the whole table)', () => {
  const flows = parseTcpFlows(
    [
      'tcp      6 117 SYN_SENT src=10.250.0.254 dst=10.250.0.1 sport=40000 dport=8080 [UNREPLIED] src=10.0.0.1 dst=10.0.0.250 sport=80 dport=40000 mark=1 use=1',
      'tcp      6 431999 ESTABLISHED src=10.0.1.9 dst=10.0.1.5 sport=40001 dport=80 src=10.0.1.1 dst=10.0.1.9 sport=80 dport=40001 [ASSURED] mark=2 use=1',
      'tcp      6 119 TIME_WAIT src=10.250.0.254 dst=10.250.0.1 sport=40002 dport=8080 src=10.0.0.2 dst=10.0.0.250 sport=80 dport=40002 [ASSURED] mark=1 use=1',
      'udp      17 29 src=10.0.1.5 dst=10.0.1.9 sport=5000 dport=53 src=10.0.1.7 dst=10.0.1.5 sport=53 dport=5000 mark=0 use=1',
    ].join('\n'),
  );
  assert.deepEqual(flows[0], { state: 'SYN_SENT', dst: '10.250.0.1', dport: 8080, backend: '10.0.0.1', mark: 1 });
  const changes = [
    change({ removed: [backend(1), backend(2)] }),
    change({ entry: 'vip/10.0.1.5', protocols: ['tcp'], port: undefined, vip: '10.0.1.5', removed: [{ taskId: 't1', address: '10.0.1.1' }] }),
  ];
  const { tcp } = removedFlowDeletions(changes, new Set(), (c) => (c.vip ? 2 : 1));
  assert.deepEqual(presentDeletions(tcp, flows).map(tcpCommand), [
    '-D -p tcp --state SYN_SENT --mark 1 --orig-port-dst 8080 --reply-src 10.0.0.1',
    '-D -p tcp --state ESTABLISHED --mark 2 --orig-dst 10.0.1.5 --reply-src 10.0.1.1',
  ], "10.0.0.2's only flow is in TIME_WAIT");
  assert.deepEqual(presentDeletions(removedFlowDeletions(changes, new Set(), () => undefined).tcp, flows).length, 2, 'without a known mark, by address and port alone');
});
