import { BLACKLIST_TOPIC, EVENTS_TOPIC } from '@magicport/events';
import type { MagicportConfig } from '@magicport/config';
import { TopicIngest, type TopicIngestOptions, type TopicIngestPorts } from './topic-ingest';

export type IngestSettings = MagicportConfig['ingest'] & {
  /** Appended to topic names in dedup tokens (embedded mode: a run id; see TopicIngestOptions). */
  tokenSuffix?: string;
  drainTimeoutMs?: number;
  /** Publish bad records to the DLQ (off when replaying a topic whose bad records are there). */
  deadLetters?: boolean;
  retry?: TopicIngestOptions['retry'];
  topics?: readonly string[];
  /** kafkajs's rebalance timeout (tests shorten it to drop a stuck member quickly). */
  rebalanceTimeoutMs?: number;
};

/**
 * The consumer group of one topic's ingest: the configured one for the events topic, a group of
 * its own for every other topic (kafkajs's assigner expects all members of a group to subscribe
 * to the same topics).
 */
export function ingestGroupId(groupId: string, topic: string): string {
  return topic === EVENTS_TOPIC ? groupId : `${groupId}.${topic}`;
}

/** The ingest of every magicport topic: guest events and blacklist changes, the same way. */
export class Ingest {
  readonly topics: TopicIngest[];

  constructor(settings: IngestSettings, ports: TopicIngestPorts) {
    const topics = settings.topics ?? [EVENTS_TOPIC, BLACKLIST_TOPIC];
    this.topics = topics.map(
      (topic) =>
        new TopicIngest(
          {
            topic,
            groupId: ingestGroupId(settings.groupId, topic),
            tokenTopic: settings.tokenSuffix ? `${topic}~${settings.tokenSuffix}` : topic,
            maxRangeRows: settings.maxRangeRows,
            maxRecordBytes: settings.maxRecordBytes,
            partitionsConcurrently: settings.partitionsConcurrently,
            retry: settings.retry ?? { initialDelayMs: 200, maxDelayMs: 5_000 },
            drainTimeoutMs: settings.drainTimeoutMs ?? 10_000,
            dedup: settings.dedup,
            deadLetters: settings.deadLetters ?? true,
            sessionTimeoutMs: settings.sessionTimeoutMs,
            rebalanceTimeoutMs: settings.rebalanceTimeoutMs,
          },
          ports,
        ),
    );
  }

  async start(): Promise<void> {
    for (const topic of this.topics) await topic.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.topics.map((t) => t.stop()));
  }

  /** Every topic's consumer has joined its group and been assigned (its share of) partitions. */
  get joined(): boolean {
    return this.topics.every((t) => t.joined);
  }

  assignment(): Record<string, readonly number[]> {
    return Object.fromEntries(this.topics.map((t) => [t.topic, t.partitions]));
  }
}
