// Runs inside a runtime lab (see process-executor.test.ts): the current network namespace is the lab's.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { netnsName } from '../../../src/runtime/process/index.js';
import type { LogOptions, TaskFile, TaskRunSpec } from '../../../src/runtime/types.js';
import { exec } from '../../../src/util/exec.js';
import { newLabExecutor, useLabExecutor } from './lab-executor.js';
import { labFromEnv, leftovers } from './runtime-lab.js';
import { labTaskSpec as spec } from './task-spec.js';

const lab = labFromEnv();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const file = (target: string, data: string, more: Partial<TaskFile> = {}): TaskFile => ({ target, data: Buffer.from(data), uid: 0, gid: 0, mode: 0o444, secret: false, ...more });

describe('process executor', { skip: !lab && 'runs inside a lab: see process-executor.test.ts' }, () => {
  const l = lab!;
  const executor = useLabExecutor(l);
  const all: LogOptions = { follow: false, stdout: true, stderr: true };

  async function logText(taskId: string, opts: Partial<LogOptions> = {}): Promise<string[]> {
    const out: string[] = [];
    for await (const line of executor().logs(taskId, { ...all, ...opts })) out.push(`${line.stream}:${line.line.toString().trimEnd()}`);
    return out;
  }

  async function untilLogged(taskId: string, text: string): Promise<void> {
    for (let i = 0; i < 100 && !(await logText(taskId)).some((s) => s.endsWith(text)); i++) await sleep(50);
  }

  /** Starts tasks, runs `body`, and removes the tasks whatever happened. */
  async function withTasks<T>(specs: TaskRunSpec[], body: () => Promise<T>): Promise<T> {
    try {
      await Promise.all(specs.map((s) => executor().start(s)));
      return await body();
    } finally {
      await Promise.all(specs.map((s) => executor().remove(s.taskId)));
    }
  }

  /** Runs a task to its end and returns its exit and its log. */
  const run = (s: TaskRunSpec): Promise<{ exitCode: number; message: string; log: string[] }> =>
    withTasks([s], async () => ({ ...(await executor().wait(s.taskId)), log: await logText(s.taskId) }));

  it("runs chrooted in the image, as PID 1, with its hostname, /etc files, config, env and working dir", async () => {
    const s = spec(l, ['sh', '-c', 'cat /etc/hostname; ls /; echo "FOO=$FOO HOME=$HOME"; cat /conf/app.conf; echo; pwd; echo "pid $$"; grep -c task-host /etc/hosts'], {
      env: ['FOO=bar'],
      dir: '/srv/app',
      files: [file('/conf/app.conf', 'level=debug')],
    });
    const { exitCode, message, log } = await run(s);
    assert.equal(exitCode, 0);
    assert.equal(message, 'finished');
    assert.equal(log[0], 'stdout:task-host');
    assert.ok(log.includes('stdout:linuxrc'), 'the image root is /');
    assert.ok(!log.includes('stdout:var'), "the host's root is not visible");
    for (const want of ['FOO=bar HOME=/root', 'level=debug', '/srv/app', 'pid 1', '1']) assert.ok(log.includes(`stdout:${want}`), want);
  });

  it('runs as the user named in the image, or a numeric uid:gid', async () => {
    const nobody = await run(spec(l, ['sh', '-c', 'id -u; id -g; echo $HOME'], { user: 'nobody' }));
    assert.deepEqual(nobody.log, ['stdout:65534', 'stdout:65534', 'stdout:/home/nobody']);
    const numeric = await run(spec(l, ['sh', '-c', 'id -u; id -g'], { user: '1234:4321' }));
    assert.deepEqual(numeric.log, ['stdout:1234', 'stdout:4321']);
    await assert.rejects(executor().start(spec(l, ['true'], { user: 'ghost' })), /unable to find user ghost/);
  });

  it('has its own address on the bridge: busybox httpd in the task answers from the lab namespace', async () => {
    const s = spec(l, ['httpd', '-f', '-p', '80', '-h', '/www'], { files: [file('/www/index.html', 'hello from the task\n')] });
    const address = s.networks[0]!.address.split('/')[0];
    await withTasks([s], async () => {
      let body = '';
      for (let i = 0; i < 50 && !body; i++) {
        body = await fetch(`http://${address}/index.html`).then((r) => r.text(), async () => (await sleep(100), ''));
      }
      assert.equal(body, 'hello from the task\n');
      const eth0 = (await exec('ip', ['-n', netnsName(l.execPrefix, s.taskId), '-o', 'addr', 'show', 'eth0'])).stdout;
      assert.match(eth0, new RegExp(`inet ${s.networks[0]!.address.replace(/\./g, '\\.')} `));
      const port = (await exec('ip', ['-d', 'link', 'show', `v${s.taskId.slice(0, 12)}0`])).stdout;
      assert.match(port, /mtu 1450 .*master br0/);
      assert.match(port, /hairpin on/);
    });
  });

  it('captures stdout and stderr with timestamps; tail, since and streams select lines', async () => {
    const s = spec(l, ['sh', '-c', 'echo one; echo two >&2; echo three; sleep 0.3; echo four']);
    await withTasks([s], async () => {
      await executor().wait(s.taskId);
      const lines: { stream: string; timestamp: string; text: string }[] = [];
      for await (const x of executor().logs(s.taskId, all)) lines.push({ stream: x.stream, timestamp: x.timestamp, text: x.line.toString() });
      assert.deepEqual(lines.filter((x) => x.stream === 'stdout').map((x) => x.text), ['one\n', 'three\n', 'four\n']);
      assert.deepEqual(lines.filter((x) => x.stream === 'stderr').map((x) => x.text), ['two\n']);
      for (const x of lines) assert.match(x.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
      assert.deepEqual(await logText(s.taskId, { tail: 2, stderr: false }), ['stdout:three', 'stdout:four']);
      assert.deepEqual(await logText(s.taskId, { stdout: false }), ['stderr:two']);
      const four = lines.find((x) => x.text === 'four\n')!;
      assert.deepEqual(await logText(s.taskId, { since: Date.parse(four.timestamp) / 1000 }), ['stdout:four']);
    });
  });

  it('follows logs as they are written until the task exits', async () => {
    const s = spec(l, ['sh', '-c', 'echo a; sleep 0.6; echo b; sleep 0.6; echo c']);
    await withTasks([s], async () => {
      const t0 = Date.now();
      const arrivals: [string, number][] = [];
      for await (const x of executor().logs(s.taskId, { ...all, follow: true })) arrivals.push([x.line.toString().trimEnd(), Date.now() - t0]);
      assert.deepEqual(arrivals.map(([t]) => t), ['a', 'b', 'c']);
      assert.ok(arrivals[0]![1] < 500 && arrivals[1]![1] < 1100, `lines arrive as written: ${JSON.stringify(arrivals)}`);
      assert.equal((await executor().wait(s.taskId)).exitCode, 0);
    });
  });

  it("shows secrets on a tmpfs inside the task only, never on the data dir's disk", async () => {
    const secret = `s3cret-${randomBytes(8).toString('hex')}`;
    const s = spec(l, ['sh', '-c', 'cat /run/secrets/db_password; echo; cat /etc/app/token; echo; grep " /run/secrets/db_password " /proc/mounts; ls -ln /run/secrets/db_password; echo ready; sleep 60'], {
      files: [
        file('/run/secrets/db_password', secret, { secret: true, mode: 0o400, uid: 65534 }),
        file('/etc/app/token', `${secret}-token`, { secret: true, mode: 0o440 }),
      ],
    });
    await withTasks([s], async () => {
      await untilLogged(s.taskId, 'ready');
      const log = await logText(s.taskId);
      assert.ok(log.includes(`stdout:${secret}`) && log.includes(`stdout:${secret}-token`), log.join('\n'));
      assert.ok(log.some((x) => /^stdout:\S+ \/run\/secrets\/db_password tmpfs ro,/.test(x)), 'a read-only tmpfs');
      assert.ok(log.some((x) => /^stdout:-r-------- +1 65534 +0 /.test(x)), 'owner and mode applied');
      const onDisk = (await filesUnder(l.dataDir)).filter((f) => f.content.includes(secret) && !f.path.endsWith('/log'));
      assert.deepEqual(onDisk.map((f) => f.path), []);
    });
  });

  it('stop sends the stop signal, and SIGKILL after the grace period to a task that does not exit', async () => {
    const ex = executor();
    const polite = spec(l, ['sh', '-c', 'trap "echo got USR1; exit 0" USR1; echo ready; while :; do sleep 0.1; done'], { stopSignal: 'SIGUSR1' });
    const stubborn = spec(l, ['sh', '-c', 'trap "echo ignoring TERM" TERM; echo ready; while :; do sleep 0.1; done']);
    await withTasks([polite, stubborn], async () => {
      await Promise.all([untilLogged(polite.taskId, 'ready'), untilLogged(stubborn.taskId, 'ready')]);
      let t = Date.now();
      await ex.stop(polite.taskId, 10_000);
      assert.ok(Date.now() - t < 3000, 'the polite task exits on its stop signal');
      assert.deepEqual(await ex.wait(polite.taskId), { exitCode: 0, message: 'finished' });
      assert.ok((await logText(polite.taskId)).includes('stdout:got USR1'));
      t = Date.now();
      await ex.stop(stubborn.taskId, 700);
      const took = Date.now() - t;
      assert.ok(took >= 700 && took < 5000, `killed after the grace period (${took} ms)`);
      assert.deepEqual(await ex.wait(stubborn.taskId), { exitCode: 137, message: 'task: non-zero exit (137)' });
      assert.ok((await logText(stubborn.taskId)).includes('stdout:ignoring TERM'));
    });
  });

  it('kill sends the given signal to the task (docker kill); a task that ended is left alone', async () => {
    const ex = executor();
    const s = spec(l, ['sh', '-c', 'trap "echo got HUP" HUP; echo ready; while :; do sleep 0.1; done']);
    await withTasks([s], async () => {
      await untilLogged(s.taskId, 'ready');
      await ex.kill(s.taskId, 'HUP');
      await untilLogged(s.taskId, 'got HUP');
      await ex.kill(s.taskId, 'SIGKILL');
      assert.deepEqual(await ex.wait(s.taskId), { exitCode: 137, message: 'task: non-zero exit (137)' });
      await ex.kill(s.taskId, 'SIGKILL');
    });
  });

  it('reports exit codes', async () => {
    const { exitCode, message } = await run(spec(l, ['sh', '-c', 'exit 3']));
    assert.deepEqual({ exitCode, message }, { exitCode: 3, message: 'task: non-zero exit (3)' });
  });

  it('a command that cannot start fails start() clearly and leaves nothing', async () => {
    const ex = executor();
    await assert.rejects(ex.start(spec(l, ['nosuch', 'arg'])), {
      code: 'invalid_argument',
      message: 'starting container failed: exec: "nosuch": executable file not found in $PATH',
    });
    await assert.rejects(ex.start(spec(l, ['/etc/passwd'])), { message: 'starting container failed: exec: "/etc/passwd": permission denied' });
    await assert.rejects(ex.start(spec(l, ['/no/such/file'])), /exec: "\/no\/such\/file": stat \/no\/such\/file: no such file or directory/);
    await assert.rejects(ex.start(spec(l, [])), /no command specified/);
    assert.deepEqual(await leftovers(l), []);
  });

  it('a missing bridge fails start() naming it, and leaves nothing', async () => {
    const s = spec(l, ['true']);
    s.networks[0]!.bridge = 'nosuchbr';
    await assert.rejects(executor().start(s), /network labnet: bridge nosuchbr does not exist in the daemon's network namespace/);
    assert.deepEqual(await leftovers(l), []);
  });

  it("an unknown image runs the command from the host's filesystem, in its own namespaces, with a note", async () => {
    const s = spec(l, ['/bin/sh', '-c', 'cat /etc/hostname; test -x /usr/bin/perl && echo host-filesystem; echo "pid $$"; ls /run'], { image: 'nosuchimage:1' });
    try {
      const started = await executor().start(s);
      assert.equal(started.note, 'image "nosuchimage:1" not found locally: running the command from the host\'s filesystem');
      assert.equal((await executor().wait(s.taskId)).exitCode, 0);
      assert.deepEqual(await logText(s.taskId), ['stdout:task-host', 'stdout:host-filesystem', 'stdout:pid 1']);
    } finally {
      await executor().remove(s.taskId);
    }
  });

  it('a restarted daemon adopts a task that outlived it: list, logs, stop and the exit code work', async () => {
    const s = spec(l, ['sh', '-c', 'trap "echo bye; exit 7" TERM; echo up; while :; do sleep 0.1; done']);
    const daemon = spawn(process.execPath, [fileURLToPath(new URL('./crashing-daemon.js', import.meta.url))], {
      env: { ...process.env, SHOAL_RUNTIME_CRASHING_DAEMON: JSON.stringify({ lab: l, spec: s }) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const pid = await new Promise<number>((resolve, reject) => {
      daemon.stdout.on('data', (d: Buffer) => {
        const m = /started (\d+)/.exec(d.toString());
        if (m) resolve(Number(m[1]));
      });
      daemon.on('exit', (code) => reject(new Error(`the stand-in daemon exited (${code}) before starting the task`)));
    });
    daemon.kill('SIGKILL');
    await new Promise((r) => daemon.once('close', r));
    const restarted = newLabExecutor(l);
    try {
      assert.deepEqual(await restarted.list(), [{ taskId: s.taskId, running: true, pid }]);
      assert.equal((await restarted.adopt(s.taskId))?.pid, pid);
      await untilLogged(s.taskId, 'up');
      const exited = restarted.wait(s.taskId);
      await restarted.stop(s.taskId, 5000);
      assert.deepEqual(await exited, { exitCode: 7, message: 'task: non-zero exit (7)' });
      assert.deepEqual(await restarted.list(), [{ taskId: s.taskId, running: false, pid }]);
    } finally {
      await restarted.remove(s.taskId);
      restarted.close();
    }
  });

  it('remove of a running task leaves no namespace, veth, mount, process or file', async () => {
    const ex = executor();
    const s = spec(l, ['sleep', '1000'], { files: [file('/run/secrets/x', 'x', { secret: true }), file('/c', 'c')] });
    await ex.start(s);
    assert.notDeepEqual(await leftovers(l), []);
    await ex.remove(s.taskId);
    assert.deepEqual(await leftovers(l), []);
    await ex.remove(s.taskId);
  });
});

async function filesUnder(dir: string): Promise<{ path: string; content: string }[]> {
  const out: { path: string; content: string }[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else if (entry.isFile()) out.push({ path, content: await readFile(path, 'latin1') });
  }
  return out;
}
