import type { LocalTask } from '../../agent/agent.js';
import { humanDuration } from '../../cli/shoal/format/units.js';
import { taskName } from '../../cluster/endpoints/derive.js';

/** The name Docker gives a task's container: `<service>.<slot or node>.<task ID>`. */
export const containerName = (t: LocalTask): string => taskName(t.serviceName, t.task);

/** The labels Docker puts on a task's container (the service's container labels, then swarm's own). */
export function containerLabels(t: LocalTask): Record<string, string> {
  const name = containerName(t);
  return {
    ...(t.task.Spec.ContainerSpec?.Labels ?? {}),
    'com.docker.swarm.node.id': t.task.NodeID ?? '',
    'com.docker.swarm.service.id': t.task.ServiceID,
    'com.docker.swarm.service.name': t.serviceName,
    'com.docker.swarm.task': '',
    'com.docker.swarm.task.id': t.task.ID,
    'com.docker.swarm.task.name': name.slice(0, name.lastIndexOf('.')),
  };
}

/** A task as an entry of `GET /containers/json` (what `docker ps` prints), with Docker's "Up 5 seconds" / "Exited (0) 3 seconds ago". */
export function shapeContainer(t: LocalTask, now: number): object {
  const c = t.task.Spec.ContainerSpec;
  const since = (iso: string) => humanDuration(now - Date.parse(iso));
  return {
    Id: t.containerId,
    Names: [`/${containerName(t)}`],
    Image: c?.Image ?? '',
    ImageID: '',
    Command: [...(c?.Command ?? []), ...(c?.Args ?? [])].join(' '),
    Created: Math.floor(Date.parse(t.startedAt) / 1000),
    Ports: [],
    Labels: containerLabels(t),
    State: t.exit ? 'exited' : 'running',
    Status: t.exit ? `Exited (${t.exit.exitCode}) ${since(t.exit.at)} ago` : `Up ${since(t.startedAt)}`,
    HostConfig: { NetworkMode: 'default' },
    NetworkSettings: { Networks: {} },
    Mounts: [],
  };
}
