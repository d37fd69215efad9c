/**
 * What an executor (process or docker) needs to run one task, and what it reports back.
 * The agent drives executors through this interface only.
 */

export interface TaskNetworkAttachment {
  networkId: string;
  networkName: string;
  /** The task's address with prefix length, e.g. "10.0.1.5/24". */
  address: string;
  /** The gateway (the host's address on this network), e.g. "10.0.1.1". */
  gateway: string;
  /** The host-side bridge the task's veth is attached to (created by the network layer). */
  bridge: string;
  mtu: number;
}

export interface TaskFile {
  /** Absolute path inside the task's view, e.g. /run/secrets/s1 or /c1. */
  target: string;
  data: Buffer;
  uid: number;
  gid: number;
  mode: number;
  /** Secrets live on tmpfs and never touch the disk of the data dir. */
  secret: boolean;
}

export interface TaskRunSpec {
  taskId: string;
  /** e.g. "web.1.<taskid>" */
  name: string;
  serviceName: string;
  image: string;
  /** Entrypoint override and args, as in ContainerSpec (Command then Args). */
  command: string[];
  args: string[];
  env: string[];
  dir?: string;
  user?: string;
  hostname: string;
  networks: TaskNetworkAttachment[];
  files: TaskFile[];
  stopSignal: string;
  stopGracePeriodMs: number;
  labels: Record<string, string>;
  /** Nameserver written into the task's resolv.conf (the embedded DNS); host resolvers when absent. */
  dnsServer?: string;
  /** ContainerSpec.HealthCheck: the docker executor's engine runs it (the image's own when absent); the process runtime runs a CMD or CMD-SHELL check in the task's namespaces. */
  healthCheck?: TaskHealthCheck;
  /** What a container runtime honours beyond the above (the process runtime ignores it). */
  container?: ContainerOptions;
  /** `--with-registry-auth`: the credentials for pulling `image`, X-Registry-Auth-encoded. */
  registryAuth?: string;
}

/** Container settings from the service, in Docker's shapes. */
export interface ContainerOptions {
  mounts?: { Type: 'bind' | 'volume' | 'tmpfs' | 'npipe'; Source?: string; Target: string; ReadOnly?: boolean }[];
  limits?: { NanoCPUs?: number; MemoryBytes?: number; Pids?: number };
  init?: boolean;
  readOnly?: boolean;
  capAdd?: string[];
  capDrop?: string[];
  ulimits?: { Name: string; Soft: number; Hard: number }[];
  sysctls?: Record<string, string>;
  groups?: string[];
  logDriver?: { Name: string; Options?: Record<string, string> };
}

/** A health check in Docker's shape (durations in nanoseconds): `["NONE"]`, `["CMD", ...]` or `["CMD-SHELL", "..."]`. */
export interface TaskHealthCheck {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  Retries?: number;
  StartPeriod?: number;
}

export type TaskHealth = 'starting' | 'healthy' | 'unhealthy';

export interface TaskExit {
  exitCode: number;
  /** A human message for the task status, e.g. "task: non-zero exit (1)". */
  message: string;
}

export interface StartedTask {
  pid: number;
  /** Runtime handle shown as ContainerStatus.ContainerID. */
  containerId: string;
  /** Shown in the task's status message, e.g. when an image is unknown and the host filesystem is used. */
  note?: string;
}

export interface LogOptions {
  follow: boolean;
  /** Number of last lines of the selected streams together (as `docker logs --tail`), or undefined for all. */
  tail?: number;
  /** Unix seconds. */
  since?: number;
  until?: number;
  stdout: boolean;
  stderr: boolean;
  signal?: AbortSignal;
}

export interface LogLine {
  stream: 'stdout' | 'stderr';
  /** RFC3339Nano timestamp of when the line was written. */
  timestamp: string;
  /** The line's bytes, with its trailing newline. */
  line: Buffer;
}

export interface TaskExecutor {
  readonly kind: 'process' | 'docker';
  /**
   * Gets what the task needs before it can start (the docker runtime: its image, pulled if
   * missing); a failure rejects the task, as swarmkit's Prepare does. start() works without it.
   */
  prepare?(spec: TaskRunSpec): Promise<void>;
  /** Creates the task's network namespace, files and process; resolves once it runs. Throws a ShoalError with a clear message if it cannot start. */
  start(spec: TaskRunSpec): Promise<StartedTask>;
  /** Resolves when the task's process exits (also for tasks adopted after a restart). */
  wait(taskId: string): Promise<TaskExit>;
  /** Sends the stop signal, then SIGKILL after the grace period; resolves once it has exited. */
  stop(taskId: string, graceMs: number): Promise<void>;
  /** Sends `signal` (a name or number, as `docker kill --signal` takes it) to the task's main process, if it still runs. */
  kill(taskId: string, signal: string): Promise<void>;
  /** Removes everything the task left: namespace, veths, mounts, files (logs are kept until remove). Does nothing for an unknown task. */
  remove(taskId: string): Promise<void>;
  /** Task IDs this executor still has from before (e.g. after a daemon restart), with whether each still runs. */
  list(): Promise<{ taskId: string; running: boolean; pid?: number }[]>;
  /** Re-attaches to a task that survived a daemon restart, so wait/stop/logs work again. */
  adopt(taskId: string): Promise<StartedTask | undefined>;
  logs(taskId: string, opts: LogOptions): AsyncIterable<LogLine>;
  /** Executors that run health checks: a task's health now, undefined when it has no check. */
  health?(taskId: string): Promise<TaskHealth | undefined>;
  /** Executors that run health checks: calls `listener` on every change of a task's health; returns the unsubscribe. */
  onHealthChange?(listener: (taskId: string, health: TaskHealth) => void): () => void;
}
