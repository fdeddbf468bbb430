import type { FramedRecords } from './framed-records';

/** A record to publish. One key's records keep their order (same partition). */
export interface BusRecord {
  key: string | null;
  value: Buffer;
  headers?: Record<string, string>;
}

export interface ConsumedRecord extends BusRecord {
  offset: string;
  /** Broker or append time, ms since epoch. */
  timestamp: number;
}

/** Records of one partition over a contiguous offset range, in offset order. */
export interface ConsumedBatch {
  topic: string;
  partition: number;
  records: ConsumedRecord[];
  /** Offset after the last record currently in the partition (the high watermark). */
  highWatermark: string;
  /**
   * True once this member may have lost the partition (a rebalance began, or the subscription is
   * stopping): a handler that is still waiting (e.g. retrying a store) should give up, and must
   * not start new work whose effects another member could repeat differently.
   */
  isStale(): boolean;
  /**
   * Commits `offset` (the next one to read) for this partition now, before the batch resolves:
   * for a handler that stores a batch in several steps and acknowledges each. `metadata` is kept
   * with the offset (Kafka's offset commit metadata) until the next commit replaces it.
   *
   * Fenced: once the group has given the partition to another member (a later generation), the
   * commit is refused with PartitionLostError, whatever this member believes. This is what makes
   * a commit usable as a claim: a commit that succeeded happened before the new owner started
   * reading, so the new owner sees it in `committed()`.
   */
  commit(offset: string, metadata?: string): Promise<void>;
  /** The group's committed offset of this partition (null: none yet) and its metadata. */
  committed(): Promise<CommittedOffset>;
}

export interface CommittedOffset {
  offset: string | null;
  metadata: string | null;
}

/**
 * What to commit after a batch: the offset of the next record to read (Kafka's convention), or
 * null to commit nothing new. The records are not re-delivered either way while this member
 * keeps the partition: a handler that holds records back keeps them itself.
 */
export interface BatchOutcome {
  commit: string | null;
}

export interface SubscribeOptions {
  topic: string;
  /** Consumer group; members of one group share the partitions. */
  groupId: string;
  /** Where a group with no committed offset starts. */
  fromBeginning: boolean;
  /**
   * How long the group waits for a member that stopped heartbeating (Kafka's default 30 s). A
   * group of one that rejoins after an outage waits this long for its own former member.
   */
  sessionTimeoutMs?: number;
  /**
   * How long a rebalance waits for every member to rejoin (kafkajs's default 60 s); a member
   * still busy with a batch after that is dropped from the group, and its partitions move on.
   */
  rebalanceTimeoutMs?: number;
  /**
   * Called once per batch, never concurrently for one partition. Resolving with nothing commits
   * the offset after the batch's last record; resolving with a BatchOutcome commits exactly what
   * it says. Nothing is committed before it resolves; a rejection re-delivers the batch.
   */
  onBatch(batch: ConsumedBatch): Promise<void | BatchOutcome>;
  /**
   * Called with the partitions this member owns after every (re)assignment, before their next
   * batch. Every batch delivered before is void: reading resumes at the committed offsets, so a
   * handler drops whatever it held back of them.
   */
  onAssignment?(partitions: readonly number[]): void;
  /** kafkajs's partitionsConsumedConcurrently (default 1); the in-process bus ignores it. */
  partitionsConcurrently?: number;
  /** Most bytes fetched per partition per request (kafkajs's default 1 MiB). */
  maxBytesPerPartition?: number;
}

export interface Subscription {
  stop(): Promise<void>;
}

export interface TopicSpec {
  topic: string;
  partitions: number;
  /** Broker topic configs, e.g. `{ 'retention.ms': '-1' }`. */
  configs?: Record<string, string>;
}

export type ScanVisitor = (record: ConsumedRecord, partition: number) => void;

/** The one publish/subscribe seam: Kafka in the distributed mode, in-process when embedded. */
export interface Bus {
  readonly kind: 'kafka' | 'in-process';
  /** The most record bytes one publish should carry (the broker refuses larger batches). */
  readonly maxPublishBytes: number;
  ensureTopics(specs: readonly TopicSpec[]): Promise<void>;
  /** Resolves once every record is durably acknowledged (acks=all on Kafka). */
  publish(topic: string, records: readonly BusRecord[]): Promise<void>;
  /** `publish` of records framed as a journal holds them (see FramedRecords). */
  publishFramed(topic: string, batch: FramedRecords): Promise<void>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /** Offset after the last record of each partition. */
  endOffsets(topic: string): Promise<Map<number, string>>;
  /**
   * Visits every record of every partition of `topic` from the first offset whose timestamp is
   * at or after `sinceMs` up to the end offsets taken when the scan starts, in offset order per
   * partition; records appended meanwhile are not visited. Reads only: no group offsets are
   * committed. (How a publisher that crashed mid-publish learns which of its records arrived.)
   * With `keys`, only the partitions those keys map to are read: the partitions the records
   * in question can be on, not every partition of a fleet-wide topic.
   */
  scanSince(
    topic: string,
    sinceMs: number,
    visit: ScanVisitor,
    keys?: ReadonlySet<string>,
  ): Promise<void>;
  close(): Promise<void>;
}

/**
 * A publish whose fate is unknown and whose retry the broker would not recognise: the producer
 * that sent it is gone (e.g. the publish worker thread died), so an identical re-send gets new
 * producer sequence numbers. Check the topic before sending again.
 */
/**
 * A commit the group refused because this member no longer owns the partition (its generation is
 * over): the batch is void, and the partition's new owner resumes from the committed offset.
 */
export class PartitionLostError extends Error {
  override readonly name = 'PartitionLostError';
}

export class PublishOutcomeUnknownError extends Error {
  override readonly name = 'PublishOutcomeUnknownError';
}
