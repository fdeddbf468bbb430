import type { ClickHouseStore } from '../clickhouse-store';
import type { JsonRowsBlock } from './json-rows-block';
import { RAW_COLUMNS, type RawTable } from './raw-tables';

/**
 * Inserts rawRow() rows of one table as one block, deduplicated by `dedupToken` (in the
 * statement, with deduplicate_blocks_in_dependent_materialized_views = 1 so the views see a
 * retried block once too). Transient failures are retried with the identical rows and token.
 */
export async function insertRawRows(
  store: ClickHouseStore,
  table: RawTable,
  rows: readonly object[],
  dedupToken: string,
): Promise<void> {
  await store.insert(table, rows, {
    dedupToken,
    columns: RAW_COLUMNS[table],
    tag: `insert-${table}`,
  });
}

/**
 * The same for rows already written as JSON by rawRowJson(): one row per element. The faster
 * path; the rows must be exactly what rawRowJson() returns for events of this table.
 */
export async function insertRawJson(
  store: ClickHouseStore,
  table: RawTable,
  rows: readonly string[],
  dedupToken: string,
): Promise<void> {
  if (rows.length === 0) return;
  await store.insertJsonEachRow(table, rows.join('\n'), {
    dedupToken,
    columns: RAW_COLUMNS[table],
    tag: `insert-${table}`,
  });
}

/** The same for rows collected in a JsonRowsBlock (the ingest's path). */
export async function insertRawJsonBlock(
  store: ClickHouseStore,
  table: RawTable,
  block: JsonRowsBlock,
  dedupToken: string,
): Promise<void> {
  if (block.count === 0) return;
  await store.insertJsonEachRow(table, block.bytes(), {
    dedupToken,
    columns: RAW_COLUMNS[table],
    tag: `insert-${table}`,
  });
}
