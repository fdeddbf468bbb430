import { ClientStore, type ClickHouseStore } from './clickhouse-store';
import { connectEmbedded, connectServer } from './clickhouse-connection';
import { describeTarget, isDatabaseName, type StoreConfig } from './store-config';
import { StoreError, StoreOpenError } from './store-errors';
import type { RetryPolicy } from './transient-retry';

export interface OpenStoreOptions {
  retry?: RetryPolicy;
}

/**
 * Connects as configured and makes sure the database exists, so callers use unqualified table
 * names on both backends. Fails with a StoreOpenError (unreachable, path in use) or StoreError.
 */
export async function openStore(
  config: StoreConfig,
  options: OpenStoreOptions = {},
): Promise<ClickHouseStore> {
  // The name is spliced into DDL below; parseStoreConfig checks it too, hand-built configs may not.
  if (!isDatabaseName(config.database)) {
    throw new StoreOpenError(`invalid database name ${JSON.stringify(config.database)}`);
  }
  const target = describeTarget(config);
  const parts = { mode: config.mode, database: config.database, target, retry: options.retry };
  if (config.mode === 'server') {
    // A server rejects every call that names a missing database, so create it from `default`.
    const admin = new ClientStore({ ...parts, client: connectServer(config, 'default') });
    await prepare(target, () => ensureDatabase(admin)).finally(() => admin.close());
    return new ClientStore({ ...parts, client: connectServer(config, config.database) });
  }
  const embedded = await connectEmbedded(config);
  const store = new ClientStore({ ...parts, ...embedded });
  try {
    await prepare(target, async () => {
      await ensureDatabase(store);
      // chDB ignores the client's `database` option; USE holds for this client's one session.
      await store.command(`USE ${config.database}`, {}, { tag: 'open' });
    });
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
  return store;
}

async function prepare(target: string, steps: () => Promise<void>): Promise<void> {
  try {
    await steps();
  } catch (err) {
    if (err instanceof StoreError && err.kind !== 'permanent') {
      const reason = err.cause instanceof Error ? err.cause.message : String(err.cause);
      throw new StoreOpenError(
        `cannot reach ${target} (${err.attempts} attempts): ${reason}. Is it running, and is the URL right?`,
        { cause: err },
      );
    }
    throw err;
  }
}

async function ensureDatabase(store: ClientStore): Promise<void> {
  const rows = await store.query<{ found: string }>(
    'SELECT count() AS found FROM system.databases WHERE name = {name:String}',
    { name: store.database },
    { tag: 'open' },
  );
  // Only create when missing: a server user may lack CREATE DATABASE on an existing one.
  if (rows[0]?.found === '0') {
    await store.command(`CREATE DATABASE IF NOT EXISTS ${store.database}`, {}, { tag: 'open' });
  }
}
