import Table from 'cli-table3';
import { Command, InvalidArgumentError } from 'commander';
import { ApiCallError, ApiClient } from './api-client';

export interface OutputFlags {
  server?: string;
  token?: string;
  json?: boolean;
}

/** Adds --server, --token and --json to a query command. */
export function withClientFlags(command: Command): Command {
  return command
    .option(
      '--server <url>',
      'magicport server (default: $MAGICPORT_SERVER or http://127.0.0.1:$MAGICPORT_HTTP_PORT, port 8080)',
    )
    .option('--token <token>', 'bearer token for blacklist changes (default: $MAGICPORT_TOKEN)')
    .option('--json', 'print JSON for scripts instead of tables', false)
    .addHelpText(
      'after',
      '\nExit codes: 0 done, 1 invalid request, 3 not found, 4 missing or wrong token, 5 conflict,\n69 no server answers (start one with `magicport serve`) or it is busy, 70 server error.',
    );
}

/** Runs a query command: its result as JSON or a table; an API error sets the exit code. */
export function action<F extends OutputFlags, A extends unknown[]>(
  run: (client: ApiClient, flags: F, ...args: A) => Promise<{ json: unknown; table: () => string }>,
) {
  return async (...input: unknown[]): Promise<void> => {
    const command = input[input.length - 1] as Command;
    const flags = command.opts<F>();
    const args = input.slice(0, -2) as A;
    try {
      const client = new ApiClient({ server: flags.server, token: flags.token });
      const result = await run(client, flags, ...args);
      process.stdout.write(
        flags.json ? `${JSON.stringify(result.json, null, 2)}\n` : result.table(),
      );
    } catch (err) {
      if (!(err instanceof ApiCallError)) throw err;
      process.stderr.write(`magicport: ${err.message}\n`);
      process.exitCode = err.exitCode;
    }
  };
}

export function table(head: string[], rows: unknown[][], footer?: string): string {
  const t = new Table({ head });
  for (const row of rows) t.push(row.map((v) => (v === null || v === undefined ? '-' : String(v))));
  return `${t.toString()}\n${footer ? `${footer}\n` : ''}`;
}

export function intArg(name: string, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) > max)
      throw new InvalidArgumentError(
        `${name} must be an integer from 0 to ${max}, got ${JSON.stringify(value)}`,
      );
    return Number(value);
  };
}
