/**
 * Recovery's reading of a segment file: its format (segment-header.ts), where its sound records
 * end, and the damage after them.
 *
 * Invariants:
 * - A segment in a format this agent does not read is reported as such, never as damage.
 * - A segment is read in bounded chunks (never whole: segments are 64 MiB and a fleet's journal
 *   may hold many), each frame's checksum checked.
 * - The valid end is the end of the last sound frame before the first bad one; everything after
 *   a bad frame is skipped (a torn write is the only way one gets there, and nothing is ever
 *   appended after it: new records go to a fresh segment).
 */
import { checkFrame, FRAME_HEADER, MAX_PAYLOAD } from './frame';
import type { JournalFile } from './journal-fs';
import { checkSegmentHeader, SEGMENT_HEADER_BYTES } from './segment-header';

const CHUNK_BYTES = 1024 * 1024;

export interface SegmentScan {
  /** Offset after the last sound record. */
  end: number;
  /** Why the bytes after `end` were skipped, when there are any. */
  damage: { reason: string; skippedBytes: number } | null;
}

/** A segment whose header names a format this agent cannot read (why, in words). */
export interface UnknownSegmentFormat {
  unknownFormat: string;
}

export async function scanSegment(file: JournalFile): Promise<SegmentScan | UnknownSegmentFormat> {
  const size = (await file.stat()).size;
  const head = Buffer.alloc(Math.min(size, SEGMENT_HEADER_BYTES));
  const { bytesRead } = await file.read(head, 0, head.length, 0);
  const header = checkSegmentHeader(head.subarray(0, bytesRead));
  if (header.kind === 'unknown-format') return { unknownFormat: header.reason };
  if (header.kind === 'empty') return { end: 0, damage: null };
  if (header.kind === 'damaged')
    return { end: 0, damage: { reason: header.reason, skippedBytes: size } };
  let base = SEGMENT_HEADER_BYTES;
  let buf = Buffer.alloc(0);
  let offset = 0;
  for (;;) {
    const frame = checkFrame(buf, offset);
    if (frame.kind === 'frame') {
      offset = frame.next;
      continue;
    }
    const fileAt = base + offset;
    if (fileAt === size) return { end: fileAt, damage: null };
    // Cut by the chunk, not by the file: read on from this frame.
    const left = buf.length - offset;
    const declared = left >= FRAME_HEADER ? buf.readUInt32LE(offset) : 0;
    const cutByChunk =
      base + buf.length < size &&
      (left < FRAME_HEADER ||
        (declared <= MAX_PAYLOAD && offset + FRAME_HEADER + declared > buf.length));
    if (frame.kind === 'end' || cutByChunk) {
      const want = Math.min(size - fileAt, Math.max(CHUNK_BYTES, FRAME_HEADER + declared));
      buf = Buffer.allocUnsafe(want);
      const { bytesRead } = await file.read(buf, 0, want, fileAt);
      buf = buf.subarray(0, bytesRead);
      base = fileAt;
      offset = 0;
      if (bytesRead === 0) return { end: fileAt, damage: null };
      continue;
    }
    return { end: fileAt, damage: { reason: frame.reason, skippedBytes: size - fileAt } };
  }
}
