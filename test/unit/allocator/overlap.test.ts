import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AllocatorFixture } from './fixture.js';

test('network create refuses a subnet that overlaps another network, given or allocated from the pool', async () => {
  const f = await new AllocatorFixture().start();
  await f.network({ Name: 'ingress', Ingress: true });
  await f.network({ Name: 'given', IPAM: { Config: [{ Subnet: '10.5.0.0/16' }] } });
  await f.until('ingress allocated', () => f.store.view((tx) => tx.find('networks', 'name', 'ingress')[0]!.IPAMOptions.Configs.length === 1));
  const refusals: [string, string[], RegExp][] = [
    ['a', ['10.0.0.128/25'], /^rpc error: code = InvalidArgument desc = ipam configuration: subnet 10.0.0.128\/25 overlaps network ingress \(10.0.0.0\/24\); choose a subnet that overlaps no other network$/],
    ['b', ['10.0.0.0/8'], /overlaps network ingress/],
    ['c', ['10.5.7.0/24'], /subnet 10.5.7.0\/24 overlaps network given \(10.5.0.0\/16\)/],
    ['d', ['10.6.0.0/24', '10.6.0.0/25'], /subnet 10.6.0.0\/25 overlaps another subnet of this network \(10.6.0.0\/24\)/],
  ];
  for (const [name, subnets, message] of refusals) {
    await assert.rejects(f.network({ Name: name, IPAM: { Config: subnets.map((Subnet) => ({ Subnet })) } }), (err: Error & { status?: number }) => message.test(err.message));
  }
  await f.network({ Name: 'e', IPAM: { Config: [{ Subnet: '10.0.1.0/24' }] } });
  await f.network({ Name: 'pooled' });
  await f.until('pooled allocated', () => f.store.view((tx) => tx.find('networks', 'name', 'pooled')[0]!.IPAMOptions.Configs.length === 1));
  assert.equal(f.store.view((tx) => tx.find('networks', 'name', 'pooled')[0]!.IPAMOptions.Configs[0]!.Subnet), '10.0.2.0/24', 'the pool goes around given subnets');
  await f.close();
});
