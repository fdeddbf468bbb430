/**
 * The header every segment file starts with: what the file is and which format its records are
 * in, so that a journal written by a later (or earlier) format is refused by name instead of
 * being read as damage and its records skipped.
 *
 * Layout, 16 bytes: [8 bytes magic "MPJOURNL"][u32 LE format version][u32 LE crc32 of bytes 0-11].
 * Records (see frame.ts) follow from byte 16; journal positions are file offsets, so a segment's
 * first record is at `SEGMENT_HEADER_BYTES`.
 *
 * Invariants:
 * - The header is written together with a segment's first records, in the same write (a write
 *   that fails is cut back to 0 bytes), so a segment file is empty or starts with a header.
 * - Only a header with the magic, a matching checksum and another version is a format question;
 *   a header cut short or zeroed (a crash before the data reached the disk) is damage, like a
 *   torn record.
 */
import { crc32 } from 'node:zlib';

export const SEGMENT_MAGIC = Buffer.from('MPJOURNL', 'latin1');
/** Version 1: the frames of frame.ts, back to back after the header. */
export const SEGMENT_FORMAT_VERSION = 1;
export const SEGMENT_HEADER_BYTES = 16;

export function segmentHeader(version = SEGMENT_FORMAT_VERSION): Buffer {
  const header = Buffer.alloc(SEGMENT_HEADER_BYTES);
  SEGMENT_MAGIC.copy(header, 0);
  header.writeUInt32LE(version, 8);
  header.writeUInt32LE(crc32(header.subarray(0, 12)), 12);
  return header;
}

export type HeaderCheck =
  | { kind: 'current' }
  | { kind: 'empty' }
  | { kind: 'damaged'; reason: string }
  | { kind: 'unknown-format'; reason: string };

/** Checks the first bytes of a segment file (`buf`, up to its first 16 bytes); never throws. */
export function checkSegmentHeader(buf: Buffer): HeaderCheck {
  if (buf.length === 0) return { kind: 'empty' };
  if (buf.length < SEGMENT_HEADER_BYTES)
    return { kind: 'damaged', reason: `segment header cut at ${buf.length} of 16 bytes` };
  const header = buf.subarray(0, SEGMENT_HEADER_BYTES);
  if (!header.subarray(0, 8).equals(SEGMENT_MAGIC)) {
    if (header.every((b) => b === 0))
      return { kind: 'damaged', reason: 'segment header is zeros (lost in a crash)' };
    return {
      kind: 'unknown-format',
      reason:
        'it does not start with the segment magic (a journal from before format versions, or not a journal segment)',
    };
  }
  if (crc32(header.subarray(0, 12)) !== header.readUInt32LE(12))
    return { kind: 'damaged', reason: 'segment header checksum mismatch' };
  const version = header.readUInt32LE(8);
  if (version !== SEGMENT_FORMAT_VERSION)
    return {
      kind: 'unknown-format',
      reason: `it is in journal format version ${version}, this agent reads version ${SEGMENT_FORMAT_VERSION}`,
    };
  return { kind: 'current' };
}

/** A segment file is in a format this agent cannot read; the message says what to do. */
export class JournalFormatError extends Error {
  override readonly name = 'JournalFormatError';
  constructor(
    readonly dir: string,
    readonly file: string,
    reason: string,
  ) {
    super(
      `journal ${dir}: ${file} cannot be read: ${reason}. The agent does not start rather than ` +
        `skip its records. Deliver them with the magicport version that wrote the journal, or ` +
        `move the journal directory aside to start a fresh one (its undelivered records are then ` +
        `not sent and its streams start over).`,
    );
  }
}
