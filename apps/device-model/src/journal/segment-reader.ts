/**
 * Reads for the shipper: records from a position on, from the memory tail while it holds them,
 * else from the segment files.
 *
 * Invariants:
 * - Nothing past the current segment's synced end is read (the writer's `syncedEnd`): what the
 *   disk has not confirmed is never shipped, so never acknowledged.
 * - A batch is whole frames, at least one when any is readable, at most `maxBytes` otherwise;
 *   frames read from a file have their checksums checked; a read is never larger than
 *   `max(maxBytes, 64 KiB)` or the one record it must hold.
 */
import { join } from 'node:path';
import { framedRecords, type FramedRecords } from '@magicport/bus';
import { checkFrame, type JournalRecord } from './frame';
import type { JournalFs } from './journal-fs';
import {
  atRecord,
  before,
  FIRST_RECORD,
  segmentName,
  type JournalPosition,
  type SegmentEnds,
} from './journal-position';
import type { MemoryTail } from './memory-tail';

/** Read size of `readRange` in segments before its last one. */
const MAX_CHUNK = 16 * 1024 * 1024;
/** Smallest read from a file (many small batches should not mean many tiny reads). */
const MIN_READ = 64 * 1024;

/** What the reader needs of the writer: the segment being written and how far it is synced. */
export interface WriteFront {
  readonly segment: number;
  readonly syncedEnd: number;
}

export class SegmentReader {
  constructor(
    private readonly dir: string,
    private readonly fs: JournalFs,
    private readonly ends: SegmentEnds,
    private readonly tail: MemoryTail,
    private readonly front: WriteFront,
  ) {}

  async read(
    from: JournalPosition,
    maxBytes: number,
  ): Promise<{ records: JournalRecord[]; next: JournalPosition }> {
    const { batch, next } = await this.readFramed(from, maxBytes);
    return { records: framedRecords(batch), next };
  }

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
      const length = Math.min(end - pos.offset, Math.max(maxBytes, MIN_READ));
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

  /** How far records of `segment` may be read: its end, or for the current one its synced end. */
  private readableEnd(segment: number): number | undefined {
    return segment === this.front.segment ? this.front.syncedEnd : this.ends.get(segment);
  }

  /** Where reading from `pos` starts (past exhausted segments), and whether a record is there. */
  private skipExhausted(pos: JournalPosition): { pos: JournalPosition; more: boolean } {
    pos = atRecord(pos);
    for (;;) {
      const end = this.readableEnd(pos.segment);
      if (end === undefined) return { pos, more: false };
      if (pos.offset < end) return { pos, more: true };
      if (pos.segment >= this.front.segment) return { pos, more: false };
      pos = { segment: pos.segment + 1, offset: FIRST_RECORD };
    }
  }
}
