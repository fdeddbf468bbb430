/**
 * Append-only write-ahead journal of checksummed records in numbered segment files, with a
 * persisted cursor up to which records are acknowledged (delivered). Every event goes through it
 * before it is published, so neither a broker outage, a killed agent nor a power cut loses one.
 *
 * Invariants (the failures each one answers are in ./README.md, with their tests):
 * - One process owns a journal directory (journal-lock.ts).
 * - Nothing is read for shipping, and so nothing is acknowledged, past the last fsynced offset:
 *   after a power cut the cursor never points past data that survived, and the stream seqs stored
 *   with it (`syncedBytes`) never count a record that did not.
 * - Creating or deleting a segment file is followed by an fsync of the directory.
 * - Records are appended in order and never after damage or a failed write's leftovers: a write
 *   that fails is cut off again (or, if that fails too, the next write starts a new segment) and
 *   its records stay queued, in order, for the next write. A failed fsync re-queues everything
 *   not confirmed since the last good one into a new segment (the kernel may have dropped it).
 * - A failed write never wedges the journal: the next flush tries again.
 */
import { join } from 'node:path';
import type { FramedRecords } from '@magicport/bus';
import { framedRecords } from '@magicport/bus';
import { checkFrame, frameBound, writeFrame, type JournalEntry, type JournalRecord } from './frame';
import {
  readCursor,
  writeCursor,
  type CursorFile,
  type InFlightBatch,
  type JournalPosition,
} from './journal-cursor';
import {
  describeFsError,
  errorCode,
  nodeJournalFs,
  type JournalFile,
  type JournalFs,
} from './journal-fs';
import { lockJournal, type JournalLock } from './journal-lock';
import { MemoryTail } from './memory-tail';
import { JournalFormatError, SEGMENT_HEADER_BYTES, segmentHeader } from './segment-header';
import { scanSegment } from './segment-scan';

export { JournalCursorError, JsonText } from './journal-cursor';
export type { InFlightBatch, JournalPosition } from './journal-cursor';
export { JournalLockedError } from './journal-lock';
export { JournalFormatError } from './segment-header';

export interface JournalDamage {
  file: string;
  offset: number;
  reason: string;
  skippedBytes: number;
}

export interface JournalOptions {
  /** Start a new segment file past this size. */
  segmentBytes: number;
  /**
   * fsync at most this often in the background; writes reach the OS at once, so a killed
   * process loses nothing, and the shipper asks for an fsync itself when it has nothing synced.
   */
  fsyncIntervalMs: number;
  /**
   * Written, unacknowledged records also kept in memory up to this many bytes, so the shipper
   * takes them from there instead of reading its own writes back from the file. Past it (a long
   * outage) the newest are read from the file when their turn comes.
   */
  memoryTailBytes: number;
  /** The file layer (tests inject faults here). */
  fs: JournalFs;
}

export const JOURNAL_DEFAULTS: JournalOptions = {
  segmentBytes: 64 * 1024 * 1024,
  fsyncIntervalMs: 50,
  memoryTailBytes: 32 * 1024 * 1024,
  fs: nodeJournalFs,
};

/** A journal write or fsync failed; `code` is the errno code (ENOSPC, EIO, ...) when known. */
export class JournalWriteError extends Error {
  override readonly name = 'JournalWriteError';
  readonly code: string | undefined;
  constructor(what: string, cause: unknown) {
    super(`journal ${what} failed: ${describeFsError(cause)}`, { cause });
    this.code = errorCode(cause);
  }
}

/** Frames are encoded into slabs of this size (a larger record gets a slab of its own). */
const SLAB_BYTES = 1024 * 1024;
/** Read size of `readRange` in segments before its last one. */
const MAX_CHUNK = 16 * 1024 * 1024;

const segmentName = (n: number) => `segment-${String(n).padStart(8, '0')}.log`;

/** Frames waiting for the file (or written and not yet confirmed by an fsync). */
interface FrameRun {
  chunks: Buffer[];
  /** Offset after each frame, from the run's start. */
  ends: number[];
  bytes: number;
}

