import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InProcessBus, type BusRecord, type ConsumedBatch } from '@magicport/bus';
import { Journal } from '../src/journal';
import { Shipper } from '../src/shipping';

const TOPIC = 'events';
const options = { topic: TOPIC, maxBatchBytes: 200, retryMinMs: 5, retryMaxMs: 20, idleMs: 2 };

/** The in-process bus, made to refuse publishes while `down` is set (a broker outage). */
class FlakyBus extends InProcessBus {
  down = false;
  override async publish(topic: string, records: readonly BusRecord[]): Promise<void> {
    if (this.down) throw new Error('connection refused');
    return super.publish(topic, records);
  }
}

async function setup() {
  const dir = await mkdtemp(join(tmpdir(), 'magicport-shipper-'));
  const bus = new FlakyBus();
  await bus.ensureTopics([{ topic: TOPIC, partitions: 3 }]);
  const received: string[] = [];
  await bus.subscribe({
    topic: TOPIC,
    groupId: 'test',
    fromBeginning: true,
    onBatch: async (b: ConsumedBatch) =>
      void received.push(...b.records.map((r) => r.value.toString())),
  });
  return { dir, bus, received };
}

const record = (i: number) => ({ key: `vm-${i % 4}`, value: Buffer.from(`event-${i}`) });

describe('Shipper', () => {
  it('delivers every journaled record once, in per-key order, and drains the journal', async () => {
    const { dir, bus, received } = await setup();
    const journal = await Journal.open(dir);
    const shipper = new Shipper(journal, bus, options);
    shipper.start();
    for (let i = 0; i < 500; i++) journal.append(record(i));
    await shipper.drained(5_000);
    expect(received.slice().sort()).toEqual(
      Array.from({ length: 500 }, (_, i) => `event-${i}`).sort(),
    );
    for (let k = 0; k < 4; k++) {
      const expected = Array.from({ length: 500 }, (_, i) => i)
        .filter((i) => i % 4 === k)
        .map((i) => `event-${i}`);
      expect(received.filter((v) => expected.includes(v))).toEqual(expected);
    }
    expect(shipper.status()).toMatchObject({
      state: 'delivering',
      delivered: 500,
      unackedBytes: 0,
    });
    await shipper.stop();
    await journal.close();
  });

  it('keeps journaling through an outage and delivers everything after it, nothing twice', async () => {
    const { dir, bus, received } = await setup();
    const journal = await Journal.open(dir);
    const logs: string[] = [];
    const shipper = new Shipper(journal, bus, options, (m) => logs.push(m));
    shipper.start();
    bus.down = true;
    for (let i = 0; i < 300; i++) journal.append(record(i));
    await journal.flush();
    await new Promise((r) => setTimeout(r, 100));
    expect(received).toEqual([]);
    expect(shipper.status().state).toBe('retrying');
    expect(journal.unackedBytes).toBeGreaterThan(0);
    bus.down = false;
    await shipper.drained(5_000);
    expect(received.slice().sort()).toEqual(
      Array.from({ length: 300 }, (_, i) => `event-${i}`).sort(),
    );
    expect(logs[0]).toBe('bus unavailable (connection refused); journaling and retrying');
    expect(logs[1]).toMatch(/^bus back after \d+ failed attempts; draining the journal$/);
    await shipper.stop();
    await journal.close();
  });

  it('resumes after a restart from the acknowledged cursor', async () => {
    const { dir, bus, received } = await setup();
    const first = await Journal.open(dir);
    bus.down = true;
    const shipper = new Shipper(first, bus, options);
    shipper.start();
    for (let i = 0; i < 50; i++) first.append(record(i));
    await first.flush(true);
    await shipper.stop();
    await first.close();

    bus.down = false;
    const second = await Journal.open(dir);
    const restarted = new Shipper(second, bus, options);
    restarted.start();
    await restarted.drained(5_000);
    expect(received.slice().sort()).toEqual(
      Array.from({ length: 50 }, (_, i) => `event-${i}`).sort(),
    );
    await restarted.stop();
    await second.close();
  });
});
