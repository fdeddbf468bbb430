import { Command } from 'commander';
import { escapeForTerminal } from '../output';

/**
 * `magicport help [command...]`: commander's own help command shows the top-level help for a
 * name it does not know; this one says the command is unknown.
 */
export function helpCommand(program: Command): Command {
  return new Command('help')
    .description('show help for a command')
    .argument('[command...]', 'the command, e.g. "dm tap"')
    .action((names: string[]) => {
      let command = program;
      for (const name of names) {
        const sub = command.commands.find((c) => c.name() === name || c.aliases().includes(name));
        if (!sub || sub.name() === 'help') {
          process.stderr.write(
            `magicport: unknown command '${escapeForTerminal(names.join(' '))}' (see magicport --help)\n`,
          );
          process.exitCode = 1;
          return;
        }
        command = sub;
      }
      command.outputHelp();
    });
}
