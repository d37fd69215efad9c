import { join, resolve } from 'node:path';
import { exec, type ExecResult } from '../../src/util/exec.js';
import type { Lab, LabProcess, HostRef } from '../lab/index.js';
import { busyboxRootfsTarball, dockerCli, waitUntil } from '../lab/index.js';
import { namespacePrefix } from '../../src/daemon/task-runtime.js';

const SHOALD = resolve('bin/shoald');

/** One shoald running in a lab host, with the docker CLI pointed at its socket. */
export class ShoaldInHost {
  process!: LabProcess;

  constructor(
    readonly lab: Lab,
    readonly host: HostRef,
    private readonly extraArgs: string[] = [],
  ) {
    const dir = lab.hostDir(host);
    this.dataDir = join(dir, 'shoal');
    this.socket = join(dir, 'shoal.sock');
    // Task namespaces are named after the daemon, not the lab: remove what a killed daemon left.
    lab.onDestroy(() => this.removeTaskNamespaces());
  }

  private async removeTaskNamespaces(): Promise<void> {
    const prefix = `${namespacePrefix(this.dataDir)}-`;
    const names = (await exec('ip', ['netns', 'list'])).stdout.split('\n').map((l) => l.split(' ')[0]!);
    for (const ns of names.filter((n) => n.startsWith(prefix))) await exec('ip', ['netns', 'delete', ns], { allowFail: true });
  }

  readonly dataDir: string;
  readonly socket: string;

  async start(): Promise<void> {
    const args = [SHOALD, '--data-dir', this.dataDir, '--api-socket', this.socket, '--log-level', 'debug', ...this.extraArgs];
    this.process = await this.lab.start(this.host, process.execPath, args, { name: 'shoald' });
    await this.process.waitForOutput(/is serving the Docker Engine API/, 20_000);
  }

  /** SIGKILL: a crash, leaving whatever it started running. */
  async crash(): Promise<void> {
    process.kill(this.process.pid, 'SIGKILL');
    await this.process.exited;
  }

  async stop(): Promise<void> {
    await this.process.stop(15_000);
  }

  /** Runs the real docker CLI against this shoald; throws with its output on a non-zero exit unless allowFail. */
  docker(args: string[], opts: { allowFail?: boolean; input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<ExecResult> {
    return exec(dockerCli(), ['-H', `unix://${this.socket}`, ...args], { ...opts, timeoutMs: opts.timeoutMs ?? 120_000 });
  }

  /** `docker import` of the busybox rootfs as busybox:latest, through Shoal's Engine API. */
  async importBusybox(): Promise<void> {
    await this.docker(['import', await busyboxRootfsTarball(), 'busybox:latest']);
  }

  /** Waits until `docker service ls` shows `replicas` for the service. */
  async waitForReplicas(service: string, replicas: string, timeoutMs = 30_000): Promise<void> {
    await waitUntil(`${service} at ${replicas}`, async () => {
      const { stdout } = await this.docker(['service', 'ls', '--filter', `name=${service}`, '--format', '{{.Name}} {{.Replicas}}']);
      return stdout.split('\n').some((l) => l.startsWith(`${service} ${replicas}`));
    }, { timeoutMs, intervalMs: 200 });
  }
}

/** A shoald on each named host (advertising its underlay address, plus `extraArgs`), started in turn. */
export async function startShoalds(lab: Lab, names: string[], extraArgs: string[] = []): Promise<Record<string, ShoaldInHost>> {
  const hosts: Record<string, ShoaldInHost> = {};
  for (const h of names) {
    hosts[h] = new ShoaldInHost(lab, h, ['--advertise-addr', lab.host(h).address, ...extraArgs]);
    await hosts[h]!.start();
  }
  return hosts;
}

/** `run(host, ...args)`: the docker CLI against that host's shoald, its stdout (throws on failure). */
export const dockerOn = (hosts: Record<string, ShoaldInHost>) => async (h: string, ...args: string[]): Promise<string> => (await hosts[h]!.docker(args)).stdout;

/** One HTTP GET from the lab's outside namespace to host:port through busybox nc; the body, or '' on failure. */
export async function fetchFromOutside(lab: Lab, host: string, port: number): Promise<string> {
  const res = await lab.exec(lab.labHost, 'busybox', ['nc', '-w', '3', host, String(port)], { allowFail: true, input: 'GET / HTTP/1.0\r\n\r\n', timeoutMs: 10_000 });
  const body = res.stdout.split('\r\n\r\n')[1] ?? '';
  return res.stdout.startsWith('HTTP/1.') ? body.trim() : '';
}
