import type { ClickHouseStore } from '../clickhouse-store';
import { REPORT_VIEWS, viewSelect } from './view-catalog';

export interface ViewDifference {
  view: string;
  target: string;
  /** Finished rows a recomputation from the raw tables has and the target lacks. */
  missing: number;
  /** Finished rows the target has and a recomputation lacks (e.g. double counts). */
  extra: number;
}

/** Compares every view's table with a recomputation from the raw tables; [] when all agree. */
export async function viewDifferences(store: ClickHouseStore): Promise<ViewDifference[]> {
  const differences: ViewDifference[] = [];
  for (const { view, target, finished } of REPORT_VIEWS) {
    const select = await viewSelect(store, view);
    const actual = finished.replace('{source}', target);
    const expected = finished.replace('{source}', `(${select})`);
    const [row] = await store.query<{ missing: string; extra: string }>(
      `SELECT
         (SELECT count() FROM (${expected} EXCEPT ${actual})) AS missing,
         (SELECT count() FROM (${actual} EXCEPT ${expected})) AS extra`,
      {},
      { tag: 'view-check' },
    );
    const missing = Number(row?.missing ?? 0);
    const extra = Number(row?.extra ?? 0);
    if (missing > 0 || extra > 0) differences.push({ view, target, missing, extra });
  }
  return differences;
}
