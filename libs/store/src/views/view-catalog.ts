import type { ClickHouseStore } from '../clickhouse-store';

/** A materialized view of the migrations (0002, 0005) and the table it writes. */
export interface ReportView {
  view: string;
  target: string;
  /**
   * The target's finished rows, from `{source}` (the target, or a recomputation of it): what
   * must be equal for the view to be right. A trusted constant, never input.
   */
  finished: string;
}

export const REPORT_VIEWS: readonly ReportView[] = [
  {
    view: 'driver_builds_daily_mv',
    target: 'driver_builds_daily',
    finished: `SELECT day, product_number, build, host, anyLast(product_name) AS product_name,
      uniqExactMerge(guests) AS guests, sum(handshakes) AS handshakes,
      min(first_seen) AS first_seen, max(last_seen) AS last_seen
      FROM {source} GROUP BY day, product_number, build, host`,
  },
  {
    view: 'fleet_builds_daily_mv',
    target: 'fleet_builds_daily',
    finished: `SELECT day, product_number, build, anyLast(product_name) AS product_name,
      uniqExactMerge(guests) AS guests, uniqExactMerge(hosts) AS hosts,
      sum(handshakes) AS handshakes, min(first_seen) AS first_seen, max(last_seen) AS last_seen
      FROM {source} GROUP BY day, product_number, build`,
  },
  {
    view: 'latest_handshakes_mv',
    target: 'latest_handshakes',
    // Two handshakes of one guest ending in the same microsecond would tie; events never do.
    finished: `SELECT vm, argMax(tuple(end_time, dm, seq, result, product_number, build), end_time)
      AS latest FROM {source} GROUP BY vm`,
  },
  {
    view: 'blacklist_hits_daily_mv',
    target: 'blacklist_hits_daily',
    finished: `SELECT day, product_number, build, result, anyLast(product_name) AS product_name,
      sum(hits) AS hits, sum(unplug_applied) AS unplug_applied,
      uniqExactMerge(guests) AS guests, uniqExactMerge(hosts) AS hosts
      FROM {source} GROUP BY day, product_number, build, result`,
  },
];

/** The view's SELECT as ClickHouse holds it (from the migration), over the raw tables. */
export async function viewSelect(store: ClickHouseStore, view: string): Promise<string> {
  const rows = await store.query<{ as_select: string }>(
    `SELECT as_select FROM system.tables
     WHERE database = currentDatabase() AND name = {view:String} AND engine = 'MaterializedView'`,
    { view },
    { tag: 'view-select' },
  );
  const select = rows[0]?.as_select;
  if (select === undefined || select === '') {
    throw new Error(`materialized view ${view} is missing: run magicport migrate first`);
  }
  return select;
}
