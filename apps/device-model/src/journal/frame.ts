import { crc32 } from 'node:zlib';

/**
 * One journal record on disk: [u32 payload length][u32 crc32 of payload][payload],
 * payload = [u16 key length][key, UTF-8][value]. Little-endian.
 */
export const FRAME_HEADER = 8;
export const MAX_PAYLOAD = 16 * 1024 * 1024;

export interface JournalRecord {
  key: string;
  value: Buffer;
}

/** What is appended: the value as bytes, or as text to be written as UTF-8. */
export interface JournalEntry {
  key: string;
  value: Buffer | string;
}

/** The most bytes `entry`'s frame can take (UTF-8 needs at most 3 bytes per UTF-16 unit). */
export function frameBound(entry: JournalEntry): number {
  const value = typeof entry.value === 'string' ? entry.value.length * 3 : entry.value.length;
  return FRAME_HEADER + 2 + entry.key.length * 3 + value;
}

/**
 * Writes `entry`'s frame into `target` at `offset` (which must have `frameBound` bytes free)
 * and returns where the frame ends; text values are encoded straight into place.
 */
export function writeFrame(target: Buffer, offset: number, entry: JournalEntry): number {
  const keyAt = offset + FRAME_HEADER + 2;
  const keyLength = target.write(entry.key, keyAt, 'utf8');
  if (keyLength > 0xffff) throw new Error(`journal key too long: ${keyLength} bytes`);
  const valueAt = keyAt + keyLength;
  const valueLength =
    typeof entry.value === 'string'
      ? target.write(entry.value, valueAt, 'utf8')
      : entry.value.copy(target, valueAt);
  const payloadLength = 2 + keyLength + valueLength;
  if (payloadLength > MAX_PAYLOAD)
    throw new Error(`journal record too large: ${payloadLength} bytes`);
  const end = offset + FRAME_HEADER + payloadLength;
  target.writeUInt32LE(payloadLength, offset);
  target.writeUInt16LE(keyLength, offset + FRAME_HEADER);
  target.writeUInt32LE(crc32(target.subarray(offset + FRAME_HEADER, end)), offset + 4);
  return end;
}

export type FrameRead =
  | { kind: 'record'; record: JournalRecord; next: number }
  | { kind: 'end' }
  | { kind: 'torn'; reason: string };

/** Reads the frame at `offset` of `buf`; never throws on damaged bytes. */
export function readFrame(buf: Buffer, offset: number): FrameRead {
  if (offset === buf.length) return { kind: 'end' };
  if (buf.length - offset < FRAME_HEADER) {
    return { kind: 'torn', reason: `${buf.length - offset} bytes, shorter than a frame header` };
  }
  const length = buf.readUInt32LE(offset);
  if (length < 2 || length > MAX_PAYLOAD)
    return { kind: 'torn', reason: `impossible length ${length}` };
  const end = offset + FRAME_HEADER + length;
  if (end > buf.length) {
    return {
      kind: 'torn',
      reason: `record of ${length} bytes cut at ${buf.length - offset - FRAME_HEADER}`,
    };
  }
  const payload = buf.subarray(offset + FRAME_HEADER, end);
  if (crc32(payload) !== buf.readUInt32LE(offset + 4))
    return { kind: 'torn', reason: 'checksum mismatch' };
  const keyLength = payload.readUInt16LE(0);
  if (2 + keyLength > payload.length)
    return { kind: 'torn', reason: `key length ${keyLength} overruns record` };
  return {
    kind: 'record',
    record: {
      key: payload.toString('utf8', 2, 2 + keyLength),
      // A view, not a copy: a batch's records share the chunk read for them.
      value: payload.subarray(2 + keyLength),
    },
    next: end,
  };
}
