import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MIGRATIONS_DIR,
  MigrationRefusedError,
  loadMigrations,
  migrate,
  migrationStatus,
  openStore,
  type ClickHouseStore,
} from '@magicport/store';
import { openTestClickHouse, type TestClickHouse } from '../../../test/support/clickhouse';

const FILES = loadMigrations().map((f) => f.name);
const TABLES = [
  'blacklist_changes',
  'blacklist_hits_daily',
  'blacklist_hits_daily_mv',
  'dm_instances',
  'driver_builds_daily',
  'driver_builds_daily_mv',
  'fleet_builds_daily',
  'fleet_builds_daily_mv',
  'guest_logs',
  'handshakes',
  'latest_handshakes',
  'latest_handshakes_mv',
  'port_accesses',
  'schema_migrations',
];

let ch: TestClickHouse;
const extra: ClickHouseStore[] = [];
let databases = 0;

/** A store on a database of its own, beside the test's (same server, or same chDB path). */
async function freshDatabase(): Promise<ClickHouseStore> {
  const store = await openStore({
    ...ch.config,
    database: `${ch.config.database}_m${++databases}`,
  });
  extra.push(store);
  return store;
}

async function tables(store: ClickHouseStore): Promise<string[]> {
  const rows = await store.query<{ name: string }>(
    'SELECT name FROM system.tables WHERE database = currentDatabase() ORDER BY name',
  );
  return rows.map((r) => r.name);
}

/** Rows of the migrations table as stored, duplicates included (no FINAL). */
async function records(store: ClickHouseStore): Promise<string[]> {
  const rows = await store.query<{ name: string }>(
    'SELECT name FROM schema_migrations ORDER BY name',
  );
  return rows.map((r) => r.name);
}

beforeAll(async () => {
  ch = await openTestClickHouse();
});

afterAll(async () => {
  for (const store of extra) {
    await store.command(`DROP DATABASE IF EXISTS ${store.database}`).catch(() => undefined);
    await store.close();
  }
  await ch?.close();
});

describe('migrate', () => {
  it('applies every file in order once, then nothing on a second run', async () => {
    const store = await freshDatabase();
    expect(await migrationStatus(store)).toEqual({
      current: false,
      pending: FILES,
      unknown: [],
      changed: [],
    });
    const lines: string[] = [];
    expect(await migrate(store, (line) => lines.push(line))).toEqual({
      applied: FILES,
      current: FILES.at(-1),
    });
    expect(lines[0]).toMatch(/^applying 0001_raw_tables\.sql \(5 statements\)$/);
    expect(await tables(store)).toEqual(expect.arrayContaining(TABLES));
    expect(await migrate(store)).toEqual({ applied: [], current: FILES.at(-1) });
    expect(await records(store)).toEqual(FILES);
    expect(await migrationStatus(store)).toEqual({
      current: true,
      pending: [],
      unknown: [],
      changed: [],
    });
  });

  it('makes every table the ingest writes fsync its inserted parts (no row lost to a power cut after its commit)', async () => {
    const store = await freshDatabase();
    await migrate(store);
    const rows = await store.query<{ name: string; engine_full: string }>(
      `SELECT name, engine_full FROM system.tables
       WHERE database = currentDatabase() AND engine LIKE '%MergeTree' AND name != 'schema_migrations'
       ORDER BY name`,
    );
    expect(rows.map((r) => r.name)).toEqual(
      TABLES.filter((t) => !t.endsWith('_mv') && t !== 'schema_migrations'),
    );
    for (const { name, engine_full } of rows) {
      expect({
        name,
        fsync: /fsync_after_insert = 1\b.*fsync_part_directory = 1\b/.test(engine_full),
      }).toEqual({
        name,
        fsync: true,
      });
    }
  });

  it('runs once when two callers in one process migrate one database at once', async () => {
    const store = await freshDatabase();
    // A second store on the same target: serialised too, not only calls on one object.
    const twin = await openStore({ ...ch.config, database: store.database });
    extra.push(twin);
    const results = await Promise.all([migrate(store), migrate(twin), migrate(store)]);
    expect(results.map((r) => r.applied)).toEqual([FILES, [], []]);
    // Without the serialisation each caller records every file (3x the rows).
    expect(await records(store)).toEqual(FILES);
  });

  it('finishes a migration that crashed between its statements and its record', async () => {
    const store = await freshDatabase();
    const [first] = loadMigrations();
    for (const statement of first!.statements) await store.command(statement);
    expect((await migrationStatus(store)).pending).toEqual(FILES);
    expect((await migrate(store)).applied).toEqual(FILES);
  });

  it('refuses a database with a migration it does not know, before changing anything', async () => {
    const store = await freshDatabase();
    await migrate(store);
    await store.insert('schema_migrations', [
      { name: '9999_from_the_future.sql', checksum: 'ab', applied_at: '2026-12-01 00:00:00.000' },
    ]);
    const status = await migrationStatus(store);
    expect(status).toEqual({
      current: false,
      pending: [],
      unknown: ['9999_from_the_future.sql'],
      changed: [],
    });
    const refused = migrate(store);
    await expect(refused).rejects.toBeInstanceOf(MigrationRefusedError);
    await expect(refused).rejects.toThrow(
      /records migration 9999_from_the_future\.sql, which this version of magicport does not have/,
    );
  });

  it('refuses a database whose applied file changed, naming the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'magicport-migrations-'));
    try {
      for (const name of await readdir(MIGRATIONS_DIR)) {
        await copyFile(join(MIGRATIONS_DIR, name), join(dir, name));
      }
      const store = await freshDatabase();
      await migrate(store, undefined, { migrations: loadMigrations(dir) });
      await writeFile(join(dir, 'extra_note.txt'), 'not a migration');
      expect(
        (await migrate(store, undefined, { migrations: loadMigrations(dir) })).applied,
      ).toEqual([]);
      // An edit that changes nothing in ClickHouse still changes the checksum.
      const original = await readFile(join(dir, '0001_raw_tables.sql'), 'utf8');
      await writeFile(join(dir, '0001_raw_tables.sql'), `-- edited\n${original}`);
      const changed = loadMigrations(dir);
      expect(await migrationStatus(store, { migrations: changed })).toMatchObject({
        current: false,
        changed: ['0001_raw_tables.sql'],
      });
      await expect(migrate(store, undefined, { migrations: changed })).rejects.toThrow(
        /migration file 0001_raw_tables\.sql changed after it was applied/,
      );
      // A new file after a refused run is not applied either.
      await writeFile(
        join(dir, '0099_later.sql'),
        'CREATE TABLE IF NOT EXISTS later (a UInt8) ENGINE = Memory;\n',
      );
      await expect(migrate(store, undefined, { migrations: loadMigrations(dir) })).rejects.toThrow(
        MigrationRefusedError,
      );
      expect(await tables(store)).not.toContain('later');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
