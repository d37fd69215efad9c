import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveUser } from '../../../src/runtime/process/user.js';

const passwd = 'root:x:0:0:root:/root:/bin/sh\nweb:x:1000:1000::/home/web:/bin/sh\n# comment\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n';
const group = 'root:x:0:\nweb:x:1000:\nadm:x:4:web,ops\nnogroup:x:65534:\n';

test('users resolve by name or uid, with their primary group, supplementary groups and home', () => {
  assert.deepEqual(resolveUser(undefined, passwd, group), { uid: 0, gid: 0, groups: [0], home: '/root' });
  assert.deepEqual(resolveUser('web', passwd, group), { uid: 1000, gid: 1000, groups: [1000, 4], home: '/home/web' });
  assert.deepEqual(resolveUser('65534', passwd, group), { uid: 65534, gid: 65534, groups: [65534], home: '/nonexistent' });
  assert.deepEqual(resolveUser('web:nogroup', passwd, group), { uid: 1000, gid: 65534, groups: [65534, 4], home: '/home/web' });
});

test('numeric users and groups unknown to the image are used as given', () => {
  assert.deepEqual(resolveUser('4242:4343', passwd, group), { uid: 4242, gid: 4343, groups: [4343], home: '/' });
  assert.deepEqual(resolveUser('4242', '', ''), { uid: 4242, gid: 0, groups: [0], home: '/' });
});

test('unknown names are refused with runc wording', () => {
  assert.throws(() => resolveUser('ghost', passwd, group), /unable to find user ghost: no matching entries in passwd file/);
  assert.throws(() => resolveUser('web:ghosts', passwd, group), /unable to find group ghosts: no matching entries in group file/);
});
