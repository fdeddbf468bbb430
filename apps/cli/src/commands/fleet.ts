import { Command } from 'commander';
import { action, intArg, table, withClientFlags, type OutputFlags } from '../api-client/output';

interface FleetFlags extends OutputFlags {
  from?: string;
  to?: string;
  host?: string;
  product?: string;
  build?: number;
  reason?: string;
  max: number;
}

type Row = Record<string, unknown>;
const MAX = intArg('--max', 1_000_000);

/** `magicport fleet builds|rollout|guests|emulated|unknown`: the fleet's PV driver builds. */
export function fleetCommand(): Command {
  const fleet = new Command('fleet').description(
    'fleet PV driver builds: which builds run where, rollouts, guests still emulated',
  );
  fleet.addCommand(
    withClientFlags(new Command('builds'))
      .description(
        'driver builds seen in a time range: guests, hosts, handshakes, first/last seen, blacklisted now',
      )
      .option('--from <time>', 'start (UTC time or day, inclusive)')
      .option('--to <time>', 'end (exclusive)')
      .option('--host <name>', 'one host only')
      .option('--product <name|number>', 'one product')
      .option('--build <n>', 'one build', intArg('--build', 0xffffffff))
      .option('--max <n>', 'most rows', MAX, 10_000)
      .action(
        action<FleetFlags, []>(async (client, f) => {
          const rows = await client.all<Row>(
            '/fleet/builds',
            { from: f.from, to: f.to, host: f.host, product: f.product, build: f.build },
            f.max,
          );
          return {
            json: rows,
            table: () =>
              table(
                [
                  'product',
                  'name',
                  'build',
                  'guests',
                  'hosts',
                  'handshakes',
                  'first seen',
                  'last seen',
                  'blacklisted',
                ],
                rows.map((r) => [
                  r.product,
                  r.productName,
                  r.build,
                  r.guests,
                  r.hosts,
                  r.handshakes,
                  r.firstSeen,
                  r.lastSeen,
                  r.blacklistedNow ? 'yes' : 'no',
                ]),
              ),
          };
        }),
      ),
  );
  fleet.addCommand(
    withClientFlags(new Command('rollout'))
      .description("a product's builds' share of the guests per UTC day")
      .requiredOption('--product <name|number>', 'the product')
      .option('--build <n>', 'one build', intArg('--build', 0xffffffff))
      .option('--from <day>', 'first day')
      .option('--to <day>', 'day after the last')
      .action(
        action<FleetFlags, []>(async (client, f) => {
          const { items } = await client.get<{ items: Row[] }>('/fleet/rollout', {
            product: f.product,
            build: f.build,
            from: f.from,
            to: f.to,
          });
          return {
            json: items,
            table: () =>
              table(
                ['day', 'build', 'guests', 'fleet guests', 'share'],
                items.map((r) => [
                  r.day,
                  r.build,
                  r.guests,
                  r.fleetGuests,
                  `${((r.share as number) * 100).toFixed(1)}%`,
                ]),
              ),
          };
        }),
      ),
  );
  fleet.addCommand(
    withClientFlags(new Command('guests'))
      .description('guests running a build now (their latest handshake)')
      .requiredOption('--product <name|number>', 'the product')
      .requiredOption('--build <n>', 'the build', intArg('--build', 0xffffffff))
      .option('--host <name>', 'one host only')
      .option('--max <n>', 'most rows', MAX, 10_000)
      .action(
        action<FleetFlags, []>(async (client, f) => {
          const rows = await client.all<Row>(
            '/fleet/guests',
            { product: f.product, build: f.build, host: f.host },
            f.max,
          );
          return {
            json: rows,
            table: () =>
              table(
                ['vm', 'host', 'boot', 'last seen', 'result'],
                rows.map((r) => [r.vm, r.host, r.boot, r.lastSeen, r.result]),
                `${rows.length} guests`,
              ),
          };
        }),
      ),
  );
  fleet.addCommand(
    withClientFlags(new Command('emulated'))
      .description('guests still on emulated devices, and why')
      .option('--host <name>', 'one host only')
      .option(
        '--reason <reason>',
        'no-pv-driver, blacklisted, blacklist-enforced, version-unsupported, no-unplug, magic-mismatch or abandoned',
      )
      .option('--max <n>', 'most rows', MAX, 10_000)
      .action(
        action<FleetFlags, []>(async (client, f) => {
          const rows = await client.all<Row>(
            '/fleet/emulated',
            { host: f.host, reason: f.reason },
            f.max,
          );
          return {
            json: rows,
            table: () =>
              table(
                ['vm', 'host', 'reason', 'product', 'build', 'violations'],
                rows.map((r) => {
                  const latest = r.latest as Row | null;
                  return [
                    r.vm,
                    r.host,
                    r.reason,
                    latest?.productName ?? latest?.product,
                    latest?.build,
                    (r.violations as string[]).join(' '),
                  ];
                }),
                `${rows.length} guests`,
              ),
          };
        }),
      ),
  );
  fleet.addCommand(
    withClientFlags(new Command('unknown'))
      .description('product numbers the registry does not know, seen in the fleet')
      .option('--from <time>', 'start (inclusive)')
      .option('--to <time>', 'end (exclusive)')
      .action(
        action<FleetFlags, []>(async (client, f) => {
          const { items } = await client.get<{ items: Row[] }>('/fleet/unknown-products', {
            from: f.from,
            to: f.to,
          });
          return {
            json: items,
            table: () =>
              table(
                ['product', 'guests', 'hosts', 'handshakes', 'builds'],
                items.map((r) => [
                  r.product,
                  r.guests,
                  r.hosts,
                  r.handshakes,
                  (r.builds as number[]).join(' '),
                ]),
              ),
          };
        }),
      ),
  );
  return fleet;
}
