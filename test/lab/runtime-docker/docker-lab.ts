import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import Docker from 'dockerode';
import { DockerExecutor } from '../../../src/runtime/docker/index.js';
import { exec, type ExecResult } from '../../../src/util/exec.js';
import { silentLogger } from '../../../src/util/logger.js';
import { dockerCli, startDocker, withLab } from '../index.js';
import { ownFilter } from '../../../src/runtime/docker/labels.js';

/**
 * A lab for docker runtime tests: lab host h1 runs a private Docker engine (busybox:latest
 * imported) and has a bridge for tasks, standing for an overlay bridge. Lab test files
 * (`*.lab.js`) run inside h1, so the executor plugs its veths there and never in the machine's
 * root namespace; the description comes to them in an environment variable.
 */
export interface DockerRuntimeLab {
  /** The engine's socket as unix:///... */
  dockerHost: string;
  /** DOCKER_CONFIG for the docker CLI. */
  cliConfig: string;
  bridge: string;
  /** The bridge's address: the tasks' gateway. */
  gateway: string;
  /** First three octets of the bridge's /24. */
  subnet: string;
  /** The executor's name prefix: its namespace names and executor label. */
  namePrefix: string;
  /** A scratch folder in the lab (data dirs of process executors). */
  dir: string;
}

const LAB_ENV = 'SHOAL_DOCKER_RUNTIME_LAB';

export function dockerLabFromEnv(): DockerRuntimeLab | undefined {
  const raw = process.env[LAB_ENV];
  return raw ? (JSON.parse(raw) as DockerRuntimeLab) : undefined;
}

/** Runs a lab test file inside a fresh docker lab; fails (dumping the engine's log) when the file fails. */
export async function runDockerLabFile(file: URL): Promise<void> {
  await withLab({ hosts: 1 }, async (lab) => {
    const engine = await startDocker(lab, 'h1', { importBusybox: true });
    try {
      const d: DockerRuntimeLab = {
        dockerHost: engine.dockerHost,
        cliConfig: join(engine.dir, 'cli'),
        bridge: 'br0',
        gateway: '10.77.0.1',
        subnet: '10.77.0',
        namePrefix: `${lab.prefix}-t`,
        dir: lab.hostDir('h1'),
      };
      const bridge = [`link add ${d.bridge} type bridge`, `addr add ${d.gateway}/24 dev ${d.bridge}`, `link set ${d.bridge} up`];
      await lab.exec('h1', 'ip', ['-batch', '-'], { input: `${bridge.join('\n')}\n` });
      // Without the runner's NODE_TEST_CONTEXT, so the file runs as a test process of its own and reports in plain text.
      const { NODE_TEST_CONTEXT: _runner, ...env } = process.env;
      const proc = await lab.start('h1', process.execPath, ['--test-reporter=spec', fileURLToPath(file)], {
        name: 'lab-test',
        env: { ...env, [LAB_ENV]: JSON.stringify(d) },
      });
      const exit = await proc.exited;
      process.stdout.write(proc.output());
      if (exit.code !== 0) throw new Error(`${fileURLToPath(file)} failed (${exit.code ?? exit.signal}): see its output above`);
    } finally {
      await engine.stop();
    }
  });
}

export function labEngine(d: DockerRuntimeLab): Docker {
  return new Docker({ socketPath: d.dockerHost.slice('unix://'.length) });
}

export function newDockerExecutor(d: DockerRuntimeLab): DockerExecutor {
  return new DockerExecutor({ docker: labEngine(d), namePrefix: d.namePrefix, logger: silentLogger });
}

/** The docker CLI against the lab's engine. */
export function labDocker(d: DockerRuntimeLab, args: readonly string[]): Promise<ExecResult> {
  return exec(dockerCli(), ['-H', d.dockerHost, ...args], { env: { ...process.env, DOCKER_CONFIG: d.cliConfig } });
}

/** What an executor left: containers and volumes with its label, veths on the bridge, named namespaces. */
export async function dockerLeftovers(d: DockerRuntimeLab): Promise<string[]> {
  const docker = labEngine(d);
  const filters = ownFilter(d.namePrefix);
  const found: string[] = [];
  for (const c of await docker.listContainers({ all: true, filters })) found.push(`container ${c.Names.join(',')} (${c.State})`);
  for (const v of (await docker.listVolumes({ filters })).Volumes ?? []) found.push(`volume ${v.Name}`);
  const ports = await exec('ip', ['-o', 'link', 'show', 'master', d.bridge], { allowFail: true });
  found.push(...ports.stdout.split('\n').filter(Boolean).map((l) => `bridge port ${l.split(':')[1]!.trim()}`));
  const netns = (await exec('ip', ['netns', 'list'])).stdout.split('\n').map((l) => l.split(' ')[0]!);
  found.push(...netns.filter((n) => n.startsWith(`${d.namePrefix}-`)).map((n) => `network namespace ${n}`));
  return found;
}
