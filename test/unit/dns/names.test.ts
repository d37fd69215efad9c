import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RCode, RRType } from '../../../src/dns/wire/constants.js';
import type { DnsMessage } from '../../../src/dns/wire/message.js';
import { addressesOf } from './client.js';
import { sampleTable } from './fixtures.js';
import { HandlerHarness } from './handler-harness.js';

// Askers (see fixtures.ts): web.1 is on appnet (and ingress), cache.1 on backnet, db.1 on both.
const WEB1 = '10.0.1.11';
const CACHE1 = '10.0.2.31';
const DB1 = '10.0.1.21';
const rcodeOf = (m: DnsMessage): number => m.flags & 0xf;
const sorted = (xs: string[]): string[] => [...xs].sort();

test('<service> answers the VIP in vip mode with the long TTL, authoritatively', async () => {
  const h = new HandlerHarness(sampleTable());
  const m = await h.ask(WEB1, 'web');
  assert.equal(rcodeOf(m), RCode.NOERROR);
  assert.deepEqual(addressesOf(m), ['10.0.1.5']);
  assert.equal(m.answers[0]!.ttl, 600);
  assert.ok(m.flags & 0x0400, 'AA');
  assert.equal(m.answers[0]!.name, 'web');
});

test('tasks.<service> answers every serving task on the asker\'s networks with the short TTL, rotating', async () => {
  const h = new HandlerHarness(sampleTable());
  const orders: string[][] = [];
  for (let i = 0; i < 4; i++) orders.push(addressesOf(await h.ask(WEB1, 'tasks.web')));
  assert.deepEqual(sorted(orders[0]!), ['10.0.1.11', '10.0.1.12', '10.0.1.13']);
  assert.deepEqual(orders[0], ['10.0.1.11', '10.0.1.12', '10.0.1.13']);
  assert.deepEqual(orders[1], ['10.0.1.12', '10.0.1.13', '10.0.1.11']);
  assert.deepEqual(orders[2], ['10.0.1.13', '10.0.1.11', '10.0.1.12']);
  assert.deepEqual(orders[3], orders[0]);
  assert.equal((await h.ask(WEB1, 'tasks.web')).answers[0]!.ttl, 5);
});

test('a dnsrr service answers its task addresses with the short TTL', async () => {
  const h = new HandlerHarness(sampleTable());
  const m = await h.ask(WEB1, 'db');
  assert.deepEqual(sorted(addressesOf(m)), ['10.0.1.21', '10.0.1.22']);
  assert.ok(m.answers.every((r) => r.ttl === 5));
});

test('TTLs are configurable', async () => {
  const h = new HandlerHarness(sampleTable(), { service: 30, task: 1 });
  assert.equal((await h.ask(WEB1, 'web')).answers[0]!.ttl, 30);
  assert.equal((await h.ask(WEB1, 'tasks.web')).answers[0]!.ttl, 1);
});

test('qualified names <service>.<network> and tasks.<service>.<network>, aliases, task names', async () => {
  const h = new HandlerHarness(sampleTable());
  assert.deepEqual(addressesOf(await h.ask(WEB1, 'web.appnet')), ['10.0.1.5']);
  assert.equal((await h.ask(WEB1, 'tasks.web.appnet')).answers.length, 3);
  assert.deepEqual(addressesOf(await h.ask(WEB1, 'www')), ['10.0.1.5'], 'an alias is another name of the service');
  assert.equal((await h.ask(WEB1, 'tasks.www')).answers.length, 3);
  assert.deepEqual(addressesOf(await h.ask(WEB1, 'web.2.bbb')), ['10.0.1.12']);
  assert.deepEqual(addressesOf(await h.ask(WEB1, 'web.2.bbb.appnet')), ['10.0.1.12']);
  assert.deepEqual(addressesOf(await h.ask(WEB1, 'db.1.ddd')), ['10.0.1.21']);
});

test('the short task name web.1 is not a name (as in Docker): it is forwarded', async () => {
  const h = new HandlerHarness(sampleTable());
  const m = await h.ask(WEB1, 'web.1');
  assert.equal(rcodeOf(m), RCode.SERVFAIL, 'the test upstream answers nothing');
  assert.equal(h.forwarded.length, 1);
});

test('names are matched without case; the answer keeps the question as asked', async () => {
  const h = new HandlerHarness(sampleTable());
  const m = await h.ask(WEB1, 'TASKS.Web.APPNET');
  assert.equal(m.answers.length, 3);
  assert.equal(m.questions[0]!.name, 'TASKS.Web.APPNET');
  assert.equal(m.answers[0]!.name, 'TASKS.Web.APPNET');
});

test('PTR for a VIP and a task address; an unknown address in an overlay subnet is NXDOMAIN, outside it forwarded', async () => {
  const h = new HandlerHarness(sampleTable());
  assert.equal((await h.ask(WEB1, '5.1.0.10.in-addr.arpa', RRType.PTR)).answers[0]!.data, 'web.appnet');
  const task = (await h.ask(WEB1, '12.1.0.10.in-addr.arpa', RRType.PTR)).answers[0]!;
  assert.equal(task.data, 'web.2.bbb.appnet');
  assert.equal(task.ttl, 5);
  assert.equal(rcodeOf(await h.ask(WEB1, '99.1.0.10.in-addr.arpa', RRType.PTR)), RCode.NXDOMAIN);
  assert.equal(rcodeOf(await h.ask(WEB1, '31.2.0.10.in-addr.arpa', RRType.PTR)), RCode.NXDOMAIN, 'a backnet task, asked from appnet');
  assert.equal(h.forwarded.length, 0);
  await h.ask(WEB1, '1.2.0.192.in-addr.arpa', RRType.PTR);
  assert.equal(h.forwarded.length, 1);
});

