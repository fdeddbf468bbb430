import { Command } from 'commander';
import { blacklistCommand } from './commands/blacklist';
import { dmCommand } from './commands/dm-tap';
import { fleetCommand } from './commands/fleet';
import { logsCommand } from './commands/logs';
import { migrateCommand } from './commands/migrate';
import { rebuildCommand } from './commands/rebuild';
import { replayCommand } from './commands/replay';
import { serveCommand } from './commands/serve';
import { simulateCommand } from './commands/simulate';
import { transcriptCommand } from './commands/transcript';
import { upCommand } from './commands/up';

/** The `magicport` command tree; each command lives in its own file under commands/. */
export function buildProgram(): Command {
  return new Command('magicport')
    .description('Record, query and replay the Xen HVM magic-ioport (PV driver unplug) protocol')
    .showHelpAfterError()
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
}
