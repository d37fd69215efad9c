import type { Command, CommandGroup, Context } from '../command.js';
import type { FlagSpec, Flags } from '../args.js';
import { renderInspect } from '../format/inspect.js';
import { parseGoDuration } from '../../../util/duration.js';
import { formatFlag, quietFlag } from './flags.js';
import { ShoalError } from '../../../util/errors.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- Engine API documents are read field by field */
type Doc = Record<string, any>;

/** The cluster settings `swarm init` and `swarm update` share, with docker's defaults for init. */
const SPEC_FLAGS: (FlagSpec & { apply: (spec: Doc, v: string) => void; initDefault: string })[] = [
  { name: 'task-history-limit', type: 'string', valueName: 'int', description: 'Task history retention limit (default 5)', initDefault: '5', apply: (s, v) => ((s.Orchestration ??= {}).TaskHistoryRetentionLimit = Number(v)) },
  { name: 'dispatcher-heartbeat', type: 'string', valueName: 'duration', description: 'Dispatcher heartbeat period (ns|us|ms|s|m|h) (default 5s)', initDefault: '5s', apply: (s, v) => ((s.Dispatcher ??= {}).HeartbeatPeriod = parseGoDuration(v)) },
  { name: 'cert-expiry', type: 'string', valueName: 'duration', description: 'Validity period for node certificates (ns|us|ms|s|m|h) (default 2160h0m0s)', initDefault: '2160h', apply: (s, v) => ((s.CAConfig ??= {}).NodeCertExpiry = parseGoDuration(v)) },
  { name: 'snapshot-interval', type: 'string', valueName: 'uint', description: 'Number of log entries between Raft snapshots (default 10000)', initDefault: '10000', apply: (s, v) => ((s.Raft ??= {}).SnapshotInterval = Number(v)) },
  { name: 'max-snapshots', type: 'string', valueName: 'uint', description: 'Number of additional Raft snapshots to retain', initDefault: '0', apply: (s, v) => ((s.Raft ??= {}).KeepOldSnapshots = Number(v)) },
  { name: 'autolock', type: 'bool', description: 'Enable manager autolocking (requiring an unlock key to start a stopped manager)', initDefault: 'false', apply: (s, v) => ((s.EncryptionConfig ??= {}).AutoLockManagers = v === 'true') },
];

/** A cluster setting's value as given on the command line, or undefined. */
function specFlagValue(flags: Flags, f: FlagSpec): string | undefined {
  if (!flags.has(f.name)) return undefined;
  return f.type === 'bool' ? String(flags.bool(f.name)) : flags.string(f.name);
}

async function joinCommand(ctx: Context, role: 'worker' | 'manager', swarm?: Doc): Promise<string> {
  const s = swarm ?? (await ctx.client.get<Doc>('/swarm'));
  const info = await ctx.client.get<Doc>('/info');
  const node = await ctx.client.get<Doc>(`/nodes/${info.Swarm.NodeID}`);
  const token = role === 'worker' ? s.JoinTokens.Worker : s.JoinTokens.Manager;
  return `To add a ${role} to this swarm, run the following command:\n\n    shoal swarm join --token ${token} ${node.ManagerStatus?.Addr ?? info.Swarm.NodeAddr}\n\n`;
}

