import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { exec, type ExecResult } from '../../src/util/exec.js';
import { dockerCli, withLab, waitUntil, type Lab } from '../lab/index.js';
import { startShoalds, type ShoaldInHost } from './shoald-harness.js';

// What the walkthrough suites (walkthrough-*.test.ts) share: a fresh three-host lab with a shoald
// on each host and busybox imported everywhere, the swarm formed as the seeds do it, and the
// operator's ways of looking at it (the CLI's output, HTTP from outside, nslookup inside a task).

export const HOSTS = ['h1', 'h2', 'h3'] as const;

export interface TaskView {
  ID: string;
  NodeID: string;
  Slot?: number;
  Status: { State: string; ContainerStatus?: { PID: number } };
  NetworksAttachments?: { Network: { Spec: { Name: string } }; Addresses: string[] }[];
}

/** A docker CLI the walkthroughs run with: its path and version. */
export interface DockerClient {
  path: string;
  version: string;
}

/**
 * The docker CLIs on this machine: the one the lab uses, and Debian's 20.10 client (`docker.io`,
 * /usr/bin/docker) as well when it is installed and is another version.
 */
export function dockerClients(): DockerClient[] {
  const version = (path: string) => /version ([^\s,]+)/.exec(execFileSync(path, ['--version'], { encoding: 'utf8' }))?.[1] ?? 'unknown';
  const main = { path: dockerCli(), version: version(dockerCli()) };
  const debian = '/usr/bin/docker';
  if (main.path === debian || !existsSync(debian)) return [main];
  const other = { path: debian, version: version(debian) };
  return other.version === main.version ? [main] : [main, other];
}

export class WalkthroughCluster {
  constructor(
    readonly lab: Lab,
    readonly hosts: Record<string, ShoaldInHost>,
    /** The lab's docker CLI unless given. */
    readonly client: DockerClient = dockerClients()[0]!,
  ) {}

  /** The docker CLI on host `h` (its shoald's socket); throws with its output on a non-zero exit unless allowFail. */
  docker(h: string, args: string[], opts: { allowFail?: boolean } = {}): Promise<ExecResult> {
    return exec(this.client.path, ['-H', `unix://${this.hosts[h]!.socket}`, ...args], { allowFail: opts.allowFail, timeoutMs: 120_000 });
  }

  /** The docker CLI on host `h`: its stdout, throwing with its output on failure. */
  async run(h: string, ...args: string[]): Promise<string> {
    return (await this.docker(h, args)).stdout;
  }

  /** The docker CLI on host `h`, expected to fail: its stderr. */
  async fails(h: string, ...args: string[]): Promise<string> {
    const res = await this.docker(h, args, { allowFail: true });
    assert.notEqual(res.code, 0, `docker ${args.join(' ')} on ${h} should fail`);
    return res.stderr;
  }

  address(h: string): string {
    return this.lab.host(h).address;
  }

  /** The manager address the join commands name. */
  get managerAddr(): string {
    return `${this.address('h1')}:2377`;
  }

  /** `hostname → "STATUS AVAILABILITY MANAGER-STATUS"` from `node ls` on h1. */
  async nodeStates(on = 'h1'): Promise<Record<string, string>> {
    const out = await this.run(on, 'node', 'ls', '--format', '{{.Hostname}} {{.Status}} {{.Availability}} {{.ManagerStatus}}');
    return Object.fromEntries(out.trim().split('\n').map((l) => [l.split(' ')[0]!, l.split(' ').slice(1).join(' ').trim()]));
  }

  /** Running tasks of a service per host name, as `service ps` shows them. */
  async runningPerHost(service: string): Promise<Record<string, number>> {
    const out = await this.run('h1', 'service', 'ps', '--filter', 'desired-state=running', '--format', '{{.Node}} {{.CurrentState}}', service);
    const counts: Record<string, number> = {};
    for (const line of out.trim().split('\n').filter((l) => l.includes('Running'))) counts[line.split(' ')[0]!] = (counts[line.split(' ')[0]!] ?? 0) + 1;
    return counts;
  }

  async waitRunning(service: string, total: number, timeoutMs = 30_000): Promise<Record<string, number>> {
    return waitUntil(`${total} running tasks of ${service}`, async () => {
      const c = await this.runningPerHost(service);
      return Object.values(c).reduce((a, b) => a + b, 0) === total && c;
    }, { timeoutMs, intervalMs: 250 });
  }

  /** Waits until the service's running tasks are spread over the hosts exactly as `want` says. */
  async waitSpread(service: string, want: Record<string, number>, timeoutMs = 30_000): Promise<void> {
    await waitUntil(`${service} spread as ${JSON.stringify(want)}`, async () => {
      const c = await this.runningPerHost(service);
      const hosts = new Set([...Object.keys(c), ...Object.keys(want)]);
      if ([...hosts].some((h) => c[h] !== want[h])) throw new Error(`running: ${JSON.stringify(c)}\n${await this.run('h1', 'service', 'ps', service)}`);
      return true;
    }, { timeoutMs, intervalMs: 250 });
  }

