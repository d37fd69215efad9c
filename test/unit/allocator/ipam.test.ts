import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VXLAN_ID_OPTION } from '../../../src/cluster/allocator/allocator.js';
import { validateDefaultAddrPool } from '../../../src/cluster/allocator/default-pool.js';
import { removeNetwork } from '../../../src/cluster/controlapi/networks.js';
import { AllocatorFixture, liveTaskAddresses, NODE } from './fixture.js';

const subnetOf = (f: AllocatorFixture, name: string) =>
  f.store.view((tx) => {
    const n = tx.find('networks', 'name', name)[0]!;
    return { id: n.ID, vni: Number(n.DriverState.Options[VXLAN_ID_OPTION]), ...n.IPAMOptions.Configs[0]! };
  });
const allocated = (f: AllocatorFixture, name: string) => () => f.store.view((tx) => !!tx.find('networks', 'name', name)[0]?.DriverState.Options[VXLAN_ID_OPTION]);

test('--default-addr-pool and its mask length: ingress gets the first subnet, then networks in order around user subnets', async () => {
  const f = await new AllocatorFixture({ defaultAddrPool: ['10.20.0.0/16'], subnetSize: 26 }).start();
  await f.network({ Name: 'ingress', Ingress: true });
  await f.until('ingress', allocated(f, 'ingress'));
  await f.network({ Name: 'fixed', IPAM: { Config: [{ Subnet: '10.20.0.64/26' }] } });
  await f.network({ Name: 'appnet' });
  await f.until('appnet', allocated(f, 'appnet'));
  assert.deepEqual(subnetOf(f, 'ingress'), { id: subnetOf(f, 'ingress').id, vni: 4096, Subnet: '10.20.0.0/26', Gateway: '10.20.0.1' });
  assert.equal(subnetOf(f, 'fixed').Gateway, '10.20.0.65', 'a user subnet gets its first address as gateway');
  assert.equal(subnetOf(f, 'appnet').Subnet, '10.20.0.128/26', 'the pool skips the user subnet');
  await f.close();
});

test('the default address pool options are checked as Docker checks them', () => {
  validateDefaultAddrPool(['10.20.0.0/16', '192.168.0.0/20'], 26);
  validateDefaultAddrPool(undefined, 0);
  assert.throws(() => validateDefaultAddrPool(['10.20.0.0/16'], 30), /subnet size is out of range: 30$/);
  assert.throws(() => validateDefaultAddrPool(['10.20.0.0/16'], 12), /invalid CIDR: "10.20.0.0\/16". Subnet size is too small for pool: 12/);
  assert.throws(() => validateDefaultAddrPool(['10.20.0.0/40'], 24), /invalid base pool 10.20.0.0\/40: invalid CIDR address/);
});

test('a user subnet with gateway and range: addresses come from the range only; auxiliary addresses are never given', async () => {
  const f = await new AllocatorFixture().start();
  await f.network({ Name: 'ranged', IPAM: { Config: [{ Subnet: '10.9.0.0/24', Gateway: '10.9.0.254', IPRange: '10.9.0.128/29', AuxiliaryAddresses: { router: '10.9.0.130' } }] } });
  const svc = await f.service('web', ['ranged']);
  await f.addTasks(svc, 6);
  await f.settled();
  const net = subnetOf(f, 'ranged');
  const hostAddr = f.store.view((tx) => tx.get('nodes', NODE)!.Attachments![0]!.Addr);
  const vip = f.store.view((tx) => tx.get('services', svc.ID)!.Endpoint!.VirtualIPs![0]!.Addr);
  const given = [hostAddr, vip, ...liveTaskAddresses(f.tasks(), net.id).map((a) => `${a}/24`)];
  assert.deepEqual(given.sort(), ['10.9.0.128/24', '10.9.0.129/24', '10.9.0.131/24', '10.9.0.132/24', '10.9.0.133/24', '10.9.0.134/24', '10.9.0.135/24']);
  const waiting = f.tasks().filter((t) => t.Status.State === 'new');
  assert.equal(waiting.length, 1, 'the range (8 addresses, .130 reserved) is full');
  assert.equal(waiting[0]!.Status.Err, 'network ranged has no free address left (all 8 in use); remove tasks or use a larger --subnet');
  await f.close();
});

