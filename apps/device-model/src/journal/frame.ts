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

export function encodeFrame(record: JournalRecord): Buffer {
  const key = Buffer.from(record.key, 'utf8');
  if (key.length > 0xffff) throw new Error(`journal key too long: ${key.length} bytes`);
  const payloadLength = 2 + key.length + record.value.length;
  if (payloadLength > MAX_PAYLOAD)
    throw new Error(`journal record too large: ${payloadLength} bytes`);
  const frame = Buffer.allocUnsafe(FRAME_HEADER + payloadLength);
  frame.writeUInt32LE(payloadLength, 0);
  frame.writeUInt16LE(key.length, FRAME_HEADER);
  key.copy(frame, FRAME_HEADER + 2);
  record.value.copy(frame, FRAME_HEADER + 2 + key.length);
  frame.writeUInt32LE(crc32(frame.subarray(FRAME_HEADER)), 4);
  return frame;
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
      value: Buffer.from(payload.subarray(2 + keyLength)),
    },
    next: end,
  };
}
