import { framedRecords, type FramedRecords } from './framed-records';
import {
  PartitionLostError,
  type Bus,
  type BusRecord,
  type ConsumedRecord,
  type ScanVisitor,
  type SubscribeOptions,
  type Subscription,
  type TopicSpec,
} from './types';

interface Partition {
  /** Offset of records[0]; records below it were consumed by every group and released. */
  base: number;
  records: ConsumedRecord[];
}

interface Topic {
  spec: TopicSpec;
  keepForever: boolean;
  partitions: Partition[];
  groups: Map<string, GroupState>;
}

interface GroupState {
  committed: number[];
  /** Commit metadata per partition, replaced by every commit. */
  metadata: (string | null)[];
  /** Bumped whenever a member takes the partitions over: commits of an earlier one are refused. */
  generation: number;
  /** The one member that owns every partition; later members of the group wait as standbys. */
  members: Member[];
}

interface Member {
  options: SubscribeOptions;
  stopped: boolean;
  wake: (() => void) | null;
  /** Next offset to deliver per partition, while this member owns the partitions. */
  position: number[] | null;
}

const MAX_BATCH = 5_000;
const RETRY_MIN_MS = 50;
const RETRY_MAX_MS = 5_000;

/** FNV-1a: a stable key -> partition mapping so one key's records keep their order. */
export function partitionForKey(
  key: string | null,
  partitions: number,
  roundRobin: number,
): number {
  if (key === null) return roundRobin % partitions;
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % partitions;
}

/**
 * The bus of the embedded mode: Kafka's semantics (partitions by key, consumer groups,
 * offsets committed after the handler resolves, redelivery on failure) in one process.
 * Records live in memory; partitions are released up to the lowest committed offset (down to the
 * newest `retainWithoutReaders` when no group reads the topic, so memory stays bounded) unless the
 * topic is kept forever (`retention.ms = -1`).
 */
export class InProcessBus implements Bus {
  readonly kind = 'in-process' as const;
  readonly maxPublishBytes = Number.POSITIVE_INFINITY;
  private readonly topics = new Map<string, Topic>();
  private roundRobin = 0;
  private closed = false;

  constructor(
    private readonly options: { retainWithoutReaders: number } = { retainWithoutReaders: 100_000 },
  ) {}

  async ensureTopics(specs: readonly TopicSpec[]): Promise<void> {
    for (const spec of specs) {
      if (this.topics.has(spec.topic)) continue;
      if (!Number.isInteger(spec.partitions) || spec.partitions < 1) {
        throw new Error(
          `topic ${spec.topic}: partitions must be a positive integer, got ${spec.partitions}`,
        );
      }
      this.topics.set(spec.topic, {
        spec,
        keepForever: spec.configs?.['retention.ms'] === '-1',
        partitions: Array.from({ length: spec.partitions }, () => ({ base: 0, records: [] })),
        groups: new Map(),
      });
    }
  }

  publishFramed(topic: string, batch: FramedRecords): Promise<void> {
    return this.publish(topic, framedRecords(batch));
  }

  async publish(topicName: string, records: readonly BusRecord[]): Promise<void> {
    const topic = this.topic(topicName);
    const now = Date.now();
    for (const record of records) {
      const p = partitionForKey(record.key, topic.partitions.length, this.roundRobin++);
      const partition = topic.partitions[p]!;
      partition.records.push({
        key: record.key,
        value: record.value,
        headers: record.headers ?? {},
        offset: String(partition.base + partition.records.length),
        timestamp: now,
      });
    }
    for (const group of topic.groups.values()) group.members[0]?.wake?.();
    if (topic.groups.size === 0) this.release(topic);
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    const topic = this.topic(options.topic);
    let group = topic.groups.get(options.groupId);
    if (!group) {
      const start = (p: Partition) => (options.fromBeginning ? p.base : p.base + p.records.length);
      group = {
        committed: topic.partitions.map(start),
        metadata: topic.partitions.map(() => null),
        generation: 0,
        members: [],
      };
      topic.groups.set(options.groupId, group);
    }
    const member: Member = { options, stopped: false, wake: null, position: null };
    group.members.push(member);
    const state = group;
    const running = this.run(topic, state, member);
    return {
      // Like Kafka's consumer: the batch in flight finishes (and commits) before stop resolves.
      stop: async () => {
        member.stopped = true;
        member.wake?.();
        const index = state.members.indexOf(member);
        if (index >= 0) state.members.splice(index, 1);
        state.members[0]?.wake?.();
        await running;
      },
    };
  }

  async endOffsets(topicName: string): Promise<Map<number, string>> {
    const topic = this.topic(topicName);
    return new Map(topic.partitions.map((p, i) => [i, String(p.base + p.records.length)]));
  }

