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
  const keyed: { seq: number; access: RecordedAccess }[] = accesses.map((a) => ({
    seq: a.seq,
    access: {
      op: a.op,
      port: a.port,
      size: a.size as Width,
      t: a.t,
      ...(a.value !== null ? { value: a.value } : {}),
      ...(a.response !== null ? { response: a.response } : {}),
    },
  }));
  if (!logBytesRecorded) {
    const bySeq = [...accesses].sort((x, y) => x.seq - y.seq);
    let next = 0;
    let lastT: number | null = null;
    let first = true;
    for (const line of [...lines].sort((x, y) => x.seq - y.seq)) {
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
      const bytes = logLineAccesses({
        wireBytes: own,
        firstUs: carried > 0 ? Math.max(line.firstUs, lastT ?? line.lastUs) : line.firstUs,
        lastUs: line.lastUs,
      });
      bytes.forEach((access, i) =>
        keyed.push({ seq: line.seq - 1 + (i + 1) / (bytes.length + 1), access }),
      );
    }
  }
  keyed.sort((a, b) => a.seq - b.seq);
  return keyed.map((k) => k.access);
}
