/**
 * A shipper that dies with a batch in flight, and the next one on the same journal: whatever
 * part of the batch had reached the bus, every record is on it exactly once afterwards. The
 * in-process bus stands in for a broker that outlives the agent.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  InProcessBus,
  PublishOutcomeUnknownError,
  type BusRecord,
  type ScanVisitor,
} from '@magicport/bus';
import { Journal } from '../src/journal';
import { Shipper } from '../src/shipping';

const TOPIC = 'events';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/**
 * 23-byte frames (8 header + 2 key length + 4 key + 9 value): 10 records per batch. Records
 * start at 16, after the segment header.
 */
const options = { topic: TOPIC, maxBatchBytes: 230, retryMinMs: 1, retryMaxMs: 5, idleMs: 2 };
const value = (i: number) => `event-${String(i).padStart(3, '0')}`;
const record = (i: number) => ({ key: `vm-${i % 3}`, value: Buffer.from(value(i)) });
const values = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => value(from + i));

type Crash = 'before-send' | 'half-sent' | 'after-send';

/**
 * Dies on its `crashOn`-th publish: the publish never settles (the process is gone) after
 * sending none, the first half, or all of the batch; first it waits for `beforeDeath`.
 */
class DyingBus extends InProcessBus {
  readonly attempts: string[][] = [];
  crashOn = 0;
  crash: Crash = 'after-send';
  down = false;
  beforeDeath: () => Promise<void> = async () => undefined;
  private crashed: () => void = () => undefined;
  readonly died = new Promise<void>((resolve) => (this.crashed = resolve));

  override async publish(topic: string, records: readonly BusRecord[]): Promise<void> {
    if (this.down) throw new Error('connect ECONNREFUSED');
    this.attempts.push(records.map((r) => r.value.toString()));
    if (this.attempts.length !== this.crashOn) return super.publish(topic, records);
    await this.beforeDeath();
    if (this.crash === 'half-sent')
      await super.publish(topic, records.slice(0, records.length / 2));
    if (this.crash === 'after-send') await super.publish(topic, records);
    this.crashed();
    return new Promise<void>(() => undefined);
  }

  override scanSince(topic: string, sinceMs: number, visit: ScanVisitor): Promise<void> {
    if (this.down) return Promise.reject(new Error('connect ECONNREFUSED'));
    return super.scanSince(topic, sinceMs, visit);
  }

  /** What the topic holds, per key in offset order. */
  async byKey(): Promise<Record<string, string[]>> {
    const keys: Record<string, string[]> = {};
    await this.scanSince(TOPIC, 0, (r) => (keys[r.key!] ??= []).push(r.value.toString()));
    return keys;
  }
}

const expectedByKey = (n: number) => {
  const keys: Record<string, string[]> = {};
  for (let i = 0; i < n; i++) (keys[`vm-${i % 3}`] ??= []).push(value(i));
  return keys;
};

const readCursor = async (dir: string) =>
  JSON.parse(await readFile(join(dir, 'cursor.json'), 'utf8')) as {
    inFlight?: { next: { offset: number }; firstAttemptMs: number };
  };

/**
 * 30 journaled records; the shipper dies while publishing the second batch of 10, once it has
 * marked the third in flight too (what it does while a batch is sent).
 */
async function crashMidRun(crash: Crash) {
  const dir = await mkdtemp(join(tmpdir(), 'magicport-shipper-recovery-'));
  const bus = new DyingBus();
  await bus.ensureTopics([{ topic: TOPIC, partitions: 3 }]);
  bus.crashOn = 2;
  bus.crash = crash;
  bus.beforeDeath = async () => {
    while ((await readCursor(dir)).inFlight?.next.offset !== 706) await sleep(1);
  };
  const journal = await Journal.open(dir);
  for (let i = 0; i < 30; i++) journal.append(record(i));
  await journal.flush();
  const doomed = new Shipper(journal, bus, options);
  const startedAt = Date.now();
  doomed.start();
  await bus.died;
  // The dead shipper is abandoned mid-publish: no acknowledgement, files closed.
  await journal.close();
  const cursor = await readCursor(dir);
  // The first batch acknowledged; the second (being sent) and the third marked as one range.
  expect(cursor).toEqual({
    segment: 1,
    offset: 246,
    inFlight: {
      from: { segment: 1, offset: 246 },
      next: { segment: 1, offset: 706 },
      firstAttemptMs: cursor.inFlight!.firstAttemptMs,
    },
  });
  expect(cursor.inFlight!.firstAttemptMs).toBeGreaterThanOrEqual(startedAt);
  return { dir, bus };
}

