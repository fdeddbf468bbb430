import { Kafka, logLevel } from 'kafkajs';
import type { Logger } from 'pino';
import { KafkaBus, KAFKA_BUS_DEFAULTS, magicportTopics } from '@magicport/bus';
import type { MagicportConfig } from '@magicport/config';
import { BLACKLIST_TOPIC, EVENTS_TOPIC } from '@magicport/events';
import {
  migrate,
  openStore,
  RAW_TABLES,
  rebuildViews,
  type ClickHouseStore,
} from '@magicport/store';
import { IngestMetrics } from '../metrics/ingest-metrics';
import { Ingest } from './ingest';
import { commitRangeLog } from './range-log';
import { clickHouseRawSink } from './raw-sink';

export type ReplayProgress = (done: number, total: number, what: string) => void;

/**
 * `magicport rebuild --from-kafka`: re-reads both topics from their first offsets, with a group
 * of its own, into fresh raw tables of a scratch database (the same ingest, exactly once), swaps
 * each raw table in with EXCHANGE TABLES (atomic; reads go on), recomputes the report views from
 * them (rebuildViews) and drops the scratch database with the old tables. Stop `serve` first:
 * what it inserts meanwhile reaches the old tables only.
 */
export async function rebuildFromKafka(
  config: MagicportConfig,
  store: ClickHouseStore,
  logger: Logger,
  onProgress: ReplayProgress,
  topics: readonly string[] = [EVENTS_TOPIC, BLACKLIST_TOPIC],
): Promise<{ events: number }> {
  if (config.kafka.brokers.length === 0) {
    throw new Error('no Kafka brokers configured: set KAFKA_BROKERS or pass --brokers');
  }
  const stamp = Date.now().toString(36);
  const scratch = `${store.database}_replay_${stamp}`;
  const replay = await openStore({ ...config.store, database: scratch });
  try {
    await migrate(replay);
    const total = await recordsInTopics(config.kafka.brokers, topics);
    const bus = new KafkaBus({
      ...KAFKA_BUS_DEFAULTS,
      brokers: config.kafka.brokers,
      clientId: 'magicport-rebuild',
      log: (line) => logger.warn({ component: 'kafka' }, line),
    });
    await bus.ensureTopics(magicportTopics());
    const metrics = new IngestMetrics();
    const ingest = new Ingest(
      { ...config.ingest, groupId: `magicport-rebuild-${stamp}`, deadLetters: false, topics },
      {
        bus,
        sink: clickHouseRawSink(replay),
        ranges: commitRangeLog,
        observer: metrics,
        log: logger.child({ component: 'rebuild' }),
      },
    );
    await ingest.start();
    try {
      while (metrics.handled < total) {
        onProgress(metrics.handled, total, 'replaying the topics');
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      onProgress(total, total, 'replayed');
    } finally {
      await ingest.stop();
      await bus.close();
    }
    for (const table of RAW_TABLES) {
      await store.command(`EXCHANGE TABLES ${scratch}.${table} AND ${store.database}.${table}`);
    }
    await rebuildViews(store, (done, all, what) => onProgress(done, all, what));
    return { events: total };
  } finally {
    await replay.command(`DROP DATABASE IF EXISTS ${scratch}`).catch(() => undefined);
    await replay.close();
  }
}

/** Records now in both topics (from each partition's first retained offset to its end). */
async function recordsInTopics(brokers: string[], topics: readonly string[]): Promise<number> {
  const kafka = new Kafka({ clientId: 'magicport-rebuild', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    let total = 0;
    for (const topic of topics) {
      for (const p of await admin.fetchTopicOffsets(topic)) total += Number(p.high) - Number(p.low);
    }
    return total;
  } finally {
    await admin.disconnect();
  }
}
