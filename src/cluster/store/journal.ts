import { closeSync, fdatasyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, renameSync, writeSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { TableName, TableTypes } from '../types.js';
import type { StoreAction } from './types.js';
import type { Logger } from '../../util/logger.js';
import { syncDir, writeDurably } from './durable-file.js';

export interface Change {
  table: TableName;
  action: StoreAction;
  object: TableTypes[TableName];
}

export interface JournalEntry {
  index: number;
  changes: Change[];
}

export interface Snapshot {
  index: number;
  tables: Partial<Record<TableName, TableTypes[TableName][]>>;
}

/**
 * Local durable log of committed transactions: a snapshot file plus an append-only journal of
 * checksummed lines (`<crc32 hex> <json>`). A torn or corrupt tail (a crash mid-write) is cut
 * off on open; everything before it was fsynced and acknowledged.
 */
export class Journal {
  private fd = -1;
  private entriesSinceSnapshot = 0;

  constructor(
    private readonly dir: string,
    private readonly log: Logger,
    private readonly snapshotEvery = 2000,
  ) {}

  private get journalPath(): string {
    return join(this.dir, 'journal.log');
  }

  private get snapshotPath(): string {
    return join(this.dir, 'snapshot.json');
  }

  /** Reads the snapshot and the valid journal entries after it, and opens the journal for appending. */
  open(): { snapshot: Snapshot; entries: JournalEntry[] } {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const snapshot: Snapshot = existsSync(this.snapshotPath)
      ? (JSON.parse(readFileSync(this.snapshotPath, 'utf8')) as Snapshot)
      : { index: 0, tables: {} };
    const entries: JournalEntry[] = [];
    let validBytes = 0;
    if (existsSync(this.journalPath)) {
      const buf = readFileSync(this.journalPath);
      let start = 0;
      while (start < buf.length) {
        const nl = buf.indexOf(10, start);
        if (nl < 0) break; // torn tail: no newline
        const entry = parseLine(buf.subarray(start, nl));
        if (!entry) break;
        if (entry.index > snapshot.index) entries.push(entry);
        start = nl + 1;
        validBytes = start;
      }
      if (validBytes < buf.length) {
        this.log.warn({ path: this.journalPath, cutBytes: buf.length - validBytes }, 'store journal had a torn or corrupt tail; cut it off');
      }
    }
    this.fd = openSync(this.journalPath, 'a+', 0o600);
    ftruncateSync(this.fd, validBytes);
    this.entriesSinceSnapshot = entries.length;
    return { snapshot, entries };
  }

  /** Appends one committed transaction and fsyncs it. */
  append(entry: JournalEntry): void {
    const json = JSON.stringify(entry);
    const line = `${crc32(json).toString(16).padStart(8, '0')} ${json}\n`;
    writeSync(this.fd, line);
    fdatasyncSync(this.fd);
    this.entriesSinceSnapshot++;
  }

  get wantsSnapshot(): boolean {
    return this.entriesSinceSnapshot >= this.snapshotEvery;
  }

  /** Writes a snapshot atomically (temp file, fsync, rename) and starts an empty journal. */
  writeSnapshot(snapshot: Snapshot): void {
    const tmp = `${this.snapshotPath}.tmp`;
    writeDurably(tmp, JSON.stringify(snapshot));
    renameSync(tmp, this.snapshotPath);
    const emptyTmp = `${this.journalPath}.tmp`;
    writeDurably(emptyTmp, '');
    renameSync(emptyTmp, this.journalPath);
    closeSync(this.fd);
    this.fd = openSync(this.journalPath, 'a+', 0o600);
    syncDir(this.dir);
    this.entriesSinceSnapshot = 0;
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

function parseLine(line: Buffer): JournalEntry | undefined {
  const text = line.toString('utf8');
  const sp = text.indexOf(' ');
  if (sp !== 8) return undefined;
  const json = text.slice(9);
  if (crc32(json).toString(16).padStart(8, '0') !== text.slice(0, 8)) return undefined;
  try {
    return JSON.parse(json) as JournalEntry;
  } catch {
    return undefined;
  }
}
