import type { ConsumedBatch } from '@magicport/bus';
import type { EventType, MagicportEvent } from '@magicport/events';
import type { OffsetRange } from './partition-ranges';

import type { JsonRowsBlock, RecordSource } from '@magicport/store';

/** The raw tables, one per event kind (the store's converters behind a port). */
export interface RawSink {
  tableOf(type: EventType): string;
  /** The row as JSONEachRow text. */
  rowOf(event: MagicportEvent, source: RecordSource): string;
  /** One insert; the same token with the same rows is stored once. */
  insert(table: string, rows: JsonRowsBlock, dedupToken: string): Promise<void>;
}

/**
 * The durable per-(group, topic, partition) record of the range being inserted. `record` must be
 * refused once another member owns the partition (see range-log.ts).
 */
export interface RangeLog {
  load(batch: ConsumedBatch): Promise<OffsetRange | null>;
  record(batch: ConsumedBatch, range: OffsetRange): Promise<void>;
}

/** What the ingest reports; the metrics module implements it with prom-client. */
export interface IngestObserver {
  ingested(type: string, count: number): void;
  deadLettered(reason: string, count: number): void;
  rangeRows(rows: number): void;
  insertSeconds(table: string, seconds: number): void;
  lag(topic: string, partition: number, lag: number): void;
  retried(operation: string): void;
  assigned(topic: string, partitions: readonly number[]): void;
}

/** pino's call shape, so the ingest logs structured lines without depending on pino. */
export interface IngestLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}
