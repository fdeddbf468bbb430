import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { KAFKA_BUS_DEFAULTS, KafkaBus, type ConsumedRecord } from '@magicport/bus';
import { testKafkaBrokers, uniqueTopicName } from '../../../test/support/kafka';

const bus = new KafkaBus({
  ...KAFKA_BUS_DEFAULTS,
  brokers: testKafkaBrokers(),
  log: () => undefined,
});
afterAll(() => bus.close());

const records = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => ({
    key: `vm-${(from + i) % 7}`,
    value: Buffer.from(`{"i":${from + i}}`),
  }));

async function until(what: string, done: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe('KafkaBus subscribe', () => {
  it('delivers each record once and then waits: a caught-up consumer does not get its last batch again', async () => {
    const topic = uniqueTopicName('bus-subscribe');
    await bus.ensureTopics([{ topic, partitions: 3 }]);
    await bus.publish(topic, records(0, 50));
    const received: ConsumedRecord[] = [];
    let batches = 0;
    const subscription = await bus.subscribe({
      topic,
      groupId: uniqueTopicName('bus-subscribe-group'),
      fromBeginning: true,
      onBatch: async (batch) => {
        batches++;
        received.push(...batch.records);
      },
    });
    await until('the first 50 records', () => received.length >= 50);
    await sleep(1_500);
    expect(received.length).toBe(50);
    const settledBatches = batches;

    await bus.publish(topic, records(50, 10));
    await until('10 more records', () => received.length >= 60);
    await sleep(1_500);
    await subscription.stop();

    const indexes = received.map((r) => (JSON.parse(r.value.toString()) as { i: number }).i);
    expect(indexes.length).toBe(60);
    expect([...indexes].sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    // 3 partitions: at most 3 batches for the first publish, 3 for the second.
    expect(settledBatches).toBeLessThanOrEqual(3);
    expect(batches - settledBatches).toBeLessThanOrEqual(3);
  });
});
