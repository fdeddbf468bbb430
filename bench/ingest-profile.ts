/**
 * Our ingest alone over the first EVENTS events of the events topic (already filled, e.g. by
 * `npm run bench -- ingest`), for profiling: `KAFKA_BROKERS=… npx tsx --cpu-prof
 * bench/ingest-profile.ts [EVENTS]`. Prints wall rate and process CPU per event.
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
import type { RawSink } from '../apps/server/src/ingest/ingest-ports';
import { commitRangeLog } from '../apps/server/src/ingest/range-log';
import { clickHouseRawSink } from '../apps/server/src/ingest/raw-sink';
import { IngestMetrics } from '../apps/server/src/metrics/ingest-metrics';
import { setGroupOffsets, topicOffsets, until } from './ingest-kafka';

/** Wall time spent inside inserts, per table: [count, seconds]. */
const insertTime = new Map<string, [number, number]>();
function timed(sink: RawSink): RawSink {
  return {
    ...sink,
    insert: async (table, rows, token) => {
      const began = process.hrtime.bigint();
      await sink.insert(table, rows, token);
      const t = insertTime.get(table) ?? [0, 0];
      insertTime.set(table, [t[0] + 1, t[1] + Number(process.hrtime.bigint() - began) / 1e9]);
    },
  };
}

async function main(): Promise<void> {
  const brokers = (process.env.KAFKA_BROKERS ?? '').split(',');
  const events = Number(process.argv[2] ?? 300_000);
  const kafka = new Kafka({ clientId: 'bench-profile', brokers, logLevel: logLevel.NOTHING });
  const dir = await mkdtemp(join(tmpdir(), 'magicport-bench-profile-'));
  const config = loadConfig({ ...process.env, MAGICPORT_CLICKHOUSE_PATH: join(dir, 'ch') });
  const store = await openStore(config.store);
  try {
    await migrate(store);
    const base = `bench-profile-${Date.now()}`;
    await setGroupOffsets(
      kafka,
      ingestGroupId(base, EVENTS_TOPIC),
      await topicOffsets(kafka, 'low'),
    );
    const bus = new KafkaBus({ ...KAFKA_BUS_DEFAULTS, brokers, log: () => undefined });
    const metrics = new IngestMetrics();
    const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
    const ingest = new Ingest(
      { ...config.ingest, groupId: base, topics: [EVENTS_TOPIC] },
      {
        bus,
        sink: timed(clickHouseRawSink(store)),
        ranges: commitRangeLog,
        observer: metrics,
        log: quiet,
      },
    );
    const cpu = process.cpuUsage();
    const began = process.hrtime.bigint();
    await ingest.start();
    await until(() => metrics.handled >= events, 1_200_000, 'the ingest');
    const seconds = Number(process.hrtime.bigint() - began) / 1e9;
    const used = process.cpuUsage(cpu);
    const handled = metrics.handled;
    await ingest.stop();
    await bus.close();
    console.log(
      `${handled} events in ${seconds.toFixed(1)} s: ${Math.round(handled / seconds)} events/s, ` +
        `${((used.user + used.system) / handled).toFixed(1)} us CPU/event ` +
        `(user ${(used.user / handled).toFixed(1)}), rss ${Math.round(process.memoryUsage().rss / 2 ** 20)} MiB`,
    );
    for (const [table, [count, secs]] of insertTime) {
      console.log(
        `${table}: ${count} inserts, ${secs.toFixed(1)} s in all, ${((secs / count) * 1000).toFixed(0)} ms each`,
      );
    }
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

void main();
