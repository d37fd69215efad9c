/**
 * Cluster objects, kept in the shapes of Docker Engine API 1.41 (swarm subset), so the store's
 * objects are what the API returns, less the few fields that are filtered on output
 * (secret data). Specs are what the client sent, normalised.
 */

export interface Version {
  Index: number;
}

export interface Meta {
  ID: string;
  Version: Version;
  CreatedAt: string;
  UpdatedAt: string;
}

export type Labels = Record<string, string>;

// ---------- cluster (the swarm object) ----------

export interface SwarmSpec {
  Name: string;
  Labels: Labels;
  Orchestration: { TaskHistoryRetentionLimit: number };
  Raft: { SnapshotInterval: number; KeepOldSnapshots?: number; LogEntriesForSlowFollowers: number; ElectionTick: number; HeartbeatTick: number };
  Dispatcher: { HeartbeatPeriod: number };
  CAConfig: { NodeCertExpiry: number; ExternalCAs?: ExternalCA[]; SigningCACert?: string; SigningCAKey?: string; ForceRotate?: number };
  TaskDefaults: { LogDriver?: { Name: string; Options?: Record<string, string> } };
  EncryptionConfig: { AutoLockManagers: boolean };
}

/** A CA outside the swarm that signs node certificates (`--external-ca protocol=cfssl,url=...,cacert=...`). */
export interface ExternalCA {
  Protocol: string;
  URL: string;
  Options?: Record<string, string>;
  /** The root it signs with (PEM); empty: the swarm's current root. */
  CACert?: string;
}

/** The swarm's root CA as the managers keep it (never shown by the API). */
export interface ClusterRootCA {
  CACert: string;
  /** Absent when only an external CA holds the key. */
  CAKey?: string;
  /** A root rotation under way: the new root, its key, and the new root signed by the current one. */
  RootRotation?: { CACert: string; CAKey?: string; CrossSignedCACert: string };
  /** The `ForceRotate` counter the last rotation answered. */
  LastForcedRotation?: number;
}

export interface ClusterObject extends Meta {
  Spec: SwarmSpec;
  TLSInfo: { TrustRoot: string; CertIssuerSubject: string; CertIssuerPublicKey: string };
  RootRotationInProgress: boolean;
  DefaultAddrPool: string[];
  SubnetSize: number;
  DataPathPort: number;
  JoinTokens: { Worker: string; Manager: string };
  /** Not shown by the API: the unlock key when autolock is on. */
  UnlockKey?: string;
  /** Not shown by the API: the root CA's certificate and key (PEM), with which managers sign node certificates. */
  RootCA?: ClusterRootCA;
}

// ---------- nodes ----------

export type NodeRole = 'worker' | 'manager';
export type NodeAvailability = 'active' | 'pause' | 'drain';
export type NodeState = 'unknown' | 'down' | 'ready' | 'disconnected';

export interface NodeSpec {
  Name?: string;
  Labels: Labels;
  Role: NodeRole;
  Availability: NodeAvailability;
}

export interface NodeObject extends Meta {
  Spec: NodeSpec;
  Description: {
    Hostname: string;
    Platform: { Architecture: string; OS: string };
    Resources: { NanoCPUs: number; MemoryBytes: number; GenericResources?: unknown[] };
    Engine: { EngineVersion: string; Labels?: Labels; Plugins: { Type: string; Name: string }[] };
    TLSInfo: { TrustRoot: string; CertIssuerSubject: string; CertIssuerPublicKey: string };
  };
  Status: { State: NodeState; Message?: string; Addr: string };
  ManagerStatus?: { Leader?: boolean; Reachability: 'unknown' | 'unreachable' | 'reachable'; Addr: string };
  /** The host's own address on each overlay network (its bridge and the gateway of its tasks). */
  Attachments?: { NetworkID: string; Addr: string }[];
  /** Internal: the store version at which an operator last changed `Spec` (never shown by the API). */
  SpecVersion?: { Index: number };
  /**
   * Internal: the endpoint table version the host reported applied at its last heartbeat, and the
   * managers' current version then (the API shows them as `ShoalEndpointTable`).
   */
  EndpointTableVersions?: { Applied: number; Managers: number };
}

