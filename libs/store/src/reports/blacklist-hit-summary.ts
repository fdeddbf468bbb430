import type { ClickHouseStore } from '../clickhouse-store';
import type { BlacklistAnswer } from './blacklist-hits';
import { dayParam } from './report-input';
import { reportQuery, type QueryLimits } from './report-query';
import { numOrNull, str, strOrNull, u64 } from './report-values';

export interface HitSummaryParams {
  /** UTC days, [from, to). */
  from: string;
  to: string;
}

/** Hits of one build on one day with one answer (blacklist_hits_daily). */
export interface HitSummaryRow {
  day: string;
  productNumber: number | null;
  productName: string | null;
  build: number | null;
  result: BlacklistAnswer;
  hits: number;
  /** Hits where the device model unplugged anyway (blacklist-ignored, not enforced). */
  unplugApplied: number;
  guests: number;
  hosts: number;
}

/** A build whose drivers wrote a mask although the device model said "blacklisted". */
export interface IgnoringDriver {
  productNumber: number | null;
  productName: string | null;
  build: number | null;
  hits: number;
  unplugApplied: number;
  guests: number;
  hosts: number;
}

interface Row {
  day?: string;
  product_number: number | null;
  product_name: string | null;
  build: number | null;
  result?: string;
  hits: string;
  unplug_applied: string;
  guests: string;
  hosts: string;
}

const counts = (r: Row) => ({
  productNumber: numOrNull(r.product_number),
  productName: strOrNull(r.product_name),
  build: numOrNull(r.build),
  hits: u64(r.hits),
  unplugApplied: u64(r.unplug_applied),
  guests: u64(r.guests),
  hosts: u64(r.hosts),
});

const MERGED = `anyLast(product_name) AS product_name, sum(hits) AS hits,
  sum(unplug_applied) AS unplug_applied, uniqExactMerge(guests) AS guests,
  uniqExactMerge(hosts) AS hosts`;

/** Hits by day, build and answer. */
export async function blacklistHitSummary(
  store: ClickHouseStore,
  params: HitSummaryParams,
  limits?: QueryLimits,
): Promise<HitSummaryRow[]> {
  const rows = await reportQuery<Row>(
    store,
    'blacklist-hit-summary',
    `SELECT day, product_number, build, toString(result) AS result, ${MERGED}
     FROM blacklist_hits_daily
     WHERE day >= {from:Date} AND day < {to:Date}
     GROUP BY day, product_number, build, result
     ORDER BY day, product_number ASC NULLS LAST, build ASC NULLS LAST, result`,
    { from: dayParam('from', params.from), to: dayParam('to', params.to) },
    limits,
  );
  return rows.map((r) => {
    const { productNumber, productName, build, ...rest } = counts(r);
    return {
      day: str(r.day),
      productNumber,
      productName,
      build,
      result: str(r.result) as BlacklistAnswer,
      ...rest,
    };
  });
}

/** Builds that ignored the blacklist answer in [from, to), most hits first. */
export async function blacklistIgnoringDrivers(
  store: ClickHouseStore,
  params: HitSummaryParams,
  limits?: QueryLimits,
): Promise<IgnoringDriver[]> {
  const rows = await reportQuery<Row>(
    store,
    'blacklist-ignoring-drivers',
    `SELECT product_number, build, ${MERGED}
     FROM blacklist_hits_daily
     WHERE day >= {from:Date} AND day < {to:Date} AND result = 'blacklist-ignored'
     GROUP BY product_number, build
     ORDER BY hits DESC, product_number ASC NULLS LAST, build ASC NULLS LAST`,
    { from: dayParam('from', params.from), to: dayParam('to', params.to) },
    limits,
  );
  return rows.map(counts);
}
