import { PORT_PROTOCOL } from '../constants';
import type { Op, Width } from '../types';
import { logLineAccesses } from './log-line-accesses';
import type { RecordedAccess } from './replay';

/** A port.access event of one boot as stored. */
export interface StoredAccess {
  seq: number;
  t: number;
  op: Op;
  port: number;
  size: number;
  value: number | null;
  response: number | null;
}

/** A guest.log event of one boot as stored: its bytes and the accesses that made it. */
export interface StoredLogLine {
  seq: number;
  bytes: Uint8Array;
  trigger: number | null;
  accessCount: number;
  firstUs: number;
  lastUs: number;
}

/**
 * One boot's access stream for replay: its port.access events plus the log byte writes rebuilt
 * from its guest.log events, in recorded (seq) order. With `logBytesRecorded` (forensic mode)
 * every log byte is a port.access already. Otherwise:
 * - a line is rebuilt unless it was spilled: the recorder writes a line's bytes as port.access
 *   events once another access comes between them, and keeps doing so until it emits the next
 *   guest.log event, so a log-byte port.access between a line's event and the previous line's
 *   means that line's bytes are on the record already;
 * - a rebuilt line had no other access between its bytes, so they go right before its own
 *   event in seq order; their times are spread between its first and last byte's;
 * - `previous` is the last line of the instance's previous boot: one flushed by the reset (no
 *   trigger) stays in the device model's buffer, so this boot's first line starting at the same
 *   time begins with its bytes, which that earlier line already replays.
 */
export function recordedAccesses(
  accesses: readonly StoredAccess[],
  lines: readonly StoredLogLine[],
  logBytesRecorded: boolean,
  previous: StoredLogLine | null = null,
): RecordedAccess[] {
  // Stable, as the events' order is when seqs tie; ClickHouse hands them over sorted already.
  const bySeq = inSeqOrder(accesses);
  // The rebuilt log bytes, in line order, each with its place in seq order (just before the
  // line's own seq; ties with an access put the access first).
  const byteKeys: number[] = [];
  const bytes: RecordedAccess[] = [];
  if (!logBytesRecorded) {
    let next = 0;
    let lastT: number | null = null;
    let first = true;
    for (const line of inSeqOrder(lines)) {
      let onRecord = false;
      while (next < bySeq.length && bySeq[next]!.seq < line.seq) {
        const a = bySeq[next]!;
        if (a.op === 'out' && a.port === PORT_PROTOCOL && a.size === 1) onRecord = true;
        lastT = a.t;
        next++;
      }
      const carried =
        first && previous !== null && previous.trigger === null && previous.firstUs === line.firstUs
          ? previous.accessCount
          : 0;
      first = false;
      if (onRecord) continue;
      const wire = line.trigger === null ? line.bytes : Uint8Array.of(...line.bytes, line.trigger);
      const own = wire.subarray(Math.min(carried, line.accessCount), line.accessCount);
      const rebuilt = logLineAccesses({
        wireBytes: own,
        firstUs: carried > 0 ? Math.max(line.firstUs, lastT ?? line.lastUs) : line.firstUs,
        lastUs: line.lastUs,
      });
      for (let i = 0; i < rebuilt.length; i++) {
        byteKeys.push(line.seq - 1 + (i + 1) / (rebuilt.length + 1));
        bytes.push(rebuilt[i]!);
      }
    }
  }
  return mergeBySeq(bySeq, byteKeys, bytes);
}

function inSeqOrder<T extends { seq: number }>(items: readonly T[]): readonly T[] {
  for (let i = 1; i < items.length; i++) {
    if (items[i - 1]!.seq > items[i]!.seq) return [...items].sort((x, y) => x.seq - y.seq);
  }
  return items;
}

function recorded(a: StoredAccess): RecordedAccess {
  const access: RecordedAccess = { op: a.op, port: a.port, size: a.size as Width, t: a.t };
  if (a.value !== null) access.value = a.value;
  if (a.response !== null) access.response = a.response;
  return access;
}

/**
 * The accesses (seq order) and the rebuilt bytes (key order unless lines share a seq) as one
 * stream in seq order, as a stable sort of accesses-then-bytes by key would give.
 */
function mergeBySeq(
  bySeq: readonly StoredAccess[],
  byteKeys: readonly number[],
  bytes: readonly RecordedAccess[],
): RecordedAccess[] {
  if (!isSorted(byteKeys)) {
    const keyed = [
      ...bySeq.map((a) => ({ seq: a.seq, access: recorded(a) })),
      ...bytes.map((access, i) => ({ seq: byteKeys[i]!, access })),
    ].sort((x, y) => x.seq - y.seq);
    return keyed.map((k) => k.access);
  }
  const out = new Array<RecordedAccess>(bySeq.length + bytes.length);
  let a = 0;
  let b = 0;
  let o = 0;
  while (a < bySeq.length || b < bytes.length) {
    if (b >= bytes.length || (a < bySeq.length && bySeq[a]!.seq <= byteKeys[b]!)) {
      out[o++] = recorded(bySeq[a++]!);
    } else {
      out[o++] = bytes[b++]!;
    }
  }
  return out;
}

function isSorted(keys: readonly number[]): boolean {
  for (let i = 1; i < keys.length; i++) if (keys[i - 1]! > keys[i]!) return false;
  return true;
}
