import type { KafkaMessage } from 'kafkajs';
import type { ConsumedRecord } from './types';

/**
 * Shared by every record without headers (the agent's events have none): an object and two
 * arrays per record were a measurable part of the ingest's garbage. Frozen, so nothing can
 * write one record's header into all of them.
 */
const NO_HEADERS: Record<string, string> = Object.freeze({});

/** A kafkajs message as the bus hands it out: string key, header values as strings. */
export function consumedRecord(m: KafkaMessage): ConsumedRecord {
  return {
    key: m.key?.toString() ?? null,
    value: m.value ?? Buffer.alloc(0),
    headers: hasAny(m.headers)
      ? Object.fromEntries(Object.entries(m.headers).map(([k, v]) => [k, String(v ?? '')]))
      : NO_HEADERS,
    offset: m.offset,
    timestamp: Number(m.timestamp),
  };
}

function hasAny(headers: KafkaMessage['headers']): headers is NonNullable<typeof headers> {
  if (!headers) return false;
  for (const _ in headers) return true;
  return false;
}
