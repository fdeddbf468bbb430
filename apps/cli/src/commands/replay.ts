import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { action, intArg, table, withClientFlags, type OutputFlags } from '../api-client/output';

interface ReplayFlags extends OutputFlags {
  boot?: number;
  handshake?: string;
  profile?: string;
  enforce?: boolean;
  blacklist?: string;
  asOf?: number;
  current?: boolean;
}

type Row = Record<string, unknown>;

/** `magicport replay VM`: one boot's handshakes re-run from ClickHouse, with what-ifs. */
export function replayCommand(): Command {
  return withClientFlags(new Command('replay'))
    .description(
      "replay a guest's boot from ClickHouse: decoded timeline, recorded vs replayed outcome, what-ifs",
    )
    .argument('<vm>', 'guest UUID')
    .option('--boot <n>', 'the boot (default: the latest handshake)', intArg('--boot'))
    .option('--handshake <id>', 'the boot of this handshake')
    .option('--profile <p>', 'what if: spec, qemu-traditional or qemu-upstream')
    .option('--enforce', 'what if: the device model enforced the blacklist')
    .option('--no-enforce', 'what if: it did not')
    .option(
      '--blacklist <file>',
      'what if: this blacklist (one key per line, /mh/driver-blacklist/P/B)',
    )
    .option('--as-of <revision>', 'what if: the blacklist as of this revision', intArg('--as-of'))
    .option('--current', 'what if: the blacklist as it is now')
    .action(
      action<ReplayFlags, [string]>(async (client, f, vm) => {
        let keys: string | undefined;
        if (f.blacklist)
          keys = (await readFile(f.blacklist, 'utf8'))
            .split(/\r?\n/)
            .map((l) => l.trim())
            .filter((l) => l && !l.startsWith('#'))
            .join(',');
        const mode =
          keys !== undefined
            ? 'given'
            : f.asOf !== undefined
              ? 'as-of'
              : f.current
                ? 'current'
                : undefined;
        const r = await client.get<
          Row & { timeline: Row[]; recorded: Row[]; replayed: Row[]; differences: Row[] }
        >(`/guests/${encodeURIComponent(vm)}/replay`, {
          boot: f.boot,
          handshake: f.handshake,
          profile: f.profile,
          enforce: f.enforce,
          blacklist: mode,
          asOf: f.asOf,
          keys: mode === 'given' ? keys : undefined,
        });
        return {
          json: r,
          table: () =>
            `guest ${r.vm} boot ${r.boot} on ${r.host} (${r.dm}), profile ${r.profile}${r.enforceBlacklist ? ', enforcing' : ''}\n` +
            table(
              ['time', 'op', 'port', 'size', 'value', 'response', 'meaning', 'state'],
              r.timeline.map((e) => [
                e.time,
                e.op,
                hex(e.port),
                e.size,
                hex(e.value),
                hex(e.response),
                e.meaning,
                e.phase,
              ]),
            ) +
            table(
              ['#', 'recorded', 'replayed'],
              r.recorded.map((h, i) => [
                i,
                `${h.result} ${h.blacklistKey ?? ''}`,
                `${r.replayed[i]?.result ?? '-'} ${r.replayed[i]?.blacklistKey ?? ''}`,
              ]),
            ) +
            (r.matches
              ? 'replay matches the recording\n'
              : `${r.differences.length} differences:\n${r.differences.map((d) => `  ${JSON.stringify(d)}\n`).join('')}`),
        };
      }),
    );
}

function hex(v: unknown): string {
  return typeof v === 'number' ? `0x${v.toString(16)}` : '-';
}
