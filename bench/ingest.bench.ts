/**
 * The ingest, Kafka -> embedded chDB, exactly once: from a topic range pre-filled with >= 1M
 * simulated events, the sustained rate until every event is in the raw tables; beside it, in the
 * same run and the same chDB, ClickHouse's own Kafka engine consuming the same range into the
 * same raw tables, and the raw insert of the same rows. Kafka is KAFKA_BROKERS when set, else a
 * local broker started here.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaBus, KAFKA_BUS_DEFAULTS } from '@magicport/bus';
import { loadConfig } from '@magicport/config';
import { EVENTS_TOPIC } from '@magicport/events';
import { migrate, openStore } from '@magicport/store';
import { Ingest, ingestGroupId } from '../apps/server/src/ingest/ingest';
import { commitRangeLog } from '../apps/server/src/ingest/range-log';
import { clickHouseRawSink } from '../apps/server/src/ingest/raw-sink';
import { IngestMetrics } from '../apps/server/src/metrics/ingest-metrics';
import type { Benchmark, Measurement } from './harness';
import {
  ensureTopics,
  setGroupOffsets,
  simulateFleet,
  sum,
  topicOffsets,
  until,
  type Offsets,
} from './ingest-kafka';
import { withBroker } from './bench-broker';
import {
  guestRowCount,
  rawInsertRate,
  RowsByTable,
  startKafkaEngine,
  stopKafkaEngine,
} from './ingest-peers';

/** ~1.3M events (about 33 per guest with 2 boots). */
const GUESTS = 40_000;
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** The simulated fleet through the agent into Kafka: the range [from, to) of the events topic. */
async function prefill(brokers: string[], kafka: Kafka): Promise<{ from: Offsets; to: Offsets }> {
  await ensureTopics(brokers);
  const from = await topicOffsets(kafka);
  await simulateFleet(brokers, GUESTS);
  return { from, to: await topicOffsets(kafka) };
}

/** Every record of the range, as the rows the ingest would write. */
async function readRange(kafka: Kafka, from: Offsets, to: Offsets): Promise<RowsByTable> {
  const rows = new RowsByTable();
  const consumer = kafka.consumer({
    groupId: `bench-read-${Date.now()}`,
    maxBytesPerPartition: 4 << 20,
  });
  await consumer.connect();
  await consumer.subscribe({ topic: EVENTS_TOPIC, fromBeginning: true });
  const pending = new Set([...to].filter(([p, end]) => end > (from.get(p) ?? 0n)).map(([p]) => p));
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachBatch: async ({ batch }) => {
          const end = to.get(batch.partition) ?? 0n;
          const start = from.get(batch.partition) ?? 0n;
          for (const m of batch.messages) {
            const offset = BigInt(m.offset);
            if (offset >= start && offset < end && m.value)
              rows.add(m.value, batch.partition, m.offset);
          }
          if (BigInt(batch.lastOffset()) >= end - 1n) pending.delete(batch.partition);
          if (pending.size === 0) resolve();
        },
      })
      .then(() => {
        for (const [partition, offset] of from)
          consumer.seek({ topic: EVENTS_TOPIC, partition, offset: String(offset) });
      }, reject);
  });
  await consumer.disconnect();
  return rows;
}

