import type { ClickHouseStore } from '../clickhouse-store';
import { dayParam, uintParam } from './report-input';
import { reportQuery, type QueryLimits } from './report-query';
import { str, u64 } from './report-values';

export interface RolloutParams {
  productNumber: number;
  build: number;
  /** UTC days, [from, to). */
  from: string;
  to: string;
}

/** One day of a build's rollout: distinct guests on it / distinct guests with a handshake. */
export interface RolloutDay {
  day: string;
  guestsOnBuild: number;
  guestsTotal: number;
  /** guestsOnBuild / guestsTotal, 0 when no guest handshook that day. */
  share: number;
}

interface Row {
  day: string;
  on_build: string;
  total: string;
}

export async function buildRollout(
  store: ClickHouseStore,
  params: RolloutParams,
  limits?: QueryLimits,
): Promise<RolloutDay[]> {
  const rows = await reportQuery<Row>(
    store,
    'build-rollout',
    `SELECT day,
       uniqExactMergeIf(guests, product_number = {product:UInt16} AND build = {build:UInt32})
         AS on_build,
       uniqExactMerge(guests) AS total
     FROM driver_builds_daily
     WHERE day >= {from:Date} AND day < {to:Date}
     GROUP BY day
     ORDER BY day`,
    {
      product: uintParam('productNumber', params.productNumber, 0xffff),
      build: uintParam('build', params.build, 0xffffffff),
      from: dayParam('from', params.from),
      to: dayParam('to', params.to),
    },
    limits,
  );
  return rows.map((r) => {
    const guestsOnBuild = u64(r.on_build);
    const guestsTotal = u64(r.total);
    return {
      day: str(r.day),
      guestsOnBuild,
      guestsTotal,
      share: guestsTotal === 0 ? 0 : guestsOnBuild / guestsTotal,
    };
  });
}
