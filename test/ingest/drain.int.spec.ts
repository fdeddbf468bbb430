/**
 * Shutdown drains: a range whose insert is in flight when stop() begins is finished and its offset
 * committed before the consumer leaves the group, and no new range is started. (kafkajs drops a
 * commit silently once its consumer is disconnecting, so the bus must finish its batches first.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaBus, KAFKA_BUS_DEFAULTS, magicportTopics } from '@magicport/bus';
import { migrate } from '@magicport/store';
import { Ingest, ingestGroupId } from '../../apps/server/src/ingest/ingest';
import type { RawSink } from '../../apps/server/src/ingest/ingest-ports';
import { commitRangeLog } from '../../apps/server/src/ingest/range-log';
import { clickHouseRawSink } from '../../apps/server/src/ingest/raw-sink';
import { openTestClickHouse, type TestClickHouse } from '../support/clickhouse';
import { committedOffsets, makeEvents, storedCounts } from '../support/ingest-fixtures';
import { CountingObserver, quietLog, TEST_INGEST_SETTINGS } from '../support/ingest-harness';
import { testKafkaBrokers, uniqueTopicName } from '../support/kafka';
import { waitFor } from '../support/recorder';

describe('stop() during an insert', () => {
  let ch: TestClickHouse;
  const brokers = testKafkaBrokers();

  beforeAll(async () => {
    ch = await openTestClickHouse();
    await migrate(ch.store);
  });
  afterAll(async () => ch?.close());

  it('finishes and commits the range in flight, and starts no other', async () => {
    const topic = uniqueTopicName('ingest-drain');
    const baseGroup = uniqueTopicName('ingest-drain-group');
    const events = makeEvents(5_000, 10);
    const bus = new KafkaBus({ ...KAFKA_BUS_DEFAULTS, brokers, log: () => undefined });
    await bus.ensureTopics([...magicportTopics(), { topic, partitions: 1 }]);
    await bus.publish(topic, events.records);
    const real = clickHouseRawSink(ch.store);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let inserts = 0;
    const sink: RawSink = {
      ...real,
      insert: async (table, rows, token) => {
        if (inserts++ === 0) await held;
        await real.insert(table, rows, token);
      },
    };
    const ingest = new Ingest(
      { ...TEST_INGEST_SETTINGS, groupId: baseGroup, topics: [topic], maxRangeRows: 2_000 },
      { bus, sink, ranges: commitRangeLog, observer: new CountingObserver(), log: quietLog },
    );
    await ingest.start();
    try {
      await waitFor('the first insert to begin', () => inserts > 0, 60_000);
      const stopped = ingest.stop();
      await new Promise((resolve) => setTimeout(resolve, 500));
      release();
      await stopped;
    } finally {
      await bus.close();
    }
    const committed = await committedOffsets(brokers, ingestGroupId(baseGroup, topic), topic);
    expect(committed.get(0)).toBe(2_000n);
    const stored = await storedCounts(ch.store, events.dms);
    expect(Object.values(stored.byType).reduce((a, b) => a + b, 0)).toBe(2_000);
    expect(stored.duplicates).toBe(0);
  });
});
