import { Partitioners, type Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findLocalBroker } from '../deploy/kafka/broker-instances';
import { brokerApiVersions, testKafka, testKafkaBrokers, uniqueTopicName } from './support/kafka';

const MESSAGES = 10_000;
const KEYS = 40; // 250 messages per key
const BATCH = 1_000;

// The request versions kafkajs 2.2.4 sends (seen in its REQUEST instrumentation events): the
// broker must serve each, or producing, consuming or the group protocol breaks.
const KAFKAJS_REQUESTS: Record<string, [apiKey: number, version: number]> = {
  Produce: [0, 7],
  Fetch: [1, 11],
  ListOffsets: [2, 3],
  Metadata: [3, 6],
  OffsetCommit: [8, 5],
  OffsetFetch: [9, 4],
  FindCoordinator: [10, 2],
  JoinGroup: [11, 5],
  SyncGroup: [14, 3],
  LeaveGroup: [13, 3],
  Heartbeat: [12, 3],
  CreateTopics: [19, 3],
};

const keyOf = (i: number): string => `guest-${i % KEYS}`;
const seqOf = (i: number): number => Math.floor(i / KEYS);

describe('Kafka smoke', () => {
  const kafka = testKafka('kafka-smoke');
  let admin: Admin;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
  });
  afterAll(async () => {
    await admin.disconnect();
  });

  it('round-trips 10,000 keyed messages through a 3-partition topic and a consumer group, per-key order intact', async () => {
    const topic = uniqueTopicName('smoke');
    const groupId = uniqueTopicName('smoke-group');
    expect(
      await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true }),
    ).toBe(true);
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(metadata.topics[0]?.partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2]);

    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    for (let start = 0; start < MESSAGES; start += BATCH) {
      const messages = Array.from({ length: BATCH }, (_, j) => {
        const i = start + j;
        return { key: keyOf(i), value: `${keyOf(i)}#${seqOf(i)}` };
      });
      await producer.send({ topic, messages });
    }
    await producer.disconnect();
    // fetchTopicOffsets lists partitions in no fixed order.
    const highWatermarks = (await admin.fetchTopicOffsets(topic))
      .sort((a, b) => a.partition - b.partition)
      .map((p) => Number(p.high));
    expect(highWatermarks.reduce((a, b) => a + b, 0)).toBe(MESSAGES);
    expect(highWatermarks.every((high) => high > 0)).toBe(true);

    const seqsByKey = new Map<string, number[]>();
    const partitionsByKey = new Map<string, Set<number>>();
    let received = 0;
    const consumer = kafka.consumer({ groupId });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const mismatched: string[] = [];
    await new Promise<void>((resolve, reject) => {
      // kafkajs restarts itself after retriable errors (a fresh broker's group coordinator is
      // still loading); only a crash it gives up on fails the test.
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        if (!payload.restart) reject(payload.error);
      });
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          const key = message.key?.toString() ?? '';
          const [valueKey, seq] = (message.value?.toString() ?? '').split('#');
          if (valueKey !== key) mismatched.push(`${key} carried ${String(message.value)}`);
          seqsByKey.set(key, [...(seqsByKey.get(key) ?? []), Number(seq)]);
          partitionsByKey.set(key, (partitionsByKey.get(key) ?? new Set()).add(partition));
          if (++received === MESSAGES) resolve();
        },
      });
    });
    await consumer.disconnect();

    expect(received).toBe(MESSAGES);
    expect(mismatched).toEqual([]);
    const expectedSeqs = Array.from({ length: MESSAGES / KEYS }, (_, seq) => seq);
    expect([...seqsByKey.keys()].sort()).toEqual(
      Array.from({ length: KEYS }, (_, k) => keyOf(k)).sort(),
    );
    for (const seqs of seqsByKey.values()) expect(seqs).toEqual(expectedSeqs);
    expect([...partitionsByKey.values()].every((partitions) => partitions.size === 1)).toBe(true);

    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const committedByPartition = committed!.partitions.sort((a, b) => a.partition - b.partition);
    expect(committedByPartition.map((p) => Number(p.offset))).toEqual(highWatermarks);

    await admin.deleteTopics({ topics: [topic] });
  });

  it('is served by a broker that speaks every request version kafkajs uses; a local one is Kafka 4.1.x', async () => {
    const bootstrap = testKafkaBrokers()[0]!;
    const served = await brokerApiVersions(bootstrap);
    const unserved = Object.entries(KAFKAJS_REQUESTS).filter(([, [apiKey, version]]) => {
      const range = served.get(apiKey);
      return !range || version < range.min || version > range.max;
    });
    expect(unserved).toEqual([]);

    const local = await findLocalBroker(bootstrap);
    if (local) {
      // The version the running broker logged at startup, and the protocol it serves: Fetch v0-v3
      // were removed in 4.0 (KIP-896), v18 is the newest in 4.1.
      expect(local.version).toMatch(/^4\.1\.\d+$/);
      expect(served.get(1)).toEqual({ min: 4, max: 18 });
    }
  });
});
