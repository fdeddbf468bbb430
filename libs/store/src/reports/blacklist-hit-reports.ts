import type { ClickHouseStore } from '../clickhouse-store';
import { isoTime, limitedQuery, n64, n64OrNull, Where, type ApiQueryLimits } from './api-query';
import type { TimeRange } from './fleet-reports';

export type HitResult = 'blacklisted' | 'blacklist-ignored';

export interface BlacklistHitsQuery extends TimeRange {
  product?: number;
  build?: number;
  host?: string;
  vm?: string;
  result?: HitResult;
  revision?: number;
  /** Keyset: hits after this (end time, dm, seq). */
  after?: { time: string; dm: string; seq: number };
  limit: number;
}

/** One handshake the device model answered 0xd249. */
export interface BlacklistHitRow {
  time: string;
  vm: string;
  host: string;
  dm: string;
  seq: number;
  boot: number;
  handshakeId: string;
  product: number | null;
  productName: string | null;
  build: number | null;
  key: string | null;
  result: HitResult;
  unplugApplied: boolean;
  /** The blacklist revision the agent answered from; null for v1 events (unknown). */
  blacklistRevision: number | null;
}

export async function blacklistHits(
  store: ClickHouseStore,
  q: BlacklistHitsQuery,
  limits: ApiQueryLimits,
): Promise<BlacklistHitRow[]> {
  const where = new Where()
    .add("result IN ('blacklisted', 'blacklist-ignored')")
    .add("end_time >= {from:DateTime64(6, 'UTC')} AND end_time < {to:DateTime64(6, 'UTC')}", {
      from: q.from,
      to: q.to,
    })
    .maybe(q.product, 'product_number = {product:UInt16}', { product: q.product })
    .maybe(q.build, 'build = {build:UInt32}', { build: q.build })
    .maybe(q.host, 'host = {host:String}', { host: q.host })
    .maybe(q.vm, 'vm = {vm:UUID}', { vm: q.vm })
    .maybe(q.result, 'result = {result:String}', { result: q.result })
    .maybe(q.revision, 'blacklist_revision = {revision:UInt64}', { revision: q.revision })
    .maybe(
      q.after,
      "(end_time, dm, seq) > ({afterTime:DateTime64(6, 'UTC')}, {afterDm:String}, {afterSeq:UInt64})",
      { afterTime: q.after?.time, afterDm: q.after?.dm, afterSeq: q.after?.seq },
    );
  const rows = await limitedQuery<Record<string, unknown>>(
    store,
    'blacklist-hits',
    `SELECT end_time, vm, host, dm, seq, boot, handshake_id, product_number, product_name, build,
       blacklist_key, toString(result) AS result, unplug_applied, blacklist_revision
     FROM handshakes WHERE ${where} ORDER BY end_time, dm, seq LIMIT {limit:UInt32}`,
    { ...where.params, limit: q.limit },
    limits,
  );
  return rows.map((r) => ({
    time: isoTime(r.end_time as string),
    vm: r.vm as string,
    host: r.host as string,
    dm: r.dm as string,
    seq: n64(r.seq),
    boot: n64(r.boot),
    handshakeId: r.handshake_id as string,
    product: (r.product_number as number | null) ?? null,
    productName: (r.product_name as string | null) ?? null,
    build: (r.build as number | null) ?? null,
    key: (r.blacklist_key as string | null) ?? null,
    result: r.result as HitResult,
    unplugApplied: r.unplug_applied as boolean,
    blacklistRevision: n64OrNull(r.blacklist_revision),
  }));
}

export interface HitCounts {
  hits: number;
  /** Result `blacklisted`: the driver wrote no mask. */
  honoured: number;
  /** Result `blacklist-ignored`: the driver wrote a mask anyway. */
  ignored: number;
  /** Ignored hits whose mask the device model applied (no enforcement). */
  unplugApplied: number;
  guests: number;
  hosts: number;
}

export interface HitSummaryDayRow extends HitCounts {
  day: string;
  product: number | null;
  productName: string | null;
  build: number | null;
}

export interface HitSummaryBuildRow extends HitCounts {
  product: number | null;
  productName: string | null;
  build: number | null;
}

export interface BlacklistHitSummary {
  days: HitSummaryDayRow[];
  /** The whole range per build (guests and hosts distinct over the range). */
  builds: HitSummaryBuildRow[];
  /** Builds whose drivers unplugged although the device model answered "blacklisted". */
  ignoringDrivers: HitSummaryBuildRow[];
}

const COUNTS = `sum(hits) AS total_hits, sumIf(hits, result = 'blacklisted') AS honoured,
  sumIf(hits, result = 'blacklist-ignored') AS ignored, sumIf(unplug_applied, result = 'blacklist-ignored') AS applied,
  uniqExactMerge(guests) AS distinct_guests, uniqExactMerge(hosts) AS distinct_hosts`;

function counts(r: Record<string, unknown>): HitCounts {
  return {
    hits: n64(r.total_hits),
    honoured: n64(r.honoured),
    ignored: n64(r.ignored),
    unplugApplied: n64(r.applied),
    guests: n64(r.distinct_guests),
    hosts: n64(r.distinct_hosts),
  };
}

/** Hits per UTC day and build over [fromDay, toDay), and per build over the whole range. */
export async function blacklistHitSummary(
  store: ClickHouseStore,
  q: { fromDay: string; toDay: string; product?: number; build?: number },
  limits: ApiQueryLimits,
): Promise<BlacklistHitSummary> {
  const where = new Where()
    .add('day >= {fromDay:Date32} AND day < {toDay:Date32}', { fromDay: q.fromDay, toDay: q.toDay })
    .maybe(q.product, 'product_number = {product:UInt16}', { product: q.product })
    .maybe(q.build, 'build = {build:UInt32}', { build: q.build });
  const [days, builds] = await Promise.all([
    limitedQuery<Record<string, unknown>>(
      store,
      'blacklist-hit-days',
      `SELECT toString(day) AS day_text, product_number, anyLast(product_name) AS product_name, build, ${COUNTS}
       FROM blacklist_hits_daily WHERE ${where}
       GROUP BY day, product_number, build ORDER BY day, product_number, build LIMIT 100000`,
      where.params,
      limits,
    ),
    limitedQuery<Record<string, unknown>>(
      store,
      'blacklist-hit-builds',
      `SELECT product_number, anyLast(product_name) AS product_name, build, ${COUNTS}
       FROM blacklist_hits_daily WHERE ${where}
       GROUP BY product_number, build ORDER BY product_number, build LIMIT 100000`,
      where.params,
      limits,
    ),
  ]);
  const build = (r: Record<string, unknown>): HitSummaryBuildRow => ({
    product: (r.product_number as number | null) ?? null,
    productName: (r.product_name as string | null) ?? null,
    build: (r.build as number | null) ?? null,
    ...counts(r),
  });
  const perBuild = builds.map(build);
  return {
    days: days.map((r) => ({ day: r.day_text as string, ...build(r) })),
    builds: perBuild,
    ignoringDrivers: perBuild.filter((b) => b.ignored > 0),
  };
}
