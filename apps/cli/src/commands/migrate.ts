import { Command } from 'commander';
import { MigrationRefusedError, migrate, migrationStatus } from '@magicport/store';
import { CommandFailure, EXIT, runCommand, withStore } from '../store-session';

interface MigrateFlags {
  check: boolean;
  json: boolean;
}

/**
 * `magicport migrate`: applies the pending schema migrations to the configured ClickHouse.
 * Safe to repeat; refuses (exit 3) a database migrated by a newer magicport or whose applied
 * migration changed. `--check` only reports (exit 0 when current, 1 otherwise).
 */
export function migrateCommand(): Command {
  return new Command('migrate')
    .description(
      'apply the ClickHouse schema migrations (CLICKHOUSE_URL, or embedded at MAGICPORT_CLICKHOUSE_PATH)',
    )
    .option('--check', 'only report whether the schema is current; change nothing', false)
    .option('--json', 'print the result as JSON', false)
    .action((flags: MigrateFlags) =>
      runCommand('migrate', () =>
        withStore(async (store) => {
          if (flags.check) {
            const status = await migrationStatus(store);
            if (flags.json) process.stdout.write(`${JSON.stringify(status)}\n`);
            else process.stdout.write(describeStatus(store.target, status));
            if (!status.current) process.exitCode = EXIT.failed;
            return;
          }
          const log = flags.json
            ? () => undefined
            : (line: string) => process.stdout.write(`${line}\n`);
          if (!flags.json) process.stdout.write(`migrating ${store.target}\n`);
          try {
            const result = await migrate(store, log);
            if (flags.json) process.stdout.write(`${JSON.stringify(result)}\n`);
          } catch (err) {
            if (err instanceof MigrationRefusedError) {
              throw new CommandFailure(err.message, EXIT.refused);
            }
            throw err;
          }
        }),
      ),
    );
}

function describeStatus(
  target: string,
  status: { current: boolean; pending: string[]; unknown: string[]; changed: string[] },
): string {
  const lines = [`${target}: ${status.current ? 'schema is current' : 'schema is not current'}`];
  for (const name of status.pending) lines.push(`  pending: ${name}`);
  for (const name of status.unknown) lines.push(`  unknown (newer magicport?): ${name}`);
  for (const name of status.changed) lines.push(`  changed after it was applied: ${name}`);
  return `${lines.join('\n')}\n`;
}