const init: Command = {
  name: 'init',
  summary: 'Initialize a swarm',
  usage: '[OPTIONS]',
  flags: [
    { name: 'advertise-addr', type: 'string', description: 'Advertised address (format: "<ip|interface>[:port]")' },
    { name: 'listen-addr', type: 'string', description: 'Listen address (format: "<ip|interface>[:port]") (default 0.0.0.0:2377)' },
    { name: 'data-path-addr', type: 'string', description: 'Address or interface to use for data path traffic' },
    { name: 'data-path-port', type: 'string', valueName: 'uint32', description: 'Port number to use for data path traffic (1024 - 49151)' },
    { name: 'default-addr-pool', type: 'list', valueName: 'ipNetSlice', description: 'default address pool in CIDR format' },
    { name: 'default-addr-pool-mask-length', type: 'string', valueName: 'uint32', description: 'default address pool subnet mask length (default 24)' },
    { name: 'force-new-cluster', type: 'bool', description: 'Force create a new cluster from current state' },
    { name: 'availability', type: 'string', description: 'Availability of the node ("active", "pause", "drain") (default "active")' },
    ...SPEC_FLAGS,
  ],
  args: { max: 0 },
  async run(ctx, flags) {
    const spec: Doc = {};
    for (const f of SPEC_FLAGS) f.apply(spec, specFlagValue(flags, f) ?? f.initDefault);
    const body = {
      ListenAddr: flags.string('listen-addr') ?? '0.0.0.0:2377',
      AdvertiseAddr: flags.string('advertise-addr') ?? '',
      DataPathAddr: flags.string('data-path-addr') ?? '',
      DataPathPort: Number(flags.string('data-path-port') ?? 0),
      DefaultAddrPool: flags.list('default-addr-pool'),
      SubnetSize: Number(flags.string('default-addr-pool-mask-length') ?? 24),
      ForceNewCluster: flags.bool('force-new-cluster'),
      Availability: flags.string('availability') ?? 'active',
      AutoLockManagers: spec.EncryptionConfig.AutoLockManagers,
      Spec: spec,
    };
    const nodeId = await ctx.client.post<string>('/swarm/init', body);
    ctx.out.write(`Swarm initialized: current node (${nodeId}) is now a manager.\n\n`);
    ctx.out.write(await joinCommand(ctx, 'worker'));
    ctx.out.write("To add a manager to this swarm, run 'shoal swarm join-token manager' and follow the instructions.\n\n");
    if (body.AutoLockManagers) await printUnlockKey(ctx, false);
  },
};

const join: Command = {
  name: 'join',
  summary: 'Join a swarm as a node and/or manager',
  usage: '[OPTIONS] HOST:PORT',
  flags: [
    { name: 'token', type: 'string', description: 'Token for entry into the swarm' },
    { name: 'advertise-addr', type: 'string', description: 'Advertised address (format: "<ip|interface>[:port]")' },
    { name: 'listen-addr', type: 'string', description: 'Listen address (format: "<ip|interface>[:port]") (default 0.0.0.0:2377)' },
    { name: 'data-path-addr', type: 'string', description: 'Address or interface to use for data path traffic' },
    { name: 'availability', type: 'string', description: 'Availability of the node ("active", "pause", "drain") (default "active")' },
  ],
  args: { min: 1, max: 1 },
  async run(ctx, flags) {
    await ctx.client.post('/swarm/join', {
      ListenAddr: flags.string('listen-addr') ?? '0.0.0.0:2377',
      AdvertiseAddr: flags.string('advertise-addr') ?? '',
      DataPathAddr: flags.string('data-path-addr') ?? '',
      RemoteAddrs: flags.positionals,
      JoinToken: flags.string('token') ?? '',
      Availability: flags.string('availability') ?? 'active',
    });
    const info = await ctx.client.get<Doc>('/info');
    ctx.out.write(info.Swarm.ControlAvailable ? 'This node joined a swarm as a manager.\n' : 'This node joined a swarm as a worker.\n');
  },
};

const joinToken: Command = {
  name: 'join-token',
  summary: 'Manage join tokens',
  usage: '[OPTIONS] (worker|manager)',
  flags: [{ ...quietFlag, description: 'Only display token' }, { name: 'rotate', type: 'bool', description: 'Rotate join token' }],
  args: { min: 1, max: 1 },
  async run(ctx, flags) {
    const role = flags.positionals[0];
    if (role !== 'worker' && role !== 'manager') throw new ShoalError('invalid_argument', 'unknown role ' + role);
    if (flags.bool('rotate')) {
      const s = await ctx.client.get<Doc>('/swarm');
      await ctx.client.post('/swarm/update', s.Spec, { rotateManagerToken: role === 'manager', rotateManagerUnlockKey: false, rotateWorkerToken: role === 'worker', version: s.Version.Index });
      if (!flags.bool('quiet')) ctx.out.write(`Successfully rotated ${role} join token.\n\n`);
    }
    const s = await ctx.client.get<Doc>('/swarm');
    if (flags.bool('quiet')) ctx.out.write(`${role === 'worker' ? s.JoinTokens.Worker : s.JoinTokens.Manager}\n`);
    else ctx.out.write(await joinCommand(ctx, role, s));
  },
};

