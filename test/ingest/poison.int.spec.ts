/**
 * Poison records: 1,000 bad records of every kind among 100,000 good ones. Each bad one is in
 * the DLQ with its reason and source offset, every good event is in ClickHouse, and the consumer
 * never restarts (one assignment, no retries).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaBus, KAFKA_BUS_DEFAULTS, magicportTopics, type BusRecord } from '@magicport/bus';
import { DLQ_HEADERS } from '@magicport/events';
import { migrate } from '@magicport/store';
import { openTestClickHouse, type TestClickHouse } from '../support/clickhouse';
import {
  BAD_KINDS,
  badRecord,
  committedOffsets,
  makeEvents,
  readDlq,
  readTopic,
  storedCounts,
  TEST_MAX_RECORD_BYTES,
} from '../support/ingest-fixtures';
import { ingestGroupId } from '../../apps/server/src/ingest/ingest';
import { startTestIngest } from '../support/ingest-harness';
import { testKafkaBrokers, uniqueTopicName } from '../support/kafka';
import { waitFor } from '../support/recorder';

describe('poison records', () => {
  let ch: TestClickHouse;
  const brokers = testKafkaBrokers();

  beforeAll(async () => {
    ch = await openTestClickHouse();
    await migrate(ch.store);
  });
  afterAll(async () => ch?.close());

  it('go to the DLQ with reason and source offset; every good event is stored; no restart', async () => {
    const topic = uniqueTopicName('ingest-poison');
    const groupId = uniqueTopicName('ingest-poison-group');
    const good = makeEvents(100_000, 40);
    const bad = BAD_KINDS.flatMap((kind) =>
      Array.from({ length: 1_000 }, (_, i) => ({ kind, tag: `${kind}-${i}` })),
    );
    // Bad records spread evenly among the good ones.
    const records: BusRecord[] = [];
    const every = Math.floor(good.records.length / bad.length);
    good.records.forEach((r, i) => {
      records.push(r);
      const b = i % every === 0 ? bad[i / every] : undefined;
      if (b) records.push(badRecord(b.kind, b.tag));
    });
    expect(records.length).toBe(106_000);

    const bus = new KafkaBus({ ...KAFKA_BUS_DEFAULTS, brokers, log: () => undefined });
    await bus.ensureTopics([...magicportTopics(), { topic, partitions: 4 }]);
    for (let i = 0; i < records.length; i += 5_000)
      await bus.publish(topic, records.slice(i, i + 5_000));
    const ends = await bus.endOffsets(topic);
    await bus.close();

    const ingest = await startTestIngest(brokers, ch.store, {
      groupId,
      topics: [topic],
      maxRecordBytes: TEST_MAX_RECORD_BYTES,
    });
    try {
      await waitFor(
        'every partition committed to its end',
        async () => {
          const committed = await committedOffsets(brokers, ingestGroupId(groupId, topic), topic);
          return [...ends].every(([p, end]) => committed.get(p) === BigInt(end));
        },
        120_000,
        500,
      );
    } finally {
      await ingest.stop();
    }

    const stored = await storedCounts(ch.store, good.dms);
    expect(stored.byType).toEqual(good.byType);
    expect(stored.duplicates).toBe(0);

    const source = new Map(
      (await readTopic(brokers, topic)).map((r) => [`${r.partition}/${r.offset}`, r]),
    );
    const dlq = await readDlq(brokers, topic);
    expect(dlq.length).toBe(6_000);
    const byCode = new Map<string, Set<string>>();
    for (const d of dlq) {
      const code = d.headers[DLQ_HEADERS.errorCode]!;
      const at = `${d.headers[DLQ_HEADERS.sourcePartition]}/${d.headers[DLQ_HEADERS.sourceOffset]}`;
      const original = source.get(at);
      expect(original?.value.equals(d.value)).toBe(true);
      expect(d.headers[DLQ_HEADERS.error]!.length).toBeGreaterThan(0);
      // The tag inside names the kind the record was made as.
      const tag = /"(?:tag|dm)":"(?:bad-)?([a-z-]+)-\d+"/.exec(d.value.toString())?.[1];
      expect(tag).toBe(code);
      if (!byCode.has(code)) byCode.set(code, new Set());
      byCode.get(code)!.add(at);
    }
    expect(Object.fromEntries([...byCode].map(([c, s]) => [c, s.size]))).toEqual(
      Object.fromEntries(BAD_KINDS.map((k) => [k, 1_000])),
    );
    expect(Object.fromEntries(ingest.observer.dlqByReason)).toEqual(
      Object.fromEntries(BAD_KINDS.map((k) => [k, 1_000])),
    );
    expect(ingest.observer.assignments).toBe(1);
    expect(ingest.observer.retries.size).toBe(0);
  });
});
