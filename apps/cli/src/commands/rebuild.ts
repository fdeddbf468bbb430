import { SingleBar } from 'cli-progress';
import { Command } from 'commander';
import { migrationStatus, rebuildViews } from '@magicport/store';
import { CommandFailure, EXIT, runCommand, withStore } from '../store-session';

/**
 * `magicport rebuild`: recomputes every materialized view's table from the raw tables and
 * swaps it in (reads go on). Stop the ingest first: rows it inserts during the rebuild of a
 * view are missing from that view until the next rebuild.
 */
export function rebuildCommand(): Command {
  return new Command('rebuild')
    .description('recompute the report views from the raw tables and swap them in atomically')
    .action(() =>
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
          await rebuildViews(store, (done, total, what) => {
            if (bar === null) {
              process.stdout.write(`[${done}/${total}] ${what}\n`);
              return;
            }
            if (done === 0) bar.start(total, 0, { what });
            else bar.update(done, { what });
          });
          bar?.stop();
          process.stdout.write(
            `rebuilt the report views of ${store.target} in ${Date.now() - began} ms\n`,
          );
        }),
      ),
    );
}
