import { DnsServer, type DnsServerOptions } from '../../../src/dns/index.js';
import { silentLogger } from '../../../src/util/logger.js';
import { FakeUpstream } from './fake-upstream.js';
import { sampleTable } from './fixtures.js';

export const HOST = '127.0.0.1';

/** The sample table, with the loopback address as an appnet task (the askers of these tests). */
export function loopbackTable(version = 10) {
  const t = sampleTable(version);
  t.tasks.push({ taskId: 'lo', serviceId: 'svcprobe', name: 'probe.1.lo', nodeId: 'n1', addresses: { net_app: `${HOST}/8` } });
  return t;
}

/** A server on the loopback (port picked by the kernel) with the loopback table and a fake upstream; stopped after `fn`. */
export async function withServer(opts: Partial<DnsServerOptions>, fn: (port: number, server: DnsServer, upstream: FakeUpstream) => Promise<void>): Promise<void> {
  const upstream = await FakeUpstream.start(HOST);
  const server = new DnsServer({ log: silentLogger, upstreams: [{ host: HOST, port: upstream.port }], ...opts });
  try {
    const [bound] = await server.start({ listen: [{ host: HOST, port: 0 }] });
    server.apply(loopbackTable());
    await fn(bound!.port, server, upstream);
  } finally {
    await server.stop();
    await upstream.close();
  }
}