/** Where a segment's first record starts: after its header. */
const FIRST_RECORD = SEGMENT_HEADER_BYTES;
/** `pos`, or the segment's first record when it points into the header (0: the segment's start). */
const atRecord = (pos: JournalPosition): JournalPosition =>
  pos.offset < FIRST_RECORD ? { segment: pos.segment, offset: FIRST_RECORD } : pos;
const samePosition = (a: JournalPosition, b: JournalPosition) =>
  a.segment === b.segment && a.offset === b.offset;
const before = (a: JournalPosition, b: JournalPosition) =>
  a.segment < b.segment || (a.segment === b.segment && a.offset < b.offset);

export class Journal {
  /** Damaged tails found when opening; their bytes are skipped, the records before them kept. */
  readonly damage: JournalDamage[] = [];
  /** The meta stored with the last acknowledgement, as found when opening. */
  cursorMeta: unknown = undefined;
  /**
   * The batch marked in flight and not acknowledged since; when found on opening, the previous
   * owner stopped (or crashed) while some of it may have reached the bus.
   */
  inFlight: InFlightBatch | null = null;
  /** Bytes of frames appended since open. */
  appendedBytes = 0;
  /** Bytes of frames appended since open that are on disk, fsynced (a prefix of the appended). */
  syncedBytes = 0;
  /** The meta of the last acknowledgement, kept in the cursor file by `markInFlight`. */
  private ackedMeta: unknown = undefined;
  /** Frames appended since the last write: filled slabs, then the current slab's new part. */
  private sealed: Buffer[] = [];
  private slab = Buffer.allocUnsafe(0);
  private slabStart = 0;
  private slabUsed = 0;
  private pendingEnds: number[] = [];
  private pendingBytes = 0;
  /** Written to the current segment since its last good fsync, oldest first. */
  private unsynced: FrameRun[] = [];
  private readonly tail: MemoryTail;
  private fd: JournalFile | null = null;
  private segment = 0;
  private segmentSize = 0;
  /** Offset of the current segment up to which an fsync confirmed the data. */
  private syncedSize = 0;
  /** The current segment's end can no longer be trusted: the next write opens a new one. */
  private needNewSegment = false;
  /** Valid end of each segment still on disk (for damaged ones, where the damage starts). */
  private readonly ends = new Map<number, number>();
  private writing: Promise<void> = Promise.resolve();
  /** The write that starts when the current one is done, shared by the flushes asking meanwhile. */
  private nextWrite: Promise<void> | null = null;
  private syncNext = false;
  /** A background fsync's failure, handled by the next write. */
  private syncError: unknown = null;
  private lastSync = 0;
  /** A background fsync of the current segment, if one runs. */
  private syncing: Promise<void> | null = null;
  private cursorPos: JournalPosition;
  private readonly fs: JournalFs;

  private constructor(
    private readonly dir: string,
    private readonly options: JournalOptions,
    cursor: JournalPosition,
    private readonly lock: JournalLock,
  ) {
    this.cursorPos = cursor;
    this.fs = options.fs;
    this.tail = new MemoryTail(options.memoryTailBytes);
  }

  /**
   * Opens (creating) the journal in `dir`, taking its lock: throws JournalLockedError when
   * another live process has it open, JournalCursorError when its cursor is unusable.
   */
  static async open(dir: string, settings: Partial<JournalOptions> = {}): Promise<Journal> {
    const options = { ...JOURNAL_DEFAULTS, ...settings };
    await options.fs.mkdir(dir);
    const lock = await lockJournal(options.fs, dir);
    try {
      const cursor: CursorFile = (await readCursor(options.fs, dir)) ?? {
        segment: 1,
        offset: FIRST_RECORD,
      };
      const position = atRecord({ segment: cursor.segment, offset: cursor.offset });
      const journal = new Journal(dir, options, position, lock);
      journal.cursorMeta = cursor.meta;
      journal.ackedMeta = cursor.meta;
      await journal.recover();
      // A batch starts at the cursor; a cursor recovery had to move (its segment is gone) has
      // no records of that batch left to check.
      if (cursor.inFlight && samePosition(atRecord(cursor.inFlight.from), journal.cursorPos))
        journal.inFlight = cursor.inFlight;
      return journal;
    } catch (err) {
      await lock.release().catch(() => undefined);
      throw err;
    }
  }

