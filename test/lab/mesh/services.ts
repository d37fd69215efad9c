import type { Lab } from '../index.js';
import { APPNET, INGRESS, type MeshService } from './topology.js';

/** web: 8080/tcp → 80 and 5353/udp → 53 published (ingress), on ingress and appnet. */
export const WEB: MeshService = {
  serviceId: 'svcweb',
  name: 'web',
  ports: [
    { protocol: 'tcp', targetPort: 80, publishedPort: 8080, mode: 'ingress' },
    { protocol: 'udp', targetPort: 53, publishedPort: 5353, mode: 'ingress' },
  ],
  networks: [INGRESS, APPNET],
  vipOctet: 100,
};

/** api: on appnet only, 9090/tcp → 90 and 9053/udp → 53 published in host mode. */
export const API: MeshService = {
  serviceId: 'svcapi',
  name: 'api',
  ports: [
    { protocol: 'tcp', targetPort: 90, publishedPort: 9090, mode: 'host' },
    { protocol: 'udp', targetPort: 53, publishedPort: 9053, mode: 'host' },
  ],
  networks: [APPNET],
  vipOctet: 101,
};

/** client: tasks on appnet that only make requests. */
export const CLIENT: MeshService = { serviceId: 'svcclient', name: 'client', ports: [], networks: [APPNET], vipOctet: 102 };

/** Wraps a test body so that, when it fails, the lab's process logs are printed first. */
export const dumpingLogs =
  (lab: () => Lab) =>
  (fn: () => Promise<void>) =>
  async (): Promise<void> => {
    try {
      await fn();
    } catch (err) {
      lab().dumpLogs();
      throw err;
    }
  };
