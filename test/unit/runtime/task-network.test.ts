import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostSideBatch, hostVethName, macAddress, netnsName, networkError, taskSideBatch } from '../../../src/runtime/process/task-network.js';

const nets = [
  { networkId: 'n1', networkName: 'appnet', address: '10.0.1.5/24', gateway: '10.0.1.1', bridge: 'br-n1', mtu: 1450 },
  { networkId: 'n2', networkName: 'backend', address: '10.0.2.9/24', gateway: '10.0.2.1', bridge: 'br-n2', mtu: 1400 },
];

test('names: namespace per daemon prefix and task, host veth within IFNAMSIZ, Docker MACs', () => {
  assert.equal(netnsName('shoal1', 'abcdefghijklmnopqrstuvwxy'), 'shoal1-abcdefghijkl');
  assert.equal(hostVethName('abcdefghijklmnopqrstuvwxy', 11), 'vabcdefghijklb');
  assert.ok(hostVethName('abcdefghijklmnopqrstuvwxy', 35).length <= 15);
  assert.equal(macAddress('10.0.1.5/24'), '02:42:0a:00:01:05');
});

test('the host side creates the namespace and one veth per attachment on its bridge, with hairpin', () => {
  assert.equal(
    hostSideBatch('p-t1', nets, ['vt10', 'vt11']),
    [
      'netns add p-t1',
      'link add vt10 mtu 1450 master br-n1 up type veth peer name eth0 mtu 1450 address 02:42:0a:00:01:05 netns p-t1',
      'link set vt10 type bridge_slave hairpin on',
      'link add vt11 mtu 1400 master br-n2 up type veth peer name eth1 mtu 1400 address 02:42:0a:00:02:09 netns p-t1',
      'link set vt11 type bridge_slave hairpin on',
      '',
    ].join('\n'),
  );
});

test('the task side brings up loopback and addresses, default route via the first gateway', () => {
  assert.equal(
    taskSideBatch(nets),
    ['link set lo up', 'link set eth0 up', 'addr add 10.0.1.5/24 dev eth0', 'link set eth1 up', 'addr add 10.0.2.9/24 dev eth1', 'route add default via 10.0.1.1 dev eth0', ''].join('\n'),
  );
  assert.equal(taskSideBatch([]), 'link set lo up\n');
});

test('a missing bridge is named in the error', () => {
  assert.match(networkError('Error: argument "br-n2" is wrong: Device does not exist', 'p-t1', nets).message, /network backend: bridge br-n2 does not exist/);
  assert.match(networkError('RTNETLINK answers: File exists', 'p-t1', nets).message, /creating the network of p-t1 failed: RTNETLINK/);
});
