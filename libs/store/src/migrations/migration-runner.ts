import type { ClickHouseStore } from '../clickhouse-store';
import { StoreError } from '../store-errors';
import { loadMigrations, type MigrationFile } from './migration-files';

/** The database cannot be migrated by this code: newer schema, or an applied file changed. */
export class MigrationRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationRefusedError';
  }
}

export interface MigrationStatus {
  /** Every known migration is applied and nothing below refuses. */
  current: boolean;
  pending: string[];
  /** Recorded in the database but not among this code's files (a newer schema). */
  unknown: string[];
  /** Recorded with another checksum than the file has now. */
  changed: string[];
}

export interface MigrateOptions {
  /** Defaults to the package's own migrations. */
  migrations?: readonly MigrationFile[];
}

const TABLE = 'schema_migrations';

// ReplacingMergeTree by name: two processes that both applied a file (a race on a server)
// leave one row after merge, and reads use FINAL; the same file has the same checksum anyway.
const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS ${TABLE}
(
    name String,
    checksum String,
    applied_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(applied_at)
ORDER BY name`;

// One migration at a time per target within this process (several stores may share one).
const running = new Map<string, Promise<unknown>>();

function serialised<T>(key: string, work: () => Promise<T>): Promise<T> {
  const before = running.get(key) ?? Promise.resolve();
  const result = before.then(work, work);
  const settled = result.catch(() => undefined);
  running.set(key, settled);
  void settled.then(() => {
    if (running.get(key) === settled) running.delete(key);
  });
  return result;
}

/**
 * Applies every pending migration in order and records each with its checksum. Idempotent:
 * statements are IF NOT EXISTS, so a crash between a statement and its record, or a second
 * process migrating the same server at once, ends in the same schema. Refuses (before running
 * anything) a database that records a migration this code lacks, or one whose file changed.
 */
export async function migrate(
  store: ClickHouseStore,
  log: (line: string) => void = () => undefined,
  options: MigrateOptions = {},
): Promise<{ applied: string[]; current: string | null }> {
  const files = options.migrations ?? loadMigrations();
  return serialised(`${store.target}`, async () => {
    await store.command(CREATE_TABLE, {}, { tag: 'migrate' });
    const recorded = await recordedMigrations(store);
    refuseIfIncompatible(store, compare(files, recorded));
    const applied: string[] = [];
    for (const file of files) {
      if (recorded.has(file.name)) continue;
      log(`applying ${file.name} (${file.statements.length} statements)`);
      for (const statement of file.statements) await runStatement(store, file, statement);
      await store.insert(
        TABLE,
        [
          {
            name: file.name,
            checksum: file.checksum,
            applied_at: new Date().toISOString().slice(0, 23).replace('T', ' '),
          },
        ],
        { tag: 'migrate' },
      );
      applied.push(file.name);
    }
    const last = files.at(-1)?.name ?? null;
    log(
      applied.length === 0
        ? `schema is current (${last ?? 'no migrations'})`
        : `schema is now at ${last}`,
    );
    return { applied, current: last };
  });
}

/** What migrate() would do, without changing anything. */
export async function migrationStatus(
  store: ClickHouseStore,
  options: MigrateOptions = {},
): Promise<MigrationStatus> {
  const files = options.migrations ?? loadMigrations();
  const exists = await store.query<{ n: string }>(
    'SELECT count() AS n FROM system.tables WHERE database = currentDatabase() AND name = {table:String}',
    { table: TABLE },
    { tag: 'migration-status' },
  );
  const recorded =
    exists[0]?.n === '0' ? new Map<string, string>() : await recordedMigrations(store);
  return compare(files, recorded);
}

async function recordedMigrations(store: ClickHouseStore): Promise<Map<string, string>> {
  const rows = await store.query<{ name: string; checksum: string }>(
    `SELECT name, argMax(checksum, applied_at) AS checksum FROM ${TABLE} GROUP BY name ORDER BY name`,
    {},
    { tag: 'migrate' },
  );
  return new Map(rows.map((r) => [r.name, r.checksum]));
}

function compare(files: readonly MigrationFile[], recorded: Map<string, string>): MigrationStatus {
  const known = new Map(files.map((f) => [f.name, f]));
  const unknown = [...recorded.keys()].filter((name) => !known.has(name));
  const changed = files
    .filter((f) => recorded.has(f.name) && recorded.get(f.name) !== f.checksum)
    .map((f) => f.name);
  const pending = files.filter((f) => !recorded.has(f.name)).map((f) => f.name);
  return {
    current: pending.length === 0 && unknown.length === 0 && changed.length === 0,
    pending,
    unknown,
    changed,
  };
}

function refuseIfIncompatible(store: ClickHouseStore, status: MigrationStatus): void {
  if (status.unknown.length > 0) {
    throw new MigrationRefusedError(
      `refusing to migrate ${store.target}: it records migration ${status.unknown.join(', ')}, ` +
        'which this version of magicport does not have (the schema is newer). Run a magicport ' +
        'that has it, or point CLICKHOUSE_URL / MAGICPORT_CLICKHOUSE_PATH at another database.',
    );
  }
  if (status.changed.length > 0) {
    throw new MigrationRefusedError(
      `refusing to migrate ${store.target}: migration file ${status.changed.join(', ')} ` +
        'changed after it was applied (its sha256 differs from the recorded one). Applied ' +
        'migrations must never be edited: restore the file and add a new numbered migration.',
    );
  }
}

async function runStatement(
  store: ClickHouseStore,
  file: MigrationFile,
  statement: string,
): Promise<void> {
  try {
    await store.command(statement, {}, { tag: `migrate-${file.name}` });
  } catch (err) {
    // Two processes creating the same table at once on a server: one may lose the race even
    // with IF NOT EXISTS. The table is there either way.
    if (err instanceof StoreError && err.clickhouseType === 'TABLE_ALREADY_EXISTS') return;
    throw err;
  }
}
