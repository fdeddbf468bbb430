import { randomUUID } from 'node:crypto';
import {
  PartitionLostError,
  type BatchOutcome,
  type Bus,
  type ConsumedBatch,
  type ConsumedRecord,
  type Subscription,
} from '@magicport/bus';
import { DLQ_TOPIC, type MagicportEvent } from '@magicport/events';
import { JsonRowsBlock } from '@magicport/store';
import type { IngestLog, IngestObserver, RangeLog, RawSink } from './ingest-ports';
import {
  commitOffsetAfter,
  consumerLag,
  dedupToken,
  startingState,
  takeRanges,
  type PartitionState,
  type PlannedRange,
} from './partition-ranges';
import { dlqRecord, routeRecord, type RecordOutcome } from './record-routing';
import { retryUntilDone, type RetryPolicy } from './store-retry';

export interface TopicIngestOptions {
  topic: string;
  groupId: string;
  /**
   * The topic's name in dedup tokens. Kafka's topic name is enough; the in-process bus starts
   * its offsets at 0 in every process, so embedded mode adds a run id (or a rerun's ranges would
   * be dropped as duplicates of the last run's).
   */
  tokenTopic: string;
  maxRangeRows: number;
  maxRecordBytes: number;
  partitionsConcurrently: number;
  retry: RetryPolicy;
  /** After stop() begins, how long a batch may keep retrying the store before it gives up. */
  drainTimeoutMs: number;
  /** Off only for the control experiment that shows what the tokens prevent. */
  dedup: boolean;
  /** Publish bad records to the DLQ; off, they are only counted (a replay's were sent before). */
  deadLetters: boolean;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs?: number;
}

export interface TopicIngestPorts {
  bus: Bus;
  sink: RawSink;
  ranges: RangeLog;
  observer: IngestObserver;
  log: IngestLog;
}

/** A partition whose batch gave up (rebalance, shutdown): ignored until the next assignment. */
type Slot = PartitionState<ConsumedRecord> | { mode: 'suspended' };

/**
 * Ingests one topic into the raw tables, exactly once: each partition's records are cut into
 * ranges that are recorded before insert, inserted per kind with a token derived from the range,
 * and committed after (each range before the next is recorded).
 */
export class TopicIngest {
  private readonly slots = new Map<number, Slot>();
  private subscription: Subscription | null = null;
  private stopDeadline: number | null = null;
  private owned: readonly number[] = [];
  /** Bumped by every assignment: a batch of an earlier one must not touch the slots. */
  private generation = 0;
  private consumedAny = false;

  constructor(
    private readonly options: TopicIngestOptions,
    private readonly ports: TopicIngestPorts,
  ) {}

  get topic(): string {
    return this.options.topic;
  }

  /** Partitions this member owns now. */
  get partitions(): readonly number[] {
    return this.owned;
  }

  /** Whether the group has assigned this member anything yet (readiness). */
  get joined(): boolean {
    return this.consumedAny || this.owned.length > 0;
  }

  async start(): Promise<void> {
    this.subscription = await this.ports.bus.subscribe({
      topic: this.options.topic,
      groupId: this.options.groupId,
      fromBeginning: true,
      partitionsConcurrently: this.options.partitionsConcurrently,
      // Each range costs two commits (its record and its end) and an insert per kind, so ranges
      // should be big; 8 MiB (64 MiB fetches) measured no faster and peaked at 3.6 GB RSS.
      maxBytesPerPartition: 4 * 1024 * 1024,
      sessionTimeoutMs: this.options.sessionTimeoutMs,
      rebalanceTimeoutMs: this.options.rebalanceTimeoutMs,
      onAssignment: (partitions) => this.onAssignment(partitions),
      onBatch: (batch) => this.onBatch(batch),
    });
  }

  /** Finishes (and commits) the batches in flight, giving up on the store after the drain timeout. */
  async stop(): Promise<void> {
    this.stopDeadline = Date.now() + this.options.drainTimeoutMs;
    const subscription = this.subscription;
    this.subscription = null;
    await subscription?.stop();
  }

  private onAssignment(partitions: readonly number[]): void {
    // Reading resumes at the committed offsets: whatever was held back is delivered again.
    this.generation++;
    this.slots.clear();
    this.owned = [...partitions].sort((a, b) => a - b);
    this.consumedAny = true;
    this.ports.observer.assigned(this.options.topic, this.owned);
    this.ports.log.info(
      { topic: this.options.topic, group: this.options.groupId, partitions: this.owned },
      'partitions assigned',
    );
  }

  private async onBatch(batch: ConsumedBatch): Promise<BatchOutcome> {
    const { partition } = batch;
    const generation = this.generation;
    // Slots belong to the assignment they were made in; a batch that outlived its own leaves
    // the next assignment's slots alone.
    const setSlot = (slot: Slot) => {
      if (generation === this.generation) this.slots.set(partition, slot);
    };
    const suspend = (): BatchOutcome => {
      const current = generation === this.generation;
      setSlot({ mode: 'suspended' });
      this.ports.log.info(
        { topic: batch.topic, partition, first: batch.records[0]?.offset, current },
        'batch given up (partition lost, or stopping); the partition waits for its next assignment',
      );
      return { commit: null };
    };
    let slot = this.slots.get(partition);
    if (slot?.mode === 'suspended') return { commit: null };
    if (!slot) {
      const loaded = await this.persist('range-load', batch, () => this.ports.ranges.load(batch));
      if (!loaded.done || batch.isStale()) return suspend();
      slot = startingState<ConsumedRecord>(loaded.value);
      if (loaded.value) {
        this.ports.log.info(
          {
            topic: batch.topic,
            partition,
            recorded: `${loaded.value.first}-${loaded.value.last}`,
            firstDelivered: batch.records[0]?.offset,
          },
          'a range recorded but not committed: rebuilding it exactly before anything new',
        );
      }
    }
    const step = takeRanges(slot, batch.records, this.options.maxRangeRows);
    if (step.warning) {
      this.ports.log.warn(
        { topic: batch.topic, partition, group: this.options.groupId },
        step.warning.message,
      );
    }
    setSlot(step.state);
    for (const planned of step.ranges) {
      if (!(await this.ingestRange(batch, planned))) return suspend();
      this.ports.observer.lag(
        batch.topic,
        partition,
        consumerLag(batch.highWatermark, planned.range.last + 1n),
      );
    }
    return { commit: null };
  }

