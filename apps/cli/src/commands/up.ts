import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { randomInt } from 'node:crypto';
import { Command, InvalidArgumentError } from 'commander';
import Table from 'cli-table3';
import { InProcessBus, magicportTopics } from '@magicport/bus';
import { loadConfig } from '@magicport/config';
import { Agent, FLEET_DEFAULTS, runFleet, seedSimulatedBlacklist } from '@magicport/device-model';
import { BLACKLIST_TOPIC, EVENTS_TOPIC } from '@magicport/events';
import { createLogger, startServer, type RunningServer } from '@magicport/server';
import { RAW_TABLES, type ClickHouseStore } from '@magicport/store';
import { configFlags } from '../config-flags';
import { untilSignal } from '../signals';
import { colourFor, tableStyle } from '../output';
import { printAnswers } from './up-answers';

interface UpFlags {
  fleet: boolean;
  guests: number;
  hosts: number;
  seed?: number;
  port?: string;
  clickhousePath?: string;
  logLevel?: string;
  exitWhenIngested: boolean;
}

const count = (name: string, min: number, max: number) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
  return n;
};

/**
 * `magicport up`: the embedded mode in one process. The server with an in-process bus in place
 * of Kafka and chDB under ./.magicport/, and (unless --no-fleet) a simulated fleet recorded by an
 * agent on that same bus; prints what was ingested, then serves until Ctrl-C.
 */
export function upCommand(): Command {
  return new Command('up')
    .description(
      'run everything in one process: server, in-process bus, embedded ClickHouse, a simulated fleet',
    )
    .option('--no-fleet', 'no simulated fleet: only the server')
    .option('--guests <n>', 'simulated guests', count('--guests', 1, 1_000_000), 200)
    .option('--hosts <n>', 'simulated hosts', count('--hosts', 1, 10_000), 10)
    .option('--seed <n>', 'fleet seed (default: a new one each run)', count('--seed', 1, 2 ** 31))
    .option('--port <n>', 'HTTP port, 0 = any free one (default: $MAGICPORT_HTTP_PORT or 8080)')
    .option(
      '--clickhouse-path <dir>',
      'embedded chDB data directory (default ./.magicport/clickhouse)',
    )
    .option('--log-level <level>', 'log level (default: warn)')
    .option('--exit-when-ingested', 'exit after the summary instead of serving on', false)
    .action(async (flags: UpFlags) => {
      const env = {
        MAGICPORT_LOG_LEVEL: 'warn',
        ...process.env,
        KAFKA_BROKERS: '',
        CLICKHOUSE_URL: '',
      };
      const config = loadConfig(env, { flags: configFlags(flags), isTTY: process.stderr.isTTY });
      const logger = createLogger(config.log);
      const began = Date.now();
      const bus = new InProcessBus();
      await bus.ensureTopics(magicportTopics());
      const runId = `${Date.now().toString(36)}${randomInt(1e6).toString(36)}`;
      const server = await startServer({
        config,
        logger,
        bus,
        // The in-process topics start at offset 0 in every run: tokens carry the run id.
        ingest: { tokenSuffix: runId, groupId: `magicport-up-${runId}` },
      });
      process.stdout.write(
        `magicport is up: ${server.url} (embedded ClickHouse at ${config.store.mode === 'embedded' ? config.store.path : server.runtime.store.target})\n`,
      );
      try {
        if (flags.fleet) {
          const seed = flags.seed ?? randomInt(1, 2 ** 31);
          const journalRoot = join('.magicport', 'agent-journal');
          await mkdir(journalRoot, { recursive: true });
          const journalDir = await mkdtemp(join(journalRoot, 'up-'));
          const agent = await Agent.open(
            { host: hostname(), journalDir, maxQueuedEvents: 50_000 },
            bus,
            (line) => logger.info({ component: 'agent' }, line),
          );
          await agent.blacklist.ready;
          await seedSimulatedBlacklist(bus, agent.blacklist.view, {
            host: hostname(),
            stream: `up-${runId}`,
            actor: 'magicport-up',
          });
          const manifest = await runFleet(agent, {
            ...FLEET_DEFAULTS,
            seed,
            guests: flags.guests,
            hosts: flags.hosts,
          });
          await agent.close(60_000, FLEET_DEFAULTS.startUs);
          await rm(journalDir, { recursive: true, force: true });
          await untilIngested(bus, server);
          process.stdout.write(
            `Simulated ${manifest.guests} guests on ${manifest.hosts} hosts (seed ${seed}): ` +
              `${manifest.totalEvents.toLocaleString('en-US')} events recorded and ingested in ` +
              `${((Date.now() - began) / 1000).toFixed(1)} s.\n`,
          );
          process.stdout.write(await tableSummary(server.runtime.store));
          await printAnswers(server.runtime.store, server.url, !flags.exitWhenIngested);
        }
        if (!flags.exitWhenIngested) {
          process.stdout.write(
            `Serving the dashboard at ${server.url}/dashboard, the API (${server.url}/docs), ` +
              `${server.url}/health/ready and ${server.url}/metrics; Ctrl-C stops.\n`,
          );
          await untilSignal(['SIGINT', 'SIGTERM']);
        }
      } finally {
        await server.close();
        await bus.close();
      }
    });
}

/** Waits until the server has handled every record the bus holds (both topics). */
async function untilIngested(bus: InProcessBus, server: RunningServer): Promise<void> {
  let total = 0;
  for (const topic of [EVENTS_TOPIC, BLACKLIST_TOPIC]) {
    for (const end of (await bus.endOffsets(topic)).values()) total += Number(end);
  }
  while (server.runtime.metrics.handled < total) await new Promise((r) => setTimeout(r, 50));
}

async function tableSummary(store: ClickHouseStore): Promise<string> {
  const table = new Table({
    head: ['table', 'rows'],
    style: tableStyle(colourFor(process.stdout)),
  });
  for (const name of RAW_TABLES) {
    const rows = await store.query<{ n: string }>(`SELECT count() AS n FROM ${name} FINAL`);
    table.push([name, Number(rows[0]?.n ?? 0).toLocaleString('en-US')]);
  }
  return `${table.toString()}\n`;
}
