import { closeSync, fdatasyncSync, fstatSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../../util/logger.js';
import { syncDir } from '../../store/durable-file.js';
import type { Entry, HardState } from '../core/types.js';
import type { DataKey } from './encryption.js';
import { pack, PACKED, unpack } from '../entries-codec.js';
import { openRecord, sealRecord, zeroTail, type DecodeResult } from './records.js';
import { emptyHardState, mustSync } from './types.js';

/** One durable write: entries (possibly replacing a suffix) and the hard state after them. */
interface WalRecord {
  e?: readonly Entry[];
  h?: HardState;
  /** The log was replaced by a snapshot ending at this index: forget every entry before this record. */
  r?: number;
}

interface Segment {
  name: string;
  seq: number;
  /** The index of the first entry appended to this segment. */
  firstIndex: number;
}

/**
 * Segments grow by this much zeroed space at a time, ahead of the records written into it: an
 * fdatasync then flushes data only, not a new file size through the file system's journal (which
 * all writers on the disk queue for), as etcd's preallocated segments do. The next stretch is
 * zeroed with a synced write once less than half of this is left.
 */
const PREALLOCATE = 1 << 20;

const hex = (n: number): string => n.toString(16).padStart(16, '0');

function parseSegment(name: string): Segment | undefined {
  const m = /^([0-9a-f]{16})-([0-9a-f]{16})\.wal$/.exec(name);
  return m ? { name, seq: parseInt(m[1]!, 16), firstIndex: parseInt(m[2]!, 16) } : undefined;
}

/**
 * The write-ahead log: segment files of checksummed, encrypted records, each write fdatasynced
 * before it counts as done, into space zeroed ahead of it (zeros after the last record end it). On
 * open, a torn or corrupt tail of the last segment (a crash mid-write: never acknowledged) is cut
 * off, and so is the zeroed space, so no stale bytes stay behind the records written next; damage
 * in an older segment is refused.
 */
export class Wal {
  private fd = -1;
  private segments: Segment[] = [];
  /** Where the next record goes in the current segment. */
  private size = 0;
  /** The current segment's length on disk (records and zeroed space after them). */
  private allocated = 0;
  private lastIndex = 0;
  private hardState = emptyHardState();

  private constructor(
    private readonly dir: string,
    private readonly key: DataKey,
    private readonly log: Logger,
    private readonly segmentBytes: number,
  ) {}

  /** Replays every segment; returns the last hard state and the entries as they stand after all overwrites. */
  static open(dir: string, key: DataKey, log: Logger, segmentBytes = 64 << 20): { wal: Wal; hardState: HardState; entries: Entry[] } {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const wal = new Wal(dir, key, log, segmentBytes);
    const entries = wal.replay();
    if (wal.segments.length === 0) wal.startSegment();
    else wal.reopenLast();
    return { wal, hardState: wal.hardState, entries };
  }

  private replay(): Entry[] {
    this.segments = readdirSync(this.dir)
      .map(parseSegment)
      .filter((s): s is Segment => s !== undefined)
      .sort((a, b) => a.seq - b.seq);
    const entries: Entry[] = [];
    let resetAt = 0;
    this.segments.forEach((seg, i) => {
      const path = join(this.dir, seg.name);
      const buf = readFileSync(path);
      let off = 0;
      while (off < buf.length && !zeroTail(buf, off)) {
        const r = decodeWalRecord(this.key, buf, off);
        if ('torn' in r) {
          if (i < this.segments.length - 1) throw new Error(`raft log segment ${seg.name} is damaged at byte ${off} (${r.torn}); it is not the last segment, so this is not a torn write`);
          this.log.warn({ segment: seg.name, offset: off, cutBytes: buf.length - off, reason: r.torn }, 'raft log had a torn tail (a write cut by a crash, never acknowledged); cut it off');
          const fd = openSync(path, 'r+');
          ftruncateSync(fd, off);
          fdatasyncSync(fd);
          closeSync(fd);
          break;
        }
        applyRecord(entries, r.value);
        if (r.value.r !== undefined) resetAt = r.value.r;
        if (r.value.h) this.hardState = r.value.h;
        off = r.end;
      }
      this.size = off;
    });
    this.lastIndex = entries.length ? entries[entries.length - 1]!.index : resetAt;
    return entries;
  }

  /**
   * Writes one record and makes it durable with an fdatasync on this thread, before returning. A
   * member has little to do meanwhile that does not wait for this write (etcd's Raft loop waits for
   * its log's fsync too), while libuv's thread pool costs two thread hand-offs per write (measured
   * on a leader: 0.07–0.11 ms of CPU per sequential write) and its completion waits for a free
   * event loop (the slowest 1% of a leader's syncs were seen after 2.2 ms, not 0.7). A record that
   * only moves the commit index is not synced (a restart learns the rest again from the leader), as
   * etcd's MustSync does; it is still written, since a restarted member knows its membership from
   * the entries it applies.
   */
  append(hardState: HardState | undefined, entries: readonly Entry[]): void {
    if (!hardState && entries.length === 0) return;
    const rec: WalRecord = {};
    if (entries.length) rec.e = entries;
    if (hardState) rec.h = hardState;
    const sync = mustSync(this.hardState, hardState, entries);
    this.write(rec, false);
    if (entries.length) this.lastIndex = entries[entries.length - 1]!.index;
    if (hardState) this.hardState = hardState;
    if (!sync) return;
    if (this.allocated - this.size < PREALLOCATE / 2) this.zeroAhead(this.allocated + 1);
    fdatasyncSync(this.fd);
  }

  /** The last segment: what follows its records (zeroed space or a torn write) is cut off before writing goes on. */
  private reopenLast(): void {
    this.fd = openSync(join(this.dir, this.segments[this.segments.length - 1]!.name), 'r+', 0o600);
    if (fstatSync(this.fd).size > this.size) {
      ftruncateSync(this.fd, this.size);
      fdatasyncSync(this.fd);
    }
    this.allocated = this.size;
  }

  /** Records that the log now starts after a snapshot installed from the leader. */
  reset(index: number): void {
    this.write({ r: index });
    this.lastIndex = index;
  }

  /** Deletes the segments whose entries are all at or below `index` (covered by a snapshot). */
  releaseTo(index: number): void {
    while (this.segments.length > 1 && this.segments[1]!.firstIndex <= index + 1) {
      const old = this.segments.shift()!;
      unlinkSync(join(this.dir, old.name));
      this.log.debug({ segment: old.name }, 'raft log segment released after a snapshot');
    }
  }

  private write(rec: WalRecord, sync = true): void {
    if (this.size >= this.segmentBytes) this.startSegment();
    const buf = sealRecord(this.key, pack({ h: rec.h, r: rec.r }, rec.e));
    if (this.size + buf.length > this.allocated) this.zeroAhead(this.size + buf.length);
    writeSync(this.fd, buf, 0, buf.length, this.size);
    if (sync) fdatasyncSync(this.fd);
    this.size += buf.length;
  }

  /** Zeroes the segment up to at least `end`, a stretch at a time (synced with the next record that is). */
  private zeroAhead(end: number): void {
    const grow = Math.max(end - this.allocated, Math.min(PREALLOCATE, this.segmentBytes));
    writeSync(this.fd, Buffer.alloc(grow), 0, grow, this.allocated);
    this.allocated += grow;
  }

  /** A closed segment keeps only its records. */
  private closeSegment(): void {
    if (this.fd < 0) return;
    if (this.allocated > this.size) ftruncateSync(this.fd, this.size);
    closeSync(this.fd);
    this.fd = -1;
  }

  close(): void {
    this.closeSegment();
  }

  /** A new segment starts with the current hard state, so older segments can go without losing it. */
  private startSegment(): void {
    this.closeSegment();
    const last = this.segments[this.segments.length - 1];
    const seg: Segment = { seq: (last?.seq ?? 0) + 1, firstIndex: this.lastIndex + 1, name: '' };
    seg.name = `${hex(seg.seq)}-${hex(seg.firstIndex)}.wal`;
    this.fd = openSync(join(this.dir, seg.name), 'w+', 0o600);
    syncDir(this.dir);
    this.segments.push(seg);
    this.size = 0;
    this.allocated = 0;
    this.write({ h: this.hardState });
  }
}

/** The WAL record at `offset`: packed, or JSON as written before entries were packed. */
function decodeWalRecord(key: DataKey, buf: Buffer, offset: number): DecodeResult<WalRecord> {
  const r = openRecord(key, buf, offset);
  if ('torn' in r) return r;
  try {
    if (r.value[0] !== PACKED) return { value: JSON.parse(r.value.toString('utf8')) as WalRecord, end: r.end };
    const { head, entries } = unpack(r.value);
    return { value: { ...(head as Omit<WalRecord, 'e'>), ...(entries ? { e: entries } : {}) }, end: r.end };
  } catch {
    return { torn: 'record does not decode' };
  }
}

/** Adds a record's entries to the replayed log: an entry at an index we have replaces it and all after it. */
function applyRecord(entries: Entry[], rec: WalRecord): void {
  if (rec.r !== undefined) entries.length = 0;
  for (const e of rec.e ?? []) {
    const last = entries[entries.length - 1]?.index;
    if (last !== undefined) {
      if (e.index > last + 1) throw new Error(`raft log has a gap: entry ${e.index} after ${last}`);
      if (e.index <= last) entries.length = Math.max(0, e.index - entries[0]!.index);
    }
    entries.push(e);
  }
}
