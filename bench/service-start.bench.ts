import { exec } from '../src/util/exec.js';
import { BUSYBOX_BIN, withLab, type Lab } from '../test/lab/index.js';
import { ShoaldInHost } from '../test/e2e/shoald-harness.js';
import { call } from '../test/api/harness.js';
import { ratio, summarize, timeMs } from './stats.js';
import type { BenchSuite, Summary } from './suite.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SIZES = [1, 10, 30];
/** Docker Swarm on this machine kind (20.10, process-less busybox tasks), measured once for the issue. */
const SWARM_SECONDS: Record<string, number> = { create1: 0.59, create10: 2.1, create30: 7.49, replace: 0.71 };

interface TaskView {
  ID: string;
  Slot: number;
  DesiredState: string;
  Status: { State: string; ContainerStatus?: { PID?: number } };
}

/**
 * Time from `service create` to all tasks running, for 1, 10 and 30 replicas, and from killing a
 * task to its replacement running (restart delay 0), against one shoald in a lab host. Baseline in
 * the same run: the bare kernel work of N task namespaces with a veth and a process, started together.
 */
export const suite: BenchSuite = {
  name: 'service-start',
  description: `service create → all tasks running (${SIZES.join(', ')} replicas) and task replacement, vs bare namespaces`,
  run: (ctx) =>
    withLab({ hosts: 1 }, async (lab) => {
      const shoald = new ShoaldInHost(lab, 'h1', ['--advertise-addr', lab.host('h1').address, '--log-level', 'warn']);
      await shoald.start();
      await shoald.docker(['swarm', 'init']);
      await shoald.importBusybox();
      await shoald.docker(['network', 'create', '-d', 'overlay', 'benchnet']);
      const figures: Record<string, Summary> = {};
      const ratios: Record<string, number> = {};
      for (const n of SIZES) {
        const create: number[] = [];
        const bare: number[] = [];
        for (let r = 0; r < ROUNDS; r++) {
          bare.push(await bareNamespaces(lab, n));
          create.push(await timeCreate(shoald.socket, n));
          ctx.progress(`${n} replicas: round ${r + 1}/${ROUNDS}: ${create[create.length - 1]!.toFixed(0)} ms (bare ${bare[bare.length - 1]!.toFixed(0)} ms)`);
        }
        figures[`create${n}`] = summarize(create);
        figures[`bare${n}`] = summarize(bare);
        ratios[`create${n}/bare${n}`] = ratio(figures[`create${n}`]!, figures[`bare${n}`]!);
        ratios[`create${n}/swarm`] = Math.round((figures[`create${n}`]!.median / 1000 / SWARM_SECONDS[`create${n}`]!) * 100) / 100;
      }
      const replace = await timeReplacements(shoald.socket, ROUNDS * 2);
      ctx.progress(`replacement: median ${summarize(replace).median.toFixed(0)} ms`);
      figures.replace = summarize(replace);
      ratios['replace/swarm'] = Math.round((figures.replace.median / 1000 / SWARM_SECONDS.replace!) * 100) / 100;
      ratios['replace/bare1'] = ratio(figures.replace, figures.bare1!);
      await shoald.stop();
      return { figures, ratios };
    }),
};

async function tasksOf(socket: string, service: string): Promise<TaskView[]> {
  const filters = encodeURIComponent(JSON.stringify({ service: { [service]: true } }));
  return (await call(socket, 'GET', `/v1.41/tasks?filters=${filters}`)).json() as TaskView[];
}

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function timeCreate(socket: string, replicas: number): Promise<number> {
  const spec = {
    Name: `bench${replicas}`,
    TaskTemplate: { ContainerSpec: { Image: 'busybox:latest', Args: ['sleep', '100000'], StopGracePeriod: 1e9 }, Networks: [{ Target: 'benchnet' }] },
    Mode: { Replicated: { Replicas: replicas } },
  };
  let id = '';
  const ms = await timeMs(async () => {
    id = (await call(socket, 'POST', '/v1.41/services/create', spec)).json().ID as string;
    await until(`${replicas} running`, async () => (await tasksOf(socket, id)).filter((t) => t.Status.State === 'running').length === replicas);
  });
  await call(socket, 'DELETE', `/v1.41/services/${id}`);
  await until('tasks removed', async () => (await call(socket, 'GET', '/v1.41/tasks')).json().length === 0);
  return ms;
}

async function timeReplacements(socket: string, count: number): Promise<number[]> {
  const spec = {
    Name: 'phoenix',
    TaskTemplate: { ContainerSpec: { Image: 'busybox:latest', Args: ['sleep', '100000'] }, RestartPolicy: { Condition: 'any', Delay: 0 } },
    Mode: { Replicated: { Replicas: 1 } },
  };
  const id = (await call(socket, 'POST', '/v1.41/services/create', spec)).json().ID as string;
  const running = async () => (await tasksOf(socket, id)).find((t) => t.DesiredState === 'running' && t.Status.State === 'running');
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    await until('phoenix running', async () => !!(await running()));
    const victim = (await running())!;
    out.push(
      await timeMs(async () => {
        process.kill(victim.Status.ContainerStatus!.PID!, 'SIGKILL');
        await until('replacement running', async () => {
          const t = await running();
          return !!t && t.ID !== victim.ID;
        });
      }),
    );
  }
  await call(socket, 'DELETE', `/v1.41/services/${id}`);
  return out;
}

/** The kernel work alone: N namespaces, each with a veth on a bridge and a process, started together. */
async function bareNamespaces(lab: Lab, n: number): Promise<number> {
  const host = lab.host('h1');
  const bridge = 'barebr';
  await lab.exec(host, 'ip', ['link', 'add', bridge, 'type', 'bridge']);
  await lab.exec(host, 'ip', ['link', 'set', bridge, 'up']);
  const names = Array.from({ length: n }, (_, i) => `${lab.prefix}-b${i}`);
  try {
    return await timeMs(() =>
      Promise.all(
        names.map(async (ns, i) => {
          await exec('ip', ['netns', 'add', ns]);
          await exec('ip', ['-n', host.netns, '-batch', '-'], { input: `link add b${i} type veth peer name eth0 netns ${ns}\nlink set b${i} master ${bridge} up\n` });
          await exec('ip', ['-n', ns, '-batch', '-'], { input: 'link set lo up\nlink set eth0 up\n' });
          await exec('nsenter', [`--net=/run/netns/${ns}`, '--', BUSYBOX_BIN, 'true']);
        }),
      ),
    );
  } finally {
    await Promise.all(names.map((ns) => exec('ip', ['netns', 'delete', ns], { allowFail: true })));
    await lab.exec(host, 'ip', ['link', 'del', bridge], { allowFail: true });
  }
}
