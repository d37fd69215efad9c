// A lab process: `dns-host.js server <listen,...> <port> <resolv.conf> <table.json> [batched|dgram]` runs
// Shoal's DNS server (the table file is re-read and applied on SIGHUP; prints "applied <version>");
// `dns-host.js upstream <host> <port>` runs the fake upstream resolver. Both stop on SIGTERM.
import { readFileSync } from 'node:fs';
import { DnsServer, type UdpListenerKind } from '../../../src/dns/index.js';
import type { EndpointTable } from '../../../src/cluster/endpoints/types.js';
import { createLogger } from '../../../src/util/logger.js';
import { FakeUpstream } from '../../unit/dns/fake-upstream.js';

const [role, ...args] = process.argv.slice(2);
const log = createLogger('info', 'dns-host');

if (role === 'server') {
  const [listen, port, resolvConfPath, tablePath, udpListener] = args as [string, string, string, string, UdpListenerKind | undefined];
  const server = new DnsServer({ log, resolvConfPath, upstreamTimeoutMs: 500, udpListener });
  const apply = (): void => {
    const table = JSON.parse(readFileSync(tablePath, 'utf8')) as EndpointTable;
    server.apply(table);
    console.log(`applied ${server.tableVersion}`);
  };
  await server.start({ listen: listen.split(',').map((host) => ({ host, port: Number(port) })) });
  apply();
  process.on('SIGHUP', apply);
  process.on('SIGTERM', () => void server.stop().then(() => process.exit(0)));
  setInterval(() => {}, 1 << 30);
} else if (role === 'upstream') {
  const [host, port] = args as [string, string];
  const upstream = await FakeUpstream.start(host, Number(port));
  console.log(`upstream on ${host}:${upstream.port}`);
  process.on('SIGTERM', () => void upstream.close().then(() => process.exit(0)));
  setInterval(() => {}, 1 << 30);
} else {
  console.error('usage: dns-host.js server <listen,...> <port> <resolv.conf> <table.json> [batched|dgram] | upstream <host> <port>');
  process.exit(2);
}
