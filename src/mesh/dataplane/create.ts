import type { Logger } from '../../util/logger.js';
import { DataPlaneDriver } from './driver.js';
import { NftablesBackend, probeNftables } from './nftables/nftables-backend.js';
import { WithProxiedPorts } from './nftables/proxied-ports.js';
import type { NftVia } from './nftables/nft-runner.js';
import type { DataPlane, DataPlaneKind } from './types.js';
import { USERSPACE_DEFAULTS, UserspaceBackend, type UserspaceOptions } from './userspace/userspace-backend.js';

export interface DataPlaneOptions {
  /** `auto`: nftables when the kernel takes a probe ruleset (root, nf_tables with NAT and numgen), else userspace. */
  kind: 'auto' | DataPlaneKind;
  /** This host's node ID: host-mode ports are published where the node runs a task. */
  nodeId: string;
  log: Logger;
  /** How nftables is driven: libnftables in process (the default; the nft command if it cannot be loaded), or the nft command. */
  nftVia?: NftVia;
  userspace?: Partial<UserspaceOptions>;
}

/** Creates this host's data plane in the current network namespace; nothing is live before the first apply(). */
export async function createDataPlane(opts: DataPlaneOptions): Promise<DataPlane> {
  const log = opts.log.child({ component: 'mesh' });
  let kind = opts.kind;
  if (kind === 'auto') {
    const probe = await probeNftables(log, opts.nftVia);
    kind = probe.ok ? 'nftables' : 'userspace';
    log.info({ dataplane: kind, ...(probe.ok ? {} : { why: probe.why }) }, probe.ok ? 'data plane: nftables (probe ruleset loads)' : 'data plane: userspace (probe ruleset refused)');
  } else {
    log.info({ dataplane: kind }, `data plane: ${kind} (chosen)`);
  }
  const userspace = () => new UserspaceBackend(log, { ...USERSPACE_DEFAULTS, ...opts.userspace });
  const backend = kind === 'nftables' ? new WithProxiedPorts(await NftablesBackend.open(log, opts.nftVia), userspace, log) : userspace();
  return new DataPlaneDriver(backend, opts.nodeId, log);
}
