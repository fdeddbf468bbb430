/**
 * Append-only write-ahead journal of checksummed records in numbered segment files, with a
 * persisted cursor up to which records are acknowledged (delivered). Every event goes through it
 * before it is published, so neither a broker outage, a killed agent nor a power cut loses one.
 *
 * This class puts the parts together; each states its invariants at its top (and ./README.md
 * lists the failures they answer, with their tests):
 * - journal-lock.ts: one process owns a journal directory;
 * - journal-recovery.ts: on open, where each segment's sound records end; the cursor checked;
 * - segment-writer.ts (with frame-queue.ts): appends, writes, fsyncs, segment rotation;
 * - memory-tail.ts: written records kept in memory for the shipper, never past the synced end;
 * - segment-reader.ts: reads for the shipper, never past the synced end;
 * - delivery-cursor.ts: acknowledgements and the batch in flight, in the cursor file.
 * Here: deleting delivered segments once the cursor has moved past them (then the directory
 * fsynced), and the byte counts the agent and the shipper look at.
 */
import { join } from 'node:path';
import type { FramedRecords } from '@magicport/bus';
import type { JournalEntry, JournalRecord } from './frame';
import { DeliveryCursor } from './delivery-cursor';
import { readCursor, type InFlightBatch, type JournalPosition } from './journal-cursor';
import { errorCode, nodeJournalFs, type JournalFs } from './journal-fs';
import { lockJournal, type JournalLock } from './journal-lock';
import {
  atRecord,
  FIRST_RECORD,
  samePosition,
  segmentName,
  type SegmentEnds,
} from './journal-position';
import { recoverSegments, type JournalDamage } from './journal-recovery';
import { MemoryTail } from './memory-tail';
import { SegmentReader } from './segment-reader';
import { SegmentWriter } from './segment-writer';

export { JournalCursorError, JsonText } from './journal-cursor';
export type { InFlightBatch, JournalPosition } from './journal-cursor';
export { JournalLockedError } from './journal-lock';
export { JournalFormatError } from './segment-header';
export { JournalWriteError } from './segment-writer';
export type { JournalDamage } from './journal-recovery';

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

export class Journal {
  private readonly tail: MemoryTail;
  private readonly writer: SegmentWriter;
  private readonly reader: SegmentReader;

  private constructor(
    private readonly dir: string,
    private readonly fs: JournalFs,
    private readonly lock: JournalLock,
    /** Damaged tails found when opening; their bytes are skipped, the records before them kept. */
    readonly damage: readonly JournalDamage[],
    /** Valid end of each segment still on disk; the writer keeps its current one's. */
    private readonly ends: SegmentEnds,
    private readonly delivery: DeliveryCursor,
    /** The meta stored with the last acknowledgement, as found when opening. */
    readonly cursorMeta: unknown,
    options: JournalOptions,
    nextSegment: number,
  ) {
    this.tail = new MemoryTail(options.memoryTailBytes);
    this.writer = new SegmentWriter(dir, options, ends, this.tail, nextSegment);
    this.reader = new SegmentReader(dir, fs, ends, this.tail, this.writer);
  }

  /**
   * Opens (creating) the journal in `dir`, taking its lock: throws JournalLockedError when
   * another live process has it open, JournalCursorError when its cursor is unusable,
   * JournalFormatError when a segment is in a format this agent does not read.
   */
  static async open(dir: string, settings: Partial<JournalOptions> = {}): Promise<Journal> {
    const options = { ...JOURNAL_DEFAULTS, ...settings };
    await options.fs.mkdir(dir);
    const lock = await lockJournal(options.fs, dir);
    try {
      const file = await readCursor(options.fs, dir);
      const found = atRecord(
        file
          ? { segment: file.segment, offset: file.offset }
          : { segment: 1, offset: FIRST_RECORD },
      );
      const { ends, damage, nextSegment, cursor } = await recoverSegments(options.fs, dir, found);
      // A batch starts at the cursor; a cursor recovery had to move (its segment is gone) has
      // no records of that batch left to check.
      const inFlight =
        file?.inFlight && samePosition(atRecord(file.inFlight.from), cursor) ? file.inFlight : null;
      const delivery = new DeliveryCursor(options.fs, dir, cursor, file?.meta, inFlight);
      const journal = new Journal(
        dir,
        options.fs,
        lock,
        damage,
        ends,
        delivery,
        file?.meta,
        options,
        nextSegment,
      );
      await journal.writer.start();
      return journal;
    } catch (err) {
      await lock.release().catch(() => undefined);
      throw err;
    }
  }

