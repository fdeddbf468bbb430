import { Command } from 'commander';
import { blacklistCommand } from './commands/blacklist';
import { dmCommand } from './commands/dm-tap';
import { fleetCommand } from './commands/fleet';
import { logsCommand } from './commands/logs';
import { replayCommand } from './commands/replay';
import { serveCommand } from './commands/serve';
import { migrateCommand } from './commands/migrate';
import { rebuildCommand } from './commands/rebuild';
import { simulateCommand } from './commands/simulate';
import { transcriptCommand } from './commands/transcript';

/** The `magicport` command tree; each command lives in its own file under commands/. */
export function buildProgram(): Command {
  return new Command('magicport')
    .description('Record, query and replay the Xen HVM magic-ioport (PV driver unplug) protocol')
    .showHelpAfterError()
    .addCommand(dmCommand())
    .addCommand(serveCommand())
    .addCommand(migrateCommand())
    .addCommand(rebuildCommand())
    .addCommand(simulateCommand())
    .addCommand(transcriptCommand())
    .addCommand(fleetCommand())
    .addCommand(blacklistCommand())
    .addCommand(replayCommand())
    .addCommand(logsCommand());
}
