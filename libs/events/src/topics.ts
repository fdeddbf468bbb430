import type { MagicportEvent } from './envelope';

/** All guest events; record key = vm, so one guest's events stay in order on one partition. */
export const EVENTS_TOPIC = 'magicport.events.v1';
/** Blacklist changes, kept forever (the blacklist's source of truth); key = `{product}/{build}`. */
export const BLACKLIST_TOPIC = 'magicport.blacklist.v1';
/** Undecodable or invalid records: the original bytes plus the headers below. */
export const DLQ_TOPIC = 'magicport.dlq.v1';

/** Headers of a DLQ record: why it failed and where it came from. */
export const DLQ_HEADERS = {
  /** Human-readable reason, e.g. `/data/port: Expected integer to be less or equal to 31, got 32`. */
  error: 'magicport-error',
  /** A DecodeErrorCode such as `invalid-payload`. */
  errorCode: 'magicport-error-code',
  sourceTopic: 'magicport-source-topic',
  sourcePartition: 'magicport-source-partition',
  sourceOffset: 'magicport-source-offset',
} as const;

export function blacklistRecordKey(product: string, build: number): string {
  return `${product}/${build}`;
}

export function topicOf(event: MagicportEvent): string {
  return 'vm' in event ? EVENTS_TOPIC : BLACKLIST_TOPIC;
}

export function recordKeyOf(event: MagicportEvent): string {
  return 'vm' in event ? event.vm : blacklistRecordKey(event.data.product, event.data.build);
}
