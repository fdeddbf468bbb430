/**
 * rebuild --from-kafka: a topic replayed from its first offset into fresh raw tables, swapped in
 * for the live ones, views recomputed. A row that is not in the topic (a projection bug's
 * leftover) is gone after; every replayed event is there once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaBus, KAFKA_BUS_DEFAULTS, magicportTopics } from '@magicport/bus';
import { loadConfig } from '@magicport/config';
import { migrate } from '@magicport/store';
import pino from 'pino';
import { rebuildFromKafka } from '../../apps/server/src/ingest/replay-from-kafka';
import { openTestClickHouse, type TestClickHouse } from '../support/clickhouse';
import { makeEvents, storedCounts } from '../support/ingest-fixtures';
import { viewsAndRecomputations } from '../support/ingest-views';
import { testKafkaBrokers, uniqueTopicName } from '../support/kafka';

describe('rebuild --from-kafka', () => {
  let ch: TestClickHouse;
  const brokers = testKafkaBrokers();

  beforeAll(async () => {
    ch = await openTestClickHouse();
    await migrate(ch.store);
  });
  afterAll(async () => ch?.close());

  it('replays the topic into fresh raw tables and swaps them in', async () => {
    const topic = uniqueTopicName('ingest-replay');
    const events = makeEvents(20_000, 10);
    const bus = new KafkaBus({ ...KAFKA_BUS_DEFAULTS, brokers, log: () => undefined });
    await bus.ensureTopics([...magicportTopics(), { topic, partitions: 3 }]);
    await bus.publish(topic, events.records);
    await bus.close();
    // A stray row the topic does not hold.
    await ch.store.insert('port_accesses', [
      {
        dm: events.dms[0],
        seq: 999_999,
        vm: '00000000-0000-4000-8000-000000000000',
        domid: 1,
        boot: 0,
        host: 'stray',
        time: '2026-11-02 00:00:00.000000',
        op: 'in',
        port: 16,
        size: 2,
        value: null,
        response: 1,
        _topic: topic,
        _partition: 0,
        _offset: '0',
      },
    ]);
    const before = await storedCounts(ch.store, events.dms);
    expect(before.byType).toEqual({ 'port.access': 1 });

    const config = loadConfig({ KAFKA_BROKERS: brokers.join(','), MAGICPORT_LOG_LEVEL: 'silent' });
    const progress: string[] = [];
    const { events: replayed } = await rebuildFromKafka(
      { ...config, store: ch.config },
      ch.store,
      pino({ level: 'silent' }),
      (_done, _total, what) => void progress.push(what),
      [topic],
    );
    expect(replayed).toBe(20_000);
    const after = await storedCounts(ch.store, events.dms);
    expect(after.byType).toEqual(events.byType);
    expect(after.duplicates).toBe(0);
    expect(progress).toContain('replayed');
    for (const [name, { view, raw }] of Object.entries(await viewsAndRecomputations(ch.store))) {
      expect(view, name).toEqual(raw);
    }
    const scratch = await ch.store.query<{ n: string }>(
      "SELECT count() AS n FROM system.databases WHERE name LIKE '%\\\\_replay\\\\_%'",
    );
    expect(scratch[0]?.n).toBe('0');
  });
});