  /** `docker inspect --type task` of a service's tasks that should be running. */
  async tasksOf(service: string): Promise<TaskView[]> {
    const ids = (await this.run('h1', 'service', 'ps', '-q', '--filter', 'desired-state=running', service)).trim().split('\n').filter(Boolean);
    return ids.length ? (JSON.parse(await this.run('h1', 'inspect', '--type', 'task', ...ids)) as TaskView[]) : [];
  }

  /** One HTTP GET from outside the cluster (the lab's own namespace) to a host's port: the body, or '' when nothing answered. */
  async httpGet(h: string, port: number): Promise<string> {
    const res = await this.lab.exec(this.lab.labHost, 'busybox', ['nc', '-w', '3', this.address(h), String(port)], { allowFail: true, input: 'GET / HTTP/1.0\r\n\r\n', timeoutMs: 10_000 });
    return res.stdout.startsWith('HTTP/1.') ? (res.stdout.split('\r\n\r\n')[1] ?? '').trim() : '';
  }

  /** Waits until `port` on every host (of `on`) has answered with `bodies` different pages (the tasks' own). */
  async reachedEverywhere(port: number, bodies: number, on: readonly string[] = HOSTS, timeoutMs = 30_000): Promise<void> {
    for (const h of on) {
      const seen = new Set<string>();
      await waitUntil(`port ${port} on ${h} reaching ${bodies} tasks (seen: ${[...seen].join(', ')})`, async () => {
        for (let i = 0; i < 2 * bodies; i++) {
          const body = await this.httpGet(h, port);
          if (body) seen.add(body);
        }
        return seen.size >= bodies;
      }, { timeoutMs, intervalMs: 200 });
    }
  }

  /** `nslookup name` run inside a task (its network and mount namespaces: its resolv.conf names the embedded DNS). */
  async nslookupIn(task: TaskView, name: string): Promise<string> {
    const pid = String(task.Status.ContainerStatus!.PID);
    return (await this.lab.exec('h1', 'nsenter', ['-t', pid, '--net', '--mount', 'busybox', 'nslookup', name], { allowFail: true, timeoutMs: 15_000 })).stdout;
  }

  /** The swarm as every seed starts it: `init`, then h2 and h3 join as workers. */
  async formSwarm(): Promise<void> {
    await this.init();
    await this.joinWorkers();
  }

  /** `swarm init --advertise-addr` on h1 (dispatcher heartbeat 1 s, to keep the suites short): its output as Docker prints it. */
  async init(): Promise<string> {
    const init = await this.run('h1', 'swarm', 'init', '--advertise-addr', this.address('h1'), '--dispatcher-heartbeat', '1s');
    assert.match(init, /^Swarm initialized: current node \([0-9a-z]{25}\) is now a manager\./);
    assert.match(init, new RegExp(`docker swarm join --token SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25} ${this.managerAddr.replace(/\./g, '\\.')}`));
    assert.match(init, /To add a manager to this swarm, run 'docker swarm join-token manager' and follow the instructions\./);
    return init;
  }

  /** h2 and h3 run the join command that `join-token worker` prints on h1; all three are then Ready. */
  async joinWorkers(): Promise<void> {
    const joinCommand = /docker swarm join --token (SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}) ([\d.]+:2377)/.exec(await this.run('h1', 'swarm', 'join-token', 'worker'));
    assert.ok(joinCommand, 'join-token worker prints the join command');
    assert.equal(joinCommand[2], this.managerAddr);
    for (const h of ['h2', 'h3']) assert.equal(await this.run(h, 'swarm', 'join', '--token', joinCommand[1]!, joinCommand[2]!), 'This node joined a swarm as a worker.\n');
    await this.waitNodes({ h1: 'Ready Active Leader', h2: 'Ready Active', h3: 'Ready Active' });
  }

  /** Waits until `node ls` on h1 shows these states (hostname → "STATUS AVAILABILITY MANAGER-STATUS"). */
  async waitNodes(want: Record<string, string>, timeoutMs = 20_000): Promise<void> {
    await waitUntil(`node ls showing ${JSON.stringify(want)}`, async () => {
      const s = await this.nodeStates();
      return Object.entries(want).every(([h, state]) => s[h] === state);
    }, { timeoutMs, intervalMs: 200 });
  }
}

/** Runs `fn` on a fresh three-host lab with a shoald per host and busybox:latest imported on each, driven by `client`; always cleaned up. */
export async function withCluster(client: DockerClient, fn: (c: WalkthroughCluster) => Promise<void>): Promise<void> {
  await withLab({ hosts: HOSTS.length }, async (lab) => {
    const hosts = await startShoalds(lab, [...HOSTS]);
    for (const h of Object.values(hosts)) await h.importBusybox();
    await fn(new WalkthroughCluster(lab, hosts, client));
  });
}

/** A busybox HTTP server on `port` whose page is its task's hostname, so answers tell the tasks apart. */
export const httpServer = (port: number): string[] => ['busybox', 'sh', '-c', `mkdir -p /www && hostname > /www/index.html && exec httpd -f -p ${port} -h /www`];
