import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { exec, type ExecOptions, type ExecResult } from '../../src/util/exec.js';
import { createLogger, type Logger } from '../../src/util/logger.js';
import { LabProcess, type SpawnInHostOptions } from './host-process.js';
import { removeLeftovers } from './leftovers.js';
import { claimPrefix } from './owner.js';
import { trackLab, untrackLab } from './live-labs.js';
import { checkLabPrefix, netnsName, newLabPrefix, stateDir, underlayBase, workDir } from './names.js';
import { addNetns, addVethBetween, ipIn, netnsPath, setSysctls } from './netns.js';
import { killTrees, pidsInNetns } from './pids.js';
import { teardownRun } from './teardown.js';

export interface LabOptions {
  /** Number of hosts, named h1..hN. */
  hosts: number;
  /** `shl` and 1–7 of [a-z0-9]; a random `shl<4>` by default. */
  prefix?: string;
  logger?: Logger;
}

/** A host of the lab: a network namespace and a UTS namespace (its hostname) with one underlay address. */
export interface LabHost {
  readonly name: string;
  readonly netns: string;
  /** Its address on the underlay /24 (device eth0 in the host). */
  readonly address: string;
  readonly utsPath: string;
}

export type HostRef = string | LabHost;

/** The namespace that holds the underlay bridge; it doubles as the outside world (a client at .254). */
export const LAB_NS_HOST = 'lab';
const UNDERLAY_BRIDGE = 'underlay';
/** Locally administered; only the lab namespace's own L2 sees it. */
const UNDERLAY_BRIDGE_MAC = '02:1a:b0:00:00:01';
const HOST_NAME = /^[a-z][a-z0-9]{0,14}$/;
const LOG_TAIL_BYTES = 64 * 1024;

/** Hosts act as routers with strict reverse-path filtering, and bridged traffic passes netfilter (dataplane-lab §9). */
const HOST_SYSCTLS = {
  'net.ipv4.ip_forward': 1,
  'net.ipv4.conf.all.rp_filter': 1,
  'net.ipv4.conf.default.rp_filter': 1,
  'net.bridge.bridge-nf-call-iptables': 1,
};
/** The underlay is a plain switch: no forwarding, no netfilter on bridged frames. */
const LAB_NS_SYSCTLS = {
  'net.ipv4.ip_forward': 0,
  'net.bridge.bridge-nf-call-iptables': 0,
};

export class Lab {
  /** Prefix of every name this lab gives (namespaces, cgroups, folders). */
  readonly prefix: string;
  /** Scratch folder of this lab (logs, data dirs, sockets), removed by destroy(). */
  readonly dir: string;
  readonly hosts: LabHost[] = [];
  /** The underlay's own namespace, usable as a host named 'lab' (outside client at .254). */
  readonly labHost: LabHost;
  readonly subnet: string;
  readonly log: Logger;
  private readonly processes: LabProcess[] = [];
  private destroying: Promise<void> | undefined;
  private readonly cleanups: (() => Promise<void>)[] = [];

  constructor(prefix: string, log: Logger) {
    this.prefix = prefix;
    this.dir = workDir(prefix);
    this.log = log.child({ lab: prefix });
    const base = underlayBase(prefix);
    this.subnet = `${base}.0/24`;
    this.labHost = this.describeHost(LAB_NS_HOST, `${base}.254`);
  }

  private describeHost(name: string, address: string): LabHost {
    return { name, netns: netnsName(this.prefix, name), address, utsPath: join(stateDir(this.prefix), `${name}.uts`) };
  }

  /** Creates a namespace with its own persistent UTS namespace whose hostname is `host.name`. */
  private async createNamespaces(host: LabHost): Promise<void> {
    await addNetns(host.netns);
    writeFileSync(host.utsPath, '');
    await exec('unshare', [`--uts=${host.utsPath}`, 'hostname', host.name]);
  }

