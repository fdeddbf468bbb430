/**
 * kill -9 of `magicport serve` at random moments, five times, while it ingests >= 200,000
 * simulated events; restarted each time. At the end the raw tables hold exactly the manifest's
 * events (per type), no (dm, seq) twice, and every report view equals its recomputation from the
 * raw tables. The control runs the same with the dedup tokens switched off and shows duplicates.
 */
import { randomInt } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { EVENTS_TOPIC } from '@magicport/events';
import { openStore } from '@magicport/store';
import type { FleetManifest } from '../../apps/device-model/src/simulate';
import '../setup/provided-context';
import {
  committedOffsets,
  committedTotal,
  placeGroupAt,
  waitCommittedToEnd,
  storedCounts,
} from '../support/ingest-fixtures';
import { killLeftoverServers, spawnServe } from '../support/ingest-server';
import { viewsAndRecomputations } from '../support/ingest-views';
import {
  buildCli,
  eventsEndOffsets,
  randomSeed,
  readManifest,
  runCli,
  simulateArgs,
  simulatedDms,
  waitFor,
  type SimulateRun,
} from '../support/recorder';

const brokers = inject('kafkaBrokers');
const KILLS = 5;
/** Past the five, kill on until one kill has left a stored but uncommitted range behind. */
const MAX_KILLS = 20;
let dir: string;
let run: Required<SimulateRun>;
let manifest: FleetManifest;
/** The events topic's end offsets before the run: the ingest groups start there. */
let startOffsets: Map<number, bigint>;

beforeAll(async () => {
  await buildCli();
  dir = await mkdtemp(join(tmpdir(), 'magicport-ingest-crash-'));
  run = {
    seed: randomSeed(),
    hosts: 40,
    guests: 8_000,
    boots: 2,
    brokers,
    journal: join(dir, 'journal'),
    manifest: join(dir, 'manifest.json'),
  };
  startOffsets = await eventsEndOffsets(brokers);
  // With the simulated blacklist, so the hit view has rows whatever ran before on the broker.
  const sim = await runCli(simulateArgs(run), 240_000);
  expect(sim.code, sim.stderr).toBe(0);
  manifest = await readManifest(run.manifest);
  expect(manifest.totalEvents).toBeGreaterThanOrEqual(200_000);
}, 300_000);
afterEach(killLeftoverServers);
afterAll(async () => {
  if (dir && !process.env.MAGICPORT_TEST_INGEST_LOG)
    await rm(dir, { recursive: true, force: true });
});

/**
 * What a kill left behind. `uncommitted`: handshake rows at or past the group's committed offset
 * of their partition, a range stored but not committed. Handshakes, because their views (sums)
 * keep a second insert for good, while a duplicate raw row can be merged away by
 * ReplacingMergeTree before the test looks. `inView` / `distinct`: handshakes counted by the
 * driver_builds_daily view, and distinct (dm, seq) in the raw table. A kill inside an insert
 * can land after the raw part is written but before the view's: the view then lacks those rows
 * (`distinct - inView` of them) until the range's rebuild fills the gap, which duplicates nothing
 * even without the tokens. Such rows are always in an uncommitted range (the range is committed
 * only after every insert), so a kill counts as a window hit only when more handshakes are
 * uncommitted than the view lacks: some uncommitted rows are then in the view already, and the
 * rebuild of their range counts them there a second time unless the tokens stop it. (Without
 * the tokens, `inView` can also exceed `distinct`: a second count already happened, and views
 * never lose a count.)
 */
async function afterKill(
  chPath: string,
  group: string,
): Promise<{ uncommitted: number; inView: number; distinct: number }> {
  const committed = await committedOffsets(brokers.split(','), group, EVENTS_TOPIC);
  const store = await openStore({ mode: 'embedded', path: chPath, database: 'magicport' });
  try {
    let uncommitted = 0;
    for (const [partition, offset] of committed) {
      const [row] = await store.query<{ n: string }>(
        `SELECT count() AS n FROM handshakes
         WHERE _topic = {topic:String} AND _partition = {partition:UInt32} AND _offset >= {offset:UInt64}`,
        { topic: EVENTS_TOPIC, partition, offset: String(offset < 0n ? 0n : offset) },
      );
      uncommitted += Number(row?.n ?? 0);
    }
    return { uncommitted, ...(await handshakeTally(store)) };
  } finally {
    await store.close();
  }
}

/** Handshakes the driver_builds_daily view counted, and distinct ones in the raw table. */
async function handshakeTally(
  store: Awaited<ReturnType<typeof openStore>>,
): Promise<{ inView: number; distinct: number }> {
  const [row] = await store.query<{ inView: string; distinct: string }>(
    `SELECT (SELECT sum(handshakes) FROM driver_builds_daily) AS inView,
            (SELECT uniqExact(dm, seq) FROM handshakes) AS distinct`,
  );
  return { inView: Number(row?.inView ?? 0), distinct: Number(row?.distinct ?? 0) };
}

/** Sum of the group's committed offsets over the events topic. */
function eventsCommitted(group: string): Promise<bigint> {
  return committedTotal(brokers.split(','), group, EVENTS_TOPIC);
}

