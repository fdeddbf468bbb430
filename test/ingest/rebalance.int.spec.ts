/**
 * Rebalance: a second member of the ingest's consumer group joins mid-stream and leaves again
 * (two ingests in one process on one ClickHouse). Partitions move twice; every event is stored
 * exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaBus, KAFKA_BUS_DEFAULTS, magicportTopics } from '@magicport/bus';
import { migrate } from '@magicport/store';
import { ingestGroupId } from '../../apps/server/src/ingest/ingest';
import { openTestClickHouse, type TestClickHouse } from '../support/clickhouse';
import { committedTotal, makeEvents, storedCounts } from '../support/ingest-fixtures';
import { startTestIngest } from '../support/ingest-harness';
import { testKafkaBrokers, uniqueTopicName } from '../support/kafka';
import { waitFor } from '../support/recorder';

describe('rebalance', () => {
  let ch: TestClickHouse;
  const brokers = testKafkaBrokers();

  beforeAll(async () => {
    ch = await openTestClickHouse();
    await migrate(ch.store);
  });
  afterAll(async () => ch?.close());

  it('a member joining and leaving mid-stream leaves every event stored once', async () => {
    const topic = uniqueTopicName('ingest-rebalance');
    const baseGroup = uniqueTopicName('ingest-rebalance-group');
    const groupId = ingestGroupId(baseGroup, topic);
    const events = makeEvents(120_000, 48);
    const bus = new KafkaBus({ ...KAFKA_BUS_DEFAULTS, brokers, log: () => undefined });
    await bus.ensureTopics([...magicportTopics(), { topic, partitions: 6 }]);
    const settings = { groupId: baseGroup, topics: [topic], maxRangeRows: 2_000 };
    const total = () => committedTotal(brokers, groupId, topic);
    const publish = (from: number, to: number) =>
      bus.publish(topic, events.records.slice(from, to));
    const first = await startTestIngest(brokers, ch.store, settings);
    let second: Awaited<ReturnType<typeof startTestIngest>> | null = null;
    try {
      await publish(0, 40_000);
      await waitFor('some progress', async () => (await total()) > 0n, 60_000, 100);
      second = await startTestIngest(brokers, ch.store, settings);
      await publish(40_000, 80_000);
      await waitFor(
        'the second member to own partitions',
        () => second!.ingest.topics[0]!.partitions.length > 0,
        60_000,
        100,
      );
      await waitFor(
        'the second member to store something',
        () => (second!.observer.ingestedByType.get('port.access') ?? 0) > 0,
        60_000,
        100,
      );
      await second.stop();
      await publish(80_000, 120_000);
      await waitFor('everything committed', async () => (await total()) === 120_000n, 120_000, 200);
      expect(first.ingest.topics[0]!.partitions).toEqual([0, 1, 2, 3, 4, 5]);
    } finally {
      await second?.stop().catch(() => undefined);
      await first.stop();
      await bus.close();
    }
    // Three assignments for the first member: alone, shared, alone again.
    expect(first.observer.assignments).toBeGreaterThanOrEqual(3);
    const stored = await storedCounts(ch.store, events.dms);
    expect(stored.byType).toEqual(events.byType);
    expect(stored.duplicates).toBe(0);
  });
});
