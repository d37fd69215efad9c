import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { ShoalError } from '../../util/errors.js';
import { SUPERVISOR_SCRIPT } from './supervisor-script.js';
import type { TaskDir } from './task-dir.js';

const HANDSHAKE_TIMEOUT_MS = 30_000;

/** Writes the supervisor script to `<dir>/supervisor.pl` (once per content) and returns its path. */
export async function installSupervisor(dir: string): Promise<string> {
  const path = join(dir, 'supervisor.pl');
  if (existsSync(path) && (await readFile(path, 'utf8')) === SUPERVISOR_SCRIPT) return path;
  await mkdir(dir, { recursive: true });
  await writeFile(`${path}.tmp`, SUPERVISOR_SCRIPT);
  await rename(`${path}.tmp`, path);
  return path;
}

export type LaunchResult =
  | {
      ok: true;
      /** The command's host PID. */
      pid: number;
      /** Fires when the supervisor exits (only for a supervisor this daemon started). */
      onExit(fn: () => void): void;
    }
  /** The task's network could not be built (`detail`: what ip said), or its command could not start. */
  | { ok: false; stage: 'network' | 'start'; detail: string };

/**
 * Starts the supervisor detached (own session, so it outlives the daemon), hands it the plan on stdin
 * and waits for its one-line answer: `ok <pid>` once the command was exec'd, or `error <stage> <message>`.
 */
export async function launchSupervisor(script: string, taskId: string, dir: TaskDir, plan: string): Promise<LaunchResult> {
  const errLog = await open(dir.supervisorLog, 'a');
  let child: ChildProcessByStdio<Writable, Readable, null>;
  try {
    // stderr goes straight to a file: the supervisor must not depend on the daemon after the handshake.
    child = spawn('perl', [script, taskId], { cwd: '/', detached: true, stdio: ['pipe', 'pipe', errLog.fd] }) as ChildProcessByStdio<Writable, Readable, null>;
  } finally {
    await errLog.close();
  }
  let exited = false;
  child.once('exit', () => (exited = true));
  child.stdin.on('error', () => {});
  child.stdin.end(plan);
  const answer = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new ShoalError('internal', `task ${taskId}: its supervisor did not answer within ${HANDSHAKE_TIMEOUT_MS} ms`));
    }, HANDSHAKE_TIMEOUT_MS);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new ShoalError('unavailable', `task ${taskId}: cannot run perl for its supervisor (${err.message}); install perl-base`));
    });
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(out.slice(0, nl));
      }
    });
    child.stdout.on('end', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
  child.stdout.destroy();
  child.unref();
  const ok = /^ok (\d+)$/.exec(answer);
  if (ok) return { ok: true, pid: Number(ok[1]), onExit: (fn) => (exited ? fn() : child.once('exit', fn)) };
  const failed = /^error (network|start) (.*)$/.exec(answer);
  if (failed) return { ok: false, stage: failed[1] as 'network' | 'start', detail: failed[2]! };
  const why = (await readFile(dir.supervisorLog, 'utf8').catch(() => '')).trim();
  throw new ShoalError('internal', `task ${taskId}: its supervisor failed before starting the command: ${why || 'no message'}`);
}
