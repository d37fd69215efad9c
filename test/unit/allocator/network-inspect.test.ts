import { test } from 'node:test';
import assert from 'node:assert/strict';
import { networkDetail } from '../../../src/api/shape/network-detail.js';
import { shapeNetwork } from '../../../src/api/shape/network.js';
import { AllocatorFixture, NODE } from './fixture.js';

test('network inspect: tasks and hosts with their addresses and MACs, peers with their underlay address, address use', async () => {
  const f = await new AllocatorFixture().start();
  await f.network({ Name: 'tiny', IPAM: { Config: [{ Subnet: '10.8.0.0/29' }] } });
  const svc = await f.service('web', ['tiny']);
  const [t1, t2] = await f.addTasks(svc, 2);
  await f.settled();
  await f.store.update((tx) => {
    const t = tx.get('tasks', t1!.ID)!;
    tx.update('tasks', { ...t, Status: { ...t.Status, State: 'running', ContainerStatus: { ContainerID: 'c0ffee', PID: 7, ExitCode: 0 } } });
  });
  const body = f.store.view((tx) => {
    const net = tx.find('networks', 'name', 'tiny')[0]!;
    return shapeNetwork(net, networkDetail(tx, net)) as Record<string, unknown>;
  });
  assert.deepEqual(body['Containers'], {
    c0ffee: { Name: `web.1.${t1!.ID}`, EndpointID: t1!.ID, MacAddress: '02:42:0a:08:00:04', IPv4Address: '10.8.0.4/29', IPv6Address: '' },
    [t2!.ID]: { Name: `web.2.${t2!.ID}`, EndpointID: t2!.ID, MacAddress: '02:42:0a:08:00:05', IPv4Address: '10.8.0.5/29', IPv6Address: '' },
    [`host-${NODE}`]: { Name: NODE, EndpointID: NODE, MacAddress: '02:aa:0a:08:00:02', IPv4Address: '10.8.0.2/29', IPv6Address: '' },
  });
  assert.deepEqual(body['Peers'], [{ Name: NODE, IP: '192.168.77.1' }]);
  const options = body['Options'] as Record<string, string>;
  assert.equal(options['shoal.ipam.usage'], '5/6', 'gateway, host, VIP and two tasks of six');
  assert.equal(options['shoal.ipam.warning'], "83% of the network's addresses are in use: new tasks fail once the last one is taken");
  assert.ok(options['com.docker.network.driver.overlay.vxlanid_list']);
  const listed = f.store.view((tx) => shapeNetwork(tx.find('networks', 'name', 'tiny')[0]!)) as Record<string, unknown>;
  assert.equal(listed['Containers'], null, 'the list stays as Docker shows it');
  assert.ok(!('Peers' in listed));
  await f.close();
});
