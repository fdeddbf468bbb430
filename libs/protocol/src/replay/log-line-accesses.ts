import { PORT_PROTOCOL } from '../constants';
import type { RecordedAccess } from './replay';

/**
 * The 1-byte writes to 0x12 behind a recorded log line (DESIGN §5 records them inside the
 * line). Only the first and last access times are kept, so the ones between are spread evenly:
 * the device model only uses the time of the flushing byte, which is exact.
 */
export function logLineAccesses(line: {
  wireBytes: Uint8Array;
  firstUs: number;
  lastUs: number;
}): RecordedAccess[] {
  const n = line.wireBytes.length;
  const step = n > 1 ? (line.lastUs - line.firstUs) / (n - 1) : 0;
  return Array.from(line.wireBytes, (byte, i) => ({
    op: 'out' as const,
    port: PORT_PROTOCOL,
    size: 1 as const,
    value: byte,
    t: i === n - 1 ? line.lastUs : Math.round(line.firstUs + i * step),
  }));
}
