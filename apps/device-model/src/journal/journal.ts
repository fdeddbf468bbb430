import { mkdir, open, readdir, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { framedRecords, type FramedRecords } from '@magicport/bus';
import { checkFrame, frameBound, writeFrame, type JournalEntry, type JournalRecord } from './frame';

export interface JournalPosition {
  segment: number;
  offset: number;
}

export interface JournalDamage {
  file: string;
  offset: number;
  reason: string;
  skippedBytes: number;
}

export interface JournalOptions {
  /** Start a new segment file past this size. */
  segmentBytes: number;
  /** fsync at most this often; writes reach the OS at once, so a killed process loses nothing. */
  fsyncIntervalMs: number;
  /**
   * Written, unacknowledged records also kept in memory up to this many bytes, so the shipper
   * takes them from there instead of reading its own writes back from the file. Past it (a long
   * outage) the newest are read from the file when their turn comes.
   */
  memoryTailBytes: number;
}

export const JOURNAL_DEFAULTS: JournalOptions = {
  segmentBytes: 64 * 1024 * 1024,
  fsyncIntervalMs: 50,
  memoryTailBytes: 32 * 1024 * 1024,
};

/** Frames are encoded into slabs of this size (a larger record gets a slab of its own). */
const SLAB_BYTES = 1024 * 1024;

/**
 * One file write's frames, kept in memory until acknowledged and read back as the bytes they are: a
 * tail of record objects outlived young-generation GCs and was most of what the agent promoted
 * to the old one.
 */
interface WrittenRun {
  segment: number;
  start: number;
  /** Offset after each record in the segment. */
  ends: number[];
  /** The frames as written, back to back from `start`; no frame spans two chunks. */
  chunks: Buffer[];
}

const segmentName = (n: number) => `segment-${String(n).padStart(8, '0')}.log`;
const CURSOR = 'cursor.json';
/** Read size of `readRange` in segments before its last one. */
const MAX_CHUNK = 16 * 1024 * 1024;

/** A batch handed to the bus and not acknowledged yet, as persisted before its first send. */
export interface InFlightBatch {
  /** The batch is the journal's records in [from, next). */
  from: JournalPosition;
  next: JournalPosition;
  /** Wall-clock ms of the first send attempt: anything of it on the bus is stamped no earlier. */
  firstAttemptMs: number;
}

/**
 * Acknowledgement meta given as its JSON text: a large one (the agent's next seq of every stream)
 * need not be rebuilt as an object for each acknowledgement only to be serialized again.
 */
export class JsonText {
  constructor(readonly json: string) {}
}

interface CursorFile extends JournalPosition {
  /** What the owner stored with the acknowledgement (e.g. each stream's next seq). */
  meta?: unknown;
  inFlight?: InFlightBatch;
}

/** Index of the last element of ascending `values` that is <= `target` (-1 if none). */
function lastIndexAtMost(values: number[], target: number): number {
  let lo = 0;
  let hi = values.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid]! <= target) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** Views of `run`'s written bytes in [from, to) (segment offsets) appended to `out`. */
function cutChunks(run: WrittenRun, from: number, to: number, out: Buffer[]): void {
  let chunkStart = run.start;
  for (const chunk of run.chunks) {
    const chunkEnd = chunkStart + chunk.length;
    if (chunkEnd > from && chunkStart < to)
      out.push(
        chunk.subarray(
          Math.max(from, chunkStart) - chunkStart,
          Math.min(to, chunkEnd) - chunkStart,
        ),
      );
    if (chunkEnd >= to) return;
    chunkStart = chunkEnd;
  }
}

const samePosition = (a: JournalPosition, b: JournalPosition) =>
  a.segment === b.segment && a.offset === b.offset;
const before = (a: JournalPosition, b: JournalPosition) =>
  a.segment < b.segment || (a.segment === b.segment && a.offset < b.offset);

