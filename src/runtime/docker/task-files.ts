import type Docker from 'dockerode';
import type { TaskFile } from '../types.js';
import { SANDBOX_FILES_DIR, volumeFileName } from './container-config.js';
import { tarArchive } from './tar.js';

/**
 * A task's secrets and configs live in a tmpfs volume of its own, so secrets never touch a disk.
 * The engine mounts it while a container uses it: the sandbox mounts it first, the files are
 * written through the sandbox, and the task's container binds each file from the engine's mount
 * point to its target. This needs no mount shared between Shoal and the engine, only a local engine.
 */

/** Creates the task's files volume; returns where the engine mounts it. */
export async function createFilesVolume(docker: Docker, name: string, labels: Record<string, string>): Promise<string> {
  const volume = await docker.createVolume({
    Name: name,
    Driver: 'local',
    DriverOpts: { type: 'tmpfs', device: 'tmpfs', o: 'mode=0700,nosuid,nodev' },
    Labels: labels,
  });
  return ((await volume.inspect()) as { Mountpoint: string }).Mountpoint;
}

/** Writes the files, with their owners and modes, into the volume through the (running) sandbox. */
export async function writeTaskFiles(sandbox: Docker.Container, files: readonly TaskFile[]): Promise<void> {
  const tar = tarArchive(files.map((f, i) => ({ name: volumeFileName(i), data: f.data, mode: f.mode, uid: f.uid, gid: f.gid })));
  await sandbox.putArchive(tar, { path: SANDBOX_FILES_DIR });
}
