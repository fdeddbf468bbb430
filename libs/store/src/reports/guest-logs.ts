import type { ClickHouseStore } from '../clickhouse-store';
import type { HandshakeResult } from './latest-handshake-row';
import { decodeCursor, toPage, type Page } from './report-cursor';
import { pageSize, timeParam, uintParam, uuidParam } from './report-input';
import { reportQuery, type QueryLimits } from './report-query';
import { bool, num, numOrNull, str, strOrNull, time, u64 } from './report-values';

export interface GuestLogsParams {
  vm: string;
  /** Line flush time (the event time), [from, to), UTC; both optional. */
  from?: string;
  to?: string;
  cursor?: string;
  limit?: number;
}

/** A reassembled guest log line with the handshake it was written in, if any. */
export interface GuestLogLine {
  time: string;
  host: string;
  boot: number;
  dm: string;
  seq: number;
  text: string;
  bytes: Buffer;
  truncated: boolean;
  /** Lines the device model's rate limiter dropped right before this one. */
  droppedBefore: number;
  throttledMs: number;
  handshake: {
    id: string;
    /** Null while the handshake has no recorded outcome. */
    result: HandshakeResult | null;
    productName: string | null;
    build: number | null;
  } | null;
}

interface Row {
  time: string;
  host: string;
  boot: string;
  dm: string;
  seq: string;
  text: string;
  bytes_base64: string;
  truncated: boolean;
  dropped_before: string;
  throttled_ms: number;
  handshake_id: string | null;
  has_outcome: boolean;
  result: string;
  product_name: string | null;
  build: number | null;
}

const REPORT = 'guest-logs';
const FAR_PAST = '1970-01-01 00:00:00.000000';
const FAR_FUTURE = '2250-01-01 00:00:00.000000';

/** One guest's log lines in recorded order (boot, dm, seq). */
export async function guestLogs(
  store: ClickHouseStore,
  params: GuestLogsParams,
  limits?: QueryLimits,
): Promise<Page<GuestLogLine>> {
  const limit = pageSize(params.limit);
  const [afterBoot, afterDm, afterSeq] =
    params.cursor === undefined
      ? [-1, '', 0]
      : decodeCursor(REPORT, params.cursor, ['number', 'string', 'number']);
  const rows = await reportQuery<Row>(
    store,
    REPORT,
    `SELECT l.time AS time, l.host AS host, l.boot AS boot, l.dm AS dm, l.seq AS seq,
       l.text AS text, base64Encode(l.bytes) AS bytes_base64, l.truncated AS truncated,
       l.dropped_before AS dropped_before, l.throttled_ms AS throttled_ms,
       l.handshake_id AS handshake_id, toBool(ifNull(h.handshake_id != '', false)) AS has_outcome,
       toString(h.result) AS result, h.product_name AS product_name, h.build AS build
     FROM (
       SELECT * FROM guest_logs
       WHERE vm = {vm:UUID}
         AND time >= {from:DateTime64(6, 'UTC')} AND time < {to:DateTime64(6, 'UTC')}
         AND ({afterBoot:Int64} < 0
           OR (boot, dm, seq) > ({afterBoot:Int64}, {afterDm:String}, {afterSeq:UInt64}))
       ORDER BY boot, dm, seq
       LIMIT 1 BY dm, seq
       LIMIT {take:UInt32}
     ) AS l
     LEFT JOIN (
       SELECT handshake_id, any(result) AS result, any(product_name) AS product_name,
         any(build) AS build
       FROM handshakes WHERE vm = {vm:UUID} GROUP BY handshake_id
     ) AS h ON h.handshake_id = l.handshake_id
     ORDER BY boot, dm, seq`,
    {
      vm: uuidParam('vm', params.vm),
      from: params.from === undefined ? FAR_PAST : timeParam('from', params.from),
      to: params.to === undefined ? FAR_FUTURE : timeParam('to', params.to),
      afterBoot: Number(afterBoot),
      afterDm,
      afterSeq: uintParam('cursor', Number(afterSeq), Number.MAX_SAFE_INTEGER),
      take: limit + 1,
    },
    limits,
  );
  const lines = rows.map((r): GuestLogLine => {
    const id = strOrNull(r.handshake_id);
    const known = bool(r.has_outcome);
    return {
      time: time(r.time),
      host: str(r.host),
      boot: u64(r.boot),
      dm: str(r.dm),
      seq: u64(r.seq),
      text: str(r.text),
      bytes: Buffer.from(str(r.bytes_base64), 'base64'),
      truncated: bool(r.truncated),
      droppedBefore: u64(r.dropped_before),
      throttledMs: num(r.throttled_ms),
      handshake:
        id === null
          ? null
          : {
              id,
              result: known ? (str(r.result) as HandshakeResult) : null,
              productName: known ? strOrNull(r.product_name) : null,
              build: known ? numOrNull(r.build) : null,
            },
    };
  });
  return toPage(REPORT, lines, limit, (l) => [l.boot, l.dm, l.seq]);
}