const bench: Benchmark = {
  name: 'ingest',
  run: () =>
    withBroker('ingest', async (brokers) => {
      const kafka = new Kafka({ clientId: 'bench-ingest', brokers, logLevel: logLevel.NOTHING });
      console.error('ingest bench: pre-filling the events topic ...');
      const { from, to } = await prefill(brokers, kafka);
      const events = Number(sum(to) - sum(from));
      console.error(`ingest bench: ${events} events in the range`);
      const dir = await mkdtemp(join(tmpdir(), 'magicport-bench-ch-'));
      const path = join(dir, 'ch');
      const config = loadConfig({ MAGICPORT_CLICKHOUSE_PATH: path });
      const ours = await openStore(config.store);
      const measurements: Measurement[] = [];
      try {
        await migrate(ours);
        // Ours.
        const base = `bench-ingest-${Date.now()}`;
        const group = ingestGroupId(base, EVENTS_TOPIC);
        await setGroupOffsets(kafka, group, from);
        const bus = new KafkaBus({ ...KAFKA_BUS_DEFAULTS, brokers, log: () => undefined });
        const metrics = new IngestMetrics();
        const ingest = new Ingest(
          { ...config.ingest, groupId: base, topics: [EVENTS_TOPIC] },
          {
            bus,
            sink: clickHouseRawSink(ours),
            ranges: commitRangeLog,
            observer: metrics,
            log: quiet,
          },
        );
        let peakRss = process.memoryUsage().rss;
        let peakHeap = 0;
        const sampler = setInterval(() => {
          const memory = process.memoryUsage();
          peakRss = Math.max(peakRss, memory.rss);
          peakHeap = Math.max(peakHeap, memory.heapUsed);
        }, 100);
        // CPU per event is the comparable cost on a shared machine (wall rates follow the load).
        const cpuBefore = process.cpuUsage();
        const began = process.hrtime.bigint();
        await ingest.start();
        await until(async () => metrics.handled >= events, 1_200_000, 'our ingest');
        const oursSeconds = Number(process.hrtime.bigint() - began) / 1e9;
        const cpu = process.cpuUsage(cpuBefore);
        clearInterval(sampler);
        await ingest.stop();
        await bus.close();
        const oursRate = events / oursSeconds;
        console.error(`ingest bench: ours ${Math.round(oursRate)} events/s`);

        // ClickHouse's Kafka engine into a database of its own in the same chDB.
        const engine = await openStore({ ...config.store, database: 'kafka_engine' });
        await migrate(engine);
        const engineGroup = `bench-kafka-engine-${Date.now()}`;
        await setGroupOffsets(kafka, engineGroup, from);
        const engineCpuBefore = process.cpuUsage();
        const engineBegan = process.hrtime.bigint();
        await startKafkaEngine(engine, brokers, engineGroup);
        await until(
          async () => (await guestRowCount(engine)) >= events,
          1_200_000,
          'the Kafka engine',
        );
        const engineRate = events / (Number(process.hrtime.bigint() - engineBegan) / 1e9);
        const engineCpu = process.cpuUsage(engineCpuBefore);
        await stopKafkaEngine(engine);
        await engine.close();
        console.error(`ingest bench: Kafka engine ${Math.round(engineRate)} events/s`);

        // The raw insert of the same rows.
        const rows = await readRange(kafka, from, to);
        const raw = await openStore({ ...config.store, database: 'raw_baseline' });
        await migrate(raw);
        const rawCpuBefore = process.cpuUsage();
        const rawRate = await rawInsertRate(raw, rows);
        const rawCpu = process.cpuUsage(rawCpuBefore);
        await raw.close();
        console.error(`ingest bench: raw insert ${Math.round(rawRate)} rows/s`);

        const detail = `${events} simulated events, 12 partitions, embedded chDB`;
        measurements.push(
          {
            name: 'ingest Kafka -> chDB raw tables (ours, exactly once)',
            value: oursRate,
            unit: 'events/s',
            detail,
          },
          {
            name: 'ClickHouse Kafka engine -> same raw tables (at least once)',
            value: engineRate,
            unit: 'events/s',
            detail,
          },
          {
            name: 'raw insert of the same rows (pre-encoded JSONEachRow, 50k blocks)',
            value: rawRate,
            unit: 'rows/s',
            detail,
          },
          {
            name: 'ours / Kafka engine',
            value: oursRate / engineRate,
            unit: 'x',
            detail: 'target >= 1.0',
          },
          {
            name: 'ours / raw insert',
            value: oursRate / rawRate,
            unit: 'x',
            detail: 'target >= 0.6',
          },
          {
            name: 'peak RSS during our ingest',
            value: peakRss / 2 ** 20,
            unit: 'MiB',
            detail: 'ingest process (chDB inside), target <= 1536',
          },
          {
            name: 'peak JS heap used during our ingest',
            value: peakHeap / 2 ** 20,
            unit: 'MiB',
            detail: 'V8 heap part of the RSS above',
          },
          {
            name: 'process CPU per event during our ingest',
            value: (cpu.user + cpu.system) / events,
            unit: 'us/event',
            detail: 'user + system, all threads (node main thread and chDB)',
          },
          {
            name: 'process CPU per event during the Kafka engine run',
            value: (engineCpu.user + engineCpu.system) / events,
            unit: 'us/event',
            detail: "chDB's Kafka consumer, parsing and views (the same process)",
          },
          {
            name: 'process CPU per row during the raw insert',
            value: (rawCpu.user + rawCpu.system) / rows.count,
            unit: 'us/row',
            detail: 'inserting pre-encoded rows only (encoding them is not counted)',
          },
        );
      } finally {
        await ours.close();
        await rm(dir, { recursive: true, force: true });
      }
      return measurements;
    }),
};

export default bench;
