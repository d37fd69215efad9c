import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseKernelView, underlayEnv, type IpLink } from '../../../src/mesh/overlay/kernel-view.js';

// Trimmed from `ip -j -d addr show`, `bridge -j fdb show` and `ip -j -4 neigh show` on this kernel.
const links: IpLink[] = [
  { ifname: 'eth0', mtu: 1500, flags: ['UP'], linkinfo: { info_kind: 'veth' }, addr_info: [{ family: 'inet', local: '192.168.99.1', prefixlen: 24, scope: 'global' }] },
  { ifname: 'shoal4097', mtu: 1450, address: '02:AA:0a:00:01:02', flags: ['BROADCAST', 'UP'], linkinfo: { info_kind: 'bridge' }, addr_info: [{ family: 'inet', local: '10.0.1.2', prefixlen: 24 }, { family: 'inet6', local: 'fe80::1', prefixlen: 64 }] },
  { ifname: 'shoalvx4097', mtu: 1450, flags: ['UP'], master: 'shoal4097', linkinfo: { info_kind: 'vxlan', info_data: { id: 4097, local: '192.168.99.1', port: 4789, learning: false, proxy: true } } },
  { ifname: 'shoal77', mtu: 1500, flags: [], linkinfo: { info_kind: 'vxlan' } },
  { ifname: 'shoalvx4098', mtu: 1450, flags: [], linkinfo: { info_kind: 'vxlan', info_data: { id: 4098, local: '192.168.99.1', port: 4789, learning: true, proxy: false } } },
];
const fdb = [
  { mac: '33:33:00:00:00:01', ifname: 'shoal4097', flags: ['self'] },
  { mac: '32:81:31:08:d7:eb', ifname: 'shoalvx4097', flags: [], master: 'shoal4097' },
  { mac: '02:42:0a:00:01:0a', ifname: 'shoalvx4097', dst: '192.168.99.3', flags: ['self'] },
  { mac: '00:00:00:00:00:00', ifname: 'shoalvx4098', dst: '192.168.99.3', flags: ['self'] },
];
const neigh = [
  { dst: '10.0.1.10', dev: 'shoalvx4097', lladdr: '02:42:0a:00:01:0a' },
  { dst: '192.0.2.1', dev: 'eth0', lladdr: '02:fc:00:00:00:05' },
];

test('Shoal\'s devices and the entries of its VXLAN devices are read from the kernel\'s JSON', () => {
  const view = parseKernelView(links, fdb, neigh);
  assert.deepEqual([...view.devices.keys()], [4097, 4098], 'a device whose kind does not match its name is not ours');
  assert.deepEqual(view.devices.get(4097), {
    bridge: { mac: '02:aa:0a:00:01:02', mtu: 1450, up: true, addresses: ['10.0.1.2/24'] },
    vxlan: { id: 4097, local: '192.168.99.1', port: 4789, learning: false, proxy: true, mtu: 1450, master: 'shoal4097', up: true },
  });
  assert.equal(view.devices.get(4098)!.bridge, undefined);
  assert.deepEqual([...view.entries.get(4097)!.fdb], [['02:42:0a:00:01:0a', '192.168.99.3']], 'learned and multicast entries are not ours');
  assert.deepEqual([...view.entries.get(4097)!.neigh], [['10.0.1.10', '02:42:0a:00:01:0a']]);
  assert.deepEqual([...view.entries.get(4098)!.fdb], [['00:00:00:00:00:00', '192.168.99.3']], 'a flooding entry is seen, so it gets removed');
});

test('the underlay device, MTU and port come from the device holding the underlay address', () => {
  assert.deepEqual(underlayEnv(links, { address: '192.168.99.1' }), { address: '192.168.99.1', device: 'eth0', mtu: 1450, port: 4789 });
  assert.deepEqual(underlayEnv(links, { address: '10.9.9.9' }), { address: '10.9.9.9', device: undefined, mtu: 1450, port: 4789 });
  assert.deepEqual(underlayEnv(links, { address: '192.168.99.1', mtu: 1400, port: 7789 }), { address: '192.168.99.1', device: 'eth0', mtu: 1400, port: 7789 });
});
