import type { ClickHouseStore } from '../clickhouse-store';
import { decodeCursor, toPage, type Page } from './report-cursor';
import {
  ReportInputError,
  pageSize,
  textParam,
  timeParam,
  uintParam,
  uuidParam,
} from './report-input';
import { reportQuery, type QueryLimits } from './report-query';
import { bool, numOrNull, str, strOrNull, time, u64, u64OrNull } from './report-values';

export type BlacklistAnswer = 'blacklisted' | 'blacklist-ignored';

export interface BlacklistHitsParams {
  /** End time of the handshake, [from, to), UTC. */
  from: string;
  to: string;
  productNumber?: number;
  build?: number;
  result?: BlacklistAnswer;
  host?: string;
  vm?: string;
  cursor?: string;
  limit?: number;
}

/** One handshake the device model answered "blacklisted" (0xd249). */
export interface BlacklistHit {
  time: string;
  vm: string;
  host: string;
  dm: string;
  seq: number;
  boot: number;
  productNumber: number | null;
  productName: string | null;
  build: number | null;
  blacklistKey: string | null;
  /** `blacklisted`: the driver honoured it; `blacklist-ignored`: it wrote a mask anyway. */
  result: BlacklistAnswer;
  unplugApplied: boolean;
  /** The blacklist revision the agent answered from; null for v1 events (unknown). */
  blacklistRevision: number | null;
}

interface Row {
  end_time: string;
  vm: string;
  host: string;
  dm: string;
  seq: string;
  boot: string;
  product_number: number | null;
  product_name: string | null;
  build: number | null;
  blacklist_key: string | null;
  result: string;
  unplug_applied: boolean;
  blacklist_revision: string | null;
}

const REPORT = 'blacklist-hits';

/** Hits in time order (end time, then dm and seq), filtered, a page at a time. */
export async function blacklistHits(
  store: ClickHouseStore,
  params: BlacklistHitsParams,
  limits?: QueryLimits,
): Promise<Page<BlacklistHit>> {
  const limit = pageSize(params.limit);
  if (
    params.result !== undefined &&
    params.result !== 'blacklisted' &&
    params.result !== 'blacklist-ignored'
  ) {
    throw new ReportInputError('result', 'expected blacklisted or blacklist-ignored');
  }
  const [afterTime, afterDm, afterSeq] =
    params.cursor === undefined
      ? [null, '', 0]
      : decodeCursor(REPORT, params.cursor, ['string', 'string', 'number']);
  const rows = await reportQuery<Row>(
    store,
    REPORT,
    `SELECT end_time, vm, host, dm, seq, boot, product_number, product_name, build,
       blacklist_key, result, unplug_applied, blacklist_revision
     FROM handshakes
     WHERE result IN ('blacklisted', 'blacklist-ignored')
       AND end_time >= {from:DateTime64(6, 'UTC')} AND end_time < {to:DateTime64(6, 'UTC')}
       AND ({product:Nullable(UInt16)} IS NULL OR product_number = {product:Nullable(UInt16)})
       AND ({build:Nullable(UInt32)} IS NULL OR build = {build:Nullable(UInt32)})
       AND ({result:String} = '' OR result = {result:String})
       AND ({host:String} = '' OR host = {host:String})
       AND ({vm:Nullable(UUID)} IS NULL OR vm = {vm:Nullable(UUID)})
       AND ({afterTime:Nullable(DateTime64(6, 'UTC'))} IS NULL
         OR (end_time, dm, seq) > ({afterTime:Nullable(DateTime64(6, 'UTC'))}, {afterDm:String}, {afterSeq:UInt64}))
     ORDER BY end_time, dm, seq
     LIMIT {take:UInt32}`,
    {
      from: timeParam('from', params.from),
      to: timeParam('to', params.to),
      product:
        params.productNumber === undefined
          ? null
          : uintParam('productNumber', params.productNumber, 0xffff),
      build: params.build === undefined ? null : uintParam('build', params.build, 0xffffffff),
      result: params.result ?? '',
      host: params.host === undefined ? '' : textParam('host', params.host, 255),
      vm: params.vm === undefined ? null : uuidParam('vm', params.vm),
      afterTime: afterTime === null ? null : timeParam('cursor', String(afterTime)),
      afterDm,
      afterSeq: uintParam('cursor', Number(afterSeq), Number.MAX_SAFE_INTEGER),
      take: limit + 1,
    },
    limits,
  );
  const hits = rows.map((r): BlacklistHit => ({
    time: time(r.end_time),
    vm: str(r.vm),
    host: str(r.host),
    dm: str(r.dm),
    seq: u64(r.seq),
    boot: u64(r.boot),
    productNumber: numOrNull(r.product_number),
    productName: strOrNull(r.product_name),
    build: numOrNull(r.build),
    blacklistKey: strOrNull(r.blacklist_key),
    result: str(r.result) as BlacklistAnswer,
    unplugApplied: bool(r.unplug_applied),
    blacklistRevision: u64OrNull(r.blacklist_revision),
  }));
  return toPage(REPORT, hits, limit, (h) => [h.time, h.dm, h.seq]);
}