  get cursor(): JournalPosition {
    return { ...this.cursorPos };
  }

  /**
   * Queue a record; it reaches the file on the next flush. The frame is encoded into a slab
   * (text values straight as UTF-8): no buffer of its own, nothing copied again until written.
   */
  append(entry: JournalEntry): void {
    const bound = frameBound(entry);
    if (this.slabUsed + bound > this.slab.length) {
      if (this.slabUsed > this.slabStart)
        this.sealed.push(this.slab.subarray(this.slabStart, this.slabUsed));
      this.slab = Buffer.allocUnsafe(Math.max(SLAB_BYTES, bound));
      this.slabStart = this.slabUsed = 0;
    }
    const at = this.slabUsed;
    const end = writeFrame(this.slab, at, entry);
    this.slabUsed = end;
    this.pendingBytes += end - at;
    this.appendedBytes += end - at;
    this.pendingEnds.push(this.pendingBytes);
  }

  /** Appended, not yet written to the file. */
  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  /**
   * Write everything appended so far; fsync when the interval has passed or `sync` is set.
   * Rejects with JournalWriteError when the disk refuses; nothing is lost by that (the records
   * stay queued) and the next flush tries again.
   */
  flush(sync = false): Promise<void> {
    // Calls while a write runs share the one write after it: it takes everything appended
    // by then (a chain of a write per call fell ever further behind a busy guest path).
    this.syncNext ||= sync;
    this.nextWrite ??= this.writing = this.writing
      .catch(() => undefined) // that write's callers have its error
      .then(() => {
        const syncThis = this.syncNext;
        this.nextWrite = null;
        this.syncNext = false;
        return this.writePending(syncThis);
      });
    return this.nextWrite;
  }

  /** Records from `from` up to what is fsynced, at most `maxBytes` of frames (at least one). */
  async read(
    from: JournalPosition,
    maxBytes: number,
  ): Promise<{ records: JournalRecord[]; next: JournalPosition }> {
    const { batch, next } = await this.readFramed(from, maxBytes);
    return { records: framedRecords(batch), next };
  }

  /**
   * `read` as frames: the bytes as written, no object per record (what the shipper sends).
   * From memory while the tail holds them, else from the segment file with each checksum checked.
   */
  async readFramed(
    from: JournalPosition,
    maxBytes: number,
  ): Promise<{ batch: FramedRecords; next: JournalPosition }> {
    const { pos, more } = this.skipExhausted(from);
    if (!more) return { batch: { chunks: [], count: 0 }, next: pos };
    const end = this.readableEnd(pos.segment)!;
    const inMemory = this.tail.read(pos, maxBytes, end);
    if (inMemory) return inMemory;
    const file = await this.fs.open(join(this.dir, segmentName(pos.segment)), 'r');
    try {
      const length = Math.min(end - pos.offset, Math.max(maxBytes, 64 * 1024));
      let buf = Buffer.allocUnsafe(length);
      await file.read(buf, 0, length, pos.offset);
      let count = 0;
      let offset = 0;
      for (;;) {
        const frame = checkFrame(buf, offset);
        if (frame.kind === 'frame') {
          if (count > 0 && frame.next > maxBytes) break;
          count++;
          offset = frame.next;
          continue;
        }
        if (frame.kind === 'torn' && count === 0 && offset + 8 <= buf.length) {
          // A record longer than the chunk: read exactly that record.
          const need = 8 + buf.readUInt32LE(offset);
          if (need <= end - pos.offset && need > buf.length) {
            buf = Buffer.allocUnsafe(need);
            await file.read(buf, 0, need, pos.offset);
            continue;
          }
        }
        break;
      }
      return {
        batch: { chunks: count === 0 ? [] : [buf.subarray(0, offset)], count },
        next: { segment: pos.segment, offset: pos.offset + offset },
      };
    } finally {
      await file.close();
    }
  }

