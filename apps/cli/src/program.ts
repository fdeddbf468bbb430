import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { blacklistCommand } from './commands/blacklist';
import { dmCommand } from './commands/dm-tap';
import { fleetCommand } from './commands/fleet';
import { logsCommand } from './commands/logs';
import { helpCommand } from './commands/help';
import { migrateCommand } from './commands/migrate';
import { rebuildCommand } from './commands/rebuild';
import { replayCommand } from './commands/replay';
import { serveCommand } from './commands/serve';
import { simulateCommand } from './commands/simulate';
import { transcriptCommand } from './commands/transcript';
import { upCommand } from './commands/up';

/** The `magicport` command tree; each command lives in its own file under commands/. */
export function buildProgram(): Command {
  const program = new Command('magicport')
    .description(
      'Record the Xen HVM magic-ioport (PV driver unplug) protocol from device models into Kafka, and run transcripts offline',
    )
    .version(packageVersion(), '-V, --version', 'print the version')
    .showHelpAfterError()
    // Lets `logs` keep its own flags apart from `logs search`'s (commander needs it on the root).
    .enablePositionalOptions()
    .helpCommand(false)
    .addCommand(dmCommand())
    .addCommand(migrateCommand())
    .addCommand(rebuildCommand())
    .addCommand(serveCommand())
    .addCommand(simulateCommand())
    .addCommand(transcriptCommand())
    .addCommand(upCommand())
    .addCommand(fleetCommand())
    .addCommand(blacklistCommand())
    .addCommand(replayCommand())
    .addCommand(logsCommand());
  return program.addCommand(helpCommand(program));
}

/** The CLI runs from dist/, beside its package.json. */
function packageVersion(): string {
  const path = join(__dirname, '..', 'package.json');
  return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
}
