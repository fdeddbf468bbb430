import { promisify } from 'node:util';
import { gzip as gzipCallback, unzip as unzipCallback } from 'node:zlib';
import {
  CompressionCodecs,
  CompressionTypes,
  Kafka,
  logLevel,
  type Admin,
  type Consumer,
  type EachBatchPayload,
  type ISocketFactory,
  type LogEntry,
  type Message,
  type Producer,
} from 'kafkajs';
import { framedRecords, type FramedRecords } from './framed-records';
import { createMemoPartitioner, KeyBuffers } from './partitioner';
import { consumedRecord } from './kafka-record';
import { scanKafkaSince } from './kafka-scan';
import {
  PartitionLostError,
  PublishOutcomeUnknownError,
  type Bus,
  type CommittedOffset,
  type BusRecord,
  type ScanVisitor,
  type SubscribeOptions,
  type Subscription,
  type TopicSpec,
} from './types';

export interface KafkaBusConfig {
  brokers: string[];
  clientId: string;
  /** Send when this many bytes are waiting... */
  batchBytes: number;
  /** ...or when the oldest waiting record is this old. */
  lingerMs: number;
  compression: 'none' | 'gzip';
  /** Where kafkajs warnings and errors go (one line each); default stderr. */
  log?: (line: string) => void;
  /** kafkajs's socket factory (tests wrap the real connection to inject faults). */
  socketFactory?: ISocketFactory;
}

const gzip = promisify(gzipCallback);
const unzip = promisify(unzipCallback);

/**
 * kafkajs gzips at zlib's default level 6. Level 1 keeps most of the ratio on JSON events and
 * costs far less CPU on the agent's one thread: with 10k-record sends, 95k events/s against
 * 76k/s at level 6 on the benchmark machine. (kafkajs keeps codecs in a process-wide table.)
 */
CompressionCodecs[CompressionTypes.GZIP] = () => ({
  compress: (encoder: { buffer: Buffer }) => gzip(encoder.buffer, { level: 1 }),
  decompress: (buffer: Buffer) => unzip(buffer),
});

/**
 * kafkajs reports these retriable or by-design conditions at WARN/ERROR; they are not news.
 * "Limiting retries for the idempotent producer may invalidate EoS guarantees" is logged for
 * every producer we create: retries are limited on purpose (unlimited ones would hang a send
 * through a whole outage, with the shipper unable to say so), and what the warning is about, a
 * send that gave up with some partitions appended, is handled: the producer is dropped and the
 * outcome treated as unknown (see `send`), so the topic decides what is sent again.
 */
const KAFKAJS_NOISE = [
  'The group coordinator is not available',
  'The coordinator is loading',
  'Limiting retries for the idempotent producer',
  // A consumer's heartbeat during a rebalance (once per partition in flight): it rejoins.
  'The group is rebalancing',
];

function kafkajsLogCreator(log: (line: string) => void) {
  return () =>
    ({ namespace, log: entry }: LogEntry) => {
      const text = `${entry.message}${entry.error ? `: ${String(entry.error)}` : ''}`;
      if (KAFKAJS_NOISE.some((noise) => text.includes(noise))) return;
      log(`kafka ${namespace}: ${text}`);
    };
}

export const KAFKA_BUS_DEFAULTS: Omit<KafkaBusConfig, 'brokers'> = {
  clientId: 'magicport',
  batchBytes: 512 * 1024,
  lingerMs: 5,
  compression: 'gzip',
};

interface Pending {
  topic: string;
  records: readonly BusRecord[];
  bytes: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * The one Kafka seam. The producer is idempotent with acks=all and exactly one request in
 * flight, so a retried send can neither duplicate nor reorder records; publishes from many
 * callers are batched by size and linger time into one send.
 */
export class KafkaBus implements Bus {
  readonly kind = 'kafka' as const;
  /**
   * Uncompressed, a send must stay under the broker's default 1 MiB `message.max.bytes`. With
   * gzip, 7 MiB: even if every record went to one partition and did not compress at all, its
   * batch would stay under the 8 MiB our events topic allows (JSON events shrink ~5x).
   */
  readonly maxPublishBytes: number;
  private readonly kafka: Kafka;
  private producer: Producer | null = null;
  private admin: Promise<Admin> | null = null;
  private readonly consumers = new Set<Consumer>();
  /** Consumers being stopped by us, which kafkajs must not restart (see `subscribe`). */
  private readonly stopping = new WeakSet<Consumer>();
  private queue: Pending[] = [];
  private queuedBytes = 0;
  private timer: NodeJS.Timeout | null = null;
  private sending: Promise<void> | null = null;
  private readonly keyBuffers = new KeyBuffers();
  /** `topic:partition` of every record of the send under way, as the partitioner placed it. */
  private sentTo = new Set<string>();