// ---------- services and tasks ----------

export interface Mount {
  Type: 'bind' | 'volume' | 'tmpfs' | 'npipe';
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
  [k: string]: unknown;
}

export interface SecretReference {
  File?: { Name: string; UID: string; GID: string; Mode: number };
  SecretID: string;
  SecretName: string;
}

export interface ConfigReference {
  File?: { Name: string; UID: string; GID: string; Mode: number };
  Runtime?: Record<string, never>;
  ConfigID: string;
  ConfigName: string;
}

export interface HealthConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  Retries?: number;
  StartPeriod?: number;
}

export interface ContainerSpec {
  Image: string;
  Labels?: Labels;
  Command?: string[];
  Args?: string[];
  Hostname?: string;
  Env?: string[];
  Dir?: string;
  User?: string;
  Groups?: string[];
  TTY?: boolean;
  OpenStdin?: boolean;
  ReadOnly?: boolean;
  Mounts?: Mount[];
  StopSignal?: string;
  StopGracePeriod?: number;
  HealthCheck?: HealthConfig;
  Hosts?: string[];
  DNSConfig?: { Nameservers?: string[]; Search?: string[]; Options?: string[] };
  Secrets?: SecretReference[];
  Configs?: ConfigReference[];
  Isolation?: string;
  Init?: boolean;
  Sysctls?: Record<string, string>;
  CapabilityAdd?: string[];
  CapabilityDrop?: string[];
  Ulimits?: { Name: string; Soft: number; Hard: number }[];
  /**
   * Registry credentials (`--with-registry-auth`), as the CLI encodes them for X-Registry-Auth.
   * Internal as in swarmkit: the Engine API never shows them.
   */
  PullOptions?: { RegistryAuth?: string };
  [k: string]: unknown;
}

export type RestartCondition = 'none' | 'on-failure' | 'any';

export interface RestartPolicy {
  Condition?: RestartCondition;
  Delay?: number;
  MaxAttempts?: number;
  Window?: number;
}

export interface NetworkAttachmentConfig {
  Target: string;
  Aliases?: string[];
  DriverOpts?: Record<string, string>;
}

export interface Placement {
  Constraints?: string[];
  Preferences?: { Spread: { SpreadDescriptor: string } }[];
  MaxReplicas?: number;
  Platforms?: { Architecture?: string; OS?: string }[];
}

export interface TaskSpec {
  ContainerSpec?: ContainerSpec;
  Resources?: {
    Limits?: { NanoCPUs?: number; MemoryBytes?: number; Pids?: number };
    Reservations?: { NanoCPUs?: number; MemoryBytes?: number; GenericResources?: unknown[] };
  };
  RestartPolicy?: RestartPolicy;
  Placement?: Placement;
  Networks?: NetworkAttachmentConfig[];
  LogDriver?: { Name: string; Options?: Record<string, string> };
  ForceUpdate?: number;
  Runtime?: string;
}

export interface UpdateConfig {
  Parallelism?: number;
  Delay?: number;
  FailureAction?: 'continue' | 'pause' | 'rollback';
  Monitor?: number;
  MaxFailureRatio?: number;
  Order?: 'stop-first' | 'start-first';
}

export interface PortConfig {
  Name?: string;
  Protocol?: 'tcp' | 'udp' | 'sctp';
  TargetPort?: number;
  PublishedPort?: number;
  PublishMode?: 'ingress' | 'host';
}

export interface EndpointSpec {
  Mode?: 'vip' | 'dnsrr';
  Ports?: PortConfig[];
}

export interface ServiceMode {
  Replicated?: { Replicas?: number };
  Global?: Record<string, never>;
  ReplicatedJob?: { MaxConcurrent?: number; TotalCompletions?: number };
  GlobalJob?: Record<string, never>;
}

export interface ServiceSpec {
  Name: string;
  Labels?: Labels;
  TaskTemplate: TaskSpec;
  Mode: ServiceMode;
  UpdateConfig?: UpdateConfig;
  RollbackConfig?: UpdateConfig;
  Networks?: NetworkAttachmentConfig[];
  EndpointSpec?: EndpointSpec;
}

