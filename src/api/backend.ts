import type { Readable } from 'node:stream';
import type { Store, StoreEvent } from '../cluster/store/types.js';
import type { ServiceObject, SwarmSpec } from '../cluster/types.js';
import type { LogLine, LogOptions } from '../runtime/types.js';
import type { LocalTask } from '../agent/agent.js';
import type { TraceRequest } from '../cluster/trace/plan-trace.js';
import type { TraceReport } from '../cluster/trace/trace-report.js';
import type { ServiceWhy } from '../daemon/service-why.js';

/**
 * What the Engine API server needs from the daemon. The daemon implements it; the server reads
 * and writes cluster state through `store()` and the control API, never around it.
 */
export interface ApiBackend {
  swarm: SwarmBackend;
  /** The open cluster store on a manager; undefined when this node is in no swarm or is a worker. */
  store(): Store | undefined;
  /** Calls `listener` with every committed store change, from whichever store is open (across init and leave). */
  onStoreEvents(listener: (events: StoreEvent[]) => void): () => void;
  images: ImagesBackend;
  /** The log lines of one task, wherever it runs (LogLine and LogOptions as executors define them). */
  taskLogs(taskId: string, opts: LogOptions): AsyncIterable<LogLine>;
  /** `GET /shoal/services/{id}/why` (Shoal only): the managers' backends for a service and what every host's mesh and DNS hold. */
  serviceWhy(service: ServiceObject): Promise<ServiceWhy>;
  /** The tasks this host runs, as containers (`docker ps`, `docker kill`, `docker stop`). */
  containers: ContainersBackend;
  /** Facts about this host and daemon for `version` and `info`. */
  host(): HostInfo;
  /** `shoal trace`: where a new connection from a client to a service would go now (a manager asks the hosts). */
  trace(req: TraceRequest): Promise<TraceReport>;
}

export interface ContainersBackend {
  /** The tasks this host started and still knows of; empty outside a swarm. */
  list(): LocalTask[];
  /** `docker kill` (`{ signal }`) or `docker stop` (`{ graceMs }`) of one of them; 409 when it no longer runs. */
  interrupt(taskId: string, how: { signal: string } | { graceMs?: number }): Promise<void>;
}

export type LocalNodeState = 'inactive' | 'pending' | 'active' | 'error' | 'locked';

export interface SwarmState {
  localNodeState: LocalNodeState;
  /** Empty when inactive. */
  nodeId: string;
  nodeAddr: string;
  /** True on a manager, where the store is open and the control API answers. */
  controlAvailable: boolean;
  error: string;
  /** The managers this node knows of, for a worker (a manager's are read from the store). */
  remoteManagers?: { NodeID: string; Addr: string }[];
}

export interface SwarmBackend {
  state(): SwarmState;
  /** Creates the swarm with this node as its first manager; resolves to the node ID. */
  init(request: SwarmInitRequest): Promise<string>;
  join(request: SwarmJoinRequest): Promise<void>;
  /** Leaves the swarm; throws (503, with Docker's advice) when a manager leaves without force. */
  leave(force: boolean): Promise<void>;
  /** `swarm unlock`: opens an autolocked manager's store with its unlock key. */
  unlock(unlockKey: string): Promise<void>;
}

/** `POST /swarm/init`, as the docker CLI sends it. */
export interface SwarmInitRequest {
  ListenAddr: string;
  AdvertiseAddr: string;
  DataPathAddr: string;
  DataPathPort: number;
  DefaultAddrPool: string[];
  SubnetSize: number;
  ForceNewCluster: boolean;
  Spec: Partial<SwarmSpec>;
  AutoLockManagers: boolean;
  Availability: string;
}

/** `POST /swarm/join`. */
export interface SwarmJoinRequest {
  ListenAddr: string;
  AdvertiseAddr: string;
  DataPathAddr: string;
  RemoteAddrs: string[];
  JoinToken: string;
  Availability: string;
}

/** One image as `GET /images/json` lists it, less the fields that are constant in Shoal. */
export interface ImageSummary {
  Id: string;
  RepoTags: string[];
  /** Unix seconds. */
  Created: number;
  Size: number;
}

export interface ImagesBackend {
  /** Unpacks a root filesystem tarball (`docker import`), tagged `repo:tag` when given. */
  importImage(source: Readable, tag?: string): Promise<ImageSummary>;
  list(): Promise<ImageSummary[]>;
  /** A local image by reference; `digest` only when the image has a registry digest to pin. */
  resolve(ref: string): Promise<{ id: string; digest?: string } | undefined>;
}

export interface HostInfo {
  /** The daemon's ID as `info` shows it. */
  id: string;
  hostname: string;
  ncpu: number;
  memoryBytes: number;
  kernelVersion: string;
  operatingSystem: string;
  /** Docker's spelling: x86_64, aarch64. */
  architecture: string;
  dataRoot: string;
  /** The task runtime in use: `process` or `docker`. */
  runtime: string;
  /** The data plane in use: `nftables` or `userspace`. */
  dataPlane: string;
  /** Shoal's version, e.g. 0.1.0. */
  version: string;
}
