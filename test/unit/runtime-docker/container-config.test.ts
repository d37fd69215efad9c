import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SANDBOX_FILES_DIR, sandboxConfig, taskConfig } from '../../../src/runtime/docker/container-config.js';
import { LABEL_EXECUTOR, LABEL_NETWORKS, LABEL_ROLE, LABEL_TASK, ownFilter } from '../../../src/runtime/docker/labels.js';
import { hostSideBatch } from '../../../src/runtime/process/task-network.js';
import type { TaskRunSpec } from '../../../src/runtime/types.js';

const spec: TaskRunSpec = {
  taskId: 'abcdefghijklmnopqrstuvwxy',
  name: 'web.1.abcdefghijklmnopqrstuvwxy',
  serviceName: 'web',
  image: 'busybox:latest',
  command: [],
  args: [],
  env: ['A=1'],
  hostname: 'web-host',
  networks: [
    { networkId: 'n1', networkName: 'appnet', address: '10.0.1.5/24', gateway: '10.0.1.1', bridge: 'br-n1', mtu: 1450 },
    { networkId: 'n2', networkName: 'backend', address: '10.0.2.9/24', gateway: '10.0.2.1', bridge: 'br-n2', mtu: 1450 },
  ],
  files: [],
  stopSignal: 'SIGTERM',
  stopGracePeriodMs: 2500,
  labels: { 'com.docker.swarm.task.id': 'abcdefghijklmnopqrstuvwxy', 'com.docker.swarm.service.name': 'web' },
  dnsServer: '10.0.1.1',
};

test('the sandbox: pause image, networking off, hostname, the task addresses in /etc/hosts, embedded DNS', () => {
  const c = sandboxConfig(spec, 'shoal-1', 'shoal-pause:abc');
  assert.equal(c.name, 'web.1.abcdefghijklmnopqrstuvwxy.sandbox');
  assert.equal(c.Image, 'shoal-pause:abc');
  assert.deepEqual(c.Entrypoint, ['/pause']);
  assert.equal(c.Hostname, 'web-host');
  assert.deepEqual(c.Labels, { [LABEL_EXECUTOR]: 'shoal-1', [LABEL_TASK]: spec.taskId, [LABEL_ROLE]: 'sandbox', [LABEL_NETWORKS]: '2' });
  assert.equal(c.HostConfig?.NetworkMode, 'none');
  assert.deepEqual(c.HostConfig?.ExtraHosts, ['web-host:10.0.1.5', 'web-host:10.0.2.9']);
  assert.deepEqual(c.HostConfig?.Dns, ['10.0.1.1']);
  assert.deepEqual(c.HostConfig?.DnsOptions, ['ndots:0']);
  assert.equal(c.HostConfig?.Mounts, undefined);

  const noDns = sandboxConfig({ ...spec, dnsServer: undefined, hostname: '' }, 'shoal-1', 'p', 'vol');
  assert.equal(noDns.Hostname, 'abcdefghijkl', 'the short task ID when the spec has no hostname');
  assert.equal(noDns.HostConfig?.Dns, undefined, "the engine's resolvers from the host");
  assert.deepEqual(noDns.HostConfig?.Mounts, [{ Type: 'volume', Source: 'vol', Target: SANDBOX_FILES_DIR }]);
});

