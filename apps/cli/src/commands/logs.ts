import { Command, Option } from 'commander';
import { action, intArg, table, withClientFlags, type OutputFlags } from '../api-client/output';

interface LogsFlags extends OutputFlags {
  grep?: string;
  boot?: number;
  from?: string;
  to?: string;
  host?: string;
  attribution: string;
  max: number;
}

type Row = Record<string, unknown>;

const lines = (rows: Row[]) =>
  table(
    ['time', 'vm', 'boot', 'handshake', 'attribution', 'dropped', 'throttled ms', 'text'],
    rows.map((r) => {
      const h = r.handshake as Row | null;
      return [
        r.time,
        r.vm,
        r.boot,
        h ? `${h.result} ${h.product ?? ''}/${h.build ?? ''}` : (r.handshakeId ?? '-'),
        r.attribution,
        r.droppedBefore,
        r.throttledMs,
        r.text,
      ];
    }),
    `${rows.length} lines`,
  );

/** Lines the tap could not tell from qemu-dm's own messages are `unattributed`. */
const attributionOption = () =>
  new Option('--attribution <which>', "the guest's lines, unattributed qemu-dm lines, or all")
    .choices(['guest', 'unattributed', 'all'])
    .default('all');

/** `magicport logs VM [--grep RE]` and `magicport logs search TEXT`. */
export function logsCommand(): Command {
  const logs = withClientFlags(new Command('logs'))
    .description("a guest's log lines (logs VM), or a fleet-wide search (logs search TEXT)")
    // `logs` and `logs search` share flags (--server, --json, --from…): without this, `logs`
    // took them from `logs search …` and the search never saw them.
    .enablePositionalOptions()
    .argument('<vm>', 'guest UUID')
    .option('--grep <re>', 'only lines matching this RE2 regular expression')
    .option('--boot <n>', 'one boot', intArg('--boot'))
    .option('--from <time>', 'start (inclusive)')
    .option('--to <time>', 'end (exclusive)')
    .addOption(attributionOption())
    .option('--max <n>', 'most lines', intArg('--max', 1_000_000), 10_000)
    .action(
      action<LogsFlags, [string]>(async (client, f, vm) => {
        const rows = await client.all<Row>(
          `/guests/${encodeURIComponent(vm)}/logs`,
          { grep: f.grep, boot: f.boot, from: f.from, to: f.to, attribution: f.attribution },
          f.max,
        );
        return { json: rows, table: () => lines(rows) };
      }),
    );
  logs.addCommand(
    withClientFlags(new Command('search'))
      .description('guest log lines across the fleet containing TEXT (case-insensitive)')
      .argument('<text>', 'the text')
      .option('--from <time>', 'start (default: 24 hours before --to)')
      .option('--to <time>', 'end (default: now)')
      .option('--host <name>', 'one host')
      .addOption(attributionOption())
      .option('--max <n>', 'most lines', intArg('--max', 1_000_000), 1000)
      .action(
        action<LogsFlags, [string]>(async (client, f, text) => {
          const rows = await client.all<Row>(
            '/logs/search',
            { q: text, from: f.from, to: f.to, host: f.host, attribution: f.attribution },
            f.max,
          );
          return { json: rows, table: () => lines(rows) };
        }),
      ),
  );
  return logs;
}
