import { arrayOf, bool, float, int, int64, mapOf, raw, str, struct, uint32, uint64, type Schema } from './decode.js';

// Request bodies as Docker's Go types (api/types/swarm, api/types) define them.

type StructSchema = Schema & { kind: 'struct' };

const labels = mapOf(str);
const strings = arrayOf(str);
const driver = struct('Driver', { Name: str, Options: mapOf(str) });

const networkAttachment = struct('NetworkAttachmentConfig', { Target: str, Aliases: strings, DriverOpts: mapOf(str) });
const fileTarget = struct('SecretReferenceFileTarget', { Name: str, UID: str, GID: str, Mode: uint32 });

const containerSpec = struct('ContainerSpec', {
  Image: str,
  Labels: labels,
  Command: strings,
  Args: strings,
  Hostname: str,
  Env: strings,
  Dir: str,
  User: str,
  Groups: strings,
  Privileges: raw,
  TTY: bool,
  OpenStdin: bool,
  ReadOnly: bool,
  Mounts: arrayOf(
    struct('Mount', { Type: str, Source: str, Target: str, ReadOnly: bool, Consistency: str, BindOptions: raw, VolumeOptions: raw, TmpfsOptions: raw }),
  ),
  StopSignal: str,
  StopGracePeriod: int64,
  HealthCheck: struct('HealthConfig', { Test: strings, Interval: int64, Timeout: int64, Retries: int, StartPeriod: int64 }),
  Hosts: strings,
  DNSConfig: struct('DNSConfig', { Nameservers: strings, Search: strings, Options: strings }),
  Secrets: arrayOf(struct('SecretReference', { File: fileTarget, SecretID: str, SecretName: str })),
  Configs: arrayOf(struct('ConfigReference', { File: fileTarget, Runtime: raw, ConfigID: str, ConfigName: str })),
  Isolation: str,
  Init: bool,
  Sysctls: mapOf(str),
  CapabilityAdd: strings,
  CapabilityDrop: strings,
  Ulimits: arrayOf(struct('Ulimit', { Name: str, Soft: int64, Hard: int64 })),
});

const resources = struct('Resources', { NanoCPUs: int64, MemoryBytes: int64, Pids: int64, GenericResources: raw });

const taskSpec = struct('TaskSpec', {
  PluginSpec: raw,
  ContainerSpec: containerSpec,
  NetworkAttachmentSpec: raw,
  Resources: struct('ResourceRequirements', { Limits: resources, Reservations: resources }),
  RestartPolicy: struct('RestartPolicy', { Condition: str, Delay: int64, MaxAttempts: uint64, Window: int64 }),
  Placement: struct('Placement', { Constraints: strings, Preferences: raw, MaxReplicas: uint64, Platforms: raw }),
  ForceUpdate: uint64,
  Runtime: str,
  Networks: arrayOf(networkAttachment),
  LogDriver: driver,
});

const updateConfig = struct('UpdateConfig', { Parallelism: uint64, Delay: int64, FailureAction: str, Monitor: int64, MaxFailureRatio: float, Order: str });

export const serviceSpecSchema: StructSchema = struct('ServiceSpec', {
  Name: str,
  Labels: labels,
  TaskTemplate: taskSpec,
  Mode: struct('ServiceMode', {
    Replicated: struct('ReplicatedService', { Replicas: uint64 }),
    Global: struct('GlobalService', {}),
    ReplicatedJob: struct('ReplicatedJob', { MaxConcurrent: uint64, TotalCompletions: uint64 }),
    GlobalJob: struct('GlobalJob', {}),
  }),
  UpdateConfig: updateConfig,
  RollbackConfig: updateConfig,
  Networks: arrayOf(networkAttachment),
  EndpointSpec: struct('EndpointSpec', {
    Mode: str,
    Ports: arrayOf(struct('PortConfig', { Name: str, Protocol: str, TargetPort: uint32, PublishedPort: uint32, PublishMode: str })),
  }),
}) as StructSchema;

export const nodeSpecSchema = struct('NodeSpec', { Name: str, Labels: labels, Role: str, Availability: str }) as StructSchema;

export const swarmSpecSchema = struct('Spec', {
  Name: str,
  Labels: labels,
  Orchestration: struct('OrchestrationConfig', { TaskHistoryRetentionLimit: int64 }),
  Raft: struct('RaftConfig', { SnapshotInterval: uint64, KeepOldSnapshots: uint64, LogEntriesForSlowFollowers: uint64, ElectionTick: int, HeartbeatTick: int }),
  Dispatcher: struct('DispatcherConfig', { HeartbeatPeriod: int64 }),
  CAConfig: struct('CAConfig', { NodeCertExpiry: int64, ExternalCAs: raw, SigningCACert: str, SigningCAKey: str, ForceRotate: uint64 }),
  TaskDefaults: struct('TaskDefaults', { LogDriver: driver }),
  EncryptionConfig: struct('EncryptionConfig', { AutoLockManagers: bool }),
}) as StructSchema;

export const swarmInitSchema = struct('InitRequest', {
  ListenAddr: str,
  AdvertiseAddr: str,
  DataPathAddr: str,
  DataPathPort: uint32,
  DefaultAddrPool: strings,
  SubnetSize: uint32,
  ForceNewCluster: bool,
  Spec: swarmSpecSchema,
  AutoLockManagers: bool,
  Availability: str,
}) as StructSchema;

export const swarmUnlockSchema = struct('UnlockRequest', { UnlockKey: str }) as StructSchema;

export const swarmJoinSchema = struct('JoinRequest', {
  ListenAddr: str,
  AdvertiseAddr: str,
  DataPathAddr: str,
  RemoteAddrs: strings,
  JoinToken: str,
  Availability: str,
}) as StructSchema;

export const networkCreateSchema = struct('NetworkCreateRequest', {
  Name: str,
  CheckDuplicate: bool,
  Driver: str,
  Scope: str,
  EnableIPv6: bool,
  IPAM: struct('IPAM', {
    Driver: str,
    Config: arrayOf(struct('IPAMConfig', { Subnet: str, IPRange: str, Gateway: str, AuxiliaryAddresses: mapOf(str) })),
    Options: mapOf(str),
  }),
  Internal: bool,
  Attachable: bool,
  Ingress: bool,
  ConfigOnly: bool,
  ConfigFrom: struct('ConfigReference', { Network: str }),
  Options: mapOf(str),
  Labels: labels,
}) as StructSchema;

export const secretSpecSchema = struct('SecretSpec', { Name: str, Labels: labels, Data: str, Driver: driver, Templating: driver }) as StructSchema;

export const configSpecSchema = struct('ConfigSpec', { Name: str, Labels: labels, Data: str, Templating: driver }) as StructSchema;
