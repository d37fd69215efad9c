import type { IpBatch } from './task-network.js';
import type { TaskUser } from './user.js';
import type { ViewOp } from './view-plan.js';

/** Everything the supervisor needs to start one task; sent on its stdin, so secrets never touch a disk. */
export interface SupervisorPlan {
  /** process.arch: picks the supervisor's system call numbers. */
  arch: string;
  /** Run first, in order, from the daemon's network namespace. */
  ip: IpBatch[];
  netnsPath: string;
  logFile: string;
  pidFile: string;
  exitFile: string;
  hostname: string;
  view: ViewOp[];
  user: TaskUser;
  /** The working directory, in the task's view. */
  cwd: string;
  env: string[];
  argv: string[];
}

type Arg = string | number | Buffer;

const hex = (a: Arg): string => (Buffer.isBuffer(a) ? a : Buffer.from(String(a))).toString('hex');
const octal = (mode: number): string => mode.toString(8);

function opArgs(op: ViewOp): Arg[] {
  switch (op.op) {
    case 'mount':
      return [op.source, op.target, op.fstype, op.flags, op.data];
    case 'detach':
      return [op.target];
    case 'mkdir':
      return [op.path, octal(op.mode)];
    case 'file':
      return [op.path, octal(op.mode), op.uid, op.gid, op.data];
    case 'touch':
      return [op.path];
    case 'mknod':
      return [op.path, octal(op.mode), op.major, op.minor];
    case 'symlink':
      return [op.target, op.path];
    case 'pivot':
      return [op.root];
  }
}

/** The plan as the supervisor reads it: a line per instruction, a word then hex-encoded arguments. */
export function encodePlan(p: SupervisorPlan): string {
  const lines: Arg[][] = [
    ['arch', p.arch],
    ...p.ip.map((b) => ['ip', b.batch, ...b.args]),
    ['netns', p.netnsPath],
    ['log', p.logFile],
    ['pidfile', p.pidFile],
    ['exitfile', p.exitFile],
    ['hostname', p.hostname],
    ...p.view.map((op) => ['op', op.op, ...opArgs(op)]),
    ['user', p.user.uid, p.user.gid, ...p.user.groups],
    ['cwd', p.cwd],
    ...p.env.map((e) => ['env', e]),
    ...p.argv.map((a) => ['arg', a]),
  ];
  return lines.map(([word, ...args]) => [word, ...args.map(hex)].join(' ')).join('\n') + '\n';
}
