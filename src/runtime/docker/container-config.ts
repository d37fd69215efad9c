import type Docker from 'dockerode';
import type { TaskRunSpec } from '../types.js';
import { LABEL_NETWORKS, ownLabels } from './labels.js';
import { PAUSE_ENTRYPOINT } from './pause-image.js';

/** Where the sandbox mounts the task's files volume; the task sees each file at its target only. */
export const SANDBOX_FILES_DIR = '/shoal-files';

export const taskHostname = (spec: TaskRunSpec): string => spec.hostname || spec.taskId.slice(0, 12);
export const sandboxName = (spec: TaskRunSpec): string => `${spec.name}.sandbox`;
export const filesVolumeName = (spec: TaskRunSpec): string => `${spec.name}.files`;
/** The name of the i-th task file in the files volume. */
export const volumeFileName = (index: number): string => String(index);

/**
 * The sandbox: a pause process with networking off, whose network namespace Shoal plugs into the
 * overlay and the task's container then joins (`container:<sandbox>`). Docker gives a joining
 * container the sandbox's hostname, /etc/hosts and /etc/resolv.conf, so they are set here: the
 * task's addresses under its hostname, and the embedded DNS with `ndots:0` as for process tasks.
 */
export function sandboxConfig(spec: TaskRunSpec, executor: string, image: string, filesVolume?: string): Docker.ContainerCreateOptions {
  const hostname = taskHostname(spec);
  return {
    name: sandboxName(spec),
    Image: image,
    Entrypoint: PAUSE_ENTRYPOINT,
    Hostname: hostname,
    Labels: { ...ownLabels(executor, spec.taskId, 'sandbox'), [LABEL_NETWORKS]: String(spec.networks.length) },
    // As PID 1 without handlers, the pause process ignores every other signal.
    StopSignal: 'SIGKILL',
    HostConfig: {
      NetworkMode: 'none',
      ExtraHosts: spec.networks.map((n) => `${hostname}:${n.address.split('/')[0]}`),
      ...(spec.dnsServer ? { Dns: [spec.dnsServer], DnsOptions: ['ndots:0'] } : {}),
      ...(filesVolume ? { Mounts: [{ Type: 'volume', Source: filesVolume, Target: SANDBOX_FILES_DIR }] } : {}),
      // The sandbox owns the namespaces the task joins, so namespaced sysctls (net.*) are set on it.
      ...(spec.container?.sysctls ? { Sysctls: spec.container.sysctls } : {}),
    },
  };
}

/**
 * The task's container, in its sandbox's network namespace. Command and args replace the image's
 * entrypoint and command as in a swarm service; secrets and configs are bound read-only, one file
 * each, from the files volume (`filesDir` is where the engine mounted it).
 */
export function taskConfig(
  spec: TaskRunSpec,
  executor: string,
  sandboxId: string,
  stopSignal: string,
  filesDir?: string,
): Docker.ContainerCreateOptions {
  return {
    name: spec.name,
    Image: spec.image,
    ...(spec.command.length > 0 ? { Entrypoint: spec.command } : {}),
    ...(spec.args.length > 0 ? { Cmd: spec.args } : {}),
    Env: spec.env,
    ...(spec.dir ? { WorkingDir: spec.dir } : {}),
    ...(spec.user ? { User: spec.user } : {}),
    Labels: { ...spec.labels, ...ownLabels(executor, spec.taskId, 'task') },
    StopSignal: stopSignal,
    // For `docker stop` by hand; Shoal's own stop counts the grace itself, to the millisecond.
    StopTimeout: Math.ceil(spec.stopGracePeriodMs / 1000),
    ...(spec.healthCheck ? { Healthcheck: spec.healthCheck } : {}),
    HostConfig: {
      NetworkMode: `container:${sandboxId}`,
      Mounts: [
        ...(spec.container?.mounts ?? []).map((m): Docker.MountSettings => ({ Type: m.Type as Docker.MountType, Source: m.Source ?? '', Target: m.Target, ReadOnly: !!m.ReadOnly })),
        ...(filesDir ? spec.files.map((f, i) => ({ Type: 'bind' as const, Source: `${filesDir}/${volumeFileName(i)}`, Target: f.target, ReadOnly: true })) : []),
      ],
      ...containerLimits(spec.container),
    },
  };
}

/** The service's limits, capabilities and the like, as the engine names them. */
function containerLimits(c: TaskRunSpec['container']): Docker.HostConfig {
  if (!c) return {};
  return {
    ...(c.limits?.NanoCPUs ? { NanoCpus: c.limits.NanoCPUs } : {}),
    ...(c.limits?.MemoryBytes ? { Memory: c.limits.MemoryBytes } : {}),
    ...(c.limits?.Pids ? { PidsLimit: c.limits.Pids } : {}),
    ...(c.init ? { Init: true } : {}),
    ...(c.readOnly ? { ReadonlyRootfs: true } : {}),
    ...(c.capAdd?.length ? { CapAdd: c.capAdd } : {}),
    ...(c.capDrop?.length ? { CapDrop: c.capDrop } : {}),
    ...(c.ulimits?.length ? { Ulimits: c.ulimits } : {}),
    ...(c.groups?.length ? { GroupAdd: c.groups } : {}),
    ...(c.logDriver ? { LogConfig: { Type: c.logDriver.Name, Config: c.logDriver.Options ?? {} } } : {}),
  };
}
