import type { ClickHouseStore } from '../clickhouse-store';
import { decodeCursor, toPage, type Page } from './report-cursor';
import { pageSize, textParam, timeParam, uintParam } from './report-input';
import { reportQuery, type QueryLimits } from './report-query';
import { str, time, u64 } from './report-values';

export interface LogSearchParams {
  /** Case-insensitive substring of the line's text. */
  text: string;
  /** Line time, [from, to), UTC. */
  from: string;
  to: string;
  host?: string;
  cursor?: string;
  limit?: number;
}

export interface LogSearchHit {
  time: string;
  vm: string;
  host: string;
  boot: number;
  dm: string;
  seq: number;
  text: string;
}

interface Row {
  time: string;
  vm: string;
  host: string;
  boot: string;
  dm: string;
  seq: string;
  text: string;
}

const REPORT = 'log-search';

/** `text` matched literally by LIKE: its wildcards and the escape character escaped. */
function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * Fleet-wide log text search over a time range, in time order. The condition is the one the
 * guest_logs ngram index (0002) serves: lowerUTF8(text) LIKE '%needle%', case-insensitive.
 */
export async function searchLogs(
  store: ClickHouseStore,
  params: LogSearchParams,
  limits?: QueryLimits,
): Promise<Page<LogSearchHit>> {
  const limit = pageSize(params.limit);
  const [afterTime, afterDm, afterSeq] =
    params.cursor === undefined
      ? [null, '', 0]
      : decodeCursor(REPORT, params.cursor, ['string', 'string', 'number']);
  const rows = await reportQuery<Row>(
    store,
    REPORT,
    `SELECT time, vm, host, boot, dm, seq, text
     FROM guest_logs
     WHERE time >= {from:DateTime64(6, 'UTC')} AND time < {to:DateTime64(6, 'UTC')}
       AND lowerUTF8(text) LIKE concat('%', lowerUTF8({pattern:String}), '%')
       AND ({host:String} = '' OR host = {host:String})
       AND ({afterTime:Nullable(DateTime64(6, 'UTC'))} IS NULL
         OR (time, dm, seq) > ({afterTime:Nullable(DateTime64(6, 'UTC'))}, {afterDm:String}, {afterSeq:UInt64}))
     ORDER BY time, dm, seq
     LIMIT 1 BY dm, seq
     LIMIT {take:UInt32}`,
    {
      pattern: likeLiteral(textParam('text', params.text, 256)),
      from: timeParam('from', params.from),
      to: timeParam('to', params.to),
      host: params.host === undefined ? '' : textParam('host', params.host, 255),
      afterTime: afterTime === null ? null : timeParam('cursor', String(afterTime)),
      afterDm,
      afterSeq: uintParam('cursor', Number(afterSeq), Number.MAX_SAFE_INTEGER),
      take: limit + 1,
    },
    limits,
  );
  const hits = rows.map((r): LogSearchHit => ({
    time: time(r.time),
    vm: str(r.vm),
    host: str(r.host),
    boot: u64(r.boot),
    dm: str(r.dm),
    seq: u64(r.seq),
    text: str(r.text),
  }));
  return toPage(REPORT, hits, limit, (h) => [h.time, h.dm, h.seq]);
}