  /** Builds the lab namespace and its underlay bridge. */
  async createUnderlay(): Promise<void> {
    const ns = this.labHost.netns;
    await this.createNamespaces(this.labHost);
    await setSysctls(ns, LAB_NS_SYSCTLS);
    // A MAC of its own: by default a bridge takes its ports' lowest, so a partition (a port leaving) could change
    // the lab's MAC under the hosts' ARP caches, and their packets to the lab namespace (a probe's answers) vanish for seconds.
    await ipIn(ns, ['link', 'add', UNDERLAY_BRIDGE, 'address', UNDERLAY_BRIDGE_MAC, 'type', 'bridge']);
    await ipIn(ns, ['addr', 'add', `${this.labHost.address}/24`, 'dev', UNDERLAY_BRIDGE]);
    await ipIn(ns, ['link', 'set', UNDERLAY_BRIDGE, 'up']);
  }

  /** Adds a host on the underlay: the next free address, eth0 in the host, a port named after it on the bridge. */
  async addHost(name = `h${this.hosts.length + 1}`): Promise<LabHost> {
    if (!HOST_NAME.test(name) || name === LAB_NS_HOST || this.hosts.some((h) => h.name === name)) {
      throw new Error(`bad or duplicate lab host name ${name}`);
    }
    const host = this.describeHost(name, `${underlayBase(this.prefix)}.${this.hosts.length + 1}`);
    this.hosts.push(host);
    await this.createNamespaces(host);
    await setSysctls(host.netns, HOST_SYSCTLS);
    await addVethBetween(this.labHost.netns, name, host.netns, 'eth0');
    await ipIn(this.labHost.netns, ['link', 'set', name, 'master', UNDERLAY_BRIDGE, 'up']);
    await ipIn(host.netns, ['addr', 'add', `${host.address}/24`, 'dev', 'eth0']);
    await ipIn(host.netns, ['link', 'set', 'eth0', 'up']);
    return host;
  }

  host(ref: HostRef): LabHost {
    if (typeof ref !== 'string') return ref;
    const host = ref === LAB_NS_HOST ? this.labHost : this.hosts.find((h) => h.name === ref);
    if (!host) throw new Error(`lab ${this.prefix} has no host ${ref}`);
    return host;
  }