test('a full network: new tasks wait with a clear error, never a duplicate; they get an address as soon as one is freed', async () => {
  const f = await new AllocatorFixture().start();
  await f.network({ Name: 'tiny', IPAM: { Config: [{ Subnet: '10.8.0.0/29' }] } });
  const svc = await f.service('web', ['tiny']);
  const tasks = await f.addTasks(svc, 5);
  await f.settled();
  const net = subnetOf(f, 'tiny');
  const live = liveTaskAddresses(f.tasks(), net.id);
  assert.equal(live.length, 3, '6 addresses: gateway, host, VIP and 3 tasks');
  assert.equal(new Set(live).size, 3);
  const waiting = f.tasks().filter((t) => t.Status.State === 'new');
  assert.equal(waiting.length, 2);
  for (const t of waiting) assert.equal(t.Status.Err, 'network tiny has no free address left (all 6 in use); remove tasks or use a larger --subnet');
  assert.ok(f.warnings.some((w) => /^network tiny is (8\d|9\d|100)% full/.test(w)), `80% warning logged: ${f.warnings.join(' | ')}`);

  const done = tasks.find((t) => f.tasks().find((x) => x.ID === t.ID)!.Status.State === 'pending')!;
  await f.setState([done.ID], 'complete');
  await f.until('a waiting task to get the freed address', () => f.tasks().filter((t) => t.Status.State === 'new').length === 1);
  const now = liveTaskAddresses(f.tasks(), net.id);
  assert.equal(new Set(now).size, 3);
  const got = f.tasks().find((t) => waiting.some((w) => w.ID === t.ID) && t.Status.State === 'pending')!;
  assert.equal(got.Status.Err, undefined, 'the error is gone once allocated');
  await f.close();
});

test('ingress can be removed and created again: it gets 10.0.0.0/24 and VNI 4096 back, hosts a new address on it', async () => {
  const f = await new AllocatorFixture().start();
  await f.network({ Name: 'ingress', Ingress: true });
  await f.network({ Name: 'appnet' });
  await f.until('networks', () => allocated(f, 'ingress')() && allocated(f, 'appnet')());
  await f.until('host addresses', () => f.store.view((tx) => tx.get('nodes', NODE)!.Attachments?.length === 2));
  await f.store.update((tx) => removeNetwork(tx, 'ingress'));
  await f.until('the host to leave ingress', () => f.store.view((tx) => tx.get('nodes', NODE)!.Attachments?.length === 1));
  await f.network({ Name: 'ingress', Ingress: true });
  await f.until('ingress again', allocated(f, 'ingress'));
  const again = subnetOf(f, 'ingress');
  assert.deepEqual([again.Subnet, again.vni], ['10.0.0.0/24', 4096]);
  assert.equal(subnetOf(f, 'appnet').Subnet, '10.0.1.0/24');
  await f.until('a host address on the new ingress', () => f.store.view((tx) => !!tx.get('nodes', NODE)!.Attachments?.some((a) => a.NetworkID === again.id)));
  const web = await f.service('web', ['appnet'], { EndpointSpec: { Mode: 'vip', Ports: [{ TargetPort: 80, PublishedPort: 8080 }] } });
  await f.until('the service VIPs', () => f.store.view((tx) => tx.get('services', web.ID)!.Endpoint?.VirtualIPs?.length === 2));
  await f.close();
});

test('a restarted allocator never gives a held address and goes on after the last one given, not the lowest free', async () => {
  const f = await new AllocatorFixture().start();
  await f.network({ Name: 'appnet', IPAM: { Config: [{ Subnet: '10.7.0.0/24' }] } });
  const svc = await f.service('web', ['appnet']);
  const first = await f.addTasks(svc, 10);
  await f.settled();
  const net = subnetOf(f, 'appnet');
  // .2 host, .3 VIP, tasks .4-.13; the last two finish (freed moments ago), then a restart.
  await f.setState(first.slice(-2).map((t) => t.ID), 'complete');
  await f.restart();
  await f.addTasks(svc, 3);
  await f.settled();
  const live = liveTaskAddresses(f.tasks(), net.id);
  assert.equal(new Set(live).size, live.length, 'no duplicates');
  assert.deepEqual(live.slice(-3).sort(), ['10.7.0.14', '10.7.0.15', '10.7.0.16'], 'after .13, the newest task\'s address, although .12 and .13 are free');
  await f.close();
});