async function restart(dir: string, bus: DyingBus) {
  bus.crashOn = 0;
  bus.attempts.length = 0;
  const logs: string[] = [];
  const journal = await Journal.open(dir);
  const shipper = new Shipper(journal, bus, options, (line) => logs.push(line));
  shipper.start();
  await shipper.drained(5_000);
  await shipper.stop();
  await journal.close();
  const cursor = JSON.parse(await readFile(join(dir, 'cursor.json'), 'utf8')) as unknown;
  return { logs, cursor };
}

describe('shipper restarted after a crash with a batch in flight', () => {
  it('sends nothing of it again when all of it had reached the bus', async () => {
    const { dir, bus } = await crashMidRun('after-send');
    const { logs, cursor } = await restart(dir, bus);
    expect(logs).toEqual([
      'journal: batch in flight at the crash: 10 of 20 records already on the topic, sent the other 10',
    ]);
    expect(bus.attempts).toEqual([values(20, 30)]);
    expect(await bus.byKey()).toEqual(expectedByKey(30));
    expect(cursor).toEqual({ segment: 1, offset: 706 });
  });

  it('sends all of it when none had reached the bus', async () => {
    const { dir, bus } = await crashMidRun('before-send');
    const { logs } = await restart(dir, bus);
    expect(logs).toEqual([
      'journal: batch in flight at the crash: 0 of 20 records already on the topic, sent the other 20',
    ]);
    expect(bus.attempts).toEqual([values(10, 30)]);
    expect(await bus.byKey()).toEqual(expectedByKey(30));
  });

  it('sends the missing half, in journal order, when half had reached the bus', async () => {
    const { dir, bus } = await crashMidRun('half-sent');
    const { logs } = await restart(dir, bus);
    expect(logs).toEqual([
      'journal: batch in flight at the crash: 5 of 20 records already on the topic, sent the other 15',
    ]);
    expect(bus.attempts).toEqual([values(15, 30)]);
    expect(await bus.byKey()).toEqual(expectedByKey(30));
  });

  it('retries the search while the bus is down, then sends only what is missing', async () => {
    const { dir, bus } = await crashMidRun('half-sent');
    bus.down = true;
    // Back once the restarted shipper's search has failed (not after a wall-clock time: opening
    // the journal may take longer than that on a busy machine).
    const scan = bus.scanSince.bind(bus);
    bus.scanSince = (...args) =>
      scan(...args).finally(() => setTimeout(() => (bus.down = false), 20));
    const { logs } = await restart(dir, bus);
    expect(logs).toEqual([
      'bus unavailable (checking the topic for the batch in flight failed (connect ECONNREFUSED)); journaling and retrying',
      expect.stringMatching(/^bus back after \d+ failed attempts; draining the journal$/),
      'journal: batch in flight at the crash: 5 of 20 records already on the topic, sent the other 15',
    ]);
    expect(bus.attempts).toEqual([values(15, 30)]);
    expect(await bus.byKey()).toEqual(expectedByKey(30));
  });

  it('stopped during an outage, leaves no cursor write behind that lands after stop()', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'magicport-shipper-recovery-'));
    const bus = new DyingBus();
    await bus.ensureTopics([{ topic: TOPIC, partitions: 3 }]);
    bus.down = true;
    const journal = await Journal.open(dir);
    for (let i = 0; i < 30; i++) journal.append(record(i));
    await journal.flush();
    // The mark of the batch after the first, written while the first is (not) sent, is slow.
    const markInFlight = journal.markInFlight.bind(journal);
    journal.markInFlight = async (batch) => {
      if (batch.next.offset > 246) await sleep(100);
      return markInFlight(batch);
    };
    const shipper = new Shipper(journal, bus, options);
    shipper.start();
    await sleep(20);
    await shipper.stop();
    const atStop = await readFile(join(dir, 'cursor.json'), 'utf8');
    await sleep(150);
    expect(await readFile(join(dir, 'cursor.json'), 'utf8')).toBe(atStop);
    expect(JSON.parse(atStop)).toMatchObject({
      segment: 1,
      offset: 16,
      inFlight: { from: { segment: 1, offset: 16 }, next: { segment: 1, offset: 476 } },
    });
    await journal.close();
  });

  it('keeps the first attempt time through retries of a batch; the acknowledgement clears the mark', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'magicport-shipper-recovery-'));
    const bus = new DyingBus();
    await bus.ensureTopics([{ topic: TOPIC, partitions: 3 }]);
    const marks: unknown[] = [];
    const publish = bus.publish.bind(bus);
    let failures = 2;
    bus.publish = async (topic, records) => {
      marks.push(JSON.parse(await readFile(join(dir, 'cursor.json'), 'utf8')));
      if (failures-- > 0) throw new Error('connect ECONNREFUSED');
      return publish(topic, records);
    };
    const journal = await Journal.open(dir);
    for (let i = 0; i < 10; i++) journal.append(record(i));
    await journal.flush();
    const shipper = new Shipper(journal, bus, options);
    shipper.start();
    await shipper.drained(5_000);
    await shipper.stop();
    await journal.close();

    expect(marks).toHaveLength(3);
    expect(marks[1]).toEqual(marks[0]);
    expect(marks[2]).toEqual(marks[0]);
    expect(marks[0]).toMatchObject({
      segment: 1,
      offset: 16,
      inFlight: { from: { segment: 1, offset: 16 }, next: { segment: 1, offset: 246 } },
    });
    expect(JSON.parse(await readFile(join(dir, 'cursor.json'), 'utf8'))).toEqual({
      segment: 1,
      offset: 246,
    });
    expect(await bus.byKey()).toEqual(expectedByKey(10));
  });
});

