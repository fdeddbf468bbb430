/**
 * The embedded ClickHouse's disk fills up under `magicport serve` while the simulator publishes:
 * its data directory is on a tmpfs shrunk to a few MiB above what the empty schema uses. Inserts
 * fail with chDB's "not enough space"; the server must neither exit nor commit a range it could
 * not store, and once the disk has room again (the tmpfs grown back) every event is stored
 * exactly once and the views equal their recomputation. Mounting the tmpfs needs root (as on the
 * CI machines); without it this test fails and says so.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { EVENTS_TOPIC } from '@magicport/events';
import { openStore } from '@magicport/store';
import '../setup/provided-context';
import {
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

const run_ = promisify(execFile);
const brokers = inject('kafkaBrokers');
/** Room left on the disk once the schema is in: a few ranges' parts fill it. */
const HEADROOM_BYTES = 3 * 1024 * 1024;
let dir: string;
let disk: string;
let mounted = false;

async function mountTmpfs(at: string, size: string): Promise<void> {
  try {
    await run_('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', at]);
  } catch (error) {
    throw new Error(
      `this test mounts a tmpfs to fill the disk under ClickHouse and needs root for it: ${String(error)}`,
      { cause: error },
    );
  }
}

async function resizeTmpfs(at: string, bytes: number): Promise<void> {
  await run_('mount', ['-o', `remount,size=${Math.ceil(bytes / 4096) * 4096}`, at]);
}

async function usedBytes(at: string): Promise<number> {
  const s = await statfs(at);
  return (s.blocks - s.bfree) * s.bsize;
}

beforeAll(async () => {
  await buildCli();
  dir = await mkdtemp(join(tmpdir(), 'magicport-ingest-full-disk-'));
  disk = join(dir, 'disk');
  await mkdir(disk);
  await mountTmpfs(disk, '512m');
  mounted = true;
}, 300_000);
afterEach(killLeftoverServers);
afterAll(async () => {
  if (mounted) await run_('umount', [disk]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('ingest with the ClickHouse disk full', () => {
  it('waits out a full disk without exiting, then stores every event exactly once', async () => {
    const chPath = join(disk, 'ch');
    const group = `ingest-full-disk-${randomSeed()}`;
    const startOffsets = await eventsEndOffsets(brokers);
    await placeGroupAt(brokers.split(','), group, EVENTS_TOPIC, startOffsets);
    const server = spawnServe(
      ['--brokers', brokers, '--clickhouse-path', chPath, '--port', '0', '--group', group],
      { MAGICPORT_INGEST_MAX_RANGE_ROWS: '5000' },
    );
    await server.listening;
    // The schema is in once the server listens: leave it only a little room.
    await resizeTmpfs(disk, (await usedBytes(disk)) + HEADROOM_BYTES);

    const run: Required<SimulateRun> = {
      seed: randomSeed(),
      hosts: 20,
      guests: 3_000,
      boots: 1,
      brokers,
      journal: join(dir, 'journal'),
      manifest: join(dir, 'manifest.json'),
    };
    const sim = await runCli(simulateArgs(run), 240_000);
    expect(sim.code, sim.stderr).toBe(0);
    const manifest = await readManifest(run.manifest);
    const ends = await eventsEndOffsets(brokers);
    const endTotal = [...ends.values()].reduce((a, b) => a + b, 0n);

    await waitFor(
      'an insert refused for lack of space',
      () => /not enough space/i.test(server.stderr()),
      120_000,
      200,
    );
    const atFull = await committedTotal(brokers.split(','), group, EVENTS_TOPIC);
    // Stalled, not finished and not dead: ten seconds on, the server is still up and retrying.
    await new Promise((r) => setTimeout(r, 10_000));
    expect(server.child.exitCode).toBeNull();
    expect(atFull).toBeLessThan(endTotal);
    const retries = server.stderr().match(/"operation":"insert"[^\n]*not enough space/gi) ?? [];
    expect(retries.length).toBeGreaterThan(1);

    await resizeTmpfs(disk, 512 * 1024 * 1024);
    await waitCommittedToEnd(brokers.split(','), group, EVENTS_TOPIC, ends, 180_000);
    server.child.kill('SIGTERM');
    const exit = await server.exited;
    expect(exit.code, server.stderr().slice(-2000)).toBe(0);

    const store = await openStore({ mode: 'embedded', path: chPath, database: 'magicport' });
    try {
      const stored = await storedCounts(store, [...simulatedDms(run)]);
      expect(stored.byType).toEqual(manifest.eventsByType);
      expect(stored.duplicates).toBe(0);
      for (const [name, { view, raw }] of Object.entries(await viewsAndRecomputations(store))) {
        expect(view.length, name).toBeGreaterThan(0);
        expect(view, name).toEqual(raw);
      }
    } finally {
      await store.close();
    }
  }, 600_000);
});