const leave: Command = {
  name: 'leave',
  summary: 'Leave the swarm',
  usage: '[OPTIONS]',
  flags: [{ name: 'force', short: 'f', type: 'bool', description: 'Force this node to leave the swarm, ignoring warnings' }],
  args: { max: 0 },
  async run(ctx, flags) {
    await ctx.client.post('/swarm/leave', undefined, { force: flags.bool('force') ? 1 : undefined });
    ctx.out.write('Node left the swarm.\n');
  },
};

const update: Command = {
  name: 'update',
  summary: 'Update the swarm',
  usage: '[OPTIONS]',
  flags: SPEC_FLAGS,
  args: { max: 0 },
  async run(ctx, flags) {
    const s = await ctx.client.get<Doc>('/swarm');
    const spec = structuredClone(s.Spec);
    for (const f of SPEC_FLAGS) {
      const v = specFlagValue(flags, f);
      if (v !== undefined) f.apply(spec, v);
    }
    await ctx.client.post('/swarm/update', spec, { rotateManagerToken: false, rotateManagerUnlockKey: false, rotateWorkerToken: false, version: s.Version.Index });
    ctx.out.write('Swarm updated.\n');
    if (flags.has('autolock') && spec.EncryptionConfig?.AutoLockManagers && !s.Spec.EncryptionConfig?.AutoLockManagers) await printUnlockKey(ctx, false);
  },
};

async function printUnlockKey(ctx: Context, quiet: boolean): Promise<void> {
  const { UnlockKey: key } = await ctx.client.get<Doc>('/swarm/unlockkey');
  if (!key) throw new ShoalError('failed_precondition', 'no unlock key is set');
  if (quiet) {
    ctx.out.write(`${key}\n`);
    return;
  }
  ctx.out.write(`To unlock a swarm manager after it restarts, run the \`shoal swarm unlock\`\ncommand and provide the following key:\n\n    ${key}\n\nRemember to store this key in a password manager, since without it you\nwill not be able to restart the manager.\n`);
}

const unlockKey: Command = {
  name: 'unlock-key',
  summary: 'Manage the unlock key',
  usage: '[OPTIONS]',
  flags: [{ ...quietFlag, description: 'Only display token' }, { name: 'rotate', type: 'bool', description: 'Rotate unlock key' }],
  args: { max: 0 },
  async run(ctx, flags) {
    if (flags.bool('rotate')) {
      const s = await ctx.client.get<Doc>('/swarm');
      if (!s.Spec.EncryptionConfig?.AutoLockManagers) throw new ShoalError('failed_precondition', 'cannot rotate because autolock is not turned on');
      await ctx.client.post('/swarm/update', s.Spec, { rotateManagerToken: false, rotateManagerUnlockKey: true, rotateWorkerToken: false, version: s.Version.Index });
      if (!flags.bool('quiet')) ctx.out.write('Successfully rotated manager unlock key.\n\n');
    }
    await printUnlockKey(ctx, flags.bool('quiet'));
  },
};

/** The unlock key: typed at a prompt on a terminal, else the first line of stdin. */
async function readKey(): Promise<string> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stdin.isTTY ? process.stderr : undefined, terminal: !!process.stdin.isTTY });
  try {
    const line = process.stdin.isTTY ? await rl.question('Enter unlock key: ') : ((await rl[Symbol.asyncIterator]().next()).value ?? '');
    return String(line).trim();
  } finally {
    rl.close();
  }
}

const unlock: Command = {
  name: 'unlock',
  summary: 'Unlock swarm',
  usage: '',
  flags: [],
  args: { max: 0 },
  async run(ctx) {
    const state = (await ctx.client.get<Doc>('/info')).Swarm.LocalNodeState;
    if (state === 'inactive') throw new ShoalError('failed_precondition', 'Error: This node is not part of a swarm');
    if (state !== 'locked') throw new ShoalError('failed_precondition', 'Error: swarm is not locked');
    await ctx.client.post('/swarm/unlock', { UnlockKey: await readKey() });
  },
};

const inspect: Command = {
  name: 'inspect',
  summary: 'Display detailed information on the swarm (GET /swarm)',
  usage: '[OPTIONS]',
  flags: [formatFlag],
  args: { max: 0 },
  async run(ctx, flags) {
    ctx.out.write(renderInspect([await ctx.client.get('/swarm')], flags.string('format')));
  },
};

export const swarmGroup: CommandGroup = {
  name: 'swarm',
  summary: 'Manage Swarm',
  commands: [init, inspect, join, joinToken, leave, unlock, unlockKey, update],
};
