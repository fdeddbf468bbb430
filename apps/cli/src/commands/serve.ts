import { Command } from 'commander';
import { loadConfig } from '@magicport/config';
import { createLogger, startServer } from '@magicport/server';
import { configFlags } from '../config-flags';
import { untilSignal } from '../signals';

interface ServeFlags {
  brokers?: string;
  clickhouseUrl?: string;
  clickhousePath?: string;
  listenHost?: string;
  port?: string;
  group?: string;
  logLevel?: string;
  migrate: boolean;
}

/**
 * `magicport serve`: the ingest server (Kafka -> ClickHouse, exactly once) with /health and
 * /metrics, until SIGTERM or SIGINT, which drain and commit what is stored.
 */
export function serveCommand(): Command {
  return new Command('serve')
    .description('ingest the Kafka topics into ClickHouse, serve /health and /metrics')
    .option('--brokers <list>', 'Kafka bootstrap servers (default: $KAFKA_BROKERS)')
    .option(
      '--clickhouse-url <url>',
      'ClickHouse server (default: $CLICKHOUSE_URL; none = embedded chDB)',
    )
    .option(
      '--clickhouse-path <dir>',
      'embedded chDB data directory (default: $MAGICPORT_CLICKHOUSE_PATH or ./.magicport/clickhouse)',
    )
    .option(
      '--listen-host <address>',
      'HTTP listen address (default: $MAGICPORT_HTTP_HOST or 127.0.0.1)',
    )
    .option('--port <n>', 'HTTP port, 0 = any free one (default: $MAGICPORT_HTTP_PORT or 8080)')
    .option(
      '--group <id>',
      'ingest consumer group (default: $MAGICPORT_INGEST_GROUP or magicport-ingest)',
    )
    .option(
      '--log-level <level>',
      'trace, debug, info, warn, error (default: $MAGICPORT_LOG_LEVEL or info)',
    )
    .option('--no-migrate', 'do not apply pending schema migrations at start')
    .action(async (flags: ServeFlags) => {
      const config = loadConfig(process.env, {
        flags: configFlags({ ...flags, host: flags.listenHost }),
        isTTY: process.stderr.isTTY,
      });
      const logger = createLogger(config.log);
      const server = await startServer({ config, logger });
      process.stdout.write(`magicport server listening on ${server.url}\n`);
      const signal = await untilSignal(['SIGINT', 'SIGTERM']);
      logger.info({ signal }, 'stopping: draining the ingest');
      await server.close();
    });
}
