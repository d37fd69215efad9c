import { exec } from '../src/util/exec.js';
import { BUSYBOX_BIN, withLab, type Lab } from '../test/lab/index.js';
import { ratio, summarize, timeMs } from './stats.js';
import type { BenchSuite } from './suite.js';

const N = Number(process.env.BENCH_N ?? 30);
const BRIDGE = 'benchbr';

/**
 * What a process task costs to start: a network namespace, a veth pair into the host's bridge and
 * a process in it (via nsenter). Baselines: the same process spawned plainly, spawned with
 * nsenter into an existing namespace, and one `ip` run (each step is a few of them). Runs in a lab host, so the root namespace is not touched.
 */
export const suite: BenchSuite = {
  name: 'netns-start',
  description: `task namespace start (netns + veth into a bridge + process via nsenter) vs plain spawn, N=${N}`,
  run: (ctx) =>
    withLab({ hosts: 1 }, async (lab) => {
      const host = lab.host('h1');
      await lab.exec(host, 'ip', ['link', 'add', BRIDGE, 'type', 'bridge']);
      await lab.exec(host, 'ip', ['link', 'set', BRIDGE, 'up']);
      const samples: Record<string, number[]> = { spawn: [], ipSpawn: [], nsenterSpawn: [], netnsAdd: [], vethToBridge: [], spawnInNetns: [], taskStart: [], taskTeardown: [] };
      // Iteration 0 warms caches and is not counted; the kinds interleave so drift hits all alike.
      for (let i = 0; i <= N; i++) {
        const spawn = await timeMs(() => exec(BUSYBOX_BIN, ['true']));
        // Every step below is `ip` runs; this is the floor of one.
        const ipSpawn = await timeMs(() => exec('ip', ['-V']));
        const nsenterSpawn = await timeMs(() => exec('nsenter', [`--net=/run/netns/${host.netns}`, '--', BUSYBOX_BIN, 'true']));
        const steps = await startTask(lab, i);
        const teardown = await timeMs(() => exec('ip', ['netns', 'delete', `${lab.prefix}-t${i}`]));
        if (i === 0) continue;
        samples.spawn!.push(spawn);
        samples.ipSpawn!.push(ipSpawn);
        samples.nsenterSpawn!.push(nsenterSpawn);
        samples.netnsAdd!.push(steps.netnsAdd);
        samples.vethToBridge!.push(steps.vethToBridge);
        samples.spawnInNetns!.push(steps.spawnInNetns);
        samples.taskStart!.push(steps.netnsAdd + steps.vethToBridge + steps.spawnInNetns);
        samples.taskTeardown!.push(teardown);
        if (i % 10 === 0) ctx.progress(`${i}/${N}`);
      }
      const f = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, summarize(v)]));
      return {
        figures: f,
        ratios: {
          'taskStart/spawn': ratio(f.taskStart!, f.spawn!),
          'taskStart/nsenterSpawn': ratio(f.taskStart!, f.nsenterSpawn!),
          'nsenterSpawn/spawn': ratio(f.nsenterSpawn!, f.spawn!),
          'vethToBridge/ipSpawn': ratio(f.vethToBridge!, f.ipSpawn!),
          'taskTeardown/spawn': ratio(f.taskTeardown!, f.spawn!),
        },
      };
    }),
};

/** One task start, timed by step; the namespace is named with the lab's prefix, so the lab removes it on failure. */
async function startTask(lab: Lab, i: number): Promise<{ netnsAdd: number; vethToBridge: number; spawnInNetns: number }> {
  const host = lab.host('h1');
  const ns = `${lab.prefix}-t${i}`;
  const netnsAdd = await timeMs(async () => {
    await exec('ip', ['netns', 'add', ns]);
    await exec('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  });
  const vethToBridge = await timeMs(async () => {
    await exec('ip', ['-n', host.netns, 'link', 'add', `t${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    await exec('ip', ['-n', host.netns, 'link', 'set', `t${i}`, 'master', BRIDGE, 'up']);
    await exec('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
  });
  const spawnInNetns = await timeMs(() => exec('nsenter', [`--net=/run/netns/${ns}`, '--', BUSYBOX_BIN, 'true']));
  return { netnsAdd, vethToBridge, spawnInNetns };
}