  /** Record (unless rebuilding), dead-letter, insert per kind, commit. False: gave up. */
  private async ingestRange(
    batch: ConsumedBatch,
    planned: PlannedRange<ConsumedRecord>,
  ): Promise<boolean> {
    const { topic, partition } = batch;
    const { range } = planned;
    if (!planned.recorded) {
      // A member that may have lost the partition starts no range (the new owner would cut the
      // same offsets differently), nor one that is stopping. This check is only a shortcut: the
      // record itself is refused once the partition has moved on, whatever this member knows.
      if (batch.isStale() || this.stopDeadline !== null) return false;
      const recorded = await this.persist('range-record', batch, () =>
        this.ports.ranges.record(batch, range),
      );
      if (!recorded.done) return false;
    }
    const { byTable, dead } = this.split(batch, planned.records);
    if (dead.length > 0) {
      if (this.options.deadLetters) {
        const records = dead.map((d) => dlqRecord(d, { topic, partition }));
        const published = await this.persist('dlq-publish', batch, () =>
          this.ports.bus.publish(DLQ_TOPIC, records),
        );
        if (!published.done) return false;
      }
      const reasons = new Map<string, number>();
      for (const d of dead) reasons.set(d.code, (reasons.get(d.code) ?? 0) + 1);
      for (const [reason, count] of reasons) this.ports.observer.deadLettered(reason, count);
      this.ports.log.warn(
        {
          topic,
          partition,
          first: String(range.first),
          last: String(range.last),
          dead: Object.fromEntries(reasons),
        },
        'records sent to the DLQ',
      );
    }
    for (const [table, part] of byTable) {
      const token = this.token(partition, range, table);
      const began = process.hrtime.bigint();
      const inserted = await this.persist('insert', batch, () =>
        this.ports.sink.insert(table, part.rows, token),
      );
      if (!inserted.done) return false;
      this.ports.observer.insertSeconds(table, Number(process.hrtime.bigint() - began) / 1e9);
      for (const [type, count] of part.types) this.ports.observer.ingested(type, count);
    }
    this.ports.observer.rangeRows(planned.records.length);
    const committed = await this.persist('commit', batch, () =>
      batch.commit(commitOffsetAfter(range)),
    );
    return committed.done;
  }

  private split(
    batch: ConsumedBatch,
    records: readonly ConsumedRecord[],
  ): {
    byTable: Map<string, { rows: JsonRowsBlock; types: Map<string, number> }>;
    dead: Extract<RecordOutcome, { kind: 'dlq' }>[];
  } {
    const byTable = new Map<string, { rows: JsonRowsBlock; types: Map<string, number> }>();
    const dead: Extract<RecordOutcome, { kind: 'dlq' }>[] = [];
    for (const record of records) {
      const outcome = routeRecord(record, this.options.maxRecordBytes);
      if (outcome.kind === 'dlq') {
        dead.push(outcome);
        continue;
      }
      const event: MagicportEvent = outcome.event;
      const table = this.ports.sink.tableOf(event.type);
      let part = byTable.get(table);
      if (!part) byTable.set(table, (part = { rows: new JsonRowsBlock(), types: new Map() }));
      part.rows.append(
        this.ports.sink.rowOf(event, {
          topic: batch.topic,
          partition: batch.partition,
          offset: record.offset,
        }),
      );
      part.types.set(event.type, (part.types.get(event.type) ?? 0) + 1);
    }
    return { byTable, dead };
  }

  private token(partition: number, range: { first: bigint; last: bigint }, kind: string): string {
    const token = dedupToken(this.options.tokenTopic, partition, range, kind);
    return this.options.dedup ? token : `${token}-${randomUUID()}`;
  }

  private persist<T>(operation: string, batch: ConsumedBatch, work: () => Promise<T>) {
    return retryUntilDone(work, {
      policy: this.options.retry,
      // The group refused a commit: the partition is another member's now, retrying is futile.
      hopeless: (error) => error instanceof PartitionLostError,
      abandoned: () =>
        batch.isStale() || (this.stopDeadline !== null && Date.now() > this.stopDeadline),
      onRetry: (error, attempt, delayMs) => {
        this.ports.observer.retried(operation);
        this.ports.log.warn(
          {
            topic: batch.topic,
            partition: batch.partition,
            operation,
            attempt,
            delayMs,
            err: describe(error),
          },
          `${operation} failed; retrying`,
        );
      },
      onGiveUp: (error) => {
        this.ports.log.info(
          { topic: batch.topic, partition: batch.partition, operation, err: describe(error) },
          `${operation} refused: the partition has moved to another member`,
        );
      },
    });
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