  /**
   * The records still held: those every group has consumed may have been released already (a
   * scan cannot see them), unless the topic is kept forever.
   */
  async scanSince(
    topicName: string,
    sinceMs: number,
    visit: ScanVisitor,
    keys?: ReadonlySet<string>,
  ): Promise<void> {
    const topic = this.topic(topicName);
    const ends = topic.partitions.map((p) => p.records.length);
    const wanted = keys
      ? new Set([...keys].map((k) => partitionForKey(k, topic.partitions.length, 0)))
      : null;
    topic.partitions.forEach((partition, p) => {
      if (wanted && !wanted.has(p)) return;
      const first = partition.records.findIndex((r) => r.timestamp >= sinceMs);
      if (first < 0) return;
      for (let i = first; i < ends[p]!; i++) visit(partition.records[i]!, p);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const topic of this.topics.values()) {
      for (const group of topic.groups.values()) for (const m of group.members) m.stopped = true;
      for (const group of topic.groups.values()) for (const m of group.members) m.wake?.();
    }
  }

  private topic(name: string): Topic {
    const topic = this.topics.get(name);
    if (!topic) throw new Error(`unknown topic ${name}: call ensureTopics first`);
    return topic;
  }

  private async run(topic: Topic, group: GroupState, member: Member): Promise<void> {
    let retryMs = RETRY_MIN_MS;
    const stale = () => member.stopped || this.closed || group.members[0] !== member;
    while (!member.stopped && !this.closed) {
      if (group.members[0] !== member) {
        member.position = null;
        await this.sleepUntilWoken(member);
        continue;
      }
      if (!member.position) {
        // Owning the partitions now: read on from what the group committed, as Kafka does.
        group.generation++;
        member.position = [...group.committed];
        member.options.onAssignment?.(topic.partitions.map((_, p) => p));
      }
      const position = member.position;
      const generation = group.generation;
      let progressOrRetry = false;
      for (let p = 0; p < topic.partitions.length && !stale(); p++) {
        const partition = topic.partitions[p]!;
        const from = position[p]! - partition.base;
        if (from >= partition.records.length) continue;
        const records = partition.records.slice(from, from + MAX_BATCH);
        const highWatermark = String(partition.base + partition.records.length);
        try {
          const outcome = await member.options.onBatch({
            topic: topic.spec.topic,
            partition: p,
            records,
            highWatermark,
            isStale: stale,
            commit: async (offset, metadata) => {
              if (!this.commit(group, generation, p, offset, metadata ?? null)) {
                throw new PartitionLostError(
                  `partition ${p} of ${topic.spec.topic} was taken over by another member`,
                );
              }
            },
            committed: async () => ({
              offset: String(group.committed[p]),
              metadata: group.metadata[p] ?? null,
            }),
          });
          const next = Number(records[records.length - 1]!.offset) + 1;
          position[p] = next;
          const commit = outcome ? outcome.commit : String(next);
          // Commits name work the handler has finished, so a member that is draining may still
          // commit, until another member has taken the partitions over (as Kafka refuses a
          // commit of an ended generation).
          if (commit !== null) this.commit(group, generation, p, commit, null);
          retryMs = RETRY_MIN_MS;
        } catch {
          // Redeliver the same batch after a pause: the handler decides what is poison (DLQ).
          await new Promise((r) => setTimeout(r, retryMs));
          retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
        }
        progressOrRetry = true;
      }
      this.release(topic);
      if (!progressOrRetry) await this.sleepUntilWoken(member);
    }
  }

  /** False (nothing changed) when the committing member's generation is over. */
  private commit(
    group: GroupState,
    generation: number,
    partition: number,
    offset: string,
    metadata: string | null,
  ): boolean {
    if (generation !== group.generation) return false;
    group.committed[partition] = Number(offset);
    group.metadata[partition] = metadata;
    return true;
  }

  private sleepUntilWoken(member: Member): Promise<void> {
    return new Promise((resolve) => {
      member.wake = () => {
        member.wake = null;
        resolve();
      };
    });
  }

  private release(topic: Topic): void {
    if (topic.keepForever) return;
    topic.partitions.forEach((partition, p) => {
      const end = partition.base + partition.records.length;
      let lowest = topic.groups.size === 0 ? end - this.options.retainWithoutReaders : end;
      for (const group of topic.groups.values()) lowest = Math.min(lowest, group.committed[p]!);
      const drop = lowest - partition.base;
      if (drop >= 1024) {
        partition.records.splice(0, drop);
        partition.base = lowest;
      }
    });
  }
}
