import {
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  writeFile,
  type FileHandle,
} from 'node:fs/promises';
import { join } from 'node:path';
import { encodeFrame, readFrame, type JournalRecord } from './frame';

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
}

export const JOURNAL_DEFAULTS: JournalOptions = {
  segmentBytes: 64 * 1024 * 1024,
  fsyncIntervalMs: 50,
};

const segmentName = (n: number) => `segment-${String(n).padStart(8, '0')}.log`;
const CURSOR = 'cursor.json';

interface CursorFile extends JournalPosition {
  /** What the owner stored with the acknowledgement (e.g. each stream's next seq). */
  meta?: unknown;
}

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
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private fd: FileHandle | null = null;
  private segment = 0;
  private segmentSize = 0;
  /** Valid end of each segment still on disk (for damaged ones, where the damage starts). */
  private readonly ends = new Map<number, number>();
  private writing: Promise<void> = Promise.resolve();
  private lastSync = 0;
  private unsynced = false;
  private cursorPos: JournalPosition;

  private constructor(
    private readonly dir: string,
    private readonly options: JournalOptions,
    cursor: JournalPosition,
  ) {
    this.cursorPos = cursor;
  }

  static async open(dir: string, options: JournalOptions = JOURNAL_DEFAULTS): Promise<Journal> {
    await mkdir(dir, { recursive: true });
    const cursor = await readFile(join(dir, CURSOR), 'utf8').then(
      (s) => JSON.parse(s) as CursorFile,
      () => ({ segment: 1, offset: 0 }) as CursorFile,
    );
    const journal = new Journal(dir, options, { segment: cursor.segment, offset: cursor.offset });
    journal.cursorMeta = cursor.meta;
    await journal.recover();
    return journal;
  }

  get cursor(): JournalPosition {
    return { ...this.cursorPos };
  }

  /** Queue a record; it reaches the file on the next flush (scheduled at once). */
  append(record: JournalRecord): void {
    const frame = encodeFrame(record);
    this.pending.push(frame);
    this.pendingBytes += frame.length;
  }

  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  /** Write everything appended so far; fsync when the interval has passed or `sync` is set. */
  flush(sync = false): Promise<void> {
    this.writing = this.writing.then(() => this.writePending(sync));
    return this.writing;
  }

  /** Records from `from` up to what has been written, at most `maxBytes` of frames (at least one). */
  async read(
    from: JournalPosition,
    maxBytes: number,
  ): Promise<{ records: JournalRecord[]; next: JournalPosition }> {
    let pos = from;
    for (;;) {
      const end = this.ends.get(pos.segment);
      if (end === undefined) return { records: [], next: pos };
      if (pos.offset < end) break;
      if (pos.segment === this.segment) return { records: [], next: pos };
      pos = { segment: pos.segment + 1, offset: 0 };
    }
    const end = this.ends.get(pos.segment)!;
    const file = await open(join(this.dir, segmentName(pos.segment)), 'r');
    try {
      const length = Math.min(end - pos.offset, Math.max(maxBytes, 64 * 1024));
      let buf = Buffer.allocUnsafe(length);
      await file.read(buf, 0, length, pos.offset);
      const records: JournalRecord[] = [];
      let offset = 0;
      for (;;) {
        const frame = readFrame(buf, offset);
        if (frame.kind === 'record') {
          records.push(frame.record);
          offset = frame.next;
          if (offset >= maxBytes) break;
          continue;
        }
        if (frame.kind === 'torn' && records.length === 0 && offset + 8 <= buf.length) {
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
      return { records, next: { segment: pos.segment, offset: pos.offset + offset } };
    } finally {
      await file.close();
    }
  }

  /**
   * Everything before `upTo` is delivered: persist the cursor (with `meta`, atomically) and
   * delete finished segments.
   */
  async ack(upTo: JournalPosition, meta?: unknown): Promise<void> {
    this.cursorPos = { ...upTo };
    const tmp = join(this.dir, `${CURSOR}.tmp`);
    const file: CursorFile = { segment: upTo.segment, offset: upTo.offset, meta };
    await writeFile(tmp, JSON.stringify(file));
    await rename(tmp, join(this.dir, CURSOR));
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
        const frame = readFrame(buf, offset);
        if (frame.kind === 'record') offset = frame.next;
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
    if (this.pending.length > 0) {
      const chunk =
        this.pending.length === 1
          ? this.pending[0]!
          : Buffer.concat(this.pending, this.pendingBytes);
      this.pending = [];
      this.pendingBytes = 0;
      if (this.segmentSize > 0 && this.segmentSize + chunk.length > this.options.segmentBytes)
        await this.rotate();
      await this.fd!.write(chunk);
      this.segmentSize += chunk.length;
      this.ends.set(this.segment, this.segmentSize);
      this.unsynced = true;
    }
    const now = Date.now();
    if (this.unsynced && (sync || now - this.lastSync >= this.options.fsyncIntervalMs)) {
      await this.fd!.datasync();
      this.unsynced = false;
      this.lastSync = now;
    }
  }

  private async rotate(): Promise<void> {
    await this.fd!.datasync();
    await this.fd!.close();
    this.segment += 1;
    this.segmentSize = 0;
    this.ends.set(this.segment, 0);
    this.fd = await open(join(this.dir, segmentName(this.segment)), 'a');
  }
}
