// Runs inside a docker runtime lab (see docker-executor.test.ts): the current network namespace is lab host h1's.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DockerExecutor } from '../../../src/runtime/docker/index.js';
import type { LogOptions, TaskFile, TaskHealth, TaskRunSpec } from '../../../src/runtime/types.js';
import { macAddress } from '../../../src/runtime/process/task-network.js';
import { isShoalError } from '../../../src/util/errors.js';
import { exec } from '../../../src/util/exec.js';
import { labTaskSpec } from '../runtime/task-spec.js';
import { dockerLabFromEnv, dockerLeftovers, labDocker, newDockerExecutor, type DockerRuntimeLab } from './docker-lab.js';

const lab = dockerLabFromEnv();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A lab task whose resolv.conf names the gateway, as the embedded DNS would be. */
const spec = (d: DockerRuntimeLab, command: string[], more: Partial<TaskRunSpec> = {}): TaskRunSpec => labTaskSpec(d, command, { dnsServer: d.gateway, ...more });

const ipOf = (s: TaskRunSpec): string => s.networks[0]!.address.split('/')[0]!;
const file = (target: string, data: string, more: Partial<TaskFile> = {}): TaskFile => ({ target, data: Buffer.from(data), uid: 0, gid: 0, mode: 0o444, secret: false, ...more });

