import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createService } from '../../src/cluster/controlapi/services.js';
import { cliServiceSpec, runningTask } from '../unit/controlapi/fixture.js';
import { call, docker, startHarness, type Harness } from './harness.js';

// `docker ps`, `docker kill` and `docker stop` on a host list and interrupt the tasks it runs (as
// seeds 001 and 004 do with their containers): the real docker CLI against Shoal's server.
let h: Harness;
const RUNNING_ID = 'a'.repeat(64);
const EXITED_ID = 'b'.repeat(64);
let names: string[];

before(async () => {
  h = await startHarness();
  const web = await h.store.update((tx) =>
    createService(tx, cliServiceSpec('simple-server', { TaskTemplate: { ContainerSpec: { Image: 'busybox:latest', Command: ['httpd'], Args: ['-f', '-p', '8000'], Labels: { tier: 'front' } } } })),
  );
  const started = new Date(Date.now() - 65_000).toISOString();
  const ended = new Date(Date.now() - 3_000).toISOString();
  const [t1, t2] = [runningTask(web.ID, 1, web), runningTask(web.ID, 2, web)];
  h.backend.localTasks.push(
    { task: t1!, serviceName: 'simple-server', containerId: RUNNING_ID, startedAt: started },
    { task: t2!, serviceName: 'simple-server', containerId: EXITED_ID, startedAt: started, exit: { exitCode: 137, at: ended } },
  );
  names = [`simple-server.1.${t1!.ID}`, `simple-server.2.${t2!.ID}`];
});

after(async () => {
  await h.close();
});

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return docker(h.socket, args);
}

test('docker ps lists the running tasks as swarm task containers; -a adds the ended ones', async () => {
  const ps = await cli('ps');
  assert.equal(ps.code, 0, ps.stderr);
  assert.match(ps.stdout, /^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES\n/);
  assert.match(ps.stdout, new RegExp(`^aaaaaaaaaaaa\\s+busybox:latest\\s+"httpd -f -p 8000"\\s+About a minute ago\\s+Up About a minute\\s+${names[0]}$`, 'm'));
  assert.doesNotMatch(ps.stdout, /bbbbbbbbbbbb/);
  const all = await cli('ps', '-a', '--format', '{{.Names}} {{.Status}}');
  assert.match(all.stdout, new RegExp(`^${names[1]} Exited \\(137\\) 3 seconds ago$`, 'm'));
  assert.equal((await cli('ps', '-q', '--filter', 'label=com.docker.swarm.service.name=simple-server', '--filter', 'label=tier')).stdout, 'aaaaaaaaaaaa\n');
  assert.equal((await cli('ps', '-aq', '--filter', 'status=exited')).stdout, 'bbbbbbbbbbbb\n');
  assert.equal((await cli('ps', '-aq', '--filter', 'name=simple-server.2')).stdout, 'bbbbbbbbbbbb\n');
  assert.match((await cli('ps', '--filter', 'ancestor=busybox')).stderr, /Invalid filter 'ancestor'/);
});

test('docker kill and docker stop reach the task by ID prefix or name; ended or unknown containers are refused', async () => {
  assert.equal((await cli('kill', 'aaaa')).stdout, 'aaaa\n');
  assert.equal((await cli('kill', '--signal', 'HUP', names[0]!)).stdout, `${names[0]}\n`);
  assert.equal((await cli('stop', '-t', '2', 'aaaaaaaaaaaa')).stdout, 'aaaaaaaaaaaa\n');
  assert.equal((await cli('stop', names[0]!)).stdout, `${names[0]}\n`);
  assert.deepEqual(h.backend.interrupted.map((i) => i.how), [{ signal: 'SIGKILL' }, { signal: 'SIGHUP' }, { graceMs: 2000 }, {}]);

  assert.equal((await cli('stop', 'bbbb')).code, 0, 'stopping an ended container changes nothing (304), as in Docker');
  assert.equal(h.backend.interrupted.length, 4);
  assert.match((await cli('kill', 'cccc')).stderr, /No such container: cccc/);
  assert.match((await cli('kill', '--signal', 'NOPE', 'aaaa')).stderr, /invalid stop signal "NOPE"/);
  const bad = await call(h.socket, 'POST', '/containers/aaaa/stop?t=soon');
  assert.equal(bad.status, 400);
});
