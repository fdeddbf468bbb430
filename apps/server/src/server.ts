import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { Logger } from 'pino';
import { KafkaBus, KAFKA_BUS_DEFAULTS, magicportTopics, type Bus } from '@magicport/bus';
import type { MagicportConfig } from '@magicport/config';
import { migrate, migrationStatus, openStore, type ClickHouseStore } from '@magicport/store';
import { AppModule } from './app.module';
import { Ingest, type IngestSettings } from './ingest/ingest';
import { commitRangeLog } from './ingest/range-log';
import { clickHouseRawSink } from './ingest/raw-sink';
import { NestPinoLogger } from './logging/logger';
import { IngestMetrics } from './metrics/ingest-metrics';
import { ServerRuntime } from './server-runtime';

export interface StartServerOptions {
  config: MagicportConfig;
  logger: Logger;
  /** A bus of the caller's (embedded mode: the in-process one the agent publishes to). */
  bus?: Bus;
  /** A store of the caller's; otherwise opened from config.store and closed with the server. */
  store?: ClickHouseStore;
  /** Overrides of the ingest settings (tests: dedup off, short drain, a token suffix). */
  ingest?: Partial<IngestSettings>;
}

export interface RunningServer {
  /** Where the HTTP interface listens, e.g. http://127.0.0.1:8080. */
  url: string;
  runtime: ServerRuntime;
  /** Drains the ingest (commits what is stored), stops HTTP, closes what the server opened. */
  close(): Promise<void>;
}

/**
 * `magicport serve`: migrations (unless disabled), the topics, the NestJS application (health,
 * metrics, ingest), listening on the configured address.
 */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const { config, logger } = options;
  const store = options.store ?? (await openStore(config.store));
  let bus: Bus | undefined = options.bus;
  try {
    logger.info({ target: store.target }, 'ClickHouse connected');
    if (config.ingest.migrate) {
      const result = await migrate(store, (line) => logger.info({ component: 'migrate' }, line));
      logger.info({ applied: result.applied, current: result.current }, 'schema migrated');
    }
    if (!bus) {
      if (config.kafka.brokers.length === 0) {
        throw new Error('no Kafka brokers configured: set KAFKA_BROKERS or pass --brokers');
      }
      bus = new KafkaBus({
        ...KAFKA_BUS_DEFAULTS,
        brokers: config.kafka.brokers,
        clientId: 'magicport-server',
        compression: config.kafka.compression,
        log: (line) => logger.warn({ component: 'kafka' }, line),
      });
    }
    await bus.ensureTopics(magicportTopics());
    const metrics = new IngestMetrics();
    const ingest = new Ingest(
      { ...config.ingest, ...options.ingest },
      {
        bus,
        sink: clickHouseRawSink(store),
        ranges: commitRangeLog,
        observer: metrics,
        log: logger.child({ component: 'ingest' }),
      },
    );
    const runtime = new ServerRuntime(store, bus, ingest, metrics, () => migrationStatus(store));
    const app = await NestFactory.create(
      AppModule.register(runtime, { config: config.api, log: logger }),
      {
        logger: new NestPinoLogger(logger),
        abortOnError: false,
      },
    );
    await app.listen(config.http.port, config.http.host);
    const url = (await app.getUrl()).replace('[::1]', 'localhost');
    logger.info(
      { url, brokers: bus.kind === 'kafka' ? config.kafka.brokers : 'in-process' },
      'magicport server listening',
    );
    const ownBus = options.bus ? null : bus;
    return {
      url,
      runtime,
      close: async () => {
        await app.close();
        await ownBus?.close();
        if (!options.store) await store.close();
        logger.info('magicport server stopped');
      },
    };
  } catch (error) {
    if (!options.bus) await bus?.close().catch(() => undefined);
    if (!options.store) await store.close().catch(() => undefined);
    throw error;
  }
}
