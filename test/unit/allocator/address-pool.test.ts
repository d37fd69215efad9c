import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AddressPool } from '../../../src/cluster/allocator/address-pool.js';
import { firstFreeSubnet, parseCidr, formatCidr } from '../../../src/cluster/allocator/ipv4.js';

test('addresses are handed out serially, skip the gateway, and a /24 holds 253 tasks', () => {
  const pool = new AddressPool('10.0.1.0/24', '10.0.1.1');
  assert.equal(pool.allocate(), '10.0.1.2/24');
  assert.equal(pool.allocate(), '10.0.1.3/24');
  pool.release('10.0.1.2/24');
  assert.equal(pool.allocate(), '10.0.1.4/24', 'a freed address is not reused at once');
  const all = new Set(['10.0.1.3/24', '10.0.1.4/24']);
  for (;;) {
    const a = pool.allocate();
    if (!a) break;
    assert.ok(!all.has(a), `${a} given twice`);
    all.add(a);
  }
  assert.equal(all.size, 253);
  assert.ok(!all.has('10.0.1.0/24') && !all.has('10.0.1.255/24') && !all.has('10.0.1.1/24'));
});

test('churn through a /24 never gives an address twice while it is held', () => {
  const pool = new AddressPool('10.0.9.0/24', '10.0.9.1');
  const held: string[] = [];
  const holding = new Set<string>();
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < 5000; i++) {
    if (held.length > 0 && (rand() < 0.45 || held.length > 240)) {
      const [addr] = held.splice(Math.floor(rand() * held.length), 1);
      pool.release(addr);
      holding.delete(addr);
    } else {
      const addr = pool.allocate();
      assert.ok(addr, 'pool ran dry while addresses were free');
      assert.ok(!holding.has(addr), `${addr} given twice`);
      held.push(addr);
      holding.add(addr);
    }
  }
});

test('subnets are cut from the pool without overlapping those in use', () => {
  const pool = parseCidr('10.0.0.0/8');
  const used = [parseCidr('10.0.0.0/24'), parseCidr('10.0.1.0/24'), parseCidr('10.0.2.128/25')];
  assert.equal(formatCidr(firstFreeSubnet(pool, 24, used)!), '10.0.3.0/24');
  assert.throws(() => parseCidr('10.0.0.0/33'), /invalid CIDR/);
  assert.throws(() => parseCidr('10.0.300.0/24'), /invalid IPv4/);
});

test('a pool rebuilt from what is in use goes on after the highest address', () => {
  const pool = new AddressPool('10.0.5.0/24', '10.0.5.1');
  pool.reserve('10.0.5.7/24');
  pool.reserve('10.0.5.3/24');
  pool.resumeAfterHighest();
  assert.equal(pool.allocate(), '10.0.5.8/24');
});

test('capacity and use count the range only; the gateway and auxiliary addresses are never handed out', () => {
  const pool = new AddressPool('10.9.0.0/24', '10.9.0.130', '10.9.0.128/30', ['10.9.0.129']);
  assert.deepEqual([pool.capacity, pool.inUse], [4, 2], '.128-.131, none of them network or broadcast; gateway and aux taken');
  assert.deepEqual([pool.allocate(), pool.allocate(), pool.allocate()], ['10.9.0.131/24', '10.9.0.128/24', undefined]);
  pool.clear();
  assert.equal(pool.inUse, 2, 'clear keeps the fixed reservations');
  assert.equal(new AddressPool('10.8.0.0/29', '10.8.0.1').capacity, 6);
});
