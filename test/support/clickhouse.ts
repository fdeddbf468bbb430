/**
 * ClickHouse for integration tests: the service the global setup chose (a server URL, or
 * embedded chDB), opened through the real store with a database or directory of its own.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import {
  openStore,
  parseStoreConfig,
  type ClickHouseStore,
  type EmbeddedStoreConfig,
  type StoreConfig,
} from '@magicport/store';

export type ClickHouseService = { kind: 'server'; url: string } | { kind: 'embedded' };

declare module 'vitest' {
  export interface ProvidedContext {
    clickhouse: ClickHouseService;
  }
}

export interface TestClickHouse {
  store: ClickHouseStore;
  config: StoreConfig;
  /** Closes the store and removes what it created (database or data directory). */
  close(): Promise<void>;
}

/**
 * Server: a fresh database on the provided server. Embedded: a fresh temp directory; chDB holds
 * one directory per process, so close it before opening another in the same test file.
 */
export async function openTestClickHouse(
  service: ClickHouseService = inject('clickhouse'),
): Promise<TestClickHouse> {
  if (service.kind === 'server') return openServerDatabase(service.url);
  const path = await mkdtemp(join(tmpdir(), 'magicport-ch-'));
  const config: EmbeddedStoreConfig = { mode: 'embedded', path, database: 'magicport' };
  const store = await openStore(config).catch(async (err: unknown) => {
    await rm(path, { recursive: true, force: true });
    throw err;
  });
  return {
    store,
    config,
    async close() {
      await store.close();
      await rm(path, { recursive: true, force: true });
    },
  };
}

async function openServerDatabase(url: string): Promise<TestClickHouse> {
  const base = parseStoreConfig({ CLICKHOUSE_URL: url });
  const database = `magicport_test_${randomBytes(6).toString('hex')}`;
  const config: StoreConfig = { ...base, database };
  const store = await openStore(config);
  return {
    store,
    config,
    async close() {
      await store.close();
      const admin = await openStore({ ...base, database: 'default' });
      try {
        await admin.command(`DROP DATABASE IF EXISTS ${database}`);
      } finally {
        await admin.close();
      }
    },
  };
}
