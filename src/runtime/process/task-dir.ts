import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TaskHealthCheck } from '../types.js';

/** What the executor records about a task before creating anything, so a restarted daemon can find and clean it. */
export interface TaskRecord {
  taskId: string;
  name: string;
  netns: string;
  hostVeths: string[];
  containerId: string;
  stopSignal: NodeJS.Signals;
  note?: string;
  createdAt: string;
  /** The service's health check, so a daemon that adopts the task after a restart checks it again. */
  healthCheck?: TaskHealthCheck;
}

/** Written by the supervisor once the command runs (host PIDs, and start times that tell a reused PID apart). */
export interface PidRecord {
  supervisorPid: number;
  supervisorStart: number;
  pid: number;
  pidStart: number;
}

/** Written by the supervisor when the command has exited (or could not start: `error`). */
export interface ExitRecord {
  exitCode: number;
  signal?: number;
  finishedAt: string;
  error?: string;
  /** Set by the daemon, not the supervisor: the supervisor vanished without a record. */
  lost?: boolean;
}

export const EXIT_FILE = 'exit.json';

/** The files and folders of one task under `<dataDir>/tasks/<taskId>/`. */
export class TaskDir {
  readonly record: string;
  readonly pids: string;
  readonly exit: string;
  readonly log: string;
  /** The supervisor's own stderr: why it could not start, if it could not. */
  readonly supervisorLog: string;
  /** Bind-mount sources: /etc/hosts, /etc/hostname, /etc/resolv.conf and configs. */
  readonly files: string;
  /** Mount point of the secrets tmpfs (mounted in the task's mount namespace only; empty on disk). */
  readonly secrets: string;
  /** The overlay's writable layer, its work dir and its mount point. */
  readonly upper: string;
  readonly work: string;
  readonly root: string;

  constructor(readonly path: string) {
    this.record = join(path, 'task.json');
    this.pids = join(path, 'pid.json');
    this.exit = join(path, EXIT_FILE);
    this.log = join(path, 'log');
    this.supervisorLog = join(path, 'supervisor.log');
    this.files = join(path, 'files');
    this.secrets = join(path, 'secrets');
    this.upper = join(path, 'upper');
    this.work = join(path, 'work');
    this.root = join(path, 'root');
  }

  readRecord = (): Promise<TaskRecord | undefined> => readJson<TaskRecord>(this.record);
  readPids = (): Promise<PidRecord | undefined> => readJson<PidRecord>(this.pids);
  readExit = (): Promise<ExitRecord | undefined> => readJson<ExitRecord>(this.exit);

  async writeRecord(record: TaskRecord): Promise<void> {
    await writeFile(`${this.record}.tmp`, JSON.stringify(record));
    await rename(`${this.record}.tmp`, this.record);
  }
}

async function readJson<T>(path: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return JSON.parse(text) as T;
}
