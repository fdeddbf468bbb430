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
 * from its guest.log events, in recorded order. With `logBytesRecorded` (forensic mode) every
 * log byte is a port.access already. Otherwise a line is rebuilt unless it was spilled: the
 * recorder writes a line's bytes as port.access events once another access comes between
 * them, and keeps doing so until it emits the next guest.log event, so a log-byte port.access
 * between a line's event and the previous line's (in seq order) means that line's bytes are
 * all on the record already. Rebuilt bytes go by time, at equal times just before their line's
 * own event (a line that was not spilled had no other access between its first and last byte).
 */
export function recordedAccesses(
  accesses: readonly StoredAccess[],
  lines: readonly StoredLogLine[],
  logBytesRecorded: boolean,
): RecordedAccess[] {
  const keyed: { t: number; seq: number; access: RecordedAccess }[] = accesses.map((a) => ({
    t: a.t,
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
    const spilled = accesses
      .filter((a) => a.op === 'out' && a.port === PORT_PROTOCOL && a.size === 1)
      .map((a) => a.seq)
      .sort((x, y) => x - y);
    let next = 0;
    for (const line of [...lines].sort((x, y) => x.seq - y.seq)) {
      let onRecord = false;
      while (next < spilled.length && spilled[next]! < line.seq) {
        onRecord = true;
        next++;
      }
      if (onRecord) continue;
      const wire = line.trigger === null ? line.bytes : Uint8Array.of(...line.bytes, line.trigger);
      const bytes = logLineAccesses({
        wireBytes: wire.subarray(0, line.accessCount),
        firstUs: line.firstUs,
        lastUs: line.lastUs,
      });
      bytes.forEach((access, i) =>
        keyed.push({ t: access.t, seq: line.seq - 1 + i / (bytes.length + 1), access }),
      );
    }
  }
  keyed.sort((a, b) => a.t - b.t || a.seq - b.seq);
  return keyed.map((k) => k.access);
}
