import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ClickHouseLogLevel,
  createClient,
  type ClickHouseClient,
  type ClickHouseSettings,
} from '@clickhouse/client';
import { stringifyRows } from './pre-encoded-rows';
import type { EmbeddedStoreConfig, ServerStoreConfig } from './store-config';
import { StoreOpenError } from './store-errors';

/**
 * Settings everything above the connection relies on, pinned at client level so both backends
 * agree (chDB's defaults differ from a server's) and sent with every call. Never vary them per
 * call: chDB applies per-call settings with SET, which leaks into later calls.
 */
export const PINNED_SETTINGS: ClickHouseSettings = {
  // UInt64/Int64 as JSON strings on both backends: numbers lose precision past 2^53.
  output_format_json_quote_64bit_integers: 1,
  // Accept ISO-8601 with "Z" and fractions in inserted rows.
  date_time_input_format: 'best_effort',
  date_time_output_format: 'simple',
  // DateTime values are UTC in and out, whatever the server's own time zone.
  session_timezone: 'UTC',
  // Extra fields in a row are ignored (both backends' default; pinned so a profile cannot flip it).
  input_format_skip_unknown_fields: 1,
  // Dedup tokens and "acknowledged means stored" only hold for synchronous inserts.
  async_insert: 0,
  insert_deduplicate: 1,
};

// Every failure reaches the caller as a StoreError with its cause; the client's own error log
// would print each retried attempt a second time.
const QUIET = { level: ClickHouseLogLevel.OFF };

const JSON_HANDLING = { parse: JSON.parse, stringify: stringifyRows };

type ClientConnection = NonNullable<Parameters<typeof createClient>[0]>['connection'];

export function connectServer(config: ServerStoreConfig, database: string): ClickHouseClient {
  return createClient({
    url: config.url,
    username: config.username,
    password: config.password,
    database,
    clickhouse_settings: PINNED_SETTINGS,
    application: 'magicport',
    log: QUIET,
    json: JSON_HANDLING,
  });
}

/**
 * chDB's own insert of bytes already in a text format (`connection.chdb.rawInsert`): the buffer
 * goes to the engine without a copy, where the client path turns the body into a string, joins
 * it to the statement (a second copy) and converts that to UTF-8 again for the engine.
 */
export type EmbeddedRawInsert = (params: {
  table: string;
  values: Uint8Array | string;
  format: 'JSONEachRow';
  columns?: readonly string[];
  settings: Record<string, string | number | boolean>;
}) => Promise<unknown>;

export interface EmbeddedConnection {
  client: ClickHouseClient;
  rawInsert: EmbeddedRawInsert;
}

/**
 * Opens chDB on the configured path. The engine is a process singleton with one data
 * directory, and a directory is locked by one process: both conflicts become a
 * StoreOpenError that names the path and what to do.
 */
export async function connectEmbedded(config: EmbeddedStoreConfig): Promise<EmbeddedConnection> {
  // Loaded on demand: chDB costs ~150 MB and ~90 ms, and server mode never needs it.
  const { createChdbConnection } = await import('chdb/connection');
  let connection;
  try {
    mkdirSync(config.path, { recursive: true });
    connection = createChdbConnection({ path: config.path });
  } catch (err) {
    const explained = explainEmbeddedOpenFailure(config.path, err);
    if (!explained.message.startsWith('cannot open embedded ClickHouse')) throw explained;
    // Two processes opening one path at once: the loser's error can be a bare "Failed to create
    // connection" while the winner has locked the status file but not yet written its pid.
    await new Promise((resolve) => setTimeout(resolve, 250));
    throw explainEmbeddedOpenFailure(config.path, err);
  }
  const client = createClient({
    // chDB implements the Connection contract of its own copy of the client's common package,
    // which TypeScript sees as a different type; the shapes are the same.
    connection: connection as unknown as ClientConnection,
    log: QUIET,
    json: JSON_HANDLING,
  });
  // Set once on the session, which keeps them: given as client settings, the chDB adapter
  // would run one SET per setting before every call (about 1 ms a query).
  await client.command({ query: setStatements(PINNED_SETTINGS) });
  const chdb = connection.chdb;
  return {
    client,
    rawInsert: (params) =>
      chdb.rawInsert({ ...params, columns: params.columns && [...params.columns] }),
  };
}

/** `SET k = v; ...` of fixed settings (constants of this module, never input). */
function setStatements(settings: ClickHouseSettings): string {
  return Object.entries(settings)
    .map(([k, v]) => `SET ${k} = ${typeof v === 'number' ? v : `'${String(v)}'`}`)
    .join('; ');
}

export function explainEmbeddedOpenFailure(path: string, err: unknown): StoreOpenError {
  const message = err instanceof Error ? err.message : String(err);
  const options = { cause: err };
  if (/only one active data directory per process/i.test(message)) {
    const open = /path='([^']*)'/.exec(message)?.[1] ?? 'another directory';
    return new StoreOpenError(
      `cannot open embedded ClickHouse at ${path}: this process already has it open at ${open}, ` +
        'and chDB runs one data directory per process. Close that store first, or reuse it.',
      options,
    );
  }
  // chDB's own message only sometimes says "Cannot lock file"; its status file names the holder.
  const holder = lockHolder(path);
  if (holder !== undefined || /Cannot lock file/i.test(message)) {
    const who = holder === undefined ? 'another process' : `process ${holder}`;
    return new StoreOpenError(
      `embedded ClickHouse data directory ${path} is in use by ${who} (chDB locks ${path}/status). ` +
        `${IN_USE_ADVICE}`,
      options,
    );
  }
  return new StoreOpenError(
    `cannot open embedded ClickHouse at ${path}: ${message}. If another process uses this ` +
      `directory: ${IN_USE_ADVICE}`,
    options,
  );
}

const IN_USE_ADVICE =
  'Stop the other magicport process using it, set MAGICPORT_CLICKHOUSE_PATH to another ' +
  'directory, or share one ClickHouse server through CLICKHOUSE_URL.';

/** The live process recorded in chDB's status file ("PID: 123"), if it is not this one. */
function lockHolder(path: string): number | undefined {
  let status: string;
  try {
    status = readFileSync(join(path, 'status'), 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number(/^PID: (\d+)$/m.exec(status)?.[1]);
  if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (err) {
    // EPERM: alive but owned by another user; ESRCH: a stale file left by a killed process.
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}
