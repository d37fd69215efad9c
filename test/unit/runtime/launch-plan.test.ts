import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodePlan } from '../../../src/runtime/process/supervisor-plan.js';
import { viewOps, type ViewOp } from '../../../src/runtime/process/view-plan.js';

const secret = { target: '/run/secrets/db', data: Buffer.from('pw'), uid: 0, gid: 0, mode: 0o400, secret: true };
const summary = (ops: ViewOp[]) => ops.map((o) => `${o.op} ${'target' in o && o.op !== 'symlink' ? o.target : 'path' in o ? o.path : o.op === 'pivot' ? o.root : ''}`);

test('an image view: overlay, /proc, /dev, secrets on a tmpfs bound read-only, binds, then pivot_root', () => {
  const ops = viewOps({
    image: { rootfs: '/img/rootfs', upper: '/t/upper', work: '/t/work', root: '/t/root' },
    binds: [{ source: '/t/files/hosts', target: '/etc/hosts', readOnly: false }],
    secretsDir: '/t/secrets',
    secrets: [secret],
    cwd: '/app',
  });
  const s = summary(ops);
  assert.deepEqual(s.slice(0, 5), ['mount /t/root', 'mkdir /t/root/proc', 'mount /t/root/proc', 'mkdir /t/root/dev', 'mount /t/root/dev']);
  assert.ok(s.includes('mknod /t/root/dev/null') && s.includes('mount /t/root/dev/shm'));
  const rest = s.slice(s.indexOf('mount /t/root/dev/shm') + 1);
  assert.deepEqual(rest, [
    'mount /t/secrets',
    'file /t/secrets/0',
    'mkdir /t/root/etc',
    'touch /t/root/etc/hosts',
    'mount /t/root/etc/hosts',
    'mkdir /t/root/run/secrets',
    'touch /t/root/run/secrets/db',
    'mount /t/root/run/secrets/db',
    'mount /t/root/run/secrets/db',
    'mkdir /t/root/app',
    'pivot /t/root',
  ]);
  assert.deepEqual(ops[0], { op: 'mount', source: 'overlay', target: '/t/root', fstype: 'overlay', flags: 0, data: 'lowerdir=/img/rootfs,upperdir=/t/upper,workdir=/t/work' });
});

test("a host view: drops the host's namespace mounts, private /run and a fresh /proc, no pivot", () => {
  const s = summary(viewOps({ binds: [], secretsDir: '/t/secrets', secrets: [], cwd: '/' }));
  assert.deepEqual(s, ['detach /run/netns', 'mount /run', 'mount /proc']);
});

test('the plan is one line per instruction with hex arguments, binary-safe', () => {
  const plan = encodePlan({
    arch: 'x64',
    ip: [{ args: ['-n', 'ns1'], batch: 'link set lo up\n' }],
    netnsPath: '/run/netns/ns1',
    logFile: '/t/log',
    pidFile: '/t/pid.json',
    exitFile: '/t/exit.json',
    hostname: 'h',
    view: [{ op: 'file', path: '/s/0', mode: 0o400, uid: 0, gid: 0, data: Buffer.from([0, 10, 255]) }],
    user: { uid: 1000, gid: 1000, groups: [1000, 4], home: '/' },
    cwd: '/',
    env: ['A=b c'],
    argv: ['sh', '-c', 'echo "hi there"'],
  });
  const lines = plan.trimEnd().split('\n');
  const hex = (s: string) => Buffer.from(s).toString('hex');
  assert.equal(lines[0], `arch ${hex('x64')}`);
  assert.equal(lines[1], `ip ${hex('link set lo up\n')} ${hex('-n')} ${hex('ns1')}`);
  assert.ok(lines.includes(`op ${hex('file')} ${hex('/s/0')} ${hex('400')} ${hex('0')} ${hex('0')} 000aff`));
  assert.ok(lines.includes(`user ${hex('1000')} ${hex('1000')} ${hex('1000')} ${hex('4')}`));
  assert.deepEqual(lines.slice(-3), ['arg ' + hex('sh'), 'arg ' + hex('-c'), 'arg ' + hex('echo "hi there"')]);
});
