/**
 * A zombie member: an ingest that lost its partition without knowing it (a process stalled past
 * its session, a GC pause, a network hiccup) and carries on with the range it was about to start.
 * Its isStale() says false throughout, as a stalled process's would. The partition's new owner
 * meanwhile ingests and commits everything, cutting the offsets into other ranges.
 *
 * The range log kept in the committed offset's metadata refuses the zombie's record (the group
 * coordinator fences its generation), so it inserts nothing. The control keeps the range log in a
 * store that cannot fence (as the first ingest did, in a ClickHouse table): the zombie's range is
 * recorded, inserted under tokens the new owner never used, and every row of it is a duplicate.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  KafkaBus,
  KAFKA_BUS_DEFAULTS,
  magicportTopics,
  type Bus,
  type ConsumedBatch,
} from '@magicport/bus';
import { migrate } from '@magicport/store';
import { Ingest, ingestGroupId } from '../../apps/server/src/ingest/ingest';
import type { RangeLog } from '../../apps/server/src/ingest/ingest-ports';
import type { OffsetRange } from '../../apps/server/src/ingest/partition-ranges';
import { commitRangeLog } from '../../apps/server/src/ingest/range-log';
import { clickHouseRawSink } from '../../apps/server/src/ingest/raw-sink';
import { openTestClickHouse, type TestClickHouse } from '../support/clickhouse';
import { committedOffsets, makeEvents, storedCounts } from '../support/ingest-fixtures';
import { CountingObserver, quietLog, TEST_INGEST_SETTINGS } from '../support/ingest-harness';
import { testKafkaBrokers, uniqueTopicName } from '../support/kafka';
import { waitFor } from '../support/recorder';

const EVENTS = 6_000;
const ZOMBIE_RANGE_ROWS = 4_000;
const OWNER_RANGE_ROWS = 1_500;
/** How long the group waits for the stuck member to rejoin before giving its partition away. */
const REBALANCE_TIMEOUT_MS = 4_000;

/** The control's range log: durable enough for the test, but nothing refuses a stale writer. */
function unfencedRangeLog(): RangeLog {
  const ranges = new Map<string, OffsetRange>();
  return {
    load: async (batch) => ranges.get(`${batch.topic}/${batch.partition}`) ?? null,
    record: async (batch, range) => {
      ranges.set(`${batch.topic}/${batch.partition}`, range);
    },
  };
}

/** Holds the first record() until released, reporting the range it was asked to record. */
function gatedRangeLog(inner: RangeLog) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let reached: OffsetRange | null = null;
  let settled: 'recorded' | 'refused' | null = null;
  const log: RangeLog = {
    load: (batch) => inner.load(batch),
    record: async (batch, range) => {
      if (reached === null) {
        reached = range;
        await released;
        try {
          await inner.record(batch, range);
          settled = 'recorded';
        } catch (error) {
          settled = 'refused';
          throw error;
        }
        return;
      }
      await inner.record(batch, range);
    },
  };
  return { log, release, reached: () => reached, settled: () => settled };
}

/** A bus whose batches never look stale to their handler: the zombie's view of the world. */
function zombieBus(inner: KafkaBus, onBatchDone: () => void): Bus {
  return new Proxy(inner, {
    get(target, property, receiver) {
      if (property !== 'subscribe') return Reflect.get(target, property, receiver);
      return (options: Parameters<Bus['subscribe']>[0]) =>
        target.subscribe({
          ...options,
          onBatch: async (batch: ConsumedBatch) => {
            try {
              return await options.onBatch({ ...batch, isStale: () => false });
            } finally {
              onBatchDone();
            }
          },
        });
    },
  });
}

