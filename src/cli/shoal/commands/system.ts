import type { Command } from '../command.js';
import { renderInspect } from '../format/inspect.js';
import { alignColumns } from '../format/tabwriter.js';
import { bytesSize, humanDuration } from '../format/units.js';
import { API_VERSION } from '../engine-client.js';
import { SHOAL_VERSION } from '../../../version.js';
import { formatFlag } from './flags.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- /info and /version are wide documents read field by field */
type Doc = Record<string, any>;

export const versionCommand: Command = {
  name: 'version',
  summary: 'Show the Shoal version information',
  usage: '[OPTIONS]',
  flags: [formatFlag],
  args: { max: 0 },
  async run(ctx, flags) {
    const server = await ctx.client.get<Doc>('/version');
    const client = { Version: SHOAL_VERSION, ApiVersion: API_VERSION, Os: 'linux', Arch: server.Arch, Context: 'default' };
    const format = flags.string('format');
    if (format) {
      ctx.out.write(renderInspect([{ Client: client, Server: server }], format, { keepKeyOrder: true }));
      return;
    }
    const lines = ['Client:', ` Version:\t${SHOAL_VERSION}`, ` API version:\t${API_VERSION}`, ` OS/Arch:\tlinux/${server.Arch}`, ` Context:\tdefault`, '', `Server:${server.Platform?.Name ? ` ${server.Platform.Name}` : ''}`];
    for (const c of server.Components ?? []) {
      const d = c.Details ?? {};
      lines.push(` ${c.Name}:`);
      if (c.Name === 'Engine') {
        lines.push(`  Version:\t${c.Version}`, `  API version:\t${d.ApiVersion} (minimum version ${d.MinAPIVersion})`, `  Go version:\t${d.GoVersion}`, `  Git commit:\t${d.GitCommit}`, `  Built:\t${d.BuildTime}`, `  OS/Arch:\t${d.Os}/${d.Arch}`, `  Experimental:\t${d.Experimental}`);
      } else {
        lines.push(`  Version:\t${c.Version}`, ...Object.keys(d).sort().map((k) => `  ${k}:\t${d[k]}`));
      }
    }
    ctx.out.write(alignColumns(lines.join('\n') + '\n', 20, 1));
  },
};

export const infoCommand: Command = {
  name: 'info',
  summary: 'Display system-wide information',
  usage: '[OPTIONS]',
  flags: [formatFlag],
  args: { max: 0 },
  async run(ctx, flags) {
    const info = await ctx.client.get<Doc>('/info');
    const format = flags.string('format');
    if (format) {
      ctx.out.write(renderInspect([info], format, { keepKeyOrder: true }));
      return;
    }
    ctx.out.write(['Client:', ` Version:    ${SHOAL_VERSION}`, ' Context:    default', ' Debug Mode: false', '', 'Server:', ...serverInfo(info), ''].join('\n') + '\n');
  },
};

/** The Server section of `docker info`, line for line. */
function serverInfo(i: Doc): string[] {
  const l: string[] = [];
  const nonEmpty = (label: string, v: unknown) => v !== undefined && v !== '' && l.push(`${label} ${v}`);
  l.push(` Containers: ${i.Containers}`, `  Running: ${i.ContainersRunning}`, `  Paused: ${i.ContainersPaused}`, `  Stopped: ${i.ContainersStopped}`, ` Images: ${i.Images}`);
  nonEmpty(' Server Version:', i.ServerVersion);
  nonEmpty(' Storage Driver:', i.Driver);
  for (const [k, v] of i.DriverStatus ?? []) l.push(`  ${k}: ${v}`);
  for (const [k, v] of i.SystemStatus ?? []) l.push(` ${k}: ${v}`);
  nonEmpty(' Logging Driver:', i.LoggingDriver);
  nonEmpty(' Cgroup Driver:', i.CgroupDriver);
  nonEmpty(' Cgroup Version:', i.CgroupVersion);
  l.push(' Plugins:', `  Volume: ${(i.Plugins?.Volume ?? []).join(' ')}`, `  Network: ${(i.Plugins?.Network ?? []).join(' ')}`);
  if (i.Plugins?.Authorization?.length) l.push(`  Authorization: ${i.Plugins.Authorization.join(' ')}`);
  l.push(`  Log: ${(i.Plugins?.Log ?? []).join(' ')}`);
  l.push(` Swarm: ${i.Swarm.LocalNodeState}`, ...swarmInfo(i.Swarm));
  const runtimes = Object.keys(i.Runtimes ?? {});
  if (runtimes.length) l.push(` Runtimes: ${runtimes.join(' ')}`, ` Default Runtime: ${i.DefaultRuntime}`);
  if (i.OSType === 'linux') {
    l.push(` Init Binary: ${i.InitBinary}`, ` containerd version: ${i.ContainerdCommit?.ID ?? ''}`, ` runc version: ${i.RuncCommit?.ID ?? ''}`, ` init version: ${i.InitCommit?.ID ?? ''}`);
    if (i.SecurityOptions?.length) {
      l.push(' Security Options:');
      for (const so of i.SecurityOptions as string[]) {
        const kv = Object.fromEntries(so.split(',').map((p) => p.split('=') as [string, string]));
        l.push(`  ${kv.name}`);
        if (kv.profile) l.push(`   Profile: ${kv.profile}`);
      }
    }
  }
  nonEmpty(' Kernel Version:', i.KernelVersion);
  nonEmpty(' Operating System:', i.OperatingSystem);
  nonEmpty(' OSType:', i.OSType);
  nonEmpty(' Architecture:', i.Architecture);
  l.push(` CPUs: ${i.NCPU}`, ` Total Memory: ${bytesSize(i.MemTotal)}`);
  nonEmpty(' Name:', i.Name);
  nonEmpty(' ID:', i.ID);
  l.push(` Docker Root Dir: ${i.DockerRootDir}`, ` Debug Mode: ${i.Debug}`);
  nonEmpty(' HTTP Proxy:', i.HttpProxy);
  nonEmpty(' HTTPS Proxy:', i.HttpsProxy);
  nonEmpty(' No Proxy:', i.NoProxy);
  if (i.Labels?.length) l.push(' Labels:', ...i.Labels.map((x: string) => `  ${x}`));
  l.push(` Experimental: ${i.ExperimentalBuild}`);
  const reg = i.RegistryConfig;
  if (reg && (reg.InsecureRegistryCIDRs?.length || Object.keys(reg.IndexConfigs ?? {}).length)) {
    l.push(' Insecure Registries:');
    for (const c of Object.values(reg.IndexConfigs ?? {}) as Doc[]) if (!c.Secure) l.push(`  ${c.Name}`);
    for (const c of reg.InsecureRegistryCIDRs ?? []) l.push(`  ${c}`);
  }
  if (reg?.Mirrors?.length) l.push(' Registry Mirrors:', ...reg.Mirrors.map((m: string) => `  ${m}`));
  l.push(` Live Restore Enabled: ${i.LiveRestoreEnabled}`);
  if (i.DefaultAddressPools?.length) l.push(' Default Address Pools:', ...i.DefaultAddressPools.map((p: Doc) => `   Base: ${p.Base}, Size: ${p.Size}`));
  return l;
}

