/**
 * `KafkaBus.scanSince` against the real broker: which records a publisher that crashed
 * mid-publish finds again, by the time the records were sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaBus, KAFKA_BUS_DEFAULTS, type BusRecord, type ConsumedRecord } from '@magicport/bus';
import { testKafkaBrokers, uniqueTopicName } from '../../../test/support/kafka';

const records = (label: string, n: number): BusRecord[] =>
  Array.from({ length: n }, (_, i) => ({
    key: `vm-${i % 4}`,
    value: Buffer.from(`${label}-${i}`),
  }));

const values = (list: readonly { value: Buffer }[]) => list.map((r) => r.value.toString()).sort();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('KafkaBus.scanSince', () => {
  let bus: KafkaBus;
  const topic = uniqueTopicName('scan-since');

  beforeAll(async () => {
    bus = new KafkaBus({
      ...KAFKA_BUS_DEFAULTS,
      brokers: testKafkaBrokers(),
      clientId: 'magicport-scan-test',
      log: () => undefined,
    });
    await bus.ensureTopics([{ topic, partitions: 3 }]);
  });
  afterAll(async () => {
    await bus.close();
  });

  async function scan(sinceMs: number, onFirst?: () => void) {
    const seen: Array<ConsumedRecord & { partition: number }> = [];
    await bus.scanSince(topic, sinceMs, (record, partition) => {
      if (seen.length === 0) onFirst?.();
      seen.push({ ...record, partition });
    });
    return seen;
  }

  it('visits every record stamped at or after the time, each once, in offset order per partition, up to the end offsets at its start', async () => {
    const before = records('before', 12);
    await bus.publish(topic, before);
    // The producer stamps a record when it sends it: a later time than every `before` record's.
    await sleep(20);
    const since = Date.now();
    await sleep(5);
    const after = records('after', 30);
    await bus.publish(topic, after);

    const late = records('late', 5);
    let latePublish: Promise<void> = Promise.resolve();
    const seen = await scan(since, () => (latePublish = bus.publish(topic, late)));
    await latePublish;

    expect(values(seen)).toEqual(values(after));
    expect(seen.every((r) => r.timestamp >= since)).toBe(true);
    for (let p = 0; p < 3; p++) {
      const offsets = seen.filter((r) => r.partition === p).map((r) => Number(r.offset));
      expect(offsets).toEqual(offsets.slice().sort((a, b) => a - b));
    }
    // One key, one partition: the scan reports where each record is.
    for (let k = 0; k < 4; k++) {
      const partitions = new Set(seen.filter((r) => r.key === `vm-${k}`).map((r) => r.partition));
      expect(partitions.size).toBe(1);
    }

    expect(values(await scan(0))).toEqual(values([...before, ...after, ...late]));
    expect(await scan(Date.now() + 60_000)).toEqual([]);
  });
});
