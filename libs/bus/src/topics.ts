import { BLACKLIST_TOPIC, DLQ_TOPIC, EVENTS_TOPIC } from '@magicport/events';
import type { TopicSpec } from './types';

export interface TopicLayout {
  eventPartitions: number;
}

/**
 * The topics magicport needs. The blacklist topic is its source of truth, so it is kept
 * forever and never compacted (compaction would erase who changed what and why); one partition
 * gives its changes a single total order.
 */
export function magicportTopics(layout: TopicLayout = { eventPartitions: 12 }): TopicSpec[] {
  return [
    {
      topic: EVENTS_TOPIC,
      partitions: layout.eventPartitions,
      configs: { 'compression.type': 'producer', 'max.message.bytes': String(8 * 1024 * 1024) },
    },
    {
      topic: BLACKLIST_TOPIC,
      partitions: 1,
      configs: { 'retention.ms': '-1', 'retention.bytes': '-1', 'cleanup.policy': 'delete' },
    },
    { topic: DLQ_TOPIC, partitions: 1, configs: { 'retention.ms': String(30 * 24 * 3600 * 1000) } },
  ];
}
