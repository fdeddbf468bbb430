import type { ClickHouseStore } from '../clickhouse-store';
import { textParam, uintParam, uuidParam } from './report-input';
import { reportQuery, type QueryLimits } from './report-query';
import { bool, num, numOrNull, str, strOrNull, time, u64 } from './report-values';

export interface BootEventsParams {
  vm: string;
  boot: number;
  /** One device-model instance only (a boot counter is per instance). */
  dm?: string;
}

export interface RecordedAccess {
  kind: 'port.access';
  dm: string;
  seq: number;
  time: string;
  op: 'in' | 'out';
  port: number;
  size: 1 | 2 | 4;
  value: number | null;
  response: number | null;
}

export interface RecordedLogLine {
  kind: 'guest.log';
  dm: string;
  seq: number;
  time: string;
  /** The line's bytes exactly as the guest wrote them. */
  bytes: Buffer;
  text: string;
  truncated: boolean;
  trigger: number | null;
  droppedBefore: number;
  throttledMs: number;
  accessCount: number;
  firstTime: string;
  lastTime: string;
  handshakeId: string | null;
}

export type BootEvent = RecordedAccess | RecordedLogLine;

/**
 * What replay needs of one boot: its port accesses and guest log lines, merged in (dm, seq)
 * order (the order the device model recorded them). Both tables are sorted by (vm, boot, …).
 * `LIMIT 1 BY dm, seq` drops a duplicate the id backstop has not merged away yet.
 */
export async function bootEvents(
  store: ClickHouseStore,
  params: BootEventsParams,
  limits?: QueryLimits,
): Promise<BootEvent[]> {
  const bound = {
    vm: uuidParam('vm', params.vm),
    boot: uintParam('boot', params.boot, Number.MAX_SAFE_INTEGER),
    dm: params.dm === undefined ? '' : textParam('dm', params.dm, 128),
  };
  const where = `vm = {vm:UUID} AND boot = {boot:UInt64} AND ({dm:String} = '' OR dm = {dm:String})`;
  const [accesses, lines] = await Promise.all([
    reportQuery<Record<string, unknown>>(
      store,
      'boot-accesses',
      `SELECT dm, seq, time, op, port, size, value, response
       FROM port_accesses WHERE ${where} ORDER BY dm, seq LIMIT 1 BY dm, seq`,
      bound,
      limits,
    ),
    reportQuery<Record<string, unknown>>(
      store,
      'boot-log-lines',
      `SELECT dm, seq, time, base64Encode(bytes) AS bytes_base64, text, truncated, trigger,
         dropped_before, throttled_ms, access_count, first_time, last_time, handshake_id
       FROM guest_logs WHERE ${where} ORDER BY dm, seq LIMIT 1 BY dm, seq`,
      bound,
      limits,
    ),
  ]);
  const events: BootEvent[] = [
    ...accesses.map((r): RecordedAccess => ({
      kind: 'port.access',
      dm: str(r.dm),
      seq: u64(r.seq),
      time: time(r.time),
      op: str(r.op) as 'in' | 'out',
      port: num(r.port),
      size: num(r.size) as 1 | 2 | 4,
      value: numOrNull(r.value),
      response: numOrNull(r.response),
    })),
    ...lines.map((r): RecordedLogLine => ({
      kind: 'guest.log',
      dm: str(r.dm),
      seq: u64(r.seq),
      time: time(r.time),
      bytes: Buffer.from(str(r.bytes_base64), 'base64'),
      text: str(r.text),
      truncated: bool(r.truncated),
      trigger: numOrNull(r.trigger),
      droppedBefore: u64(r.dropped_before),
      throttledMs: num(r.throttled_ms),
      accessCount: num(r.access_count),
      firstTime: time(r.first_time),
      lastTime: time(r.last_time),
      handshakeId: strOrNull(r.handshake_id),
    })),
  ];
  return events.sort((a, b) => (a.dm === b.dm ? a.seq - b.seq : a.dm < b.dm ? -1 : 1));
}
