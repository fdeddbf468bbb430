/**
 * Defect: recovery cost grew with the fleet. The check of a batch in flight scanned every
 * partition of the events topic since the batch's first attempt. Now only the partitions the
 * batch's keys map to are read, on the real broker as in process.
 */
import { describe, expect, it } from 'vitest';
import { InProcessBus, KafkaBus, KAFKA_BUS_DEFAULTS, type Bus } from '@magicport/bus';
import { testKafkaBrokers, uniqueTopicName } from '../support/kafka';

const keys = Array.from({ length: 24 }, (_, i) => `vm-${i}`);

async function scanOneKey(bus: Bus) {
  const topic = uniqueTopicName('scan-partitions');
  await bus.ensureTopics([{ topic, partitions: 6 }]);
  await bus.publish(
    topic,
    keys.map((key) => ({ key, value: Buffer.from(`${key} event`) })),
  );
  // Where each key's record landed, from a full scan.
  const partitionOf = new Map<string, number>();
  await bus.scanSince(topic, 0, (r, partition) => void partitionOf.set(r.key!, partition));
  expect(partitionOf.size).toBe(keys.length);
  const visited: Array<{ key: string; partition: number }> = [];
  await bus.scanSince(
    topic,
    0,
    (r, partition) => void visited.push({ key: r.key!, partition }),
    new Set(['vm-3', 'vm-5']),
  );
  const wantedPartitions = new Set([partitionOf.get('vm-3')!, partitionOf.get('vm-5')!]);
  const expected = keys
    .filter((k) => wantedPartitions.has(partitionOf.get(k)!))
    .map((key) => ({ key, partition: partitionOf.get(key)! }));
  return { visited, expected, partitions: new Set(partitionOf.values()).size };
}

const byKey = (list: Array<{ key: string; partition: number }>) =>
  [...list].sort((a, b) => a.key.localeCompare(b.key));

describe('scanSince with keys', () => {
  it('on Kafka reads only the partitions the keys map to', async () => {
    const bus = new KafkaBus({
      ...KAFKA_BUS_DEFAULTS,
      brokers: testKafkaBrokers(),
      clientId: 'magicport-scan-partitions-test',
      log: () => undefined,
    });
    try {
      const { visited, expected, partitions } = await scanOneKey(bus);
      expect(partitions).toBeGreaterThan(2); // the keys spread: the filter has something to skip
      expect(byKey(visited)).toEqual(byKey(expected));
      expect(visited.length).toBeLessThan(keys.length);
    } finally {
      await bus.close();
    }
  });

  it('in process too', async () => {
    const { visited, expected } = await scanOneKey(new InProcessBus());
    expect(byKey(visited)).toEqual(byKey(expected));
    expect(visited.length).toBeLessThan(keys.length);
  });
});