/**
 * Append-only write-ahead journal of checksummed records in numbered segment files, with a
 * persisted cursor up to which records are acknowledged (delivered). Every event goes through
 * it before it is published, so neither a broker outage nor a killed agent loses one.
 */
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
  /** The meta of the last acknowledgement, kept in the cursor file by `markInFlight`. */
  private ackedMeta: unknown = undefined;
  /** Frames appended since the last write: filled slabs, then the current slab's new part. */
  private sealed: Buffer[] = [];
  private slab = Buffer.allocUnsafe(0);
  private slabStart = 0;
  private slabUsed = 0;
  private pendingEnds: number[] = [];
  private pendingBytes = 0;
  /** Written and unacknowledged records still in memory, oldest first (see memoryTailBytes). */
  private tail: WrittenRun[] = [];
  private tailBytes = 0;
  private fd: FileHandle | null = null;
  private segment = 0;
  private segmentSize = 0;
  /** Valid end of each segment still on disk (for damaged ones, where the damage starts). */
  private readonly ends = new Map<number, number>();
  private writing: Promise<void> = Promise.resolve();
  /** The write that starts when the current one is done, shared by the flushes asking meanwhile. */
  private nextWrite: Promise<void> | null = null;
  private syncNext = false;
  /** A background fsync's failure, thrown by the next write. */
  private syncError: unknown = null;
  private lastSync = 0;
  /** A background fsync of the current segment, if one runs. */
  private syncing: Promise<void> | null = null;
  private unsynced = false;
  private cursorPos: JournalPosition;

  private constructor(
    private readonly dir: string,
    private readonly options: JournalOptions,
    cursor: JournalPosition,
  ) {
    this.cursorPos = cursor;
  }

  static async open(dir: string, settings: Partial<JournalOptions> = {}): Promise<Journal> {
    const options = { ...JOURNAL_DEFAULTS, ...settings };
    await mkdir(dir, { recursive: true });
    const cursor = await readFile(join(dir, CURSOR), 'utf8').then(
      (s) => JSON.parse(s) as CursorFile,
      () => ({ segment: 1, offset: 0 }) as CursorFile,
    );
    const journal = new Journal(dir, options, { segment: cursor.segment, offset: cursor.offset });
    journal.cursorMeta = cursor.meta;
    journal.ackedMeta = cursor.meta;
    await journal.recover();
    // A batch starts at the cursor; a cursor recovery had to move (its segment is gone) has no
    // records of that batch left to check.
    if (cursor.inFlight && samePosition(cursor.inFlight.from, journal.cursorPos))
      journal.inFlight = cursor.inFlight;
    return journal;
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
    this.pendingEnds.push(this.pendingBytes);
  }

  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  /** Write everything appended so far; fsync when the interval has passed or `sync` is set. */
  flush(sync = false): Promise<void> {
    // Calls while a write runs share the one write after it: it takes everything appended
    // by then (a chain of a write per call fell ever further behind a busy guest path).
    this.syncNext ||= sync;
    this.nextWrite ??= this.writing = this.writing.then(() => {
      const syncThis = this.syncNext;
      this.nextWrite = null;
      this.syncNext = false;
      return this.writePending(syncThis);
    });
    return this.nextWrite;
  }

  /** Records from `from` up to what has been written, at most `maxBytes` of frames (at least one). */
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
    const inMemory = this.readTail(pos, maxBytes);
    if (inMemory) return inMemory;
    const end = this.ends.get(pos.segment)!;
    const file = await open(join(this.dir, segmentName(pos.segment)), 'r');
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
   * knows some of it may already be on the bus. Durable on return: cursor file and directory
   * are fsynced (see `writeCursor`).
   */
  async markInFlight(batch: InFlightBatch): Promise<void> {
    this.inFlight = batch;
    await this.writeCursor({
      ...this.cursorPos,
      meta: this.ackedMeta,
      inFlight: batch,
    });
  }

  /**
   * Everything before `upTo` is delivered: persist the cursor (with `meta`, atomically, durably)
   * and delete finished segments. The in-flight mark is cleared, or replaced by `next`, the
   * batch after this one (one cursor write instead of an ack and a `markInFlight`).
   */
  async ack(upTo: JournalPosition, meta?: unknown, next?: InFlightBatch): Promise<void> {
    this.cursorPos = { ...upTo };
    this.ackedMeta = meta;
    this.inFlight = next ?? null;
    this.dropTail(upTo);
    await this.writeCursor({ segment: upTo.segment, offset: upTo.offset, meta, inFlight: next });
    for (const n of [...this.ends.keys()]) {
      if (n >= upTo.segment) continue;
      this.ends.delete(n);
      await rm(join(this.dir, segmentName(n)), { force: true });
    }
  }

  /** Bytes written but not yet acknowledged. */
  get unackedBytes(): number {
    let total = 0;
    for (const [n, end] of this.ends) {
      if (n > this.cursorPos.segment) total += end;
      else if (n === this.cursorPos.segment) total += Math.max(0, end - this.cursorPos.offset);
    }
    return total;
  }

  /** True when every appended record has been written and acknowledged. */
  get drained(): boolean {
    return this.pendingBytes === 0 && this.unackedBytes === 0;
  }

  async close(): Promise<void> {
    await this.flush(true);
    await this.fd?.close();
    this.fd = null;
  }

  /**
   * Replaces the cursor file atomically and durably: the new contents are fsynced before the
   * rename and the directory after it. Otherwise a power loss could leave an empty cursor file
   * (the journal read from its start again) or the old one after the segments it points into
   * were deleted, and an in-flight mark could be lost with its batch on the bus.
   */
  private async writeCursor(file: CursorFile): Promise<void> {
    const tmp = join(this.dir, `${CURSOR}.tmp`);
    const handle = await open(tmp, 'w');
    try {
      const { meta, ...rest } = file;
      await handle.writeFile(
        meta instanceof JsonText
          ? `${JSON.stringify(rest).slice(0, -1)},"meta":${meta.json}}`
          : JSON.stringify(file),
      );
      await handle.datasync();
    } finally {
      await handle.close();
    }
    await rename(tmp, join(this.dir, CURSOR));
    const dir = await open(this.dir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  /** The frames from `pos` that are still in memory, up to `maxBytes` (at least one). */
  private readTail(
    pos: JournalPosition,
    maxBytes: number,
  ): { batch: FramedRecords; next: JournalPosition } | null {
    let r = this.tail.findIndex(
      (run) =>
        run.segment === pos.segment &&
        run.start <= pos.offset &&
        pos.offset < run.ends[run.ends.length - 1]!,
    );
    if (r < 0) return null;
    const chunks: Buffer[] = [];
    let count = 0;
    let offset = pos.offset;
    let run = this.tail[r]!;
    let i = run.start === offset ? 0 : lastIndexAtMost(run.ends, offset) + 1;
    if (i > 0 && run.ends[i - 1] !== offset) return null; // not a record boundary: the file says
    for (;;) {
      // This run's frames from i up to the last that ends within maxBytes (at least one in all).
      let last = lastIndexAtMost(run.ends, pos.offset + maxBytes);
      if (last < i) {
        if (count > 0) break;
        last = i;
      }
      const end = run.ends[last]!;
      cutChunks(run, offset, end, chunks);
      count += last - i + 1;
      offset = end;
      if (last < run.ends.length - 1) break;
      const following = this.tail[++r];
      if (!following || following.segment !== run.segment || following.start !== offset) break;
      run = following;
      i = 0;
    }
    return { batch: { chunks, count }, next: { segment: pos.segment, offset } };
  }

  /** Forgets in-memory records before `upTo` (acknowledged). */
  private dropTail(upTo: JournalPosition): void {
    while (this.tail.length > 0) {
      const run = this.tail[0]!;
      const end = run.ends[run.ends.length - 1]!;
      if (run.segment > upTo.segment || (run.segment === upTo.segment && end > upTo.offset)) break;
      this.tail.shift();
      this.tailBytes -= end - run.start;
    }
  }

  /** Where reading from `pos` starts (past exhausted segments), and whether a record is there. */
  private skipExhausted(pos: JournalPosition): { pos: JournalPosition; more: boolean } {
    for (;;) {
      const end = this.ends.get(pos.segment);
      if (end === undefined) return { pos, more: false };
      if (pos.offset < end) return { pos, more: true };
      if (pos.segment === this.segment) return { pos, more: false };
      pos = { segment: pos.segment + 1, offset: 0 };
    }
  }

  private async recover(): Promise<void> {
    const numbers = (await readdir(this.dir))
      .map((f) => /^segment-(\d+)\.log$/.exec(f)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    for (const n of numbers) {
      const name = segmentName(n);
      if (n < this.cursorPos.segment) {
        await rm(join(this.dir, name), { force: true });
        continue;
      }
      const buf = await readFile(join(this.dir, name));
      let offset = 0;
      for (;;) {
        const frame = checkFrame(buf, offset);
        if (frame.kind === 'frame') offset = frame.next;
        else {
          if (frame.kind === 'torn') {
            this.damage.push({
              file: name,
              offset,
              reason: frame.reason,
              skippedBytes: buf.length - offset,
            });
          }
          break;
        }
      }
      this.ends.set(n, offset);
    }
    // New records always go to a fresh segment, never after a damaged tail.
    this.segment =
      numbers.length > 0
        ? Math.max(this.cursorPos.segment, numbers[numbers.length - 1]! + 1)
        : this.cursorPos.segment;
    if (!this.ends.has(this.cursorPos.segment))
      this.cursorPos = { segment: this.segment, offset: 0 };
    this.fd = await open(join(this.dir, segmentName(this.segment)), 'a');
    this.segmentSize = 0;
    this.ends.set(this.segment, 0);
  }

  private async writePending(sync: boolean): Promise<void> {
    if (this.syncError) throw this.syncError;
    if (this.pendingBytes > 0) {
      const chunks = this.sealed;
      if (this.slabUsed > this.slabStart)
        chunks.push(this.slab.subarray(this.slabStart, this.slabUsed));
      const bytes = this.pendingBytes;
      const ends = this.pendingEnds;
      this.sealed = [];
      this.slabStart = this.slabUsed;
      this.pendingEnds = [];
      this.pendingBytes = 0;
      if (this.segmentSize > 0 && this.segmentSize + bytes > this.options.segmentBytes)
        await this.rotate();
      const start = this.segmentSize;
      const { bytesWritten } = await this.fd!.writev(chunks);
      if (bytesWritten !== bytes)
        throw new Error(`journal write cut short: ${bytesWritten} of ${bytes} bytes written`);
      this.segmentSize += bytes;
      this.ends.set(this.segment, this.segmentSize);
      this.unsynced = true;
      if (this.tailBytes + bytes <= this.options.memoryTailBytes) {
        for (let i = 0; i < ends.length; i++) ends[i]! += start;
        this.tail.push({ segment: this.segment, start, ends, chunks });
        this.tailBytes += bytes;
      }
    }
    if (sync) {
      await this.syncing;
      if (this.unsynced) await this.sync();
    } else if (
      this.unsynced &&
      !this.syncing &&
      Date.now() - this.lastSync >= this.options.fsyncIntervalMs
    ) {
      // In the background: the next writes need not wait for the disk to confirm these.
      this.syncing = this.sync()
        .catch((err: unknown) => void (this.syncError = err))
        .finally(() => (this.syncing = null));
    }
  }

  private async sync(): Promise<void> {
    this.unsynced = false;
    this.lastSync = Date.now();
    await this.fd!.datasync();
  }

  private async rotate(): Promise<void> {
    await this.syncing;
    await this.fd!.datasync();
    await this.fd!.close();
    this.segment += 1;
    this.segmentSize = 0;
    this.ends.set(this.segment, 0);
    this.fd = await open(join(this.dir, segmentName(this.segment)), 'a');
  }
}
