import type { ClickHouseStore } from '../clickhouse-store';
import { dayParam, textParam } from './report-input';
import { reportQuery, type QueryLimits } from './report-query';
import { numOrNull, str, strOrNull, time, u64 } from './report-values';

export interface FleetBuildsParams {
  /** First UTC day, inclusive (`YYYY-MM-DD`). */
  from: string;
  /** Last UTC day, exclusive. */
  to: string;
  /** Only handshakes recorded on this host. */
  host?: string;
}

/** A driver build seen in the fleet. Whether it is blacklisted now is the caller's to add. */
export interface FleetBuild {
  productNumber: number | null;
  /** Null for a product number the registry does not know. */
  productName: string | null;
  build: number | null;
  guests: number;
  hosts: number;
  handshakes: number;
  firstSeen: string;
  lastSeen: string;
}

interface Row {
  product_number: number | null;
  product_name: string | null;
  build: number | null;
  guests: string;
  hosts: string;
  handshakes: string;
  first_seen: string;
  last_seen: string;
}

/** Driver builds by product and build over whole UTC days, from driver_builds_daily. */
export async function fleetBuilds(
  store: ClickHouseStore,
  params: FleetBuildsParams,
  limits?: QueryLimits,
): Promise<FleetBuild[]> {
  const bound = {
    from: dayParam('from', params.from),
    to: dayParam('to', params.to),
    host: params.host === undefined ? '' : textParam('host', params.host, 255),
  };
  const rows = await reportQuery<Row>(
    store,
    'fleet-builds',
    `SELECT product_number, build, anyLast(product_name) AS product_name,
       uniqExactMerge(guests) AS guests, uniqExact(host) AS hosts,
       sum(handshakes) AS handshakes, min(first_seen) AS first_seen, max(last_seen) AS last_seen
     FROM driver_builds_daily
     WHERE day >= {from:Date} AND day < {to:Date} AND ({host:String} = '' OR host = {host:String})
     GROUP BY product_number, build
     ORDER BY product_number ASC NULLS LAST, build ASC NULLS LAST`,
    bound,
    limits,
  );
  return rows.map((r) => ({
    productNumber: numOrNull(r.product_number),
    productName: strOrNull(r.product_name),
    build: numOrNull(r.build),
    guests: u64(r.guests),
    hosts: u64(r.hosts),
    handshakes: u64(r.handshakes),
    firstSeen: time(r.first_seen),
    lastSeen: time(str(r.last_seen)),
  }));
}
