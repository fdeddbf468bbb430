import type { ClickHouseStore } from '@magicport/store';

/** Each report view read back, and the same computed from the raw handshakes table. */
const VIEW_CHECKS: Record<string, { view: string; raw: string }> = {
  driver_builds_daily: {
    view: `SELECT day, product_number, build, host, uniqExactMerge(guests) AS guests,
             sum(handshakes) AS handshakes, min(first_seen) AS first_seen, max(last_seen) AS last_seen
           FROM driver_builds_daily GROUP BY day, product_number, build, host
           ORDER BY day, product_number, build, host`,
    raw: `SELECT toDate(end_time) AS day, product_number, build, host, uniqExact(vm) AS guests,
            count() AS handshakes, min(end_time) AS first_seen, max(end_time) AS last_seen
          FROM handshakes GROUP BY day, product_number, build, host
          ORDER BY day, product_number, build, host`,
  },
  latest_handshakes: {
    view: 'SELECT vm, max(end_time) AS end_time FROM latest_handshakes GROUP BY vm ORDER BY vm',
    raw: 'SELECT vm, max(end_time) AS end_time FROM handshakes GROUP BY vm ORDER BY vm',
  },
  blacklist_hits_daily: {
    view: `SELECT day, product_number, build, result, sum(hits) AS hits,
             sum(unplug_applied) AS unplug_applied, uniqExactMerge(guests) AS guests,
             uniqExactMerge(hosts) AS hosts
           FROM blacklist_hits_daily GROUP BY day, product_number, build, result
           ORDER BY day, product_number, build, result`,
    raw: `SELECT toDate(end_time) AS day, product_number, build, result, count() AS hits,
            countIf(unplug_applied) AS unplug_applied, uniqExact(vm) AS guests,
            uniqExact(toString(host)) AS hosts
          FROM handshakes WHERE result IN ('blacklisted', 'blacklist-ignored')
          GROUP BY day, product_number, build, result
          ORDER BY day, product_number, build, result`,
  },
};

/** Per view: its rows and the recomputation's rows (equal when the view counted each insert once). */
export async function viewsAndRecomputations(
  store: ClickHouseStore,
): Promise<Record<string, { view: unknown[]; raw: unknown[] }>> {
  const out: Record<string, { view: unknown[]; raw: unknown[] }> = {};
  for (const [name, check] of Object.entries(VIEW_CHECKS)) {
    out[name] = { view: await store.query(check.view), raw: await store.query(check.raw) };
  }
  return out;
}
