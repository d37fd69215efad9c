import type { TaskRunSpec } from '../../../src/runtime/types.js';
import { newId } from '../../../src/util/ids.js';

/** The bridge lab tasks are plugged into: its name, its address (the tasks' gateway) and its /24. */
export interface LabBridge {
  bridge: string;
  gateway: string;
  /** First three octets of the /24. */
  subnet: string;
}

let hostByte = 10;

/** A busybox task of service `web` on the lab's bridge, at the next address (from .10 up), for any executor. */
export function labTaskSpec(lab: LabBridge, command: string[], more: Partial<TaskRunSpec> = {}): TaskRunSpec {
  const taskId = newId();
  return {
    taskId,
    name: `web.1.${taskId}`,
    serviceName: 'web',
    image: 'busybox:latest',
    command,
    args: [],
    env: [],
    hostname: 'task-host',
    networks: [{ networkId: 'n1', networkName: 'labnet', address: `${lab.subnet}.${hostByte++}/24`, gateway: lab.gateway, bridge: lab.bridge, mtu: 1450 }],
    files: [],
    stopSignal: 'SIGTERM',
    stopGracePeriodMs: 2000,
    labels: { 'com.docker.swarm.task.id': taskId, 'com.docker.swarm.service.name': 'web' },
    ...more,
  };
}