  /** Everything before it is acknowledged (delivered). */
  get cursor(): JournalPosition {
    return this.delivery.position;
  }

  /**
   * The batch marked in flight and not acknowledged since; when found on opening, the previous
   * owner stopped (or crashed) while some of it may have reached the bus.
   */
  get inFlight(): InFlightBatch | null {
    return this.delivery.inFlight;
  }

  /** Bytes of frames appended since open. */
  get appendedBytes(): number {
    return this.writer.appendedBytes;
  }

  /** Bytes of frames appended since open that are on disk, fsynced (a prefix of the appended). */
  get syncedBytes(): number {
    return this.writer.syncedBytes;
  }

  /** Appended, not yet written to the file. */
  get bufferedBytes(): number {
    return this.writer.bufferedBytes;
  }

  /** Queue a record; it reaches the file on the next flush. */
  append(entry: JournalEntry): void {
    this.writer.append(entry);
  }

  /**
   * Write everything appended so far; fsync when the interval has passed or `sync` is set.
   * Rejects with JournalWriteError when the disk refuses; nothing is lost by that (the records
   * stay queued) and the next flush tries again.
   */
  flush(sync = false): Promise<void> {
    return this.writer.flush(sync);
  }

  /** Records from `from` up to what is fsynced, at most `maxBytes` of frames (at least one). */
  read(from: JournalPosition, maxBytes: number) {
    return this.reader.read(from, maxBytes);
  }

  /** `read` as frames: the bytes as written, no object per record (what the shipper sends). */
  readFramed(
    from: JournalPosition,
    maxBytes: number,
  ): Promise<{ batch: FramedRecords; next: JournalPosition }> {
    return this.reader.readFramed(from, maxBytes);
  }

  /**
   * The records in [from, to) as written (a batch `read` returned earlier, read again); fewer if
   * damage cut the segment short.
   */
  readRange(from: JournalPosition, to: JournalPosition): Promise<JournalRecord[]> {
    return this.reader.readRange(from, to);
  }

  /**
   * Persists `batch` as in flight before its first send, so that whoever opens the journal next
   * knows some of it may already be on the bus. Durable on return.
   */
  markInFlight(batch: InFlightBatch): Promise<void> {
    return this.delivery.markInFlight(batch);
  }

  /**
   * Everything before `upTo` is delivered: persist the cursor (with `meta`, atomically, durably)
   * and delete finished segments. The in-flight mark is cleared, or replaced by `next`, the
   * batch after this one (one cursor write instead of an ack and a `markInFlight`). A failed
   * ack may be repeated with the same arguments.
   */
  async ack(upTo: JournalPosition, meta?: unknown, next?: InFlightBatch): Promise<void> {
    this.tail.dropBefore(upTo);
    await this.delivery.ack(upTo, meta, next);
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
    const cursor = this.delivery.position;
    let total = 0;
    for (const [n, end] of this.ends) {
      if (n > cursor.segment) total += Math.max(0, end - FIRST_RECORD);
      else if (n === cursor.segment) total += Math.max(0, end - cursor.offset);
    }
    return total;
  }

  /** True when every appended record has been written, fsynced and acknowledged. */
  get drained(): boolean {
    return this.writer.bufferedBytes === 0 && this.unackedBytes === 0;
  }

  /** Writes and fsyncs what is appended, then lets go of the files and the lock. */
  async close(): Promise<void> {
    try {
      await this.flush(true);
    } finally {
      await this.writer.close();
      await this.lock.release();
    }
  }
}