function swarmInfo(s: Doc): string[] {
  if (s.LocalNodeState === 'inactive' || s.LocalNodeState === 'locked') return [];
  const l = [`  NodeID: ${s.NodeID}`];
  if (s.Error) l.push(`  Error: ${s.Error}`);
  l.push(`  Is Manager: ${s.ControlAvailable}`);
  const c = s.Cluster;
  if (c && s.ControlAvailable && !s.Error && s.LocalNodeState !== 'error') {
    l.push(`  ClusterID: ${c.ID}`, `  Managers: ${s.Managers}`, `  Nodes: ${s.Nodes}`);
    if (c.DefaultAddrPool) l.push(`  Default Address Pool: ${c.DefaultAddrPool.map((p: string) => `${p}  `).join('')}`, `  SubnetSize: ${c.SubnetSize}`);
    if (c.DataPathPort > 0) l.push(`  Data Path Port: ${c.DataPathPort}`);
    const spec = c.Spec ?? {};
    l.push('  Orchestration:', `   Task History Retention Limit: ${spec.Orchestration?.TaskHistoryRetentionLimit ?? 0}`);
    l.push('  Raft:', `   Snapshot Interval: ${spec.Raft?.SnapshotInterval}`);
    if (spec.Raft?.KeepOldSnapshots !== undefined) l.push(`   Number of Old Snapshots to Retain: ${spec.Raft.KeepOldSnapshots}`);
    l.push(`   Heartbeat Tick: ${spec.Raft?.HeartbeatTick}`, `   Election Tick: ${spec.Raft?.ElectionTick}`);
    l.push('  Dispatcher:', `   Heartbeat Period: ${humanDuration((spec.Dispatcher?.HeartbeatPeriod ?? 0) / 1e6)}`);
    l.push('  CA Configuration:', `   Expiry Duration: ${humanDuration((spec.CAConfig?.NodeCertExpiry ?? 0) / 1e6)}`, `   Force Rotate: ${spec.CAConfig?.ForceRotate ?? 0}`);
    const signing = (spec.CAConfig?.SigningCACert ?? '').trim();
    if (signing) l.push(`   Signing CA Certificate: \n${signing}\n`);
    if (spec.CAConfig?.ExternalCAs?.length) l.push('   External CAs:', ...spec.CAConfig.ExternalCAs.map((e: Doc) => `     ${e.Protocol}: ${e.URL}`));
    l.push(`  Autolock Managers: ${spec.EncryptionConfig?.AutoLockManagers ?? false}`, `  Root Rotation In Progress: ${c.RootRotationInProgress ?? false}`);
  }
  l.push(`  Node Address: ${s.NodeAddr}`);
  const managers = ((s.RemoteManagers ?? []) as Doc[]).map((m) => m.Addr as string).sort();
  if (managers.length) l.push('  Manager Addresses:', ...managers.map((m) => `   ${m}`));
  return l;
}