describe('docker executor', { skip: !lab && 'runs inside a docker lab: see docker-executor.test.ts' }, () => {
  const d = lab!;
  let executor: DockerExecutor;
  const all: LogOptions = { follow: false, stdout: true, stderr: true };

  before(() => {
    executor = newDockerExecutor(d);
  });
  after(async () => {
    for (const t of await executor.list()) await executor.remove(t.taskId);
    executor.close();
    assert.deepEqual(await dockerLeftovers(d), []);
  });

  async function logText(taskId: string, opts: Partial<LogOptions> = {}, ex = executor): Promise<string[]> {
    const out: string[] = [];
    for await (const line of ex.logs(taskId, { ...all, ...opts })) out.push(`${line.stream}:${line.line.toString().trimEnd()}`);
    return out;
  }

  async function untilLogged(taskId: string, text: string): Promise<string[]> {
    let log: string[] = [];
    for (let i = 0; i < 100 && !(log = await logText(taskId)).some((s) => s.endsWith(text)); i++) await sleep(50);
    return log;
  }

  /** Starts tasks, runs `body`, and removes the tasks whatever happened; nothing may be left then. */
  async function withTasks<T>(specs: TaskRunSpec[], body: () => Promise<T>): Promise<T> {
    try {
      for (const s of specs) await executor.start(s);
      return await body();
    } finally {
      await Promise.all(specs.map((s) => executor.remove(s.taskId)));
      assert.deepEqual(await dockerLeftovers(d), []);
    }
  }

  const run = (s: TaskRunSpec) => withTasks([s], async () => ({ ...(await executor.wait(s.taskId)), log: await logText(s.taskId) }));

  it('starts the command with its overlay address, MAC, route, hostname and DNS already in place', async () => {
    const s = spec(d, ['sh', '-c', 'ip -o -4 addr show eth0; ip link show eth0; ip route; hostname; cat /etc/resolv.conf; grep task-host /etc/hosts; echo "A=$A"']);
    s.env = ['A=b'];
    const { exitCode, log } = await run(s);
    assert.equal(exitCode, 0);
    assert.match(log[0]!, new RegExp(`^stdout:\\d+: eth0\\s+inet ${ipOf(s)}/24 `), 'the first thing the command does sees its address');
    assert.ok(log.some((l) => l.includes(`link/ether ${macAddress(s.networks[0]!.address)} `)), 'the Docker MAC of its address');
    assert.ok(log.some((l) => /eth0.* mtu 1450 /.test(l)));
    assert.ok(log.some((l) => l.startsWith(`stdout:default via ${d.gateway} dev eth0`)));
    assert.ok(log.includes('stdout:task-host'));
    assert.ok(log.includes(`stdout:nameserver ${d.gateway}`));
    assert.ok(log.includes('stdout:options ndots:0'));
    assert.ok(log.includes(`stdout:${ipOf(s)}\ttask-host`));
    assert.ok(log.includes('stdout:A=b'));
  });

  it('is reachable from the host namespace and from another task, by its overlay address', async () => {
    const server = spec(d, ['httpd', '-f', '-p', '80', '-h', '/etc']);
    const fetchLoop = `for i in $(seq 50); do wget -q -O - http://${ipOf(server)}/hostname && exit 0; sleep 0.1; done; exit 1`;
    const client = spec(d, ['sh', '-c', fetchLoop]);
    await withTasks([server, client], async () => {
      let body = '';
      for (let i = 0; i < 50 && !body; i++) body = await fetch(`http://${ipOf(server)}/hostname`).then((r) => r.text(), () => sleep(100).then(() => ''));
      assert.equal(body, 'task-host\n');
      assert.equal((await executor.wait(client.taskId)).exitCode, 0);
      assert.deepEqual(await logText(client.taskId), ['stdout:task-host']);
    });
  });

  it('shows secrets on tmpfs under /run/secrets and configs at their targets, with owners and modes', async () => {
    const s = spec(d, ['sh', '-c', 'ls -ln /run/secrets/db /etc/app.conf; cat /run/secrets/db; echo; cat /etc/app.conf; echo; grep /run/secrets/db /proc/mounts | cut -d" " -f3'], {
      files: [file('/run/secrets/db', 'hunter2', { secret: true, mode: 0o400, uid: 65534, gid: 65534 }), file('/etc/app.conf', 'level=debug', { mode: 0o644 })],
    });
    const { exitCode, log } = await run(s);
    assert.equal(exitCode, 0, log.join('\n'));
    assert.match(log.find((l) => l.includes('/run/secrets/db')) ?? '', /^stdout:-r--------\s+1 65534\s+65534/);
    assert.match(log.find((l) => l.includes('/etc/app.conf')) ?? '', /^stdout:-rw-r--r--\s+1 0\s+0/);
    assert.deepEqual(log.slice(2), ['stdout:hunter2', 'stdout:level=debug', 'stdout:tmpfs']);
  });

  it('exit codes: 0 is finished, others are a non-zero exit', async () => {
    assert.deepEqual(await run(spec(d, ['true'])), { exitCode: 0, message: 'finished', log: [] });
    const failed = await run(spec(d, ['sh', '-c', 'echo bad >&2; exit 7']));
    assert.deepEqual([failed.exitCode, failed.message, failed.log], [7, 'task: non-zero exit (7)', ['stderr:bad']]);
  });

  it('logs: streams apart, tail, since, timestamps', async () => {
    const s = spec(d, ['sh', '-c', 'for i in 1 2 3; do echo out$i; echo err$i >&2; done']);
    await withTasks([s], async () => {
      assert.equal((await executor.wait(s.taskId)).exitCode, 0);
      const lines: { stream: string; timestamp: string }[] = [];
      for await (const l of executor.logs(s.taskId, all)) lines.push(l);
      assert.equal(lines.length, 6);
      assert.ok(lines.every((l) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/.test(l.timestamp)), 'RFC3339 with nine fraction digits');
      assert.deepEqual(await logText(s.taskId, { stderr: false }), ['stdout:out1', 'stdout:out2', 'stdout:out3']);
      // As in Docker, tail counts lines of both streams, before the selection.
      assert.deepEqual(await logText(s.taskId, { stdout: false, tail: 6 }), ['stderr:err1', 'stderr:err2', 'stderr:err3']);
      // The engine copies the two streams apart, so their order in the log is not the order they were written in.
      assert.deepEqual(await logText(s.taskId, { tail: 2 }), (await logText(s.taskId)).slice(-2));
      assert.deepEqual(await logText(s.taskId, { since: Date.now() / 1000 + 60 }), []);
    });
  });

  it('follow: the last lines, then what comes later, until the task exits', async () => {
    const s = spec(d, ['sh', '-c', 'echo one; echo two; sleep 1; echo late']);
    await withTasks([s], async () => {
      await untilLogged(s.taskId, 'two');
      const lines: string[] = [];
      for await (const l of executor.logs(s.taskId, { ...all, follow: true, tail: 1 })) lines.push(l.line.toString().trimEnd());
      assert.deepEqual(lines, ['two', 'late']);
      assert.equal((await executor.wait(s.taskId)).exitCode, 0);
    });
  });

  it('follow stops when its signal fires', async () => {
    const s = spec(d, ['sh', '-c', 'echo one; sleep 30']);
    await withTasks([s], async () => {
      await untilLogged(s.taskId, 'one');
      const abort = new AbortController();
      const lines: string[] = [];
      const t0 = Date.now();
      setTimeout(() => abort.abort(), 300);
      for await (const l of executor.logs(s.taskId, { ...all, follow: true, signal: abort.signal })) lines.push(l.line.toString().trimEnd());
      assert.deepEqual(lines, ['one']);
      assert.ok(Date.now() - t0 < 5000);
    });
  });

  it('stop: the stop signal, then SIGKILL after the grace period', async () => {
    const polite = spec(d, ['sh', '-c', 'trap "echo got USR1; exit 3" USR1; echo ready; while true; do sleep 0.1; done'], { stopSignal: 'SIGUSR1' });
    const stubborn = spec(d, ['sh', '-c', 'trap "" TERM; echo ready; while true; do sleep 0.1; done']);
    await withTasks([polite, stubborn], async () => {
      await untilLogged(polite.taskId, 'ready');
      await untilLogged(stubborn.taskId, 'ready');
      let t0 = Date.now();
      await executor.stop(polite.taskId, 10_000);
      assert.ok(Date.now() - t0 < 5000, 'exited on its stop signal, not at the end of the grace');
      assert.deepEqual(await executor.wait(polite.taskId), { exitCode: 3, message: 'task: non-zero exit (3)' });
      assert.ok((await logText(polite.taskId)).includes('stdout:got USR1'));
      t0 = Date.now();
      await executor.stop(stubborn.taskId, 700);
      const took = Date.now() - t0;
      assert.ok(took >= 650 && took < 5000, `killed after the grace (${took} ms)`);
      assert.equal((await executor.wait(stubborn.taskId)).exitCode, 137);
      await executor.stop(stubborn.taskId, 700); // stopping a stopped task is a no-op
    });
  });

  it('kill sends the given signal to the container (docker kill); a stopped one is left alone', async () => {
    const s = spec(d, ['sh', '-c', 'trap "echo got HUP" HUP; echo ready; while true; do sleep 0.1; done']);
    await withTasks([s], async () => {
      await untilLogged(s.taskId, 'ready');
      await executor.kill(s.taskId, 'SIGHUP');
      await untilLogged(s.taskId, 'got HUP');
      await executor.kill(s.taskId, 'KILL');
      assert.equal((await executor.wait(s.taskId)).exitCode, 137);
      await executor.kill(s.taskId, 'KILL');
    });
  });

  it('an unknown image fails with the pull error; a bad command with the engine message; nothing is left', async () => {
    const unknown = spec(d, ['true'], { image: 'no-such-image-here:1.0' });
    await assert.rejects(executor.start(unknown), (err: unknown) => {
      assert.ok(isShoalError(err, 'not_found'));
      assert.match(err.message, /^image "no-such-image-here:1.0" is not on this host and pulling it failed: .+/);
      assert.doesNotMatch(err.message, /HTTP code/, "Docker's own message");
      return true;
    });
    const bad = spec(d, ['/no/such/binary']);
    await assert.rejects(executor.start(bad), /starting container failed: .*no such file or directory/);
    assert.deepEqual(await executor.list(), []);
    assert.deepEqual(await dockerLeftovers(d), []);
  });

  it('a missing bridge is named in the error, and nothing is left', async () => {
    const s = spec(d, ['true']);
    s.networks[0]!.bridge = 'br-missing';
    await assert.rejects(executor.start(s), /bridge br-missing does not exist in the daemon's network namespace/);
    assert.deepEqual(await dockerLeftovers(d), []);
  });

  it('a new executor adopts running tasks, and sees a `docker kill` behind its back', async () => {
    const s = spec(d, ['sh', '-c', 'echo up; while true; do sleep 0.1; done']);
    await withTasks([s], async () => {
      const started = await executor.adopt(s.taskId);
      const fresh = newDockerExecutor(d);
      try {
        assert.deepEqual(await fresh.list(), [{ taskId: s.taskId, running: true }]);
        const adopted = await fresh.adopt(s.taskId);
        assert.deepEqual(adopted, started);
        assert.equal(await fresh.adopt('nosuchtask'), undefined);
        assert.deepEqual(await logText(s.taskId, {}, fresh), ['stdout:up']);
        const exited = fresh.wait(s.taskId);
        await labDocker(d, ['kill', adopted!.containerId]);
        assert.deepEqual(await exited, { exitCode: 137, message: 'task: non-zero exit (137)' });
        assert.deepEqual(await fresh.list(), [{ taskId: s.taskId, running: false }]);
      } finally {
        fresh.close();
      }
    });
  });

  it('health: the check from the spec drives starting → healthy, and a failing one unhealthy, told by events and by health()', async () => {
    const s = spec(d, ['sh', '-c', 'sleep 3; touch /tmp/ok; while true; do sleep 0.1; done'], {
      healthCheck: { Test: ['CMD-SHELL', 'test -f /tmp/ok'], Interval: 200e6, Timeout: 1e9, Retries: 1, StartPeriod: 10e9 },
    });
    const failing = spec(d, ['sleep', '30'], { healthCheck: { Test: ['CMD', 'false'], Interval: 200e6, Retries: 1 } });
    const plain = spec(d, ['sleep', '30']);
    const seen = new Map<string, TaskHealth[]>();
    const unsubscribe = executor.onHealthChange((taskId, health) => {
      const list = seen.get(taskId) ?? [];
      if (list.at(-1) !== health) seen.set(taskId, [...list, health]);
    });
    try {
      await withTasks([s, failing, plain], async () => {
        assert.equal(await executor.health(s.taskId), 'starting', 'failures in the start period do not count');
        for (let i = 0; i < 200 && !(seen.get(s.taskId)?.includes('healthy') && seen.get(failing.taskId)); i++) await sleep(50);
        assert.deepEqual(seen.get(s.taskId), ['healthy']);
        assert.deepEqual(seen.get(failing.taskId), ['unhealthy']);
        assert.equal(await executor.health(s.taskId), 'healthy');
        assert.equal(await executor.health(failing.taskId), 'unhealthy');
        assert.equal(await executor.health(plain.taskId), undefined);
        assert.equal(seen.has(plain.taskId), false);
      });
    } finally {
      unsubscribe();
    }
  });

  it('the task is one container labelled for swarm tools, its sandbox apart', async () => {
    const s = spec(d, ['sleep', '30']);
    await withTasks([s], async () => {
      const ps = await labDocker(d, ['ps', '--filter', 'label=com.docker.swarm.service.name=web', '--format', '{{.Names}} {{.Image}}']);
      assert.equal(ps.stdout.trim(), `${s.name} busybox:latest`);
      const all = await labDocker(d, ['ps', '--filter', `label=com.shoal.task.id=${s.taskId}`, '--format', '{{.Names}}']);
      assert.deepEqual(all.stdout.trim().split('\n').sort(), [s.name, `${s.name}.sandbox`]);
      const ns = await exec('ip', ['netns', 'list']);
      assert.match(ns.stdout, new RegExp(`^${d.namePrefix}-${s.taskId.slice(0, 12)}`, 'm'), 'named like a process task: ip netns exec works on both');
    });
  });
});