async function crashAndRecover(label: string, dedup: boolean) {
  const group = `ingest-crash-${label}-${randomSeed()}`;
  const chPath = join(dir, `ch-${label}`);
  const args = ['--brokers', brokers, '--clickhouse-path', chPath, '--port', '0', '--group', group];
  const env = {
    MAGICPORT_KAFKA_SESSION_TIMEOUT_MS: '6000',
    MAGICPORT_INGEST_MAX_RANGE_ROWS: '5000',
    MAGICPORT_INGEST_DEDUP: dedup ? '1' : '0',
  };
  // The events topic is shared with every other test: this group reads from where the run began.
  await placeGroupAt(brokers.split(','), group, EVENTS_TOPIC, startOffsets);
  const ends = await eventsEndOffsets(brokers);
  const endTotal = [...ends.values()].reduce((a, b) => a + b, 0n);
  const startTotal = [...startOffsets.values()].reduce((a, b) => a + b, 0n);
  const kills: string[] = [];
  const began = Date.now();
  // A kill in the window between a range's first insert and its commit is what the dedup
  // tokens are for: keep killing (up to MAX_KILLS) until one has landed there.
  let windowHits = 0;
  for (let kill = 0; kill < KILLS || (windowHits === 0 && kill < MAX_KILLS); kill++) {
    const server = spawnServe(args, env);
    await server.listening;
    const before = await eventsCommitted(group);
    // Most kills land mid-ingest (after this run made progress), some during start-up.
    if (randomInt(0, 4) > 0) {
      await waitFor(
        'progress',
        async () => {
          const now = await eventsCommitted(group);
          return now > before || now >= endTotal;
        },
        60_000,
        50,
      );
      await new Promise((r) => setTimeout(r, randomInt(20, 400)));
    } else {
      await new Promise((r) => setTimeout(r, randomInt(0, 1_500)));
    }
    server.child.kill('SIGKILL');
    await server.exited;
    // A commit already on the wire when the process died is still applied by the broker: let it
    // land before reading the offsets, or the range it commits counts as a window hit it is not.
    await new Promise((r) => setTimeout(r, 1_000));
    if (process.env.MAGICPORT_TEST_INGEST_LOG)
      await writeFile(join(dir, `serve-${label}-${kill}.log`), server.stderr());
    const done = (await eventsCommitted(group)) - startTotal;
    const { uncommitted, inView, distinct } = await afterKill(chPath, group);
    if (uncommitted > Math.max(0, distinct - inView)) windowHits++;
    // committed/end+uncommitted handshakes, and the view's gap when a kill split an insert.
    const gap = inView < distinct ? `(view -${distinct - inView})` : '';
    kills.push(`${done}/${endTotal - startTotal}+${uncommitted}${gap}@${Date.now() - began}ms`);
  }
  const last = spawnServe(args, env);
  await last.listening;
  if (process.env.MAGICPORT_TEST_INGEST_LOG)
    console.log(label, 'last server started', Date.now() - began);
  try {
    await waitCommittedToEnd(brokers.split(','), group, EVENTS_TOPIC, ends, 180_000);
  } finally {
    if (process.env.MAGICPORT_TEST_INGEST_LOG)
      await writeFile(join(dir, `serve-${label}-last.log`), last.stderr());
  }
  if (process.env.MAGICPORT_TEST_INGEST_LOG)
    console.log(label, kills.join(' '), Date.now() - began);
  last.child.kill('SIGTERM');
  const lastExit = await last.exited;
  if (process.env.MAGICPORT_TEST_INGEST_LOG)
    await writeFile(join(dir, `serve-${label}-last.log`), last.stderr());
  expect(lastExit.code, last.stderr().slice(-2000)).toBe(0);
  const store = await openStore({ mode: 'embedded', path: chPath, database: 'magicport' });
  try {
    const stored = await storedCounts(store, [...simulatedDms(run)]);
    const views = await viewsAndRecomputations(store);
    const tally = await handshakeTally(store);
    return { stored, views, tally, kills, windowHits };
  } finally {
    await store.close();
  }
}

describe('ingest through kill -9', () => {
  it(`stores every event exactly once through ${KILLS} kills, views included`, async () => {
    const { stored, views, tally, kills, windowHits } = await crashAndRecover('tokens', true);
    // committed/end+stored-but-uncommitted rows at each kill: at least one kill hit the window.
    expect(kills.length, kills.join(' ')).toBeGreaterThanOrEqual(KILLS);
    expect(windowHits, kills.join(' ')).toBeGreaterThan(0);
    expect(stored.byType).toEqual(manifest.eventsByType);
    expect(stored.duplicates).toBe(0);
    expect(tally.inView).toBe(tally.distinct);
    for (const [name, { view, raw }] of Object.entries(views)) {
      expect(view.length, name).toBeGreaterThan(0);
      expect(view, name).toEqual(raw);
    }
  }, 600_000);

  it('control: without the dedup tokens the same kills leave duplicates', async () => {
    const { tally, windowHits, kills } = await crashAndRecover('no-tokens', false);
    expect(windowHits, kills.join(' ')).toBeGreaterThan(0);
    // The re-inserted range is in the view twice (raw duplicates may already be merged away).
    expect(tally.inView, kills.join(' ')).toBeGreaterThan(tally.distinct);
  }, 600_000);
});
