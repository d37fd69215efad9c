import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../../util/logger.js';
import type { Entry, HardState, Snapshot } from '../core/types.js';
import { loadDataKey, writeKeyFile, type DataKey } from './encryption.js';
import { SnapshotFiles } from './snapshots.js';
import type { PersistedState, RaftStorage } from './types.js';
import { Wal } from './wal.js';

export interface FileStorageOptions {
  dir: string;
  log: Logger;
  /** The autolock key; required to open a store that was locked with one. */
  unlockKey?: string;
  segmentBytes?: number;
}

/** A member's stable storage in `dir`: `wal/` segments, `snap/` snapshots and `keys.json`, all encrypted at rest. */
export class FileStorage implements RaftStorage {
  private constructor(
    private readonly dir: string,
    private readonly key: DataKey,
    private readonly wal: Wal,
    private readonly snapshots: SnapshotFiles,
    private readonly loaded: PersistedState,
  ) {}

  static open(opts: FileStorageOptions): FileStorage {
    mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
    const key = loadDataKey(join(opts.dir, 'keys.json'), opts.unlockKey);
    const snapshots = new SnapshotFiles(join(opts.dir, 'snap'), key);
    const snapshot = snapshots.load();
    const { wal, hardState, entries } = Wal.open(join(opts.dir, 'wal'), key, opts.log, opts.segmentBytes);
    const after = entries.filter((e) => e.index > (snapshot?.meta.index ?? 0));
    const expected = (snapshot?.meta.index ?? 0) + 1;
    if (after.length && after[0]!.index !== expected) {
      wal.close();
      throw new Error(`raft log in ${opts.dir} starts at entry ${after[0]!.index}, but the snapshot ends at ${expected - 1}`);
    }
    const commit = Math.max(hardState.commit, snapshot?.meta.index ?? 0);
    return new FileStorage(opts.dir, key, wal, snapshots, { hardState: { ...hardState, commit }, snapshot, entries: after });
  }

  load(): PersistedState {
    return this.loaded;
  }

  async save(hardState: HardState | undefined, entries: readonly Entry[]): Promise<void> {
    this.wal.append(hardState, entries);
  }

  saveSnapshot(snapshot: Snapshot): void {
    this.snapshots.save(snapshot);
    this.wal.releaseTo(snapshot.meta.index);
  }

  installSnapshot(snapshot: Snapshot): void {
    this.snapshots.save(snapshot);
    this.wal.reset(snapshot.meta.index);
    this.wal.releaseTo(snapshot.meta.index);
  }

  /** `swarm unlock-key --rotate` (or turning autolock on or off): the data key is sealed anew. */
  setUnlockKey(unlockKey: string | undefined): void {
    writeKeyFile(join(this.dir, 'keys.json'), this.key, unlockKey);
  }

  close(): void {
    this.wal.close();
  }
}