  constructor(private readonly config: KafkaBusConfig) {
    this.maxPublishBytes = config.compression === 'gzip' ? 7 * 1024 * 1024 : 900 * 1024;
    this.kafka = new Kafka({
      clientId: config.clientId,
      brokers: config.brokers,
      logLevel: logLevel.WARN,
      logCreator: kafkajsLogCreator(config.log ?? ((line) => process.stderr.write(`${line}\n`))),
      retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 5_000 },
      ...(config.socketFactory ? { socketFactory: config.socketFactory } : {}),
    });
  }

  async ensureTopics(specs: readonly TopicSpec[]): Promise<void> {
    const admin = await this.getAdmin();
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.topic));
    if (missing.length === 0) return;
    // kafkajs's own waitForLeaders gives up as soon as a broker that has not heard of the new
    // topic yet answers UNKNOWN_TOPIC_OR_PARTITION (seen on a 3-broker cluster under load, at
    // start-up): wait for the leaders here, retrying that as Kafka means it (retriable).
    await admin.createTopics({
      waitForLeaders: false,
      topics: missing.map((s) => ({
        topic: s.topic,
        numPartitions: s.partitions,
        replicationFactor: -1,
        configEntries: Object.entries(s.configs ?? {}).map(([name, value]) => ({ name, value })),
      })),
    });
    await retryRetriable(async () => {
      const { topics } = await admin.fetchTopicMetadata({ topics: missing.map((s) => s.topic) });
      const leaderless = topics.flatMap((t) =>
        t.partitions.filter((p) => p.leader < 0).map((p) => `${t.name}/${p.partitionId}`),
      );
      if (leaderless.length > 0) {
        throw Object.assign(new Error(`no leader yet for ${leaderless.join(', ')}`), {
          retriable: true,
        });
      }
    });
  }

  publishFramed(topic: string, batch: FramedRecords): Promise<void> {
    return this.publish(topic, framedRecords(batch));
  }

  publish(topic: string, records: readonly BusRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    let bytes = 0;
    for (const r of records) bytes += r.value.length + (r.key?.length ?? 0);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ topic, records, bytes, resolve, reject });
      this.queuedBytes += bytes;
      if (this.queuedBytes >= this.config.batchBytes) this.kick();
      else this.timer ??= setTimeout(() => this.kick(), this.config.lingerMs);
    });
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    // kafkajs restarts a crashed consumer on a timer even when the crash races our disconnect()
    // (seen after a broker outage): the restarted one runs on unseen and keeps the process alive.
    // Otherwise kafkajs's own consumer default of 5 retries.
    const consumer: Consumer = this.kafka.consumer({
      groupId: options.groupId,
      allowAutoTopicCreation: false,
      ...(options.maxBytesPerPartition === undefined
        ? {}
        : {
            maxBytesPerPartition: options.maxBytesPerPartition,
            maxBytes: Math.max(10 * 1024 * 1024, options.maxBytesPerPartition * 4),
          }),
      ...(options.sessionTimeoutMs === undefined
        ? {}
        : {
            sessionTimeout: options.sessionTimeoutMs,
            heartbeatInterval: Math.max(500, Math.floor(options.sessionTimeoutMs / 10)),
          }),
      ...(options.rebalanceTimeoutMs === undefined
        ? {}
        : { rebalanceTimeout: options.rebalanceTimeoutMs }),
      retry: { retries: 5, restartOnFailure: async () => !this.stopping.has(consumer) },
    });
    // Set when the group starts rebalancing, cleared by the next assignment: batches in flight
    // meanwhile may belong to another member by the time they finish. A batch from before the
    // latest assignment (another generation) is stale for good.
    let rebalancing = false;
    let generation = 0;
    // Set by stop(): no new batch starts; those in flight finish (and commit) before the
    // consumer leaves the group. kafkajs itself drops commits once disconnect() has begun.
    let draining = false;
    const inFlight = new Set<Promise<void>>();
    consumer.on(consumer.events.REBALANCING, () => {
      rebalancing = true;
    });
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      rebalancing = false;
      generation++;
      options.onAssignment?.(payload.memberAssignment[options.topic] ?? []);
    });
    this.consumers.add(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic: options.topic, fromBeginning: options.fromBeginning });
    const handle = async ({
      batch,
      heartbeat,
      isStale,
      resolveOffset,
    }: EachBatchPayload): Promise<void> => {
      const batchGeneration = generation;
      let lost = false;
      const stale = () => lost || rebalancing || batchGeneration !== generation || isStale();
      const commit = async (offset: string, metadata: string | null) => {
        try {
          await consumer.commitOffsets([
            { topic: batch.topic, partition: batch.partition, offset, metadata },
          ]);
        } catch (error) {
          if (!hasErrorType(error, GENERATION_OVER)) throw error;
          lost = true;
          throw new PartitionLostError(
            `partition ${batch.partition} of ${batch.topic}: the group refused the commit ` +
              `(${describe(error)}); another member owns it now`,
          );
        }
      };
      const beat = setInterval(
        () =>
          void heartbeat().catch((error: unknown) => {
            if (isRebalanceError(error)) lost = true;
          }),
        1_000,
      );
      let outcome;
      try {
        outcome = await options.onBatch({
          topic: batch.topic,
          partition: batch.partition,
          highWatermark: batch.highWatermark,
          records: batch.messages.map(consumedRecord),
          isStale: stale,
          commit: (offset, metadata) => commit(offset, metadata ?? null),
          committed: () => this.committed(options.groupId, batch.topic, batch.partition),
        });
      } finally {
        clearInterval(beat);
      }
      // A stale batch moves nothing: resolving it would move the fetch position of the next
      // generation, whose reading starts over at the committed offsets.
      if (stale()) return;
      const last = batch.messages[batch.messages.length - 1]!.offset;
      // Without auto-resolve kafkajs fetches from the last resolved offset: an unresolved
      // batch comes back at once, for ever (a caught-up consumer spun on its last batch).
      // Resolving moves the fetch position only; kafkajs commits nothing itself (autoCommit off).
      resolveOffset(last);
      const next = outcome ? outcome.commit : (BigInt(last) + 1n).toString();
      if (next !== null) await commit(next, null);
    };
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: options.partitionsConcurrently ?? 1,
      eachBatch: async (payload) => {
        if (draining || !payload.isRunning() || payload.isStale()) return;
        if (payload.batch.messages.length === 0) return;
        const running = handle(payload);
        inFlight.add(running);
        try {
          await running;
        } finally {
          inFlight.delete(running);
        }
      },
    });
    return {
      stop: async () => {
        draining = true;
        consumer.pause([{ topic: options.topic }]);
        await Promise.allSettled([...inFlight]);
        this.stopping.add(consumer);
        this.consumers.delete(consumer);
        await consumer.disconnect();
      },
    };
  }

  /** A group's committed offset of one partition, with its metadata (admin API). */
  private async committed(
    groupId: string,
    topic: string,
    partition: number,
  ): Promise<CommittedOffset> {
    const admin = await this.getAdmin();
    const [answer] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const found = answer?.partitions.find((p) => p.partition === partition);
    // Kafka answers -1 (and no metadata) for a partition the group never committed.
    if (!found || BigInt(found.offset) < 0n) return { offset: null, metadata: null };
    return { offset: found.offset, metadata: found.metadata || null };
  }

  /** A topic created a moment ago answers NOT_LEADER until its leaders are known: retried. */
  async endOffsets(topic: string): Promise<Map<number, string>> {
    const admin = await this.getAdmin();
    const offsets = await retryRetriable(() => admin.fetchTopicOffsets(topic));
    return new Map(offsets.map((o) => [o.partition, o.high]));
  }

  scanSince(
    topic: string,
    sinceMs: number,
    visit: ScanVisitor,
    keys?: ReadonlySet<string>,
  ): Promise<void> {
    return scanKafkaSince(this.kafka, topic, sinceMs, visit, keys);
  }

  async close(): Promise<void> {
    this.kick();
    while (this.sending) await this.sending;
    for (const c of this.consumers) this.stopping.add(c);
    await Promise.all([...this.consumers].map((c) => c.disconnect()));
    this.consumers.clear();
    await this.producer?.disconnect();
    if (this.admin) await (await this.admin).disconnect();
  }

  private kick(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.sending || this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    this.queuedBytes = 0;
    this.sending = this.send(batch).finally(() => {
      this.sending = null;
      if (this.queue.length > 0) this.kick();
    });
  }

  private async send(batch: Pending[]): Promise<void> {
    let producer: Producer;
    try {
      producer = await this.getProducer();
    } catch (err) {
      // Nothing was sent: a plain failure, retried as it is.
      for (const p of batch) p.reject(err);
      return;
    }
    try {
      const byTopic = new Map<string, BusRecord[]>();
      for (const p of batch) {
        const list = byTopic.get(p.topic) ?? [];
        if (list.length === 0) byTopic.set(p.topic, list);
        for (const r of p.records) list.push(r);
      }
      const partitions = (this.sentTo = new Set());
      const answered = await producer.sendBatch({
        acks: -1,
        compression:
          this.config.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
        topicMessages: [...byTopic].map(([topic, records]) => ({
          topic,
          messages: records.map((r) => this.toMessage(r)),
        })),
      });
      // kafkajs 2.2.4 retries a send per broker and skips every broker that answered before: a
      // partition whose leader died moves to such a broker and is then never sent, while the
      // send resolves (seen on the 3-node cluster: whole partitions of a batch missing). Every
      // partition the records went to must have answered.
      const got = new Set(answered.map((r) => `${r.topicName}:${r.partition}`));
      const missing = [...partitions].filter((tp) => !got.has(tp));
      if (missing.length > 0)
        throw new Error(`the send reported success but no answer for ${missing.join(', ')}`);
      for (const p of batch) p.resolve();
    } catch (err) {
      // kafkajs gave up on a send to several partitions (several brokers on a cluster): some may
      // have appended their part and advanced their sequence numbers, others not. The same
      // producer re-sending it would append those parts again (or be refused as out of order,
      // for good), so it is dropped, and the caller learns the outcome is unknown: it checks the
      // topic for what arrived before sending the rest (see the shipper).
      this.dropProducer(producer);
      const message = err instanceof Error ? err.message : String(err);
      const unknown = new PublishOutcomeUnknownError(`send gave up, outcome unknown: ${message}`, {
        cause: err,
      });
      for (const p of batch) p.reject(unknown);
    }
  }

  private dropProducer(producer: Producer): void {
    if (this.producer === producer) this.producer = null;
    void producer.disconnect().catch(() => undefined);
  }

  /**
   * Keys as cached Buffers (kafkajs would encode a string key per record), and only the fields a
   * record has: kafkajs spreads each message into a new object, and an absent `headers` costs
   * nothing there while `headers: undefined` still gets copied.
   */
  private toMessage(r: BusRecord): Message {
    const key = r.key === null ? null : this.keyBuffers.get(r.key);
    return r.headers === undefined
      ? { key, value: r.value }
      : { key, value: r.value, headers: r.headers };
  }

  private async getProducer(): Promise<Producer> {
    if (!this.producer) {
      const producer = this.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        createPartitioner: () => {
          const partition = createMemoPartitioner()();
          // kafkajs retries a send by grouping its messages into partitions anew. A keyless
          // record (round-robin) then moves, so a partition's retried batch is not the one the
          // broker may have appended already: another sequence range, refused as out of order
          // instead of recognised as a duplicate. Each message keeps its first partition.
          const placed = new WeakMap<Message, number>();
          return (args) => {
            let chosen = placed.get(args.message);
            if (chosen === undefined) {
              chosen = partition(args);
              placed.set(args.message, chosen);
            }
            this.sentTo.add(`${args.topic}:${chosen}`);
            return chosen;
          };
        },
        allowAutoTopicCreation: false,
      });
      await producer.connect();
      this.producer = producer;
    }
    return this.producer;
  }

  private getAdmin(): Promise<Admin> {
    this.admin ??= (async () => {
      const admin = this.kafka.admin();
      await admin.connect();
      return admin;
    })();
    return this.admin;
  }
}