  /**
   * The records in [from, to) as written (a batch `read` returned earlier, read again); fewer if
   * damage cut the segment short.
   */
  async readRange(from: JournalPosition, to: JournalPosition): Promise<JournalRecord[]> {
    const records: JournalRecord[] = [];
    let pos = from;
    for (;;) {
      const start = this.skipExhausted(pos);
      pos = start.pos;
      if (!start.more || !before(pos, to)) break;
      // Within the last segment stop exactly at `to` (a frame boundary), not at the chunk size.
      const maxBytes = pos.segment === to.segment ? to.offset - pos.offset : MAX_CHUNK;
      const batch = await this.read(pos, maxBytes);
      if (batch.records.length === 0) break;
      records.push(...batch.records);
      pos = batch.next;
    }
    return records;
  }

  /**
   * Persists `batch` as in flight before its first send, so that whoever opens the journal next
   * knows some of it may already be on the bus. Durable on return.
   */
  async markInFlight(batch: InFlightBatch): Promise<void> {
    this.inFlight = batch;
    await writeCursor(this.fs, this.dir, {
      ...this.cursorPos,
      meta: this.ackedMeta,
      inFlight: batch,
    });
  }

  /**
   * Everything before `upTo` is delivered: persist the cursor (with `meta`, atomically, durably)
   * and delete finished segments. The in-flight mark is cleared, or replaced by `next`, the
   * batch after this one (one cursor write instead of an ack and a `markInFlight`). A failed
   * ack may be repeated with the same arguments.
   */
  async ack(upTo: JournalPosition, meta?: unknown, next?: InFlightBatch): Promise<void> {
    this.cursorPos = { ...upTo };
    this.ackedMeta = meta;
    this.inFlight = next ?? null;
    this.tail.dropBefore(upTo);
    await writeCursor(this.fs, this.dir, {
      segment: upTo.segment,
      offset: upTo.offset,
      meta,
      inFlight: next,
    });
    let deleted = false;
    for (const n of [...this.ends.keys()]) {
      if (n >= upTo.segment) continue;
      await this.fs.unlink(join(this.dir, segmentName(n))).catch((err: unknown) => {
        if (errorCode(err) !== 'ENOENT') throw err;
      });
      this.ends.delete(n);
      deleted = true;
    }
    if (deleted) await this.fs.syncDir(this.dir);
  }

  /** Bytes of records written but not yet acknowledged (segment headers not counted). */
  get unackedBytes(): number {
    let total = 0;
    for (const [n, end] of this.ends) {
      if (n > this.cursorPos.segment) total += Math.max(0, end - FIRST_RECORD);
      else if (n === this.cursorPos.segment) total += Math.max(0, end - this.cursorPos.offset);
    }
    return total;
  }

  /** True when every appended record has been written, fsynced and acknowledged. */
  get drained(): boolean {
    return this.pendingBytes === 0 && this.unackedBytes === 0;
  }

  /** Writes and fsyncs what is appended, then lets go of the files and the lock. */
  async close(): Promise<void> {
    try {
      await this.flush(true);
    } finally {
      await this.fd?.close().catch(() => undefined);
      this.fd = null;
      await this.lock.release();
    }
  }

  /** How far records of `segment` may be read: its end, or for the current one its synced end. */
  private readableEnd(segment: number): number | undefined {
    return segment === this.segment ? this.syncedSize : this.ends.get(segment);
  }

