import { existsSync } from 'node:fs';
import { getCluster } from '../../cluster/controlapi/swarm.js';
import type { Store } from '../../cluster/store/types.js';
import type { HostInfo, SwarmState } from '../backend.js';
import { shapeInfoCluster } from './cluster.js';

/** The `Swarm` part of `GET /info`: the node's state, and on a manager the cluster's counts and spec. */
export function swarmInfo(state: SwarmState, store: Store | undefined): object {
  const base = {
    NodeID: state.nodeId,
    NodeAddr: state.nodeAddr,
    LocalNodeState: state.localNodeState,
    ControlAvailable: state.controlAvailable && store !== undefined,
    Error: state.error,
  };
  if (state.localNodeState !== 'active') return { ...base, RemoteManagers: null };
  if (!store) return { ...base, RemoteManagers: state.remoteManagers ?? null };
  return store.view((tx) => {
    const nodes = tx.list('nodes');
    const managers = nodes.filter((n) => n.ManagerStatus);
    const cluster = tx.list('cluster').length > 0 ? shapeInfoCluster(getCluster(tx)) : undefined;
    return {
      ...base,
      RemoteManagers: managers.map((m) => ({ NodeID: m.ID, Addr: m.ManagerStatus!.Addr })),
      Nodes: nodes.length,
      Managers: managers.length,
      ...(cluster ? { Cluster: cluster } : {}),
    };
  });
}

/** `GET /info`: Docker's SystemInfo with Shoal's facts; container counts are zero (Shoal runs tasks, not containers). */
export function systemInfo(host: HostInfo, swarm: object, images: number, eventListeners: number): object {
  return {
    ID: host.id,
    Containers: 0,
    ContainersRunning: 0,
    ContainersPaused: 0,
    ContainersStopped: 0,
    Images: images,
    Driver: 'rootfs',
    DriverStatus: [],
    Plugins: { Volume: ['local'], Network: ['overlay'], Authorization: null, Log: ['json-file'] },
    MemoryLimit: true,
    SwapLimit: true,
    KernelMemory: false,
    KernelMemoryTCP: false,
    CpuCfsPeriod: true,
    CpuCfsQuota: true,
    CPUShares: true,
    CPUSet: true,
    PidsLimit: true,
    IPv4Forwarding: true,
    BridgeNfIptables: false,
    BridgeNfIp6tables: false,
    Debug: false,
    NFd: 0,
    OomKillDisable: false,
    NGoroutines: 0,
    SystemTime: new Date().toISOString(),
    LoggingDriver: 'json-file',
    CgroupDriver: 'cgroupfs',
    CgroupVersion: existsSync('/sys/fs/cgroup/cgroup.controllers') ? '2' : '1',
    NEventsListener: eventListeners,
    KernelVersion: host.kernelVersion,
    OperatingSystem: host.operatingSystem,
    OSVersion: '',
    OSType: 'linux',
    Architecture: host.architecture,
    IndexServerAddress: 'https://index.docker.io/v1/',
    RegistryConfig: {
      AllowNondistributableArtifactsCIDRs: [],
      AllowNondistributableArtifactsHostnames: [],
      InsecureRegistryCIDRs: [],
      IndexConfigs: {},
      Mirrors: [],
    },
    NCPU: host.ncpu,
    MemTotal: host.memoryBytes,
    GenericResources: null,
    DockerRootDir: host.dataRoot,
    HttpProxy: process.env.HTTP_PROXY ?? '',
    HttpsProxy: process.env.HTTPS_PROXY ?? '',
    NoProxy: process.env.NO_PROXY ?? '',
    Name: host.hostname,
    Labels: [`com.shoal.runtime=${host.runtime}`, `com.shoal.dataplane=${host.dataPlane}`],
    ExperimentalBuild: false,
    ServerVersion: host.version,
    Runtimes: { [host.runtime]: { path: host.runtime } },
    DefaultRuntime: host.runtime,
    Swarm: swarm,
    LiveRestoreEnabled: false,
    Isolation: '',
    InitBinary: '',
    ContainerdCommit: { ID: '', Expected: '' },
    RuncCommit: { ID: '', Expected: '' },
    InitCommit: { ID: '', Expected: '' },
    SecurityOptions: [],
    Warnings: null,
  };
}
