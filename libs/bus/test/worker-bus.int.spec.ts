import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  PublishOutcomeUnknownError,
  KafkaBus,
  KAFKA_BUS_DEFAULTS,
  WorkerBus,
  frameBound,
  writeFrame,
  type BusRecord,
  type ConsumedRecord,
  type FrameEntry,
} from '@magicport/bus';
import { testKafkaBrokers, uniqueTopicName } from '../../../test/support/kafka';

const config = (log: (line: string) => void = () => undefined) => ({
  ...KAFKA_BUS_DEFAULTS,
  brokers: testKafkaBrokers(),
  clientId: 'worker-bus-test',
  log,
});

/** A fresh topic; 8 MiB batches like the events topic, as queued publishes merge into one send. */
async function freshTopic(bus: WorkerBus, label: string): Promise<string> {
  const topic = uniqueTopicName(label);
  await bus.ensureTopics([
    { topic, partitions: 4, configs: { 'max.message.bytes': String(8 * 1024 * 1024) } },
  ]);
  return topic;
}

/** Every record of `topic`, read with a KafkaBus on this thread until `count` arrived. */
async function readBack(topic: string, count: number): Promise<ConsumedRecord[]> {
  const reader = new KafkaBus(config());
  const records: ConsumedRecord[] = [];
  let done!: () => void;
  const all = new Promise<void>((resolve) => (done = resolve));
  const subscription = await reader.subscribe({
    topic,
    groupId: uniqueTopicName('worker-bus-reader'),
    fromBeginning: true,
    onBatch: async (batch) => {
      records.push(...batch.records);
      if (records.length >= count) done();
    },
  });
  await all;
  await subscription.stop();
  await reader.close();
  return records;
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** How one record reads back: key, value and headers (a consumer sees no headers as `{}`). */
const shape = (r: BusRecord): string =>
  `${r.key ?? '<null>'}|${r.value.toString('base64')}|${JSON.stringify(r.headers ?? {})}`;

describe('WorkerBus', () => {
  it('publishes 20,000 records over 10 concurrent publishes from a worker thread; all read back exactly, in per-key order', async () => {
    const bus = new WorkerBus(config());
    expect(bus.kind).toBe('kafka');
    expect(bus.maxPublishBytes).toBe(new KafkaBus(config()).maxPublishBytes);
    const topic = await freshTopic(bus, 'worker-bus');
    const big = randomBytes(100 * 1024);
    const publishes: BusRecord[][] = Array.from({ length: 10 }, (_, p) =>
      Array.from({ length: 2_000 }, (_, j): BusRecord => {
        const i = p * 2_000 + j;
        if (i === 7) return { key: 'vm-7', value: Buffer.alloc(0) };
        if (i === 12_345) return { key: 'vm-big', value: big };
        const value = Buffer.from(`event ${i} ${'x'.repeat(280)}`);
        if (i % 97 === 0) return { key: null, value };
        if (i % 10 === 3) return { key: `vm-${i % 50}`, value, headers: { n: String(i), t: 'ü' } };
        return { key: `vm-${i % 50}`, value };
      }),
    );
    const sent = publishes.flat();
    // All 10 outstanding at once: each resolves on its own answer from the worker.
    await Promise.all(publishes.map((records) => bus.publish(topic, records)));
    const ends = await bus.endOffsets(topic);
    expect([...ends.values()].reduce((sum, end) => sum + Number(end), 0)).toBe(20_000);
    await bus.close();

    const received = await readBack(topic, 20_000);
    expect(received).toHaveLength(20_000);
    const byKey = (records: BusRecord[]) => {
      const keyed = new Map<string, string[]>();
      const unkeyed: string[] = [];
      for (const r of records) {
        if (r.key === null) unkeyed.push(shape(r));
        else keyed.set(r.key, [...(keyed.get(r.key) ?? []), shape(r)]);
      }
      return { keyed, unkeyed: unkeyed.sort() };
    };
    const want = byKey(sent);
    const got = byKey(received);
    expect(got.unkeyed).toHaveLength(Math.ceil(20_000 / 97));
    expect(got.unkeyed).toEqual(want.unkeyed);
    expect([...got.keyed.keys()].sort()).toEqual([...want.keyed.keys()].sort());
    for (const [key, shapes] of want.keyed) expect(got.keyed.get(key), key).toEqual(shapes);
    expect(received.find((r) => r.key === 'vm-big')!.value.equals(big)).toBe(true);
    expect(received.find((r) => r.key === 'vm-7')!.value.length).toBe(0);
    expect(received.find((r) => r.value.toString().startsWith('event 13 '))!.headers).toEqual({
      n: '13',
      t: 'ü',
    });
  });

  it('publishes framed records (as a journal holds them) from their chunks; all read back exactly, in per-key order', async () => {
    const bus = new WorkerBus(config());
    const topic = await freshTopic(bus, 'worker-bus-framed');
    const entries: FrameEntry[] = Array.from({ length: 5_000 }, (_, i) => ({
      key: i % 7 === 0 ? `gäst-${i % 30}` : `vm-${i % 30}`,
      value:
        i % 2 === 0 ? `{"seq":${i},"t":"ü${'x'.repeat(i % 300)}"}` : Buffer.from([i % 256, 0, 255]),
    }));
    // Three chunks, as a journal write of three slabs: 1,000 + 2,500 + 1,500 frames.
    const chunks = [entries.slice(0, 1_000), entries.slice(1_000, 3_500), entries.slice(3_500)].map(
      (part) => {
        const slab = Buffer.alloc(part.reduce((sum, e) => sum + frameBound(e), 0));
        let at = 0;
        for (const e of part) at = writeFrame(slab, at, e);
        return slab.subarray(0, at);
      },
    );
    await bus.publishFramed(topic, { chunks, count: 5_000 });
    await bus.close();

    const received = await readBack(topic, 5_000);
    expect(received).toHaveLength(5_000);
    const byKey = (records: Array<{ key: string | null; value: Buffer }>) => {
      const keyed = new Map<string, string[]>();
      for (const r of records)
        keyed.set(r.key!, [...(keyed.get(r.key!) ?? []), r.value.toString('base64')]);
      return keyed;
    };
    const want = byKey(
      entries.map((e) => ({ key: e.key, value: Buffer.from(e.value as string | Buffer) })),
    );
    const got = byKey(received);
    expect(got.size).toBe(want.size);
    for (const [key, values] of want) expect(got.get(key), key).toEqual(values);
  });

  it('rejects a publish to an unreachable broker naming the cause; close() then ends the thread and the process exits', async () => {
    const port = await closedPort();
    const child = spawn(
      process.execPath,
      [
        '--require',
        require.resolve('tsx/cjs'),
        join(__dirname, 'fixtures', 'unreachable-publish.ts'),
        `127.0.0.1:${port}`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const steps: Array<Record<string, unknown> & { at: number }> = [];
    let pending = '';
    child.stdout.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        const step = JSON.parse(line) as Record<string, unknown>;
        steps.push({ ...step, at: Date.now() });
        // A thread left running would keep the child alive; don't wait for it forever.
        if (step.step === 'closed') setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
      }
    });
    const exitCode = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    const exitedAt = Date.now();

    expect(exitCode).toBe(0);
    expect(steps.map((s) => s.step)).toEqual(['rejected', 'closed']);
    expect(steps[0]).toMatchObject({
      name: 'KafkaJSNumberOfRetriesExceeded',
      message: `Connection error: connect ECONNREFUSED 127.0.0.1:${port}`,
    });
    // kafkajs's log lines from the worker thread reached the caller's `log`.
    expect(steps[1]!.logLines).toContain(
      `kafka Connection: Connection error: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    expect(exitedAt - steps[1]!.at).toBeLessThan(3_000);
  });

  it('rejects the publish a killed worker held; the next publish starts a fresh worker; close() waits for what is outstanding', async () => {
    const lines: string[] = [];
    const bus = new WorkerBus(config((line) => lines.push(line)));
    const topic = await freshTopic(bus, 'worker-bus-kill');
    const batch = (label: string): BusRecord[] =>
      Array.from({ length: 3_000 }, (_, i) => ({
        key: `vm-${i % 20}`,
        value: Buffer.from(`${label} ${i}`),
      }));

    await bus.publish(topic, batch('first'));
    // Killed while it holds a publish: whether any of it reached the broker is a race.
    const held = bus.publish(topic, batch('lost'));
    await bus.terminateWorker();
    await expect(held).rejects.toThrow(
      new PublishOutcomeUnknownError('publish worker exited with code 1'),
    );
    await expect(held).rejects.toBeInstanceOf(PublishOutcomeUnknownError);

    await bus.publish(topic, batch('after'));
    const last = bus.publish(topic, batch('last'));
    let lastDone = false;
    void last.then(() => (lastDone = true));
    await bus.close();
    expect(lastDone).toBe(true);
    await expect(bus.publish(topic, batch('closed'))).rejects.toThrow(
      'publish on a closed WorkerBus',
    );

    const reader = new KafkaBus(config());
    const ends = await reader.endOffsets(topic);
    await reader.close();
    const total = [...ends.values()].reduce((sum, end) => sum + Number(end), 0);
    const counts = new Map<string, number>();
    for (const r of await readBack(topic, total)) {
      const label = r.value.toString().split(' ')[0]!;
      counts.set(label, (counts.get(label) ?? 0) + 1);
    }
    expect(counts.get('first')).toBe(3_000);
    expect(counts.get('after')).toBe(3_000);
    expect(counts.get('last')).toBe(3_000);
    expect(total).toBe(9_000 + (counts.get('lost') ?? 0));
    expect(lines).toEqual([]);
  });
});
