import {
  insertRawJsonBlock,
  rawRowJson,
  rawTableOf,
  type ClickHouseStore,
  type RawTable,
} from '@magicport/store';
import type { RawSink } from './ingest-ports';

/** The store's raw tables behind the ingest's port: rows written as JSON text once. */
export function clickHouseRawSink(store: ClickHouseStore): RawSink {
  return {
    tableOf: rawTableOf,
    rowOf: rawRowJson,
    insert: (table, rows, token) => insertRawJsonBlock(store, table as RawTable, rows, token),
  };
}
