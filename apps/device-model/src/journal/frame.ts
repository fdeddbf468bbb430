import { crc32 } from 'node:zlib';
import { FRAME_HEADER, MAX_PAYLOAD, type FrameEntry } from '@magicport/bus';

/**
 * One journal record on disk is a frame of the bus's framed-records format (see
 * `FramedRecords` in @magicport/bus), so written runs go to the bus as they are:
 * [u32 payload length][u32 crc32 of payload][payload], payload = [u16 key length][key, UTF-8][value].
 */
export { FRAME_HEADER, frameBound, MAX_PAYLOAD, writeFrame } from '@magicport/bus';

export interface JournalRecord {
  key: string;
  value: Buffer;
}

/** What is appended: the value as bytes, or as text to be written as UTF-8. */
export type JournalEntry = FrameEntry;

export type FrameCheck =
  { kind: 'frame'; next: number } | { kind: 'end' } | { kind: 'torn'; reason: string };

export type FrameRead =
  | { kind: 'record'; record: JournalRecord; next: number }
  | { kind: 'end' }
  | { kind: 'torn'; reason: string };

/** Checks the frame at `offset` of `buf` (length, checksum, key length); never throws. */
export function checkFrame(buf: Buffer, offset: number): FrameCheck {
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
  return { kind: 'frame', next: end };
}

/** `checkFrame`, and the record of a sound frame. */
export function readFrame(buf: Buffer, offset: number): FrameRead {
  const frame = checkFrame(buf, offset);
  if (frame.kind !== 'frame') return frame;
  const keyAt = offset + FRAME_HEADER + 2;
  const valueAt = keyAt + buf.readUInt16LE(offset + FRAME_HEADER);
  return {
    kind: 'record',
    // The value is a view, not a copy.
    record: { key: buf.toString('utf8', keyAt, valueAt), value: buf.subarray(valueAt, frame.next) },
    next: frame.next,
  };
}