/** The coordinator's answers that mean this member's generation is over or ending. */
function isRebalanceError(error: unknown): boolean {
  return hasErrorType(error, [...GENERATION_OVER, 'NOT_COORDINATOR_FOR_GROUP']);
}

/**
 * The answers by which the coordinator refuses a commit because this member's generation is over
 * (a fence, final for the batch). A coordinator that moved (NOT_COORDINATOR) is no fence: kafkajs
 * finds the new one and the commit is retried.
 */
const GENERATION_OVER = [
  'REBALANCE_IN_PROGRESS',
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
  'FENCED_INSTANCE_ID',
];

function hasErrorType(error: unknown, types: readonly string[]): boolean {
  // kafkajs's retrier wraps the protocol error it gave up on (as `cause`), dropping its type.
  for (let e = error as { type?: unknown; cause?: unknown } | null; e; e = e.cause as typeof e) {
    if (typeof e.type === 'string' && types.includes(e.type)) return true;
    if (e.cause === e) break;
  }
  return false;
}

/** Retries what Kafka calls retriable, for about 20 s. */
async function retryRetriable<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!isRetriable(error) || attempt >= 25) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(100 * attempt, 1_000)));
    }
  }
}

/** kafkajs marks retriable protocol errors; its give-up error keeps the last one it saw. */
function isRetriable(error: unknown): boolean {
  const e = error as { retriable?: boolean; originalError?: { retriable?: boolean } } | null;
  return e?.retriable === true || e?.originalError?.retriable === true;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
