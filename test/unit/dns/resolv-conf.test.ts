import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseResolvConf } from '../../../src/dns/index.js';
import { upstreamsOf } from '../../../src/dns/forward/resolv-conf.js';

test('resolv.conf: nameservers, the last search line, options; comments and zones dropped', () => {
  const conf = parseResolvConf('# generated\nnameserver 10.255.255.53\nnameserver fe80::1%eth0 ; zone\nnameserver bogus\ndomain a.example\nsearch b.example c.example\noptions ndots:2 timeout:1\n');
  assert.deepEqual(conf, { nameservers: ['10.255.255.53', 'fe80::1'], search: ['b.example', 'c.example'], options: ['ndots:2', 'timeout:1'] });
});

test('upstreams: port 53, never one of our own addresses, 127.0.0.1 when none is given', () => {
  const conf = parseResolvConf('nameserver 10.0.1.2\nnameserver 192.168.1.1\n');
  assert.deepEqual(upstreamsOf(conf, ['10.0.1.2']), [{ host: '192.168.1.1', port: 53 }]);
  assert.deepEqual(upstreamsOf(parseResolvConf(''), []), [{ host: '127.0.0.1', port: 53 }]);
});
