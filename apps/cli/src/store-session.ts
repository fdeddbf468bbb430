import {
  StoreConfigError,
  StoreOpenError,
  openStore,
  parseStoreConfig,
  type ClickHouseStore,
} from '@magicport/store';

/** Exit codes of the store commands (migrate, rebuild). */
export const EXIT = {
  /** ClickHouse failed or could not be opened (unreachable, path in use). */
  failed: 1,
  /** CLICKHOUSE_URL / MAGICPORT_CLICKHOUSE_PATH is wrong. */
  config: 2,
  /** The database's schema is newer than this magicport, or an applied migration changed. */
  refused: 3,
} as const;

/** A failure the command reports as one message and an exit code, without a stack. */
export class CommandFailure extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/**
 * Opens the store the environment names (CLICKHOUSE_URL, else embedded chDB at
 * MAGICPORT_CLICKHOUSE_PATH, default ./.magicport/clickhouse), runs `work`, closes it.
 */
export async function withStore<T>(work: (store: ClickHouseStore) => Promise<T>): Promise<T> {
  let store: ClickHouseStore;
  try {
    store = await openStore(parseStoreConfig(process.env));
  } catch (err) {
    if (err instanceof StoreConfigError) throw new CommandFailure(err.message, EXIT.config);
    if (err instanceof StoreOpenError) throw new CommandFailure(err.message, EXIT.failed);
    throw err;
  }
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

/** Runs a command body: a CommandFailure becomes its message on stderr and its exit code. */
export async function runCommand(name: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    if (!(err instanceof CommandFailure)) throw err;
    process.stderr.write(`magicport ${name}: ${err.message}\n`);
    process.exitCode = err.exitCode;
  }
}
