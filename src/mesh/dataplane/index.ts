// The routing mesh of one host: published ports and service VIPs, in the kernel (nftables) or in userspace.
export { createDataPlane, type DataPlaneOptions } from './create.js';
export type { DataPlane, DataPlaneKind, EntryStats, BackendStats, TraceAnswer, TraceTarget } from './types.js';
export { planDataPlane, type DataPlanePlan, type PortRule, type VipRule, type Backend } from './plan.js';
export { NFTABLES_SYSCTLS } from './nftables/nftables-backend.js';
export type { NftVia } from './nftables/nft-runner.js';