  /** Where reading from `pos` starts (past exhausted segments), and whether a record is there. */
  private skipExhausted(pos: JournalPosition): { pos: JournalPosition; more: boolean } {
    pos = atRecord(pos);
    for (;;) {
      const end = this.readableEnd(pos.segment);
      if (end === undefined) return { pos, more: false };
      if (pos.offset < end) return { pos, more: true };
      if (pos.segment >= this.segment) return { pos, more: false };
      pos = { segment: pos.segment + 1, offset: FIRST_RECORD };
    }
  }

  private async recover(): Promise<void> {
    const numbers = (await this.fs.readdir(this.dir))
      .map((f) => /^segment-(\d+)\.log$/.exec(f)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    let deleted = false;
    for (const n of numbers) {
      const name = segmentName(n);
      if (n < this.cursorPos.segment) {
        await this.fs.unlink(join(this.dir, name));
        deleted = true;
        continue;
      }
      const file = await this.fs.open(join(this.dir, name), 'r');
      try {
        const scan = await scanSegment(file);
        if ('unknownFormat' in scan)
          throw new JournalFormatError(this.dir, name, scan.unknownFormat);
        const { end, damage } = scan;
        if (damage) this.damage.push({ file: name, offset: end, ...damage });
        this.ends.set(n, end);
      } finally {
        await file.close();
      }
    }
    if (deleted) await this.fs.syncDir(this.dir);
    // New records always go to a fresh segment, never after a damaged tail.
    this.segment =
      numbers.length > 0
        ? Math.max(this.cursorPos.segment, numbers[numbers.length - 1]! + 1)
        : this.cursorPos.segment;
    // A cursor past its segment's data (the data lost in a power cut before this journal
    // fsynced before acknowledging) or in a vanished segment: nothing there to deliver.
    const cursorEnd = this.ends.get(this.cursorPos.segment);
    if (cursorEnd === undefined) this.cursorPos = { segment: this.segment, offset: FIRST_RECORD };
    else if (cursorEnd < this.cursorPos.offset)
      this.cursorPos = { segment: this.cursorPos.segment + 1, offset: FIRST_RECORD };
    await this.openSegment(this.segment);
  }

  /** Creates segment `n` as the current one, durably (directory fsynced). */
  private async openSegment(n: number): Promise<void> {
    const fd = await this.fs.open(join(this.dir, segmentName(n)), 'a');
    try {
      await this.fs.syncDir(this.dir);
    } catch (err) {
      await fd.close().catch(() => undefined);
      throw err;
    }
    this.fd = fd;
    this.segment = n;
    this.segmentSize = 0;
    this.syncedSize = 0;
    this.ends.set(n, 0);
    this.needNewSegment = false;
  }

  private async writePending(sync: boolean): Promise<void> {
    if (this.syncError) this.requeueUnsynced();
    if (this.needNewSegment || this.fd === null) await this.rotate();
    if (this.pendingBytes > 0) {
      if (this.segmentSize > 0 && this.segmentSize + this.pendingBytes > this.options.segmentBytes)
        await this.rotate();
      await this.writeRun(this.takePending());
    }
    if (sync) {
      await this.syncing;
      if (this.syncError) return this.writePending(sync);
      if (this.unsynced.length > 0) await this.sync();
    } else if (
      this.unsynced.length > 0 &&
      !this.syncing &&
      Date.now() - this.lastSync >= this.options.fsyncIntervalMs
    ) {
      // In the background: the next writes need not wait for the disk to confirm these.
      // A failure is kept in syncError (see sync) and handled by the next write.
      this.syncing = this.sync()
        .catch(() => undefined)
        .finally(() => (this.syncing = null));
    }
  }

  /** Moves everything appended into one run for the file. */
  private takePending(): FrameRun {
    const chunks = this.sealed;
    if (this.slabUsed > this.slabStart)
      chunks.push(this.slab.subarray(this.slabStart, this.slabUsed));
    const run = { chunks, ends: this.pendingEnds, bytes: this.pendingBytes };
    this.sealed = [];
    this.slabStart = this.slabUsed;
    this.pendingEnds = [];
    this.pendingBytes = 0;
    return run;
  }

  /** Puts `runs` back in front of what is appended, in order (for the next write). */
  private requeue(runs: FrameRun[]): void {
    let bytes = 0;
    const chunks: Buffer[] = [];
    const ends: number[] = [];
    for (const run of runs) {
      for (const e of run.ends) ends.push(bytes + e);
      chunks.push(...run.chunks);
      bytes += run.bytes;
    }
    for (const e of this.pendingEnds) ends.push(bytes + e);
    this.sealed = [...chunks, ...this.sealed];
    this.pendingEnds = ends;
    this.pendingBytes += bytes;
  }

  private async writeRun(run: FrameRun): Promise<void> {
    const fileStart = this.segmentSize;
    // A segment's header goes with its first records, in one write: cut off with them if it
    // fails, so a segment file is either empty or starts with its header.
    const chunks = fileStart === 0 ? [segmentHeader(), ...run.chunks] : run.chunks;
    const bytes = fileStart === 0 ? SEGMENT_HEADER_BYTES + run.bytes : run.bytes;
    const start = fileStart === 0 ? SEGMENT_HEADER_BYTES : fileStart;
    try {
      // A short write is retried for the rest: the retry reports why (ENOSPC, EIO).
      let written = 0;
      while (written < bytes) {
        const { bytesWritten } = await this.fd!.writev(remainder(chunks, written));
        written += bytesWritten;
      }
    } catch (err) {
      this.requeue([run]);
      // Cut the partial write off again; if that fails too, its leftovers stay behind a new
      // segment (recovery stops at them as damage) and nothing is appended after them.
      await this.fd!.truncate(fileStart).catch(() => void (this.needNewSegment = true));
      throw new JournalWriteError('write', err);
    }
    this.segmentSize = start + run.bytes;
    this.ends.set(this.segment, this.segmentSize);
    this.unsynced.push(run);
    const ends = run.ends.map((e) => e + start);
    this.tail.add({ segment: this.segment, start, ends, chunks: run.chunks }, run.bytes);
  }

  private async sync(): Promise<void> {
    const size = this.segmentSize;
    const runs = this.unsynced.length;
    this.lastSync = Date.now();
    await this.fd!.datasync().catch((err: unknown) => {
      this.syncError = err;
      throw new JournalWriteError('fsync', err);
    });
    this.confirm(size, runs);
  }

  /** An fsync confirmed the current segment up to `size`, the first `runs` unsynced runs. */
  private confirm(size: number, runs: number): void {
    if (size <= this.syncedSize) return;
    this.syncedSize = size;
    for (const run of this.unsynced.splice(0, runs)) this.syncedBytes += run.bytes;
  }

  /**
   * After a failed fsync the kernel may have dropped any of the unconfirmed writes: they are
   * queued again, for a new segment, and the current one ends where the last good fsync was.
   */
  private requeueUnsynced(): void {
    this.syncError = null;
    this.requeue(this.unsynced);
    this.unsynced = [];
    this.tail.dropFrom(this.segment, this.syncedSize);
    this.segmentSize = this.syncedSize;
    this.ends.set(this.segment, this.syncedSize);
    this.needNewSegment = true;
  }

  /** Closes the current segment (fsynced) and starts the next. */
  private async rotate(): Promise<void> {
    if (this.fd) {
      await this.syncing;
      if (this.syncError) this.requeueUnsynced();
      else if (this.unsynced.length > 0) await this.sync();
      await this.fd.close().catch(() => undefined);
      this.fd = null;
    }
    await this.openSegment(this.segment + 1);
  }
}

/** `chunks` without their first `skip` bytes. */
function remainder(chunks: Buffer[], skip: number): Buffer[] {
  if (skip === 0) return chunks;
  const out: Buffer[] = [];
  for (const chunk of chunks) {
    if (skip >= chunk.length) {
      skip -= chunk.length;
      continue;
    }
    out.push(skip > 0 ? chunk.subarray(skip) : chunk);
    skip = 0;
  }
  return out;
}
