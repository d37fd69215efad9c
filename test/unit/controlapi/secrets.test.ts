import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFilters } from '../../../src/cluster/controlapi/filters.js';
import { createSecret, listSecrets, removeSecret, updateSecret } from '../../../src/cluster/controlapi/secrets.js';
import { createService } from '../../../src/cluster/controlapi/services.js';
import { rejects } from './assert-error.js';
import { cliServiceSpec, openStore } from './fixture.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

test('secrets: create, name and data rules, labels-only updates, removal refused while used', async () => {
  const { store, close } = await openStore();
  const s1 = await store.update((tx) => createSecret(tx, 'secrets', { Name: 's1', Labels: {}, Data: b64('supersecret-value') }));
  const before = store.view((tx) => tx.index);
  await rejects(() => store.update((tx) => createSecret(tx, 'secrets', { Name: 's1', Labels: {}, Data: b64('x') })), 409, 'rpc error: code = AlreadyExists desc = secret s1 already exists');
  await rejects(
    () => store.update((tx) => createSecret(tx, 'secrets', { Name: '.bad', Labels: {}, Data: b64('x') })),
    400,
    /invalid name, only 64 \[a-zA-Z0-9-_.\] characters allowed/,
  );
  await rejects(() => store.update((tx) => createSecret(tx, 'secrets', { Name: 'e', Labels: {}, Data: '' })), 400, 'rpc error: code = InvalidArgument desc = secret data must be larger than 0 and less than 512000 bytes');
  await rejects(() => store.update((tx) => createSecret(tx, 'secrets', { Name: 'e', Labels: {}, Data: 'a$b=' })), 400, 'illegal base64 data at input byte 1');
  await rejects(
    () => store.update((tx) => createSecret(tx, 'secrets', { Name: 'big', Labels: {}, Data: Buffer.alloc(500 * 1024).toString('base64') })),
    400,
    /less than 512000 bytes/,
  );
  assert.equal(store.view((tx) => tx.index), before);

  await rejects(
    () => store.update((tx) => updateSecret(tx, 'secrets', 's1', s1.Version.Index, { Name: 's1', Labels: {}, Data: b64('other') })),
    400,
    'rpc error: code = InvalidArgument desc = only updates to Labels are allowed',
  );
  const u = await store.update((tx) => updateSecret(tx, 'secrets', 's1', s1.Version.Index, { Name: 's1', Labels: { a: 'b' } }));
  assert.deepEqual(u.Spec.Labels, { a: 'b' });
  assert.equal(u.Spec.Data, b64('supersecret-value'));

  const ref = { SecretID: s1.ID, SecretName: 's1', File: { Name: 's1', UID: '0', GID: '0', Mode: 292 } };
  await store.update((tx) => createService(tx, cliServiceSpec('web', { TaskTemplate: { ContainerSpec: { Image: 'a', Secrets: [ref] } } })));
  await rejects(() => store.update((tx) => removeSecret(tx, 'secrets', 's1')), 400, "rpc error: code = InvalidArgument desc = secret 's1' is in use by the following service: web");
  await close();
});

test('configs: their own limit and wording; filters by names, name prefix, id prefix, label', async () => {
  const { store, close } = await openStore();
  const c1 = await store.update((tx) => createSecret(tx, 'configs', { Name: 'c1', Labels: { env: 'prod' }, Data: b64('key=value\n') }));
  await store.update((tx) => createSecret(tx, 'configs', { Name: 'c10', Labels: {}, Data: b64('x') }));
  await rejects(() => store.update((tx) => createSecret(tx, 'configs', { Name: 'c1', Labels: {}, Data: b64('x') })), 409, 'rpc error: code = AlreadyExists desc = config c1 already exists');
  const names = (f: string): string[] => store.view((tx) => listSecrets(tx, 'configs', parseFilters(f)).map((c) => c.Spec.Name).sort());
  assert.deepEqual(names('{"name":{"c1":true}}'), ['c1', 'c10']);
  assert.deepEqual(names('{"names":{"c1":true}}'), ['c1']);
  assert.deepEqual(names(`{"id":{"${c1.ID.slice(0, 6)}":true}}`), ['c1']);
  assert.deepEqual(names('{"label":{"env=prod":true}}'), ['c1']);
  await store.update((tx) => removeSecret(tx, 'configs', 'c10'));
  await rejects(() => store.update((tx) => removeSecret(tx, 'configs', 'c10')), 404, 'config c10 not found');
  await close();
});
