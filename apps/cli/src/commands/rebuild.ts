import { SingleBar } from 'cli-progress';
import { Command } from 'commander';
import { loadConfig } from '@magicport/config';
import { createLogger, rebuildFromKafka } from '@magicport/server';
import { migrationStatus, rebuildViews, type ClickHouseStore } from '@magicport/store';
import { configFlags } from '../config-flags';
import { CommandFailure, EXIT, runCommand, withStore } from '../store-session';

/**
 * `magicport rebuild`: recomputes every materialized view's table from the raw tables and
 * swaps it in (reads go on). Stop the ingest first: rows it inserts during the rebuild of a
 * view are missing from that view until the next rebuild.
 */
export function rebuildCommand(): Command {
  return new Command('rebuild')
    .description('recompute the report views from the raw tables and swap them in atomically')
    .option(
      '--from-kafka',
      're-read the topics from the beginning into fresh raw tables, swap them in, then recompute the views',
      false,
    )
    .option(
      '--brokers <list>',
      'Kafka bootstrap servers for --from-kafka (default: $KAFKA_BROKERS)',
    )
    .action((flags: { fromKafka: boolean; brokers?: string }) =>
      runCommand('rebuild', () =>
        withStore(async (store) => {
          const status = await migrationStatus(store);
          if (!status.current) {
            throw new CommandFailure(
              `the schema of ${store.target} is not current (run magicport migrate --check for details)`,
              status.pending.length > 0 ? EXIT.failed : EXIT.refused,
            );
          }
          const began = Date.now();
          const bar = process.stderr.isTTY
            ? new SingleBar({
                format: 'rebuild {bar} {value}/{total} | {what}',
                stream: process.stderr,
              })
            : null;
          const progress = (done: number, total: number, what: string) => {
            if (bar === null) {
              if (!flags.fromKafka || done === total)
                process.stdout.write(`[${done}/${total}] ${what}\n`);
              return;
            }
            if (done === 0 || bar.getTotal() !== total) bar.start(total, done, { what });
            else bar.update(done, { what });
          };
          if (flags.fromKafka) await fromKafka(store, flags.brokers, progress);
          else await rebuildViews(store, progress);
          bar?.stop();
          process.stdout.write(
            `rebuilt the report views of ${store.target} in ${Date.now() - began} ms\n`,
          );
        }),
      ),
    );
}

async function fromKafka(
  store: ClickHouseStore,
  brokers: string | undefined,
  progress: (done: number, total: number, what: string) => void,
): Promise<void> {
  const config = loadConfig(process.env, {
    flags: configFlags({ brokers }),
    isTTY: process.stderr.isTTY,
  });
  const { events } = await rebuildFromKafka(config, store, createLogger(config.log), progress);
  process.stdout.write(`replayed ${events} records from Kafka into fresh raw tables\n`);
}
