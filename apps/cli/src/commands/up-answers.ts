import Table from 'cli-table3';
import {
  DEFAULT_API_QUERY_LIMITS,
  blacklistHitSummary,
  fleetBuilds,
  type ClickHouseStore,
} from '@magicport/store';
import { colourFor, tableStyle } from '../output';

const ALL_TIME = { from: '1970-01-01 00:00:00.000000', to: '2299-12-31 00:00:00.000000' };
const TOP_BUILDS = 10;
const REPLAY_CONCURRENCY = 4;

const table = (head: string[], rows: (string | number)[][]) => {
  const t = new Table({ head, style: tableStyle(colourFor(process.stdout)) });
  t.push(...rows.map((r) => r.map((v) => (typeof v === 'number' ? v.toLocaleString('en-US') : v))));
  return `${t.toString()}\n`;
};

/** A driver build for people; a blacklist hit can carry no product (nothing written). */
const buildName = (product: number | null, name: string | null, build: number | null) =>
  product === null ? '(no product)' : `${name ?? `#${product}`} ${build ?? '?'}`;

/**
 * After `up` has ingested its fleet: a short answer to each of the product's three questions
 * from what the store holds (the report queries the API serves), and the commands to go on with.
 */
export async function printAnswers(
  store: ClickHouseStore,
  serverUrl: string,
  serving: boolean,
): Promise<void> {
  const limits = DEFAULT_API_QUERY_LIMITS;
  const builds = await fleetBuilds(store, { ...ALL_TIME, limit: 10_000 }, limits);
  const top = [...builds]
    .sort((a, b) => b.guests - a.guests || a.product - b.product || a.build - b.build)
    .slice(0, TOP_BUILDS);
  process.stdout.write(
    `\nFleet driver builds: ${builds.length} builds; the ${top.length} on most guests:\n` +
      table(
        ['driver build', 'guests', 'hosts', 'handshakes'],
        top.map((b) => [
          buildName(b.product, b.productName, b.build),
          b.guests,
          b.hosts,
          b.handshakes,
        ]),
      ),
  );
  const hits = await blacklistHitSummary(
    store,
    { fromDay: '1970-01-01', toDay: '2299-12-31' },
    limits,
  );
  process.stdout.write(
    `\nBlacklist hits by build: ${hits.builds.length} builds hit the blacklist:\n` +
      table(
        ['driver build', 'blacklisted', 'blacklist-ignored', 'guests'],
        hits.builds.map((b) => [
          buildName(b.product, b.productName, b.build),
          b.honoured,
          b.ignored,
          b.guests,
        ]),
      ),
  );
  const { replayed, matching, violationsOnly, firstDiffering } = await replayFleet(
    store,
    serverUrl,
  );
  const n = (v: number) => v.toLocaleString('en-US');
  const differing = replayed - matching;
  process.stdout.write(
    `\nReplay: ${n(replayed)} handshakes replayed, ${n(matching)} match the recorded outcome` +
      (differing === 0
        ? '.\n'
        : `; ${n(differing)} differ (${n(violationsOnly)} only in their violations list), ` +
          `e.g. npx magicport replay ${firstDiffering!.vm} --boot ${firstDiffering!.boot}\n`) +
      (serving
        ? '\nTry, while it serves:\n'
        : '\nRun it without --exit-when-ingested to keep serving, then try:\n') +
      `  npx magicport fleet builds\n  npx magicport blacklist hits\n` +
      `  npx magicport replay VM\n`,
  );
}

interface ReplayAnswer {
  recorded: unknown[];
  differences: ({ kind: 'outcome'; handshake: number; field: string } | { kind: string })[];
}

/** Replays every boot with a handshake through the server's replay (the one `replay VM` uses). */
async function replayFleet(
  store: ClickHouseStore,
  serverUrl: string,
): Promise<{
  replayed: number;
  matching: number;
  violationsOnly: number;
  firstDiffering: { vm: string; boot: string } | null;
}> {
  const boots = await store.query<{ vm: string; boot: string }>(
    'SELECT DISTINCT vm, toString(boot) AS boot FROM handshakes ORDER BY vm, boot',
    {},
    { tag: 'up-replay-boots' },
  );
  let replayed = 0;
  let matching = 0;
  let violationsOnly = 0;
  let firstDiffering: { vm: string; boot: string } | null = null;
  let next = 0;
  const worker = async () => {
    while (next < boots.length) {
      const { vm, boot } = boots[next++]!;
      const response = await fetch(
        `${serverUrl}/api/v1/guests/${vm}/replay?boot=${boot}&timelineLimit=0`,
      );
      if (!response.ok) throw new Error(`replay of ${vm} boot ${boot}: HTTP ${response.status}`);
      const answer = (await response.json()) as ReplayAnswer;
      const count = answer.recorded.length;
      replayed += count;
      if (answer.differences.length > 0 && (firstDiffering === null || vm < firstDiffering.vm))
        firstDiffering = { vm, boot };
      if (answer.differences.some((d) => d.kind === 'outcome-count')) continue;
      // The fields each replayed handshake differs in from its recorded outcome.
      const fields = new Map<number, Set<string>>();
      for (const d of answer.differences) {
        if (!('handshake' in d)) continue;
        fields.set(d.handshake, (fields.get(d.handshake) ?? new Set()).add(d.field));
      }
      matching += count - fields.size;
      for (const f of fields.values()) if (f.size === 1 && f.has('violations')) violationsOnly++;
    }
  };
  await Promise.all(Array.from({ length: REPLAY_CONCURRENCY }, worker));
  return { replayed, matching, violationsOnly, firstDiffering };
}
