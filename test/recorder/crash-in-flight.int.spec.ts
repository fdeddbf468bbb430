/**
 * The agent's crash window, made deterministic on the real broker: the shipper dies during a
 * publish (before sending, after sending half, or after the broker acknowledged all of it, the
 * kill -9 window between publish and acknowledgement), then a new shipper with a new producer
 * opens the same journal. Read back independently, the topic holds every record exactly once,
 * each key in journal order.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KafkaBus, KAFKA_BUS_DEFAULTS, type BusRecord, type KafkaBusConfig } from '@magicport/bus';
import { Journal } from '../../apps/device-model/src/journal';
import { Shipper } from '../../apps/device-model/src/shipping';
import { testKafka, testKafkaBrokers, uniqueTopicName } from '../support/kafka';

type Crash = 'before-send' | 'half-sent' | 'after-send';

/**
 * A KafkaBus whose process dies on the second publish, having sent none, half or all of it,
 * once `beforeDeath` resolves.
 */
class DyingBus extends KafkaBus {
  publishes = 0;
  beforeDeath: () => Promise<void> = async () => undefined;
  private crashed: () => void = () => undefined;
  readonly died = new Promise<void>((resolve) => (this.crashed = resolve));
  constructor(
    config: KafkaBusConfig,
    private readonly crash: Crash,
  ) {
    super(config);
  }
  override async publish(topic: string, records: readonly BusRecord[]): Promise<void> {
    if (++this.publishes !== 2) return super.publish(topic, records);
    await this.beforeDeath();
    if (this.crash === 'half-sent') await super.publish(topic, records.slice(0, 5));
    if (this.crash === 'after-send') await super.publish(topic, records);
    this.crashed();
    return new Promise<void>(() => undefined);
  }
}

const busConfig = (): KafkaBusConfig => ({
  ...KAFKA_BUS_DEFAULTS,
  brokers: testKafkaBrokers(),
  clientId: 'magicport-crash-in-flight-test',
  log: () => undefined,
});

/** Every record of `topic`, per partition in offset order, read by a consumer of its own. */
async function readTopic(topic: string): Promise<Array<{ key: string; value: string }>> {
  const kafka = testKafka('magicport-crash-in-flight-test');
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  const total = ends.reduce((n, o) => n + Number(o.high), 0);
  const byPartition = new Map<number, Array<{ key: string; value: string }>>();
  const consumer = kafka.consumer({ groupId: uniqueTopicName('crash-in-flight-reader') });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let count = 0;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`read ${count} of ${total} records`)), 30_000);
    void consumer.run({
      eachMessage: async ({ partition, message }) => {
        const list = byPartition.get(partition) ?? [];
        byPartition.set(partition, list);
        list.push({ key: message.key!.toString(), value: message.value!.toString() });
        if (++count === total) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  await admin.disconnect();
  return [...byPartition].sort(([a], [b]) => a - b).flatMap(([, list]) => list);
}

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

/**
 * 32-byte frames (8 header + 2 key length + 4 key + 18 value): 10 records per batch. Records start
 * at 16, after the segment header.
 */
const options = { maxBatchBytes: 320, retryMinMs: 10, retryMaxMs: 200, idleMs: 2 };

async function crashAndRestart(crash: Crash) {
  const run = randomBytes(4).toString('hex');
  const value = (i: number) => `${run}-event-${String(i).padStart(3, '0')}`;
  const topic = uniqueTopicName(`crash-in-flight-${crash}`);
  const dir = await mkdtemp(join(tmpdir(), 'magicport-crash-in-flight-'));
  dirs.push(dir);

  const dying = new DyingBus(busConfig(), crash);
  // The shipper marks the batch after the one it sends in flight too, while it sends: the
  // agent dies once that mark is on disk.
  dying.beforeDeath = async () => {
    const marked = async () =>
      (JSON.parse(await readFile(join(dir, 'cursor.json'), 'utf8')) as CursorAtCrash).inFlight?.next
        .offset === 976;
    while (!(await marked())) await new Promise((r) => setTimeout(r, 1));
  };
  await dying.ensureTopics([{ topic, partitions: 3 }]);
  const journal = await Journal.open(dir);
  for (let i = 0; i < 30; i++) journal.append({ key: `vm-${i % 3}`, value: Buffer.from(value(i)) });
  await journal.flush();
  new Shipper(journal, dying, { ...options, topic }).start();
  await dying.died;
  // The dead agent's shipper never acknowledges; its files and connections are released.
  await journal.close();
  await dying.close();
  const atCrash = JSON.parse(await readFile(join(dir, 'cursor.json'), 'utf8')) as CursorAtCrash;

  const bus = new KafkaBus(busConfig());
  const logs: string[] = [];
  const reopened = await Journal.open(dir);
  const shipper = new Shipper(reopened, bus, { ...options, topic }, (line) => logs.push(line));
  shipper.start();
  await shipper.drained(30_000);
  await shipper.stop();
  await reopened.close();
  await bus.close();

  const expected = Array.from({ length: 30 }, (_, i) => ({ key: `vm-${i % 3}`, value: value(i) }));
  return { atCrash, logs, records: await readTopic(topic), expected };
}

interface CursorAtCrash {
  inFlight?: { next: { offset: number } };
}

const byKey = (records: Array<{ key: string; value: string }>) => {
  const keys: Record<string, string[]> = {};
  for (const r of records) (keys[r.key] ??= []).push(r.value);
  return keys;
};

describe('agent crash with a batch in flight, on the real broker', () => {
  it.each([
    ['after-send', 10, 10],
    ['half-sent', 5, 15],
    ['before-send', 0, 20],
  ] as const)(
    'crash %s: every record on the topic exactly once, each key in journal order',
    async (crash, found, sent) => {
      const { atCrash, logs, records, expected } = await crashAndRestart(crash);
      // The first batch acknowledged; the second (being sent) and the third marked as one range.
      expect(atCrash).toMatchObject({
        segment: 1,
        offset: 336,
        inFlight: { from: { segment: 1, offset: 336 }, next: { segment: 1, offset: 976 } },
      });
      expect(logs).toEqual([
        `journal: batch in flight at the crash: ${found} of 20 records already on the topic, sent the other ${sent}`,
      ]);
      expect(records).toHaveLength(30);
      expect(byKey(records)).toEqual(byKey(expected));
    },
  );
});
