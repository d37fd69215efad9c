import { mkdirSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { replaceDurably } from '../../store/durable-file.js';
import type { Snapshot } from '../core/types.js';
import type { DataKey } from './encryption.js';
import { decodeRecord, encodeRecord } from './records.js';

const NAME = /^([0-9a-f]{16})\.snap$/;

/** Snapshot files, one record each, written atomically; only the newest is kept. */
export class SnapshotFiles {
  constructor(
    private readonly dir: string,
    private readonly key: DataKey,
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  /** The newest snapshot, or undefined if none was ever saved. A damaged newest snapshot is an error. */
  load(): Snapshot | undefined {
    const newest = this.names().pop();
    if (!newest) return undefined;
    const r = decodeRecord<Snapshot>(this.key, readFileSync(join(this.dir, newest)), 0);
    if ('torn' in r) throw new Error(`raft snapshot ${newest} is damaged (${r.torn})`);
    return r.value;
  }

  save(snapshot: Snapshot): void {
    const name = `${snapshot.meta.index.toString(16).padStart(16, '0')}.snap`;
    replaceDurably(join(this.dir, name), encodeRecord(this.key, snapshot));
    for (const old of this.names()) if (old < name) unlinkSync(join(this.dir, old));
  }

  private names(): string[] {
    return readdirSync(this.dir)
      .filter((n) => NAME.test(n))
      .sort();
  }
}