describe('a member that lost its partition without knowing it', () => {
  let ch: TestClickHouse;
  const brokers = testKafkaBrokers();

  beforeAll(async () => {
    ch = await openTestClickHouse();
    await migrate(ch.store);
    // Duplicates must stay countable: ReplacingMergeTree would merge them away in the background.
    for (const table of ['dm_instances', 'port_accesses']) {
      await ch.store.command(`SYSTEM STOP MERGES ${table}`);
    }
  });
  afterAll(async () => ch?.close());

  async function zombieRun(ranges: () => RangeLog) {
    const topic = uniqueTopicName('ingest-zombie');
    const baseGroup = uniqueTopicName('ingest-zombie-group');
    const groupId = ingestGroupId(baseGroup, topic);
    const events = makeEvents(EVENTS, 20);
    const admin = new KafkaBus({ ...KAFKA_BUS_DEFAULTS, brokers, log: () => undefined });
    await admin.ensureTopics([...magicportTopics(), { topic, partitions: 1 }]);
    await admin.publish(topic, events.records);

    const sharedLog = ranges();
    const gate = gatedRangeLog(sharedLog);
    let zombieBatches = 0;
    const start = async (label: string, bus: Bus, log: RangeLog, maxRangeRows: number) => {
      const observer = new CountingObserver();
      const ingest = new Ingest(
        {
          ...TEST_INGEST_SETTINGS,
          groupId: baseGroup,
          topics: [topic],
          maxRangeRows,
          rebalanceTimeoutMs: REBALANCE_TIMEOUT_MS,
        },
        { bus, sink: clickHouseRawSink(ch.store), ranges: log, observer, log: quietLog },
      );
      await ingest.start();
      return { label, ingest, observer };
    };
    const kafka = () =>
      new KafkaBus({
        ...KAFKA_BUS_DEFAULTS,
        brokers,
        clientId: 'zombie-test',
        log: () => undefined,
      });
    const zombieKafka = kafka();
    const ownerKafka = kafka();
    const zombie = await start(
      'zombie',
      zombieBus(zombieKafka, () => zombieBatches++),
      gate.log,
      ZOMBIE_RANGE_ROWS,
    );
    let owner: Awaited<ReturnType<typeof start>> | null = null;
    try {
      await waitFor(
        'the zombie to be about to record a range',
        () => gate.reached() !== null,
        60_000,
      );
      // Stuck in its batch, the zombie never rejoins: the group drops it and gives the
      // partition to the new member, which stores and commits every event.
      owner = await start('owner', ownerKafka, sharedLog, OWNER_RANGE_ROWS);
      await waitFor(
        'the new owner to commit every event',
        async () => (await committedOffsets(brokers, groupId, topic)).get(0) === BigInt(EVENTS),
        60_000,
        100,
      );
      // The zombie wakes up and goes on where it stopped.
      gate.release();
      await waitFor('the zombie to finish its batch', () => zombieBatches > 0, 60_000);
    } finally {
      await owner?.ingest.stop();
      await zombie.ingest.stop();
      await Promise.all([zombieKafka.close(), ownerKafka.close(), admin.close()]);
    }
    const range = gate.reached()!;
    return {
      events,
      range,
      settled: gate.settled(),
      stored: await storedCounts(ch.store, events.dms),
      zombieIngested: zombie.observer.ingestedByType.get('port.access') ?? 0,
    };
  }

  it('with the range log in the commit metadata, the zombie records nothing and stores nothing', async () => {
    const run = await zombieRun(() => commitRangeLog);
    expect(run.range.first).toBe(0n);
    expect(run.settled).toBe('refused');
    expect(run.zombieIngested).toBe(0);
    expect(run.stored.byType).toEqual(run.events.byType);
    expect(run.stored.duplicates).toBe(0);
  });

  it('control: with a range log that cannot fence, every row of the zombie range is stored twice', async () => {
    const run = await zombieRun(unfencedRangeLog);
    expect(run.range.first).toBe(0n);
    expect(run.settled).toBe('recorded');
    const zombieRows = Number(run.range.last - run.range.first + 1n);
    expect(zombieRows).toBeGreaterThan(OWNER_RANGE_ROWS);
    expect(run.stored.duplicates).toBe(zombieRows);
  });
});
