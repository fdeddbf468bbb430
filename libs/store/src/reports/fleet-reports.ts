import type { ClickHouseStore } from '../clickhouse-store';
import { isoTime, limitedQuery, n64, Where, type ApiQueryLimits } from './api-query';

/** A time range [from, to) as ClickHouse DateTime64(6) text (`2026-03-01 00:00:00.000000`). */
export interface TimeRange {
  from: string;
  to: string;
}

export interface FleetBuildsQuery extends TimeRange {
  host?: string;
  product?: number;
  build?: number;
  /** Keyset: rows after this (product, build). */
  after?: { product: number; build: number };
  limit: number;
}

export interface FleetBuildRow {
  product: number;
  productName: string | null;
  build: number;
  guests: number;
  hosts: number;
  handshakes: number;
  firstSeen: string;
  lastSeen: string;
}

const MIDNIGHT = / 00:00:00\.000000$/;

/**
 * Driver builds seen in [from, to): distinct guests and hosts, handshakes, first and last seen.
 * A range of whole UTC days reads a daily view (exact: uniqExact states merge exactly);
 * any other range reads the raw handshakes.
 */
export async function fleetBuilds(
  store: ClickHouseStore,
  q: FleetBuildsQuery,
  limits: ApiQueryLimits,
): Promise<FleetBuildRow[]> {
  const daily = MIDNIGHT.test(q.from) && MIDNIGHT.test(q.to);
  const where = new Where()
    .add('product_number IS NOT NULL AND build IS NOT NULL')
    .maybe(q.host, 'host = {host:String}', { host: q.host })
    .maybe(q.product, 'product_number = {product:UInt16}', { product: q.product })
    .maybe(q.build, 'build = {build:UInt32}', { build: q.build })
    .maybe(q.after, '(product_number, build) > ({afterProduct:UInt16}, {afterBuild:UInt32})', {
      afterProduct: q.after?.product,
      afterBuild: q.after?.build,
    });
  // Fleet-wide questions read the host-less daily view (migration 0005): the per-host one holds
  // nearly a row per handshake when guests spread over many hosts.
  const [view, hosts] =
    q.host === undefined
      ? ['fleet_builds_daily', 'uniqExactMerge(hosts)']
      : ['driver_builds_daily', 'uniqExact(host)'];
  const sql = daily
    ? `SELECT product_number, anyLast(product_name) AS product_name, build,
         uniqExactMerge(guests) AS guests, ${hosts} AS hosts, sum(handshakes) AS handshakes,
         min(first_seen) AS first_seen, max(last_seen) AS last_seen
       FROM ${view}
       WHERE day >= toDate32({from:DateTime64(6, 'UTC')}) AND day < toDate32({to:DateTime64(6, 'UTC')})
         AND ${where}
       GROUP BY product_number, build ORDER BY product_number, build LIMIT {limit:UInt32}`
    : `SELECT product_number, anyLast(product_name) AS product_name, build,
         uniqExact(vm) AS guests, uniqExact(host) AS hosts, count() AS handshakes,
         min(end_time) AS first_seen, max(end_time) AS last_seen
       FROM handshakes
       WHERE end_time >= {from:DateTime64(6, 'UTC')} AND end_time < {to:DateTime64(6, 'UTC')}
         AND ${where}
       GROUP BY product_number, build ORDER BY product_number, build LIMIT {limit:UInt32}`;
  const rows = await limitedQuery<Record<string, unknown>>(
    store,
    'fleet-builds',
    sql,
    { ...where.params, from: q.from, to: q.to, limit: q.limit },
    limits,
  );
  return rows.map((r) => ({
    product: r.product_number as number,
    productName: (r.product_name as string | null) ?? null,
    build: r.build as number,
    guests: n64(r.guests),
    hosts: n64(r.hosts),
    handshakes: n64(r.handshakes),
    firstSeen: isoTime(r.first_seen as string),
    lastSeen: isoTime(r.last_seen as string),
  }));
}

export interface RolloutQuery {
  /** UTC days `YYYY-MM-DD`, [fromDay, toDay). */
  fromDay: string;
  toDay: string;
  product: number;
  build?: number;
}

export interface RolloutRow {
  day: string;
  build: number;
  guests: number;
  /** Guests with any handshake that day. */
  fleetGuests: number;
}

/** Per UTC day, how many of the guests that handshook ran each build of `product`. */
export async function rollout(
  store: ClickHouseStore,
  q: RolloutQuery,
  limits: ApiQueryLimits,
): Promise<RolloutRow[]> {
  const range = { fromDay: q.fromDay, toDay: q.toDay };
  const inRange = 'day >= {fromDay:Date32} AND day < {toDay:Date32}';
  const where = new Where()
    .add(inRange, range)
    .add('product_number = {product:UInt16} AND build IS NOT NULL', { product: q.product })
    .maybe(q.build, 'build = {build:UInt32}', { build: q.build });
  const [builds, fleet] = await Promise.all([
    limitedQuery<Record<string, unknown>>(
      store,
      'fleet-rollout',
      `SELECT toString(day) AS day_text, build, uniqExactMerge(guests) AS day_guests
       FROM driver_builds_daily WHERE ${where} GROUP BY day, build ORDER BY day, build`,
      where.params,
      limits,
    ),
    limitedQuery<Record<string, unknown>>(
      store,
      'fleet-rollout-total',
      `SELECT toString(day) AS day_text, uniqExactMerge(guests) AS day_guests
       FROM driver_builds_daily WHERE ${inRange} GROUP BY day`,
      range,
      limits,
    ),
  ]);
  const perDay = new Map(fleet.map((r) => [r.day_text as string, n64(r.day_guests)]));
  return builds.map((r) => ({
    day: r.day_text as string,
    build: r.build as number,
    guests: n64(r.day_guests),
    fleetGuests: perDay.get(r.day_text as string) ?? 0,
  }));
}

export interface UnknownProductRow {
  product: number;
  guests: number;
  hosts: number;
  handshakes: number;
  builds: number[];
  firstSeen: string;
  lastSeen: string;
}

/** Product numbers written by guests that the registry does not know. */
export async function unknownProducts(
  store: ClickHouseStore,
  q: TimeRange,
  limits: ApiQueryLimits,
): Promise<UnknownProductRow[]> {
  const rows = await limitedQuery<Record<string, unknown>>(
    store,
    'fleet-unknown-products',
    `SELECT product_number, uniqExact(vm) AS guests, uniqExact(host) AS hosts,
       count() AS handshakes, arraySort(groupUniqArray(1000)(build)) AS builds,
       min(end_time) AS first_seen, max(end_time) AS last_seen
     FROM handshakes
     WHERE product_number IS NOT NULL AND product_name IS NULL
       AND end_time >= {from:DateTime64(6, 'UTC')} AND end_time < {to:DateTime64(6, 'UTC')}
     GROUP BY product_number ORDER BY product_number LIMIT 10000`,
    { from: q.from, to: q.to },
    limits,
  );
  return rows.map((r) => ({
    product: r.product_number as number,
    guests: n64(r.guests),
    hosts: n64(r.hosts),
    handshakes: n64(r.handshakes),
    builds: (r.builds as (number | null)[]).filter((b): b is number => b !== null),
    firstSeen: isoTime(r.first_seen as string),
    lastSeen: isoTime(r.last_seen as string),
  }));
}
