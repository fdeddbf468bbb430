import type { ClickHouseStore } from '../clickhouse-store';
import { REPORT_VIEWS, viewSelect } from './view-catalog';

export type RebuildProgress = (done: number, total: number, what: string) => void;

/**
 * Recomputes every materialized view's table from the raw tables: each is built into a fresh
 * `{target}_rebuild` with the view's own SELECT, then swapped in with EXCHANGE TABLES (atomic;
 * the views write by name, so they write the new table from then on) and the old one dropped.
 * Reads go on throughout. Rows inserted while a table is being rebuilt reach the old table only
 * and are missing after the swap: stop the ingest first (embedded chDB: it cannot run beside a
 * server on the same path anyway), or rebuild again.
 */
export async function rebuildViews(
  store: ClickHouseStore,
  onProgress: RebuildProgress = () => undefined,
): Promise<void> {
  const total = REPORT_VIEWS.length * 2;
  let done = 0;
  for (const { view, target } of REPORT_VIEWS) {
    const select = await viewSelect(store, view);
    const fresh = `${target}_rebuild`;
    onProgress(done, total, `recomputing ${target}`);
    // A crashed earlier rebuild leaves its half-filled table behind.
    await store.command(`DROP TABLE IF EXISTS ${fresh}`, {}, { tag: 'rebuild' });
    await store.command(`CREATE TABLE ${fresh} AS ${target}`, {}, { tag: 'rebuild' });
    await store.command(`INSERT INTO ${fresh} ${select}`, {}, { tag: 'rebuild' });
    onProgress(++done, total, `swapping in ${target}`);
    await store.command(`EXCHANGE TABLES ${fresh} AND ${target}`, {}, { tag: 'rebuild' });
    await store.command(`DROP TABLE ${fresh}`, {}, { tag: 'rebuild' });
    onProgress(++done, total, `rebuilt ${target}`);
  }
}
