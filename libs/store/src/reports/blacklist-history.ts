import type { ClickHouseStore } from '../clickhouse-store';
import { decodeCursor, toPage, type Page } from './report-cursor';
import { pageSize, uintParam } from './report-input';
import { reportQuery, type QueryLimits } from './report-query';
import { str, time, u64 } from './report-values';

export interface BlacklistHistoryParams {
  cursor?: string;
  limit?: number;
}

/** One blacklist change, as recorded in the blacklist topic. */
export interface BlacklistChangeRecord {
  revision: number;
  change: 'added' | 'removed';
  product: string;
  build: number;
  key: string;
  actor: string;
  reason: string;
  time: string;
  /** The writer stream and its sequence number (the event id is `{dm}:{seq}`). */
  dm: string;
  seq: number;
}

interface Row {
  revision: string;
  change: string;
  product: string;
  build: number;
  key: string;
  actor: string;
  reason: string;
  time: string;
  dm: string;
  seq: string;
}

const REPORT = 'blacklist-history';

/** The blacklist's changes by revision (then writer and seq), a page at a time. */
export async function blacklistHistory(
  store: ClickHouseStore,
  params: BlacklistHistoryParams = {},
  limits?: QueryLimits,
): Promise<Page<BlacklistChangeRecord>> {
  const limit = pageSize(params.limit);
  const [afterRevision, afterDm, afterSeq] =
    params.cursor === undefined
      ? [0, '', -1]
      : decodeCursor(REPORT, params.cursor, ['number', 'string', 'number']);
  const rows = await reportQuery<Row>(
    store,
    REPORT,
    `SELECT revision, change, product, build, key, actor, reason, time, dm, seq
     FROM blacklist_changes
     WHERE (revision, dm, toInt64(seq)) > ({afterRevision:UInt64}, {afterDm:String}, {afterSeq:Int64})
     ORDER BY revision, dm, seq
     LIMIT 1 BY dm, seq
     LIMIT {take:UInt32}`,
    {
      afterRevision: uintParam('cursor', Number(afterRevision), Number.MAX_SAFE_INTEGER),
      afterDm,
      afterSeq: Number(afterSeq),
      take: limit + 1,
    },
    limits,
  );
  const changes = rows.map((r): BlacklistChangeRecord => ({
    revision: u64(r.revision),
    change: str(r.change) as 'added' | 'removed',
    product: str(r.product),
    build: u64(r.build),
    key: str(r.key),
    actor: str(r.actor),
    reason: str(r.reason),
    time: time(r.time),
    dm: str(r.dm),
    seq: u64(r.seq),
  }));
  return toPage(REPORT, changes, limit, (c) => [c.revision, c.dm, c.seq]);
}