export type UpdateState =
  | 'updating'
  | 'paused'
  | 'completed'
  | 'rollback_started'
  | 'rollback_paused'
  | 'rollback_completed';

export interface ServiceObject extends Meta {
  Spec: ServiceSpec;
  /**
   * The store index at which Spec last changed (set by controlapi on create and update to
   * `tx.index + 1`, the index of its own commit). Tasks carry the SpecVersion they were made
   * from; the CLI's `_up-to-date` task filter compares the two.
   */
  SpecVersion?: Version;
  PreviousSpec?: ServiceSpec;
  Endpoint: {
    Spec: EndpointSpec;
    Ports?: PortConfig[];
    VirtualIPs?: { NetworkID: string; Addr: string }[];
  };
  UpdateStatus?: { State: UpdateState; StartedAt?: string; CompletedAt?: string; Message: string };
}

/** Swarm's task states, in order: a task's state only ever moves forward in this list. */
export const TASK_STATES = [
  'new',
  'allocated',
  'pending',
  'assigned',
  'accepted',
  'preparing',
  'ready',
  'starting',
  'running',
  'complete',
  'shutdown',
  'failed',
  'rejected',
  'remove',
  'orphaned',
] as const;
export type TaskState = (typeof TASK_STATES)[number];

export interface TaskStatus {
  Timestamp: string;
  State: TaskState;
  Message: string;
  Err?: string;
  ContainerStatus?: { ContainerID?: string; PID?: number; ExitCode?: number };
  PortStatus: { Ports?: PortConfig[] };
}

export interface NetworkAttachment {
  Network: NetworkObjectSwarm;
  Addresses: string[];
}

export interface TaskObject extends Meta {
  Name?: string;
  Labels: Labels;
  Spec: TaskSpec;
  ServiceID: string;
  Slot?: number;
  NodeID?: string;
  Status: TaskStatus;
  DesiredState: TaskState;
  NetworksAttachments?: NetworkAttachment[];
  /** The service spec version this task was created from (for `_up-to-date`). */
  SpecVersion?: Version;
  JobIteration?: Version;
}

// ---------- networks ----------

export interface IPAMConfig {
  Subnet?: string;
  IPRange?: string;
  Gateway?: string;
  AuxiliaryAddresses?: Record<string, string>;
}

export interface NetworkSpecSwarm {
  Name: string;
  Labels: Labels;
  DriverConfiguration: { Name?: string; Options?: Record<string, string> };
  IPv6Enabled?: boolean;
  Internal?: boolean;
  Attachable?: boolean;
  Ingress?: boolean;
  IPAMOptions: { Driver: { Name?: string; Options?: Record<string, string> }; Configs?: IPAMConfig[] };
  Scope: 'swarm';
}

/** A network as swarmkit stores it (and as `NetworksAttachments` shows it). */
export interface NetworkObjectSwarm extends Meta {
  Spec: NetworkSpecSwarm;
  DriverState: { Name: string; Options: Record<string, string> };
  IPAMOptions: { Driver: { Name: string; Options?: Record<string, string> }; Configs: IPAMConfig[] };
}

// ---------- secrets and configs ----------

export interface SecretSpec {
  Name: string;
  Labels: Labels;
  /** base64; never returned by the API. */
  Data?: string;
  Driver?: { Name: string; Options?: Record<string, string> };
  Templating?: { Name: string; Options?: Record<string, string> };
}

export interface SecretObject extends Meta {
  Spec: SecretSpec;
}

export interface ConfigSpec {
  Name: string;
  Labels: Labels;
  /** base64 */
  Data?: string;
  Templating?: { Name: string; Options?: Record<string, string> };
}

export interface ConfigObject extends Meta {
  Spec: ConfigSpec;
}

// ---------- the store's tables ----------

export interface TableTypes {
  cluster: ClusterObject;
  nodes: NodeObject;
  services: ServiceObject;
  tasks: TaskObject;
  networks: NetworkObjectSwarm;
  secrets: SecretObject;
  configs: ConfigObject;
}

export type TableName = keyof TableTypes;
export const TABLE_NAMES: readonly TableName[] = ['cluster', 'nodes', 'services', 'tasks', 'networks', 'secrets', 'configs'];
