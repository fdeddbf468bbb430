/**
 * Why the broker-outage test needs the shipper to re-send a failed batch unchanged: Kafka's
 * idempotent producer numbers records per partition, and the broker dedupes a retried batch it
 * already appended only when the retry covers the same sequence range. A retry re-read from a
 * journal that grew meanwhile starts at the same sequence but is larger: the broker answers
 * OUT_OF_ORDER_SEQUENCE_NUMBER to it and to every later attempt (seen against a real broker
 * stopped mid-publish), and delivery stops for good.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InProcessBus, type BusRecord } from '@magicport/bus';
import { Journal } from '../../apps/device-model/src/journal';
import { Shipper } from '../../apps/device-model/src/shipping';

const TOPIC = 'events';

/** Records each publish attempt; refuses the first one, as a broker stopping mid-request would. */
class FirstPublishFails extends InProcessBus {
  readonly attempts: string[][] = [];
  onFirstAttempt: () => Promise<void> = async () => undefined;

  override async publish(topic: string, records: readonly BusRecord[]): Promise<void> {
    this.attempts.push(records.map((r) => r.value.toString()));
    if (this.attempts.length === 1) {
      await this.onFirstAttempt();
      throw new Error('Connection error: connect ECONNREFUSED');
    }
    return super.publish(topic, records);
  }
}

const record = (i: number) => ({ key: `vm-${i % 3}`, value: Buffer.from(`event-${i}`) });
const events = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => `event-${from + i}`);

let dir = '';
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('shipper retry after a failed publish', () => {
  it('re-sends exactly the failed batch, although the journal grew meanwhile, then the rest', async () => {
    dir = await mkdtemp(join(tmpdir(), 'magicport-shipper-retry-'));
    const journal = await Journal.open(dir);
    const bus = new FirstPublishFails();
    await bus.ensureTopics([{ topic: TOPIC, partitions: 3 }]);
    // The guest path keeps journaling while the first publish is under way.
    bus.onFirstAttempt = async () => {
      for (let i = 10; i < 25; i++) journal.append(record(i));
      await journal.flush();
    };
    const options = { topic: TOPIC, maxBatchBytes: 1024, retryMinMs: 1, retryMaxMs: 5, idleMs: 2 };
    const shipper = new Shipper(journal, bus, options);
    for (let i = 0; i < 10; i++) journal.append(record(i));
    await journal.flush();
    shipper.start();
    await shipper.drained(5_000);
    await shipper.stop();
    await journal.close();

    expect(bus.attempts).toEqual([events(0, 10), events(0, 10), events(10, 25)]);
  });
});
