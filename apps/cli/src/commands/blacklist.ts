import { readFile, writeFile } from 'node:fs/promises';
import { Command } from 'commander';
import { action, intArg, table, withClientFlags, type OutputFlags } from '../api-client/output';

interface BlacklistFlags extends OutputFlags {
  reason?: string;
  asOf?: number;
  from?: string;
  to?: string;
  product?: string;
  build?: number;
  host?: string;
  vm?: string;
  result?: string;
  revision?: number;
  summary?: boolean;
  max: number;
  dryRun?: boolean;
  profile?: string;
  output?: string;
}

type Row = Record<string, unknown>;
const BUILD = intArg('BUILD', 0xffffffff);
const REV = intArg('--as-of');

/** `magicport blacklist ls|add|rm|history|hits|impact|import|export` over the server's API. */
export function blacklistCommand(): Command {
  const bl = new Command('blacklist').description(
    'the driver blacklist (/mh/driver-blacklist): manage it, audit its hits',
  );
  bl.addCommand(
    withClientFlags(new Command('ls'))
      .description('the blacklist now')
      .action(
        action<BlacklistFlags, []>(async (client) => {
          const list = await client.get<{ revision: number; entries: Row[] }>('/blacklist');
          return {
            json: list,
            table: () =>
              table(
                ['key', 'added by', 'revision', 'added at', 'reason'],
                list.entries.map((e) => [e.key, e.addedBy, e.revision, e.addedAt, e.reason]),
                `revision ${list.revision}`,
              ),
          };
        }),
      ),
  );
  const change = (kind: 'add' | 'rm') =>
    withClientFlags(new Command(kind))
      .description(
        kind === 'add'
          ? 'blacklist a product build (needs a token)'
          : 'remove a blacklist entry (needs a token)',
      )
      .argument('<product>', 'product name or number')
      .argument('<build>', 'build number', BUILD)
      .requiredOption('--reason <text>', 'why (kept in the history)')
      .action(
        action<BlacklistFlags, [string, number]>(async (client, f, product, build) => {
          const result =
            kind === 'add'
              ? await client.post<{ revision: number; change: Row }>('/blacklist', {
                  product,
                  build,
                  reason: f.reason,
                })
              : await client.delete<{ revision: number; change: Row }>(
                  `/blacklist/${encodeURIComponent(product)}/${build}`,
                  { reason: f.reason },
                );
          return {
            json: result,
            table: () =>
              `${result.change.action} ${result.change.key} at revision ${result.revision} by ${result.change.actor}\n`,
          };
        }),
      );
  bl.addCommand(change('add'));
  bl.addCommand(change('rm'));
  bl.addCommand(
    withClientFlags(new Command('history'))
      .description('every change: who, when, why, revision')
      .option('--as-of <revision>', 'also list the blacklist as of this revision', REV)
      .action(
        action<BlacklistFlags, []>(async (client, f) => {
          const h = await client.get<{
            revision: number;
            changes: Row[];
            asOf: { revision: number; entries: Row[] } | null;
          }>('/blacklist/history', { asOf: f.asOf });
          return {
            json: h,
            table: () =>
              table(
                ['revision', 'time', 'action', 'key', 'actor', 'reason'],
                h.changes.map((c) => [c.revision, c.time, c.action, c.key, c.actor, c.reason]),
              ) +
              (h.asOf
                ? table(
                    [`as of revision ${h.asOf.revision}`],
                    h.asOf.entries.map((e) => [e.key]),
                  )
                : ''),
          };
        }),
      ),
  );
  bl.addCommand(
    withClientFlags(new Command('hits'))
      .description(
        'handshakes answered "blacklisted" (--summary: per day and build, ignoring drivers called out)',
      )
      .option('--from <time>', 'start (inclusive)')
      .option('--to <time>', 'end (exclusive)')
      .option('--product <name|number>', 'one product')
      .option('--build <n>', 'one build', BUILD)
      .option('--host <name>', 'one host')
      .option('--vm <uuid>', 'one guest')
      .option('--result <r>', 'blacklisted or blacklist-ignored')
      .option('--revision <n>', 'answered from this blacklist revision', intArg('--revision'))
      .option('--summary', 'per day and build instead of each hit', false)
      .option('--max <n>', 'most rows', intArg('--max', 1_000_000), 10_000)
      .action(
        action<BlacklistFlags, []>(async (client, f) => {
          if (f.summary) {
            const s = await client.get<{ days: Row[]; builds: Row[]; ignoringDrivers: Row[] }>(
              '/blacklist/hits/summary',
              {
                from: f.from?.slice(0, 10),
                to: f.to?.slice(0, 10),
                product: f.product,
                build: f.build,
              },
            );
            const head = [
              'product',
              'build',
              'hits',
              'honoured',
              'ignored',
              'unplug applied',
              'guests',
              'hosts',
            ];
            const cells = (r: Row) => [
              r.productName ?? r.product,
              r.build,
              r.hits,
              r.honoured,
              r.ignored,
              r.unplugApplied,
              r.guests,
              r.hosts,
            ];
            return {
              json: s,
              table: () =>
                table(
                  ['day', ...head],
                  s.days.map((r) => [r.day, ...cells(r)]),
                ) +
                (s.ignoringDrivers.length
                  ? `drivers that ignore the blacklist:\n${table(head, s.ignoringDrivers.map(cells))}`
                  : 'no driver ignored the blacklist\n'),
            };
          }
          const rows = await client.all<Row>(
            '/blacklist/hits',
            {
              from: f.from,
              to: f.to,
              product: f.product,
              build: f.build,
              host: f.host,
              vm: f.vm,
              result: f.result,
              revision: f.revision,
            },
            f.max,
          );
          return {
            json: rows,
            table: () =>
              table(
                ['time', 'vm', 'host', 'key', 'result', 'unplug applied', 'revision'],
                rows.map((r) => [
                  r.time,
                  r.vm,
                  r.host,
                  r.key,
                  r.result,
                  r.unplugApplied ? 'yes' : 'no',
                  r.blacklistRevision ?? 'unknown',
                ]),
                `${rows.length} hits`,
              ),
          };
        }),
      ),
  );
  bl.addCommand(
    withClientFlags(new Command('impact'))
      .description('which guests and hosts run a build now (before blacklisting it)')
      .argument('<product>', 'product name or number')
      .argument('<build>', 'build number', BUILD)
      .action(
        action<BlacklistFlags, [string, number]>(async (client, _f, product, build) => {
          const r = await client.get<Row & { sample: Row[] }>('/blacklist/impact', {
            product,
            build,
          });
          return {
            json: r,
            table: () =>
              `${r.key}: ${r.guests} guests on ${r.hosts} hosts run it now${r.listed ? ' (already blacklisted)' : ''}\n` +
              table(
                ['vm', 'host', 'last seen', 'result'],
                r.sample.map((g) => [g.vm, g.host, g.lastSeen, g.result]),
              ),
          };
        }),
      ),
  );
  bl.addCommand(
    withClientFlags(new Command('import'))
      .description(
        'add the entries of an `xenstore-ls -f /mh/driver-blacklist` dump (- = stdin; needs a token)',
      )
      .argument('<file>', 'the dump')
      .option('--reason <text>', 'reason for entries whose value is empty')
      .option('--dry-run', 'only say what would be added', false)
      .action(
        action<BlacklistFlags, [string]>(async (client, f, file) => {
          const dump = file === '-' ? await readStdin() : await readFile(file, 'utf8');
          const r = await client.post<{
            added: Row[];
            alreadyListed: string[];
            errors: Row[];
            revision: number;
          }>('/blacklist/import', { dump, reason: f.reason, dryRun: f.dryRun });
          return {
            json: r,
            table: () =>
              `${f.dryRun ? 'would add' : 'added'} ${r.added.length}, already listed ${r.alreadyListed.length}, errors ${r.errors.length}; revision ${r.revision}\n` +
              r.errors.map((e) => `  line ${e.line}: ${e.reason}\n`).join(''),
          };
        }),
      ),
  );
  bl.addCommand(
    withClientFlags(new Command('export'))
      .description('the blacklist as xenstore-write / xenstore-rm commands for stock toolstacks')
      .option('--profile <p>', 'qemu-traditional (default) or spec key spelling')
      .option('-o, --output <file>', 'write the script here instead of stdout')
      .action(
        action<BlacklistFlags, []>(async (client, f) => {
          const script = await client.getText('/blacklist/export', { profile: f.profile });
          if (f.output) await writeFile(f.output, script, { mode: 0o755 });
          return { json: { script }, table: () => (f.output ? '' : script) };
        }),
      ),
  );
  return bl;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