test('AAAA, MX and other types of a known name are an empty NOERROR (NODATA), not NXDOMAIN', async () => {
  const h = new HandlerHarness(sampleTable());
  for (const type of [RRType.AAAA, RRType.MX, RRType.TXT, RRType.SRV]) {
    const m = await h.ask(WEB1, 'web', type);
    assert.equal(rcodeOf(m), RCode.NOERROR);
    assert.equal(m.answers.length, 0);
  }
  assert.equal((await h.ask(WEB1, 'web', RRType.ANY)).answers.length, 1);
  assert.equal(h.metrics.byClass.service.nodata, 4);
});

test('names only on networks the asker is not on are NXDOMAIN; the ingress network publishes none', async () => {
  const h = new HandlerHarness(sampleTable());
  for (const name of ['cache', 'tasks.cache', 'cache.backnet', 'cache.1.fff']) assert.equal(rcodeOf(await h.ask(WEB1, name)), RCode.NXDOMAIN, name);
  for (const name of ['web', 'tasks.web', 'www', 'web.1.aaa']) assert.equal(rcodeOf(await h.ask(CACHE1, name)), RCode.NXDOMAIN, name);
  assert.equal(rcodeOf(await h.ask(WEB1, 'web.ingress')), RCode.SERVFAIL, 'not a name: forwarded');
  assert.equal(rcodeOf(await h.ask('10.0.0.11', 'web')), RCode.REFUSED, 'an ingress address is no asker');
  assert.equal(h.metrics.byClass.service.nxdomain, 4); // cache, cache.backnet, web, www
  assert.equal(h.metrics.byClass.tasks.nxdomain, 2);
  assert.equal(h.metrics.byClass.task.nxdomain, 2);
});

test('a task on two networks sees both; a name on both answers the addresses of each', async () => {
  const h = new HandlerHarness(sampleTable());
  assert.deepEqual(addressesOf(await h.ask(DB1, 'cache')), ['10.0.2.5']);
  assert.deepEqual(addressesOf(await h.ask(DB1, 'web')), ['10.0.1.5']);
  assert.deepEqual(sorted(addressesOf(await h.ask(DB1, 'tasks.db'))), ['10.0.1.21', '10.0.1.22', '10.0.2.21']);
  assert.deepEqual(addressesOf(await h.ask(DB1, 'tasks.db.backnet')), ['10.0.2.21']);
  assert.deepEqual(addressesOf(await h.ask('10.0.2.21', 'cache')), ['10.0.2.5'], 'asked from its backnet address');
});

test('a source in an overlay subnet that is not a serving task (one starting) sees that network', async () => {
  const h = new HandlerHarness(sampleTable());
  assert.deepEqual(addressesOf(await h.ask('10.0.1.200', 'web')), ['10.0.1.5']);
  assert.equal(rcodeOf(await h.ask('10.0.1.200', 'cache')), RCode.NXDOMAIN);
  assert.deepEqual(addressesOf(await h.ask('10.0.2.200', 'cache')), ['10.0.2.5']);
});

test('an unknown source gets REFUSED for internal names and forwarding for the rest', async () => {
  const h = new HandlerHarness(sampleTable());
  assert.equal(rcodeOf(await h.ask('192.168.7.9', 'web')), RCode.REFUSED);
  assert.equal(rcodeOf(await h.ask('127.0.0.1', '11.1.0.10.in-addr.arpa', RRType.PTR)), RCode.REFUSED);
  assert.equal(h.metrics.refused, 2);
  assert.equal(h.forwarded.length, 0);
  await h.ask('192.168.7.9', 'example.com');
  assert.equal(h.forwarded.length, 1);
});

test('a service with no serving task: tasks.<svc> (and a dnsrr name) is an empty NOERROR, never cached as negative (no SOA)', async () => {
  const table = sampleTable();
  table.tasks = table.tasks.filter((t) => t.serviceId !== 'svcdb');
  const h = new HandlerHarness(table);
  for (const name of ['db', 'tasks.db']) {
    const m = await h.ask(WEB1, name);
    assert.equal(rcodeOf(m), RCode.NOERROR, name);
    assert.equal(m.answers.length + m.authorities.length, 0);
  }
});

test('an address two tasks claim is trusted for neither (no mixing of networks)', async () => {
  const table = sampleTable();
  table.tasks.push({ taskId: 'zzz', serviceId: 'svccache', name: 'cache.2.zzz', nodeId: 'n1', addresses: { net_back: '10.0.1.11/24' } });
  const h = new HandlerHarness(table);
  // Falls back to the subnet rule: 10.0.1.11 is in appnet's subnet.
  assert.deepEqual(addressesOf(await h.ask(WEB1, 'web')), ['10.0.1.5']);
  assert.equal(rcodeOf(await h.ask(WEB1, 'cache')), RCode.NXDOMAIN);
});

test('classes that are not IN or ANY are forwarded', async () => {
  const h = new HandlerHarness(sampleTable());
  const m = { ...(await import('./client.js')).query('web') };
  m.questions = [{ name: 'web', type: RRType.A, class: 3 }];
  await h.send(WEB1, m);
  assert.equal(h.forwarded.length, 1);
});
