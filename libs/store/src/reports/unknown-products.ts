import type { ClickHouseStore } from '../clickhouse-store';
import { dayParam } from './report-input';
import { reportQuery, type QueryLimits } from './report-query';
import { num, time, u64 } from './report-values';

export interface UnknownProductsParams {
  /** UTC days, [from, to). */
  from: string;
  to: string;
}

/** A product number drivers wrote that the registry has no name for. */
export interface UnknownProduct {
  productNumber: number;
  builds: number;
  guests: number;
  hosts: number;
  handshakes: number;
  firstSeen: string;
  lastSeen: string;
}

interface Row {
  product_number: number;
  builds: string;
  guests: string;
  hosts: string;
  handshakes: string;
  first_seen: string;
  last_seen: string;
}

export async function unknownProducts(
  store: ClickHouseStore,
  params: UnknownProductsParams,
  limits?: QueryLimits,
): Promise<UnknownProduct[]> {
  const rows = await reportQuery<Row>(
    store,
    'unknown-products',
    `SELECT product_number, uniqExact(build) AS builds, uniqExactMerge(guests) AS guests,
       uniqExact(host) AS hosts, sum(handshakes) AS handshakes,
       min(first_seen) AS first_seen, max(last_seen) AS last_seen
     FROM driver_builds_daily
     WHERE day >= {from:Date} AND day < {to:Date} AND product_number IS NOT NULL
     GROUP BY product_number
     HAVING anyLast(product_name) IS NULL
     ORDER BY product_number`,
    { from: dayParam('from', params.from), to: dayParam('to', params.to) },
    limits,
  );
  return rows.map((r) => ({
    productNumber: num(r.product_number),
    builds: u64(r.builds),
    guests: u64(r.guests),
    hosts: u64(r.hosts),
    handshakes: u64(r.handshakes),
    firstSeen: time(r.first_seen),
    lastSeen: time(r.last_seen),
  }));
}