  /** A scratch folder for one host (data dirs, sockets), created on first use. */
  hostDir(ref: HostRef): string {
    const dir = join(this.dir, this.host(ref).name);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  /**
   * The argv that runs a command inside a host: its network and UTS namespaces through nsenter.
   * Not `ip netns exec`, which remounts /sys and hides the cgroups a Docker engine needs.
   */
  command(ref: HostRef, cmd: string, args: readonly string[] = []): string[] {
    const h = this.host(ref);
    return ['nsenter', `--net=${netnsPath(h.netns)}`, `--uts=${h.utsPath}`, '--', cmd, ...args];
  }

  /** Runs a command to completion inside a host; throws (naming the command) on failure unless allowFail. */
  exec(ref: HostRef, cmd: string, args: readonly string[] = [], opts?: ExecOptions): Promise<ExecResult> {
    const [bin, ...rest] = this.command(ref, cmd, args);
    return exec(bin!, rest, opts);
  }

  /** Starts a long-running process inside a host; its output is kept for logs(). */
  async start(ref: HostRef, cmd: string, args: readonly string[] = [], opts: SpawnInHostOptions = {}): Promise<LabProcess> {
    const host = this.host(ref);
    const name = opts.name ?? basename(cmd);
    mkdirSync(join(this.dir, 'logs'), { recursive: true });
    const logPath = join(this.dir, 'logs', `${host.name}.${name}.${this.processes.length + 1}.log`);
    const proc = await LabProcess.spawn(host.name, name, this.command(host, cmd, args), logPath, opts);
    this.processes.push(proc);
    this.log.debug({ host: host.name, name, pid: proc.pid }, 'started process');
    return proc;
  }

  /** Cuts a host off the underlay: its port leaves the bridge, so its packets vanish silently (no errors, like a real partition). */
  async partition(ref: HostRef): Promise<void> {
    await ipIn(this.labHost.netns, ['link', 'set', this.underlayHost(ref).name, 'nomaster']);
  }

  /** Puts a partitioned host's port back on the underlay bridge. */
  async heal(ref: HostRef): Promise<void> {
    await ipIn(this.labHost.netns, ['link', 'set', this.underlayHost(ref).name, 'master', UNDERLAY_BRIDGE]);
  }

  private underlayHost(ref: HostRef): LabHost {
    const host = this.host(ref);
    if (host === this.labHost) throw new Error('the lab namespace holds the underlay; partition a host instead');
    return host;
  }

  /**
   * Host loss: SIGKILLs every process started in the host, everything else in its network
   * namespace, and all their descendants (containers of a Docker engine there too). The namespace
   * stays, so the host can be started again; its address answers with resets until then
   * (partition it as well for silence).
   */
  async killHost(ref: HostRef): Promise<void> {
    const host = this.host(ref);
    const started = this.processes.filter((p) => p.host === host.name && p.running).map((p) => p.pid);
    await killTrees([...started, ...pidsInNetns(netnsPath(host.netns))]);
    this.log.debug({ host: host.name }, 'killed host');
  }

  /** Pids of the processes started with start() and still running. */
  startedPids(): number[] {
    return this.processes.filter((p) => p.running).map((p) => p.pid);
  }

  /** Every process's output (last 64 KiB each), with its host, name and state: for a failed test. */
  logs(): string {
    return this.processes
      .map((p) => {
        const state = p.running ? 'running' : 'exited';
        const out = p.output();
        const tail = out.length > LOG_TAIL_BYTES ? `[... ${out.length - LOG_TAIL_BYTES} bytes cut]\n${out.slice(-LOG_TAIL_BYTES)}` : out;
        return `----- ${p.host} ${p.name} pid ${p.pid} (${state}) ${p.logPath}\n${tail}`;
      })
      .join('\n');
  }

  dumpLogs(write: (text: string) => void = (t) => process.stderr.write(t + '\n')): void {
    write(`===== logs of lab ${this.prefix}\n${this.logs()}`);
  }

  /** Removes everything the lab made: processes, namespaces (with their devices), cgroups, folders. Idempotent. */
  /** Runs `fn` when the lab is destroyed, after its processes are gone (for what a test's daemons made outside the lab's names). */
  onDestroy(fn: () => Promise<void>): void {
    this.cleanups.push(fn);
  }

  destroy(): Promise<void> {
    this.destroying ??= (async () => {
      await teardownRun(this.prefix, this.startedPids());
      for (const fn of this.cleanups) await fn().catch((err) => this.log.warn({ err }, 'a cleanup of the lab failed'));
      untrackLab(this);
      this.log.debug('destroyed lab');
    })();
    return this.destroying;
  }
}

let defaultLogger: Logger | undefined;

/**
 * Creates a lab of `hosts` hosts on one underlay, after sweeping leftovers of crashed runs.
 * Destroy it with lab.destroy() (or use withLab); it is also destroyed on SIGINT/SIGTERM.
 */
export async function createLab(opts: LabOptions): Promise<Lab> {
  const log = opts.logger ?? (defaultLogger ??= createLogger((process.env.SHOAL_LAB_LOG as 'info') ?? 'warn', 'lab'));
  await removeLeftovers(log);
  const prefix = checkLabPrefix(opts.prefix ?? newLabPrefix());
  claimPrefix(prefix);
  const lab = new Lab(prefix, log);
  trackLab(lab);
  try {
    mkdirSync(lab.dir, { recursive: true });
    await lab.createUnderlay();
    for (let i = 0; i < opts.hosts; i++) await lab.addHost();
  } catch (err) {
    await lab.destroy();
    throw err;
  }
  log.debug({ lab: prefix, hosts: opts.hosts }, 'lab ready');
  return lab;
}