test("the task's container: in the sandbox's namespace, swarm labels, stop signal and timeout, files bound read-only", () => {
  const c = taskConfig(spec, 'shoal-1', 'sandbox-id', 'SIGTERM');
  assert.equal(c.name, spec.name);
  assert.equal(c.HostConfig?.NetworkMode, 'container:sandbox-id');
  assert.equal(c.Entrypoint, undefined, "the image's entrypoint and command when the spec has none");
  assert.equal(c.Cmd, undefined);
  assert.equal(c.Labels?.['com.docker.swarm.service.name'], 'web');
  assert.equal(c.Labels?.[LABEL_ROLE], 'task');
  assert.equal(c.StopSignal, 'SIGTERM');
  assert.equal(c.StopTimeout, 3);
  assert.deepEqual(c.HostConfig?.Mounts, []);
  assert.equal(c.Healthcheck, undefined);

  const full = taskConfig(
    {
      ...spec,
      command: ['httpd'],
      args: ['-f', '-p', '80'],
      dir: '/srv',
      user: 'nobody',
      healthCheck: { Test: ['CMD', 'true'], Interval: 1e9 },
      files: [
        { target: '/run/secrets/db', data: Buffer.from('x'), uid: 0, gid: 0, mode: 0o400, secret: true },
        { target: '/etc/app.conf', data: Buffer.from('y'), uid: 0, gid: 0, mode: 0o444, secret: false },
      ],
    },
    'shoal-1',
    'sandbox-id',
    'SIGQUIT',
    '/var/lib/docker/volumes/v/_data',
  );
  assert.deepEqual([full.Entrypoint, full.Cmd, full.WorkingDir, full.User], [['httpd'], ['-f', '-p', '80'], '/srv', 'nobody']);
  assert.deepEqual(full.Healthcheck, { Test: ['CMD', 'true'], Interval: 1e9 });
  assert.deepEqual(full.HostConfig?.Mounts, [
    { Type: 'bind', Source: '/var/lib/docker/volumes/v/_data/0', Target: '/run/secrets/db', ReadOnly: true },
    { Type: 'bind', Source: '/var/lib/docker/volumes/v/_data/1', Target: '/etc/app.conf', ReadOnly: true },
  ]);
});

test("the service's mounts, limits, init, read-only rootfs, capabilities, ulimits, groups and log driver reach the engine", () => {
  const c = taskConfig(
    {
      ...spec,
      container: {
        mounts: [{ Type: 'bind', Source: '/srv/data', Target: '/data', ReadOnly: true }, { Type: 'tmpfs', Target: '/scratch' }],
        limits: { NanoCPUs: 500_000_000, MemoryBytes: 64 << 20, Pids: 100 },
        init: true,
        readOnly: true,
        capAdd: ['NET_ADMIN'],
        capDrop: ['MKNOD'],
        ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 2048 }],
        groups: ['wheel'],
        logDriver: { Name: 'json-file', Options: { 'max-size': '10m' } },
      },
    },
    'shoal-1',
    'sandbox-id',
    'SIGTERM',
  );
  const h = c.HostConfig!;
  assert.deepEqual(h.Mounts, [
    { Type: 'bind', Source: '/srv/data', Target: '/data', ReadOnly: true },
    { Type: 'tmpfs', Source: '', Target: '/scratch', ReadOnly: false },
  ]);
  assert.equal(h.NanoCpus, 500_000_000);
  assert.equal(h.Memory, 64 << 20);
  assert.equal(h.PidsLimit, 100);
  assert.equal(h.Init, true);
  assert.equal(h.ReadonlyRootfs, true);
  assert.deepEqual([h.CapAdd, h.CapDrop, h.GroupAdd], [['NET_ADMIN'], ['MKNOD'], ['wheel']]);
  assert.deepEqual(h.Ulimits, [{ Name: 'nofile', Soft: 1024, Hard: 2048 }]);
  assert.deepEqual(h.LogConfig, { Type: 'json-file', Config: { 'max-size': '10m' } });
  assert.equal(taskConfig(spec, 'shoal-1', 'sandbox-id', 'SIGTERM').HostConfig!.Init, undefined, 'nothing set when the service sets nothing');
  const sandbox = sandboxConfig({ ...spec, container: { sysctls: { 'net.ipv4.ip_unprivileged_port_start': '0' } } }, 'shoal-1', 'pause');
  assert.deepEqual(sandbox.HostConfig!.Sysctls, { 'net.ipv4.ip_unprivileged_port_start': '0' }, 'sysctls go on the sandbox, which owns the network namespace');
});

test("list filters name this executor's objects, of one task and role when asked", () => {
  assert.deepEqual(ownFilter('shoal-1'), { label: [`${LABEL_EXECUTOR}=shoal-1`] });
  assert.deepEqual(ownFilter('shoal-1', 't1', 'task'), { label: [`${LABEL_EXECUTOR}=shoal-1`, `${LABEL_TASK}=t1`, `${LABEL_ROLE}=task`] });
});

test("a container's namespace is named after its PID instead of created", () => {
  const batch = hostSideBatch('p-t1', spec.networks.slice(0, 1), ['vt10'], 4242);
  assert.equal(batch.split('\n')[0], 'netns attach p-t1 4242');
  assert.match(batch, /peer name eth0 mtu 1450 address 02:42:0a:00:01:05 netns p-t1\n/);
});
