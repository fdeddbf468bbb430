import type { BusRecord, ConsumedRecord } from '@magicport/bus';
import {
  decodeEvent,
  DLQ_HEADERS,
  type DecodeErrorCode,
  type MagicportEvent,
} from '@magicport/events';

/** Why a record went to the DLQ: the codec's codes, plus records too large to store. */
export type DlqReason = DecodeErrorCode | 'oversize';

/** Per-record outcome as a value, routed in one place (the batch ingest). */
export type RecordOutcome =
  | { kind: 'event'; event: MagicportEvent; record: ConsumedRecord }
  | { kind: 'dlq'; code: DlqReason; reason: string; record: ConsumedRecord };

/** Decodes, validates and upcasts one record; never throws, whatever the bytes. */
export function routeRecord(record: ConsumedRecord, maxRecordBytes: number): RecordOutcome {
  if (record.value.length > maxRecordBytes) {
    return {
      kind: 'dlq',
      code: 'oversize',
      reason: `record is ${record.value.length} bytes, more than the ${maxRecordBytes} allowed`,
      record,
    };
  }
  const decoded = decodeEvent(record.value);
  return decoded.ok
    ? { kind: 'event', event: decoded.event, record }
    : { kind: 'dlq', code: decoded.code, reason: decoded.reason, record };
}

/** Longest reason kept in a header; the original bytes are in the record anyway. */
const MAX_REASON_CHARS = 2_000;

/**
 * The DLQ record of a bad one: its original key and bytes, its own headers kept, plus ours. Keyed
 * by its source coordinates, so a record re-published after a crash (the DLQ is at-least-once)
 * is recognisable as the same one (and a compacted DLQ would keep one).
 */
export function dlqRecord(
  outcome: Extract<RecordOutcome, { kind: 'dlq' }>,
  source: { topic: string; partition: number },
): BusRecord {
  const { record } = outcome;
  return {
    key: `${source.topic}/${source.partition}/${record.offset}`,
    value: record.value,
    headers: {
      ...record.headers,
      [DLQ_HEADERS.error]: outcome.reason.slice(0, MAX_REASON_CHARS),
      [DLQ_HEADERS.errorCode]: outcome.code,
      [DLQ_HEADERS.sourceTopic]: source.topic,
      [DLQ_HEADERS.sourcePartition]: String(source.partition),
      [DLQ_HEADERS.sourceOffset]: record.offset,
    },
  };
}
