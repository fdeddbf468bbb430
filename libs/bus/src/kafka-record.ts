import type { KafkaMessage } from 'kafkajs';
import type { ConsumedRecord } from './types';

/** A kafkajs message as the bus hands it out: string key, header values as strings. */
export function consumedRecord(m: KafkaMessage): ConsumedRecord {
  return {
    key: m.key?.toString() ?? null,
    value: m.value ?? Buffer.alloc(0),
    headers: Object.fromEntries(
      Object.entries(m.headers ?? {}).map(([k, v]) => [k, String(v ?? '')]),
    ),
    offset: m.offset,
    timestamp: Number(m.timestamp),
  };
}
