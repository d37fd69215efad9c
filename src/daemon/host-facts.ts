import type { NodeObject } from '../cluster/types.js';
import { SHOAL_VERSION } from '../version.js';
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

/** The node description managers keep for a host (as `node inspect` shows it). */
export function describeHost(f: HostFacts): NodeObject['Description'] {
  return {
    Hostname: f.hostname,
    Platform: { Architecture: f.architecture, OS: f.os },
    Resources: { NanoCPUs: f.ncpu * 1e9, MemoryBytes: f.memoryBytes },
    Engine: { EngineVersion: SHOAL_VERSION, Plugins: [{ Type: 'Network', Name: 'overlay' }, { Type: 'Log', Name: 'json-file' }] },
    TLSInfo: { TrustRoot: '', CertIssuerSubject: '', CertIssuerPublicKey: '' },
  };
}
