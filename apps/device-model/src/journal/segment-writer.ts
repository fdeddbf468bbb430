/**
 * The writer: queued frames to the current segment file, one write per flush, and the fsyncs
 * that make them readable. Everything below the synced end is on disk; only that is read for
 * shipping (segment-reader.ts) and so acknowledged.
 *
 * Invariants:
 * - Writes run one at a time, in order; flushes asked for while one runs share the one write
 *   after it, which takes everything appended by then.
 * - `syncedSize` (and `syncedBytes`) only grow when an fsync confirmed the data: after a power
 *   cut nothing past them was read, acknowledged or counted in the stream seqs.
 * - Creating a segment is followed by a directory fsync. A segment's header goes out with its
 *   first records, in one write, so a segment file is empty or starts with its header.
 * - Records are never written after damage or a failed write's leftovers: a write that fails is
 *   cut off again (or, if that fails too, the next write starts a new segment) and its records
 *   stay queued, in order. A failed fsync re-queues everything not confirmed since the last good
 *   one into a new segment (the kernel may have dropped any of it).
 * - A failure never wedges the writer: the next flush tries again.
 */
import { join } from 'node:path';
import type { JournalEntry } from './frame';
import { FrameQueue, type FrameRun } from './frame-queue';
import { describeFsError, errorCode, type JournalFile, type JournalFs } from './journal-fs';
import { segmentName, type SegmentEnds } from './journal-position';
import type { MemoryTail } from './memory-tail';
import { SEGMENT_HEADER_BYTES, segmentHeader } from './segment-header';

/** A journal write or fsync failed; `code` is the errno code (ENOSPC, EIO, ...) when known. */
export class JournalWriteError extends Error {
  override readonly name = 'JournalWriteError';
  readonly code: string | undefined;
  constructor(what: string, cause: unknown) {
    super(`journal ${what} failed: ${describeFsError(cause)}`, { cause });
    this.code = errorCode(cause);
  }
}

export interface WriterOptions {
  segmentBytes: number;
  fsyncIntervalMs: number;
  fs: JournalFs;
}

export class SegmentWriter {
  /** Bytes of frames appended since open. */
  appendedBytes = 0;
  /** Bytes of frames appended since open that are fsynced (a prefix of the appended). */
  syncedBytes = 0;
  private readonly queue = new FrameQueue();
  /** Written to the current segment since its last good fsync, oldest first. */
  private unsynced: FrameRun[] = [];
  private fd: JournalFile | null = null;
  private current: number;
  private segmentSize = 0;
  /** Offset of the current segment up to which an fsync confirmed the data. */
  private syncedSize = 0;
  /** The current segment's end can no longer be trusted: the next write opens a new one. */
  private needNewSegment = false;
  private writing: Promise<void> = Promise.resolve();
  /** The write that starts when the current one is done, shared by the flushes asking meanwhile. */
  private nextWrite: Promise<void> | null = null;
  private syncNext = false;
  /** A background fsync's failure, handled by the next write. */
  private syncError: unknown = null;
  private lastSync = 0;
  /** A background fsync of the current segment, if one runs. */
  private syncing: Promise<void> | null = null;

  constructor(
    private readonly dir: string,
    private readonly options: WriterOptions,
    /** Shared with the reader and recovery: this writer keeps the current segment's entry. */
    private readonly ends: SegmentEnds,
    private readonly tail: MemoryTail,
    /** The first segment this writer creates (after every segment recovery found). */
    firstSegment: number,
  ) {
    this.current = firstSegment;
  }

  /** Creates the first segment. */
  start(): Promise<void> {
    return this.openSegment(this.current);
  }

  get segment(): number {
    return this.current;
  }

  /** How far the current segment may be read: what an fsync confirmed. */
  get syncedEnd(): number {
    return this.syncedSize;
  }

  /** Appended, not yet written to the file. */
  get bufferedBytes(): number {
    return this.queue.bytes;
  }

  /** Queue a record; it reaches the file on the next flush. */
  append(entry: JournalEntry): void {
    this.appendedBytes += this.queue.append(entry);
  }

  /**
   * Write everything appended so far; fsync when the interval has passed or `sync` is set.
   * Rejects with JournalWriteError when the disk refuses; the records stay queued.
   */
  flush(sync = false): Promise<void> {
    // A chain of a write per call fell ever further behind a busy guest path.
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

  /** Lets go of the current segment file (after a final flush by the caller). */
  async close(): Promise<void> {
    await this.fd?.close().catch(() => undefined);
    this.fd = null;
  }

  /** Creates segment `n` as the current one, durably (directory fsynced). */
  private async openSegment(n: number): Promise<void> {
    const fd = await this.options.fs.open(join(this.dir, segmentName(n)), 'a');
    try {
      await this.options.fs.syncDir(this.dir);
    } catch (err) {
      await fd.close().catch(() => undefined);
      throw err;
    }
    this.fd = fd;
    this.current = n;
    this.segmentSize = 0;
    this.syncedSize = 0;
    this.ends.set(n, 0);
    this.needNewSegment = false;
  }

  private async writePending(sync: boolean): Promise<void> {
    if (this.syncError) this.requeueUnsynced();
    if (this.needNewSegment || this.fd === null) await this.rotate();
    const pending = this.queue.bytes;
    if (pending > 0) {
      if (this.segmentSize > 0 && this.segmentSize + pending > this.options.segmentBytes)
        await this.rotate();
      await this.writeRun(this.queue.take());
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

  private async writeRun(run: FrameRun): Promise<void> {
    const fileStart = this.segmentSize;
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
      this.queue.requeue([run]);
      // If the cut fails too, its leftovers stay behind a new segment (recovery stops at them
      // as damage) and nothing is appended after them.
      await this.fd!.truncate(fileStart).catch(() => void (this.needNewSegment = true));
      throw new JournalWriteError('write', err);
    }
    this.segmentSize = start + run.bytes;
    this.ends.set(this.current, this.segmentSize);
    this.unsynced.push(run);
    const ends = run.ends.map((e) => e + start);
    this.tail.add({ segment: this.current, start, ends, chunks: run.chunks }, run.bytes);
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

  /** After a failed fsync: the unconfirmed writes queued again, for a new segment. */
  private requeueUnsynced(): void {
    this.syncError = null;
    this.queue.requeue(this.unsynced);
    this.unsynced = [];
    this.tail.dropFrom(this.current, this.syncedSize);
    this.segmentSize = this.syncedSize;
    this.ends.set(this.current, this.syncedSize);
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
    await this.openSegment(this.current + 1);
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
