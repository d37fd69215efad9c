import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostsFile, resolvConf } from '../../../src/runtime/process/etc-files.js';

const net = (address: string) => ({ networkId: 'n', networkName: 'appnet', address, gateway: '10.0.1.1', bridge: 'br0', mtu: 1450 });

test('hosts has loopback names and the task addresses under its hostname', () => {
  const hosts = hostsFile('web1', [net('10.0.1.5/24'), net('10.0.2.7/24')]);
  assert.match(hosts, /^127\.0\.0\.1\tlocalhost\n/);
  assert.match(hosts, /\n10\.0\.1\.5\tweb1\n10\.0\.2\.7\tweb1\n$/);
});

test('resolv.conf uses the embedded DNS with ndots:0, keeping search domains and options', () => {
  const host = 'search corp.example\nnameserver 10.1.1.1\noptions ndots:2 timeout:1\n';
  assert.equal(resolvConf(host, '10.0.1.1'), 'search corp.example\nnameserver 10.0.1.1\noptions timeout:1 ndots:0\n');
});

test('resolv.conf without a DNS server keeps the host resolvers but loopback ones, falling back to public ones', () => {
  assert.equal(resolvConf('nameserver 127.0.0.53\nnameserver 10.2.2.2\n'), 'nameserver 10.2.2.2\n');
  assert.equal(resolvConf('nameserver 127.0.0.53\n'), 'nameserver 8.8.8.8\nnameserver 8.8.4.4\n');
});
