/**
 * An API test fixture: the magicport server (ingest + REST) in this process on a fresh embedded
 * ClickHouse, its consumer group starting at the events topic's end (so it sees only the runs
 * the test makes), fed by `magicport simulate` child processes through the real broker.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { hashToken } from '@magicport/blacklist';
import { loadConfig } from '@magicport/config';
import { EVENTS_TOPIC } from '@magicport/events';
import { createLogger, startServer, type RunningServer } from '@magicport/server';
import type { FleetManifest } from '../../apps/device-model/src/simulate';
import { openTestClickHouse, type TestClickHouse } from '../support/clickhouse';
import { eventsEndOffsets, runCli, simulateArgs, waitFor } from '../support/recorder';

export const TOKENS = { alice: 'alice-secret-token', bob: 'bob-secret-token' };

export interface ApiFixture {
  server: RunningServer;
  clickhouse: TestClickHouse;
  brokers: string;
  close(): Promise<void>;
}

export async function startApiFixture(brokers: string): Promise<ApiFixture> {
  const clickhouse = await openTestClickHouse();
  const group = `magicport-api-test-${randomBytes(4).toString('hex')}`;
  await startGroupAtEnd(brokers, group);
  const config = loadConfig({
    KAFKA_BROKERS: brokers,
    MAGICPORT_HTTP_PORT: '0',
    MAGICPORT_INGEST_GROUP: group,
    MAGICPORT_LOG_LEVEL: 'warn',
    MAGICPORT_BLACKLIST_TOKENS: `alice:${hashToken(TOKENS.alice)},bob:${hashToken(TOKENS.bob)}`,
  });
  const server = await startServer({
    config,
    logger: createLogger(config.log),
    store: clickhouse.store,
  });
  return {
    server,
    clickhouse,
    brokers,
    async close() {
      await server.close();
      await clickhouse.close();
    },
  };
}

/** Commits the group at the topic's end offsets, so the ingest skips what other tests published. */
async function startGroupAtEnd(brokers: string, groupId: string): Promise<void> {
  const ends = await eventsEndOffsets(brokers);
  const admin = new Kafka({
    clientId: 'magicport-api-test',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    await admin.setOffsets({
      groupId,
      topic: EVENTS_TOPIC,
      partitions: [...ends].map(([partition, end]) => ({ partition, offset: end.toString() })),
    });
  } finally {
    await admin.disconnect();
  }
}

export interface FleetRun {
  seed: number;
  start: string;
  manifest: FleetManifest;
}

/** `magicport simulate` of a small fleet starting at `start` (its own time range), to the broker. */
export async function simulate(
  brokers: string,
  seed: number,
  start: string,
  extra: string[] = [],
  guests = 200,
): Promise<FleetRun> {
  const dir = await mkdtemp(join(tmpdir(), 'magicport-api-'));
  try {
    const manifest = join(dir, 'manifest.json');
    const args = [
      ...simulateArgs({
        seed,
        hosts: 10,
        guests,
        boots: 2,
        brokers,
        journal: join(dir, 'journal'),
        manifest,
      }),
      '--start',
      start,
      ...extra,
    ];
    const exit = await runCli(args, 120_000);
    if (exit.code !== 0) throw new Error(`simulate failed (${exit.code}): ${exit.stderr}`);
    return { seed, start, manifest: JSON.parse(await readFile(manifest, 'utf8')) as FleetManifest };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Waits until ClickHouse holds every event of `run` (its time range holds nothing else). */
export async function waitIngested(fixture: ApiFixture, run: FleetRun): Promise<void> {
  const from = `${run.start.slice(0, 10)} 00:00:00.000000`;
  const want = run.manifest.eventsByType;
  await waitFor(
    `ingest of seed ${run.seed}`,
    async () => {
      const [row] = await fixture.clickhouse.store.query<Record<string, string>>(
        `SELECT
           (SELECT count() FROM handshakes WHERE time >= {from:DateTime64(6)} AND time < {from:DateTime64(6)} + INTERVAL 30 DAY) AS h,
           (SELECT count() FROM port_accesses WHERE time >= {from:DateTime64(6)} AND time < {from:DateTime64(6)} + INTERVAL 30 DAY) AS p,
           (SELECT count() FROM guest_logs WHERE time >= {from:DateTime64(6)} AND time < {from:DateTime64(6)} + INTERVAL 30 DAY) AS l,
           (SELECT count() FROM dm_instances WHERE time >= {from:DateTime64(6)} AND time < {from:DateTime64(6)} + INTERVAL 30 DAY) AS d`,
        { from },
      );
      return (
        Number(row!.h) === (want['handshake.outcome'] ?? 0) &&
        Number(row!.p) === (want['port.access'] ?? 0) &&
        Number(row!.l) === (want['guest.log'] ?? 0) &&
        Number(row!.d) === (want['dm.started'] ?? 0) + (want['dm.stopped'] ?? 0)
      );
    },
    120_000,
    250,
  );
}

export async function api<T = Record<string, unknown>>(
  base: string,
  path: string,
  init: RequestInit & { token?: string } = {},
): Promise<{ status: number; body: T; type: string; text: string }> {
  const headers = new Headers(init.headers);
  if (init.token) headers.set('authorization', `Bearer ${init.token}`);
  if (init.body) headers.set('content-type', 'application/json');
  const response = await fetch(`${base}${path}`, { ...init, headers });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // text responses stay text
  }
  return {
    status: response.status,
    body: body as T,
    type: response.headers.get('content-type') ?? '',
    text,
  };
}

/** Every item of a paginated endpoint, following nextCursor with small pages (exercises the cursor). */
export async function allPages<T>(base: string, path: string, pageSize = 37): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const r: { status: number; body: { items: T[]; nextCursor: string | null } } = await api(
      base,
      `${path}${sep}limit=${pageSize}${cursor ? `&cursor=${cursor}` : ''}`,
    );
    if (r.status !== 200) throw new Error(`${path}: ${r.status} ${JSON.stringify(r.body)}`);
    items.push(...r.body.items);
    cursor = r.body.nextCursor;
  } while (cursor);
  return items;
}
