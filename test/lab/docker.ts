import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { exec, type ExecOptions, type ExecResult } from '../../src/util/exec.js';
import { busyboxRootfsTarball } from './busybox.js';
import type { LabProcess } from './host-process.js';
import type { HostRef, Lab, LabHost } from './lab.js';
import { removeCgroups } from './cgroups.js';
import { removeTree } from './mounts.js';
import { killTrees, pidsMentioning, withDescendants } from './pids.js';
import { labCgroupName } from './teardown.js';
import { waitUntil } from './wait.js';

export const BUSYBOX_IMAGE = 'busybox:latest';
const DOCKERD = '/usr/sbin/dockerd';
/**
 * Run in the engine's new private mount namespace before exec'ing dockerd: drop the copies of
 * namespace mounts (they would keep other labs' namespaces alive as long as this engine runs),
 * then give it an empty /run of its own.
 */
const PRIVATE_MOUNTS = `for m in $(awk '$3 == "nsfs" { print $2 }' /proc/self/mounts); do umount -l "$m"; done
mount -t tmpfs -o mode=755 lab-run /run && exec "$@"`;

/** The docker CLI: the newer one in /usr/local/bin when the machine has it, else Debian's. */
export function dockerCli(): string {
  return existsSync('/usr/local/bin/docker') ? '/usr/local/bin/docker' : 'docker';
}

export interface StartDockerOptions {
  /** Import the busybox rootfs as busybox:latest once the engine answers (default true). */
  importBusybox?: boolean;
  timeoutMs?: number;
}

/** Answers whether an Engine API socket replies 200 to /_ping. */
export function pingDocker(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', method: 'GET', timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** A private Docker engine (Debian's dockerd, with its own containerd) running in a lab host. */
export class DockerEngine {
  constructor(
    readonly lab: Lab,
    readonly host: LabHost,
    /** Holds data-root, exec-root, pidfile, socket and CLI config; removed by stop(). */
    readonly dir: string,
    readonly process: LabProcess,
  ) {}

  get socket(): string {
    return join(this.dir, 'docker.sock');
  }

  /** For DOCKER_HOST or `docker -H`. */
  get dockerHost(): string {
    return `unix://${this.socket}`;
  }

  /** Runs the docker CLI against this engine (never the machine's /var/run/docker.sock). */
  cli(args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const env = { ...process.env, ...opts.env, DOCKER_CONFIG: join(this.dir, 'cli') };
    return exec(dockerCli(), ['-H', this.dockerHost, ...args], { ...opts, env });
  }

  /**
   * dockerd, its containerd, the shims and the containers' processes. Shims detach from containerd,
   * so they are found by their command line, which names this engine's folder.
   */
  pids(): Set<number> {
    return withDescendants([this.process.pid, ...pidsMentioning(this.dir)]);
  }

  /**
   * Kills the engine with its containers (SIGKILL: its state is thrown away anyway, and a graceful
   * stop waits 10 s per container), then removes its folder and cgroups. Its mounts lived in its
   * private mount namespace and are gone with its processes.
   */
  async stop(): Promise<void> {
    await killTrees(this.pids());
    await removeTree(this.dir);
    removeCgroups(labCgroupName(this.lab.prefix, this.host.name));
  }
}

/**
 * Starts a Docker engine in a lab host (by default in a new host named `docker`) that touches
 * nothing else on the machine: its own data-root, exec-root, pidfile, socket and config, no bridge
 * and no iptables rules, a cgroup parent named after the lab, and a private mount namespace with
 * its own /run (containerd keeps shim sockets in /run/containerd) so its mounts vanish with it.
 * Waits for /_ping, then imports busybox:latest.
 */
export async function startDocker(lab: Lab, ref?: HostRef, opts: StartDockerOptions = {}): Promise<DockerEngine> {
  const host = ref === undefined ? await lab.addHost('docker') : lab.host(ref);
  const dir = join(lab.hostDir(host), 'docker');
  const config = join(dir, 'daemon.json');
  mkdirSync(dir, { recursive: true });
  writeFileSync(config, JSON.stringify({ 'deprecated-key-path': join(dir, 'key.json') }));
  const dockerd = [
    DOCKERD,
    ...['--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'), '--pidfile', join(dir, 'dockerd.pid')],
    ...['-H', `unix://${join(dir, 'docker.sock')}`, '--config-file', config],
    ...['--bridge', 'none', '--iptables=false', '--ip-masq=false', '--cgroup-parent', labCgroupName(lab.prefix, host.name)],
  ];
  const proc = await lab.start(host, 'unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', PRIVATE_MOUNTS, 'sh', ...dockerd], {
    name: 'dockerd',
  });
  const engine = new DockerEngine(lab, host, dir, proc);
  const state = await waitUntil('dockerd to answer /_ping', async () => (!proc.running ? 'exited' : (await pingDocker(engine.socket)) && 'up'), {
    timeoutMs: opts.timeoutMs ?? 60_000,
    intervalMs: 200,
  });
  if (state === 'exited') throw new Error(`dockerd on ${host.name} exited at start:\n${proc.output().slice(-4000)}`);
  if (opts.importBusybox ?? true) await engine.cli(['import', await busyboxRootfsTarball(), BUSYBOX_IMAGE]);
  return engine;
}
