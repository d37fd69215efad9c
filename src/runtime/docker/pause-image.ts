import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { ShoalError } from '../../util/errors.js';
import { engineError, engineStatus, progressError } from './engine.js';
import { tarArchive } from './tar.js';

/**
 * The image of a task's sandbox container: one static ELF binary, /pause, that waits for signals
 * forever. Shoal makes it itself (a few dozen bytes of machine code) and imports it into the engine,
 * so the docker runtime needs no registry and no image on the host to hold a task's network.
 */

const LOAD_ADDRESS = 0x400000n;
const HEADERS = 64 + 56; // the ELF header, then one program header

/** The loop per architecture, and its ELF machine number. */
const CODE: Partial<Record<NodeJS.Architecture, { machine: number; code: Buffer }>> = {
  // loop: mov eax, 34 (pause); syscall; jmp loop
  x64: { machine: 0x3e, code: Buffer.from([0xb8, 0x22, 0, 0, 0, 0x0f, 0x05, 0xeb, 0xf7]) },
  // loop: mov x0..x3, #0; mov x8, #73 (ppoll: no fds, no timeout); svc #0; b loop  (arm64 has no pause)
  arm64: { machine: 0xb7, code: words([0xd2800000, 0xd2800001, 0xd2800002, 0xd2800003, 0xd2800928, 0xd4000001, 0x17fffffa]) },
};

function words(ws: number[]): Buffer {
  const b = Buffer.alloc(ws.length * 4);
  ws.forEach((w, i) => b.writeUInt32LE(w, i * 4));
  return b;
}

/** A static executable of `code`, loaded read+execute at 0x400000 and entered right after its headers. */
export function pauseBinary(arch: NodeJS.Architecture = process.arch): Buffer {
  const target = CODE[arch];
  if (!target) throw new ShoalError('failed_precondition', `the docker runtime has no sandbox binary for ${arch}: use --runtime process`);
  const size = BigInt(HEADERS + target.code.length);
  const h = Buffer.alloc(HEADERS);
  h.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]); // ELF, 64-bit, little-endian, version 1
  h.writeUInt16LE(2, 16); // executable
  h.writeUInt16LE(target.machine, 18);
  h.writeUInt32LE(1, 20);
  h.writeBigUInt64LE(LOAD_ADDRESS + BigInt(HEADERS), 24); // entry
  h.writeBigUInt64LE(64n, 32); // program headers' offset
  h.writeUInt16LE(64, 52);
  h.writeUInt16LE(56, 54);
  h.writeUInt16LE(1, 56);
  h.writeUInt32LE(1, 64); // PT_LOAD of the whole file
  h.writeUInt32LE(5, 68); // read + execute
  h.writeBigUInt64LE(LOAD_ADDRESS, 80);
  h.writeBigUInt64LE(LOAD_ADDRESS, 88);
  h.writeBigUInt64LE(size, 96);
  h.writeBigUInt64LE(size, 104);
  h.writeBigUInt64LE(0x1000n, 112);
  return Buffer.concat([h, target.code]);
}

export const PAUSE_ENTRYPOINT = ['/pause'];

/** The sandbox image's reference: tagged by the binary's hash, so a changed binary is a new image. */
export function pauseImageRef(binary: Buffer): string {
  return `shoal-pause:${createHash('sha256').update(binary).digest('hex').slice(0, 12)}`;
}

/** Imports the sandbox image unless the engine has it; returns its reference. */
export async function ensurePauseImage(docker: Docker): Promise<string> {
  const binary = pauseBinary();
  const ref = pauseImageRef(binary);
  try {
    await docker.getImage(ref).inspect();
    return ref;
  } catch (err) {
    if (engineStatus(err) !== 404) throw engineError(`inspecting the sandbox image ${ref}`, err);
  }
  const [repo, tag] = ref.split(':');
  const tar = tarArchive([{ name: 'pause', data: binary, mode: 0o755, uid: 0, gid: 0 }]);
  let failure: string | undefined;
  try {
    failure = await progressError(await docker.importImage(Readable.from([tar]), { repo, tag }));
  } catch (err) {
    throw engineError(`importing the sandbox image ${ref}`, err);
  }
  if (failure) throw new ShoalError('internal', `importing the sandbox image ${ref} failed: ${failure}`);
  return ref;
}