describe('Shipper when its producer is lost mid-publish', () => {
  /** Sends the first half of its `failOn`-th publish, then loses the producer that sent it. */
  class LosingBus extends InProcessBus {
    readonly attempts: string[][] = [];
    failOn = 2;
    override async publish(topic: string, records: readonly BusRecord[]): Promise<void> {
      this.attempts.push(records.map((r) => r.value.toString()));
      if (this.attempts.length !== this.failOn) return super.publish(topic, records);
      await super.publish(topic, records.slice(0, records.length / 2));
      throw new PublishOutcomeUnknownError('publish worker exited with code 1');
    }
  }

  it('checks the topic before sending the batch again: every record once, in order per key', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'magicport-shipper-lost-'));
    const bus = new LosingBus();
    await bus.ensureTopics([{ topic: TOPIC, partitions: 3 }]);
    const journal = await Journal.open(dir);
    for (let i = 0; i < 30; i++) journal.append(record(i));
    await journal.flush();
    const lines: string[] = [];
    const shipper = new Shipper(journal, bus, options, (line) => lines.push(line));
    shipper.start();
    await shipper.drained(5_000);
    await shipper.stop();
    await journal.close();

    const keys: Record<string, string[]> = {};
    await bus.scanSince(TOPIC, 0, (r) => (keys[r.key!] ??= []).push(r.value.toString()));
    expect(keys).toEqual(expectedByKey(30));
    // The lost publish's batch and the next, marked in flight together: checked as one range.
    expect(bus.attempts.map((a) => a.length)).toEqual([10, 10, 15]);
    expect(bus.attempts[2]).toEqual(values(15, 30));
    expect(lines).toContain(
      'journal: batch in flight when publish worker exited with code 1: 5 of 20 records already on the topic, sent the other 15',
    );
  });
});
