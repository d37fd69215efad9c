import { cpus, hostname, release, totalmem, arch, type } from 'node:os';

/** What this host says about itself in `info` and in its node description. */
export interface HostFacts {
  hostname: string;
  ncpu: number;
  memoryBytes: number;
  kernelVersion: string;
  os: string;
  /** Docker's spelling: x86_64, aarch64. */
  architecture: string;
}

const ARCH: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64', arm: 'armv7l', ia32: 'i386' };

export function readHostFacts(): HostFacts {
  return {
    hostname: hostname(),
    ncpu: cpus().length,
    memoryBytes: totalmem(),
    kernelVersion: release(),
    os: type().toLowerCase(),
    architecture: ARCH[arch()] ?? arch(),
  };
}
