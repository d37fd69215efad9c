import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { invalidArgument } from '../../util/errors.js';
import type { ResolvedImage } from '../images/image-store.js';
import type { TaskFile, TaskRunSpec } from '../types.js';
import { hostsFile, resolvConf } from './etc-files.js';
import type { TaskDir } from './task-dir.js';
import { resolveUser, type TaskUser } from './user.js';
import { viewOps, type FileBind, type ViewOp } from './view-plan.js';

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface TaskView {
  ops: ViewOp[];
  user: TaskUser;
  env: string[];
  cwd: string;
  hostname: string;
}

const readText = (path: string): Promise<string> => readFile(path, 'utf8').catch(() => '');

/**
 * Prepares what the task sees: writes /etc/hosts, /etc/hostname, /etc/resolv.conf and configs to the
 * task dir (secrets stay in memory: they go to the supervisor on its stdin), resolves the user and the
 * environment, and lists the mounts. Without an image the view is the host's filesystem, where a file
 * can only be shown over an existing one or under the task's private /run.
 */
export async function prepareTaskView(spec: TaskRunSpec, dir: TaskDir, image: ResolvedImage | undefined): Promise<TaskView> {
  const fsRoot = image?.rootfs ?? '/';
  const user = resolveUser(spec.user, await readText(join(fsRoot, 'etc/passwd')), await readText(join(fsRoot, 'etc/group')));
  const hostname = spec.hostname || spec.taskId.slice(0, 12);
  if (!image) {
    for (const f of spec.files) checkHostTarget(f, spec.image);
  }
  await mkdir(dir.files, { recursive: true });
  const etc: [name: string, content: string][] = [
    ['hosts', hostsFile(hostname, spec.networks)],
    ['hostname', `${hostname}\n`],
    ['resolv.conf', resolvConf(await readText('/etc/resolv.conf'), spec.dnsServer)],
  ];
  const binds: FileBind[] = [];
  for (const [name, content] of etc) {
    const target = `/etc/${name}`;
    if (!image && !existsSync(target)) continue;
    await writeFile(join(dir.files, name), content, { mode: 0o644 });
    binds.push({ source: join(dir.files, name), target, readOnly: false });
  }
  const configs = spec.files.filter((f) => !f.secret);
  for (const [i, f] of configs.entries()) {
    const source = join(dir.files, `config-${i}`);
    await writeFile(source, f.data);
    await chown(source, f.uid, f.gid);
    await chmod(source, f.mode & 0o7777);
    binds.push({ source, target: f.target, readOnly: true });
  }
  const secrets = spec.files.filter((f) => f.secret);
  if (secrets.length > 0) await mkdir(dir.secrets, { recursive: true });
  if (image) await Promise.all([dir.upper, dir.work, dir.root].map((d) => mkdir(d, { recursive: true })));
  const cwd = spec.dir || '/';
  return {
    ops: viewOps({
      image: image && { rootfs: image.rootfs, upper: dir.upper, work: dir.work, root: dir.root },
      binds,
      secretsDir: dir.secrets,
      secrets,
      cwd,
    }),
    user,
    env: taskEnv(spec.env, hostname, user.home),
    cwd,
    hostname,
  };
}

/** Docker's environment: PATH and HOME unless the spec sets them, HOSTNAME, then the spec's variables. */
function taskEnv(env: readonly string[], hostname: string, home: string): string[] {
  const has = (name: string) => env.some((e) => e.startsWith(`${name}=`));
  return [...(has('PATH') ? [] : [`PATH=${DEFAULT_PATH}`]), `HOSTNAME=${hostname}`, ...env, ...(has('HOME') ? [] : [`HOME=${home}`])];
}

function checkHostTarget(f: TaskFile, image: string): void {
  if (f.target.startsWith('/run/') || existsSync(f.target)) return;
  throw invalidArgument(
    `${f.secret ? 'secret' : 'config'} target ${f.target}: image "${image}" is not known locally, so the task runs in the host's filesystem, ` +
      'where a file can only be shown over an existing one or under /run; import the image or choose such a target',
  );
}
