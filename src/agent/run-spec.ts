import { posix } from 'node:path';
import type { TaskObject } from '../cluster/types.js';
import type { TaskFile, TaskNetworkAttachment, TaskRunSpec } from '../runtime/types.js';
import { VXLAN_ID_OPTION } from '../cluster/allocator/allocator.js';
import { ShoalError } from '../util/errors.js';
import type { AgentControlPlane } from './control-plane.js';
import type { NetworkBridge } from '../mesh/overlay/names.js';
import { taskName } from '../cluster/endpoints/derive.js';

/** Docker's default stop grace period: 10 s. */
const DEFAULT_GRACE_NS = 10_000_000_000;

/** How long a task's process gets between its stop signal and SIGKILL. */
export const stopGraceMs = (task: TaskObject): number => (task.Spec.ContainerSpec?.StopGracePeriod ?? DEFAULT_GRACE_NS) / 1e6;


/** Plugs a task's networks into this host (the overlay), and unplugs them when the task is done. */
export interface NetworkAttacher {
  attach(taskId: string, vni: number, hostAddress: string): Promise<NetworkBridge>;
  detach(taskId: string): Promise<void>;
}

/** Turns a task from the store into what an executor runs: command, files and network attachments. */
export async function buildRunSpec(task: TaskObject, serviceName: string, nodeId: string, cp: AgentControlPlane, networks: NetworkAttacher): Promise<TaskRunSpec> {
  const c = task.Spec.ContainerSpec;
  if (!c?.Image) throw new ShoalError('invalid_argument', `task ${task.ID} has no container spec`);
  const attachments = await attachTaskNetworks(task, nodeId, cp, networks);
  const files: TaskFile[] = [];
  for (const s of c.Secrets ?? []) {
    const data = cp.secretData(s.SecretID);
    if (!data) throw new ShoalError('not_found', `secret ${s.SecretName} (${s.SecretID}) not found: it was removed after the service was created`);
    const name = s.File?.Name ?? s.SecretName;
    files.push(fileRef(posix.isAbsolute(name) ? name : posix.join('/run/secrets', name), data, s.File, true));
  }
  for (const cfg of c.Configs ?? []) {
    if (!cfg.File) continue;
    const data = cp.configData(cfg.ConfigID);
    if (!data) throw new ShoalError('not_found', `config ${cfg.ConfigName} (${cfg.ConfigID}) not found: it was removed after the service was created`);
    files.push(fileRef(posix.isAbsolute(cfg.File.Name) ? cfg.File.Name : posix.join('/', cfg.File.Name), data, cfg.File, false));
  }
  const name = taskName(serviceName, task);
  return {
    taskId: task.ID,
    name,
    serviceName,
    image: c.Image,
    command: c.Command ?? [],
    args: c.Args ?? [],
    env: c.Env ?? [],
    dir: c.Dir,
    user: c.User,
    hostname: c.Hostname || task.ID.slice(0, 12),
    networks: attachments,
    files,
    // The embedded DNS answers on the host's address of the task's first non-ingress network.
    dnsServer: attachments.find((a) => !task.NetworksAttachments?.find((n) => n.Network.ID === a.networkId)?.Network.Spec.Ingress)?.gateway,
    stopSignal: c.StopSignal ?? 'SIGTERM',
    ...(c.HealthCheck ? { healthCheck: c.HealthCheck } : {}),
    ...(c.PullOptions?.RegistryAuth ? { registryAuth: c.PullOptions.RegistryAuth } : {}),
    container: {
      mounts: c.Mounts,
      limits: task.Spec.Resources?.Limits,
      init: c.Init,
      readOnly: c.ReadOnly,
      capAdd: c.CapabilityAdd,
      capDrop: c.CapabilityDrop,
      ulimits: c.Ulimits,
      sysctls: c.Sysctls,
      groups: c.Groups,
      logDriver: task.Spec.LogDriver,
    },
    stopGracePeriodMs: stopGraceMs(task),
    labels: {
      ...(c.Labels ?? {}),
      'com.docker.swarm.service.id': task.ServiceID,
      'com.docker.swarm.service.name': serviceName,
      'com.docker.swarm.task.id': task.ID,
      'com.docker.swarm.task.name': name,
      'com.docker.swarm.node.id': nodeId,
    },
  };
}

function fileRef(target: string, data: Buffer, f: { UID: string; GID: string; Mode: number } | undefined, secret: boolean): TaskFile {
  return { target, data, uid: Number(f?.UID ?? 0), gid: Number(f?.GID ?? 0), mode: f?.Mode ?? 0o444, secret };
}

/** Plugs each of the task's networks into this host; returns what the executor needs to wire the task. */
export async function attachTaskNetworks(task: TaskObject, nodeId: string, cp: AgentControlPlane, networks: NetworkAttacher): Promise<TaskNetworkAttachment[]> {
  const node = cp.node();
  const attachments: TaskNetworkAttachment[] = [];
  for (const att of task.NetworksAttachments ?? []) {
    const vni = Number(att.Network.DriverState.Options[VXLAN_ID_OPTION]);
    const hostAddr = node?.Attachments?.find((a) => a.NetworkID === att.Network.ID)?.Addr;
    if (!hostAddr) throw new ShoalError('unavailable', `node ${nodeId} has no address on network ${att.Network.Spec.Name} yet`);
    const bridge = await networks.attach(task.ID, vni, hostAddr);
    attachments.push({
      networkId: att.Network.ID,
      networkName: att.Network.Spec.Name,
      address: att.Addresses[0],
      gateway: hostAddr.split('/')[0],
      bridge: bridge.name,
      mtu: bridge.mtu,
    });
  }
  return attachments;
}
