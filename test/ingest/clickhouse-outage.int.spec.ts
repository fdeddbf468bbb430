/**
 * ClickHouse unavailable for 15 s mid-stream (a fault-injecting wrapper around the real
 * connection): the partitions wait and retry without committing anything, the consumer is not
 * restarted, and every event is stored exactly once after it is back. The control takes the
 * failed inserts for done (the store drops them and says so): offsets move on during the outage
 * and the events are lost, which the same checks catch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaBus, KAFKA_BUS_DEFAULTS, magicportTopics } from '@magicport/bus';
import { migrate } from '@magicport/store';
import { ingestGroupId } from '../../apps/server/src/ingest/ingest';
import { openTestClickHouse, type TestClickHouse } from '../support/clickhouse';
import { FaultyStore } from '../support/faulty-store';
import {
  committedOffsets,
  committedTotal,
  makeEvents,
  storedCounts,
} from '../support/ingest-fixtures';
import { startTestIngest } from '../support/ingest-harness';
import { testKafkaBrokers, uniqueTopicName } from '../support/kafka';
import { waitFor } from '../support/recorder';

const OUTAGE_MS = 15_000;

describe('ClickHouse outage', () => {
  let ch: TestClickHouse;
  const brokers = testKafkaBrokers();

  beforeAll(async () => {
    ch = await openTestClickHouse();
    await migrate(ch.store);
  });
  afterAll(async () => ch?.close());

  /**
   * Publishes 90,000 events in thirds: the first with ClickHouse up, the second and third while
   * it is down for 15 s, then brings it back and waits until every offset is committed. With
   * `swallowInserts` the store drops the inserts made while it is down and reports them done.
   */
  async function outage(swallowInserts: boolean) {
    const topic = uniqueTopicName('ingest-outage');
    const baseGroup = uniqueTopicName('ingest-outage-group');
    const groupId = ingestGroupId(baseGroup, topic);
    const events = makeEvents(90_000, 30);
    const thirds = [0, 30_000, 60_000, 90_000];
    const part = (i: number) => events.records.slice(thirds[i], thirds[i + 1]);
    const bus = new KafkaBus({ ...KAFKA_BUS_DEFAULTS, brokers, log: () => undefined });
    await bus.ensureTopics([...magicportTopics(), { topic, partitions: 3 }]);
    const store = new FaultyStore(ch.store);
    store.swallowInserts = swallowInserts;
    const ingest = await startTestIngest(brokers, store, {
      groupId: baseGroup,
      topics: [topic],
      maxRangeRows: 5_000,
    });
    const total = () => committedTotal(brokers, groupId, topic);
    try {
      await bus.publish(topic, part(0));
      await waitFor(
        'the first third committed',
        async () => (await total()) === 30_000n,
        60_000,
        200,
      );

      store.down = true;
      await bus.publish(topic, part(1));
      // A range whose insert was already in ClickHouse may still commit: let it settle.
      await new Promise((r) => setTimeout(r, 2_000));
      const during = await committedOffsets(brokers, groupId, topic);
      await bus.publish(topic, part(2));
      await new Promise((r) => setTimeout(r, OUTAGE_MS - 2_000));
      const end = await committedOffsets(brokers, groupId, topic);
      store.down = false;

      await waitFor('everything committed', async () => (await total()) === 90_000n, 90_000, 200);
      const stored = await storedCounts(ch.store, events.dms);
      return { events, store, ingest, during, end, stored };
    } finally {
      await ingest.stop();
      await bus.close();
    }
  }

  it('commits nothing while ClickHouse is down and stores every event once after', async () => {
    const { events, store, ingest, during, end, stored } = await outage(false);
    expect(end).toEqual(during);
    expect(store.refused).toBeGreaterThan(0);
    expect(stored.byType).toEqual(events.byType);
    expect(stored.duplicates).toBe(0);
    expect(ingest.observer.assignments).toBe(1);
    // The partitions waited: their inserts were retried (the range log is in Kafka, which
    // stayed up).
    expect(ingest.observer.retries.get('insert') ?? 0).toBeGreaterThan(0);
    expect(ingest.observer.retries.get('range-record') ?? 0).toBe(0);
  });

  it('control: an insert failure taken for success commits through the outage and loses events', async () => {
    const { events, store, during, end, stored } = await outage(true);
    expect(store.swallowed).toBeGreaterThan(0);
    // Offsets moved on while nothing reached ClickHouse ...
    expect(end).not.toEqual(during);
    // ... and the events of the swallowed inserts are gone for good: committed, never stored.
    const storedTotal = [...Object.values(stored.byType)].reduce((a, b) => a + b, 0);
    const published = [...Object.values(events.byType)].reduce((a, b) => a + b, 0);
    expect(storedTotal).toBeLessThan(published);
    expect(stored.duplicates).toBe(0);
  });
});
