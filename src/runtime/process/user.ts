import { ShoalError } from '../../util/errors.js';

/** Who the task's process runs as. */
export interface TaskUser {
  uid: number;
  gid: number;
  /** Supplementary groups: those of /etc/group that list the user. */
  groups: number[];
  home: string;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

function parsePasswd(text: string): PasswdEntry[] {
  return lines(text).flatMap((f) => (f.length >= 6 ? [{ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5]! }] : []));
}

function parseGroup(text: string): GroupEntry[] {
  return lines(text).flatMap((f) => (f.length >= 3 ? [{ name: f[0]!, gid: Number(f[2]), members: (f[3] ?? '').split(',').filter(Boolean) }] : []));
}

const lines = (text: string): string[][] =>
  text
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((l) => l.split(':'));

const isNumeric = (s: string): boolean => /^\d+$/.test(s);

/**
 * Resolves a ContainerSpec.User (`name`, `uid`, `name:group`, `uid:gid`...) against the passwd and
 * group files of the task's filesystem, as runc does: an unknown numeric uid or gid is used as is,
 * an unknown name is an error.
 */
export function resolveUser(spec: string | undefined, passwd: string, group: string): TaskUser {
  const [userPart = '', groupPart] = (spec ?? '').split(':', 2);
  const users = parsePasswd(passwd);
  const groups = parseGroup(group);
  const wanted = userPart === '' ? '0' : userPart;
  const entry = users.find((u) => (isNumeric(wanted) ? u.uid === Number(wanted) : u.name === wanted));
  if (!entry && !isNumeric(wanted)) {
    throw new ShoalError('invalid_argument', `starting container failed: unable to find user ${wanted}: no matching entries in passwd file`);
  }
  let gid = entry?.gid ?? 0;
  if (groupPart !== undefined && groupPart !== '') {
    const g = groups.find((x) => (isNumeric(groupPart) ? x.gid === Number(groupPart) : x.name === groupPart));
    if (!g && !isNumeric(groupPart)) {
      throw new ShoalError('invalid_argument', `starting container failed: unable to find group ${groupPart}: no matching entries in group file`);
    }
    gid = g?.gid ?? Number(groupPart);
  }
  const supplementary = entry ? groups.filter((g) => g.members.includes(entry.name)).map((g) => g.gid) : [];
  return {
    uid: entry?.uid ?? Number(wanted),
    gid,
    groups: [...new Set([gid, ...supplementary])],
    home: entry?.home || '/',
  };
}
