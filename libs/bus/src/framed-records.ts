import { crc32 } from 'node:zlib';
import type { BusRecord } from './types';

/**
 * Records as frames back to back: the bytes a write-ahead journal holds, so a batch read from
 * one reaches the bus (and a publish worker thread) without an object per record. A frame is
 * `[u32 payload length][u32 CRC-32 of the payload][payload]`, payload =
 * `[u16 key length][key, UTF-8][value]`, little-endian. Keys are never null.
 */
export const FRAME_HEADER = 8;
export const MAX_PAYLOAD = 16 * 1024 * 1024;

/** A record of a frame: its key is never null. */
export interface KeyedRecord extends BusRecord {
  key: string;
}

export interface FramedRecords {
  /** Whole frames back to back; no frame spans two chunks. */
  chunks: readonly Buffer[];
  /** Frames in all the chunks. */
  count: number;
}

/** A record to frame: the value as bytes, or as text to be written as UTF-8. */
export interface FrameEntry {
  key: string;
  value: Buffer | string;
}

/** The most bytes `entry`'s frame can take (UTF-8 needs at most 3 bytes per UTF-16 unit). */
export function frameBound(entry: FrameEntry): number {
  const value = typeof entry.value === 'string' ? entry.value.length * 3 : entry.value.length;
  return FRAME_HEADER + 2 + entry.key.length * 3 + value;
}

/**
 * Writes `entry`'s frame into `target` at `offset` (which must have `frameBound` bytes free)
 * and returns where the frame ends; text values are encoded straight into place.
 */
export function writeFrame(target: Buffer, offset: number, entry: FrameEntry): number {
  const keyAt = offset + FRAME_HEADER + 2;
  const keyLength = target.write(entry.key, keyAt, 'utf8');
  if (keyLength > 0xffff) throw new Error(`record key too long: ${keyLength} bytes`);
  const valueAt = keyAt + keyLength;
  const valueLength =
    typeof entry.value === 'string'
      ? target.write(entry.value, valueAt, 'utf8')
      : entry.value.copy(target, valueAt);
  const payloadLength = 2 + keyLength + valueLength;
  if (payloadLength > MAX_PAYLOAD) throw new Error(`record too large: ${payloadLength} bytes`);
  const end = offset + FRAME_HEADER + payloadLength;
  target.writeUInt32LE(payloadLength, offset);
  target.writeUInt16LE(keyLength, offset + FRAME_HEADER);
  target.writeUInt32LE(crc32(target.subarray(offset + FRAME_HEADER, end)), offset + 4);
  return end;
}

/**
 * The records of `batch` in order; values are views into its chunks, not copies. Frames come
 * from this process (checksums are for the journal to check when it reads a file), but a chunk
 * that does not hold exactly whole frames is refused rather than misread.
 */
export function framedRecords(batch: FramedRecords): KeyedRecord[] {
  const records: KeyedRecord[] = [];
  for (const chunk of batch.chunks) {
    let at = 0;
    while (at + FRAME_HEADER + 2 <= chunk.length) {
      const end = at + FRAME_HEADER + chunk.readUInt32LE(at);
      const valueAt = at + FRAME_HEADER + 2 + chunk.readUInt16LE(at + FRAME_HEADER);
      if (end > chunk.length || valueAt > end) break;
      records.push({
        key: chunk.toString('utf8', at + FRAME_HEADER + 2, valueAt),
        value: chunk.subarray(valueAt, end),
      });
      at = end;
    }
    if (at !== chunk.length)
      throw new Error(
        `framed records: a partial frame at byte ${at} of a ${chunk.length}-byte chunk`,
      );
  }
  if (records.length !== batch.count)
    throw new Error(`framed records: ${records.length} frames where the batch says ${batch.count}`);
  return records;
}
