import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openStore, StoreOpenError, type EmbeddedStoreConfig } from '@magicport/store';
import { openTestClickHouse, type TestClickHouse } from './support/clickhouse';

const root = fileURLToPath(new URL('..', import.meta.url));
const PRODUCTS = [1, 2, 3, 4, 5, 0xffff];
const RESULTS = ['unplugged', 'no-unplug', 'blacklisted', 'blacklist-ignored', 'abandoned'];
const UINT64_MAX = '18446744073709551615';

interface SmokeRow {
  vm: string;
  seq: number | string;
  product: number;
  build: number;
  result: string;
  at: string;
}

/** Deterministic rows (xorshift32), so a failure reproduces. */
function smokeRows(count: number, seed = 0x9e3779b9): SmokeRow[] {
  let state = seed;
  const next = (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state >>> 0;
  };
  const guests = Array.from(
    { length: 50 },
    (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  );
  return Array.from({ length: count }, (_, i) => ({
    vm: guests[next() % guests.length]!,
    seq: i === count - 1 ? UINT64_MAX : i,
    product: PRODUCTS[next() % PRODUCTS.length]!,
    build: next() % 100_000,
    result: RESULTS[next() % RESULTS.length]!,
    at: `2026-11-${String(1 + (i % 28)).padStart(2, '0')} 12:00:00.${String(i % 1_000_000).padStart(6, '0')}`,
  }));
}

function expectedCounts(rows: SmokeRow[]): { product: number; result: string; n: string }[] {
  const counts = new Map<string, number>();
  for (const row of rows) {
    const key = `${row.product}\t${row.result}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts]
    .map(([key, n]) => {
      const [product, result] = key.split('\t');
      return { product: Number(product), result: result!, n: String(n) };
    })
    .sort((a, b) => a.product - b.product || (a.result < b.result ? -1 : 1));
}

describe(`ClickHouse smoke (${inject('clickhouse').kind})`, () => {
  let ch: TestClickHouse;

  beforeAll(async () => {
    ch = await openTestClickHouse();
  });
  afterAll(async () => {
    await ch?.close();
  });

  it('answers SELECT version()', async () => {
    const version = await ch.store.version();
    console.info(`ClickHouse ${version} via ${ch.store.target}`);
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
    await expect(ch.store.ping()).resolves.toBeUndefined();
  });

  it('stores 100,000 JSONEachRow rows and counts them exactly with GROUP BY', async () => {
    await ch.store.command(`
      CREATE TABLE smoke_events (
        vm UUID, seq UInt64, product UInt16, build UInt32,
        result LowCardinality(String), at DateTime64(6, 'UTC')
      ) ENGINE = MergeTree PARTITION BY toYYYYMM(at) ORDER BY (vm, seq)`);
    const rows = smokeRows(100_000);
    await ch.store.insert('smoke_events', rows);

    const grouped = await ch.store.query<{ product: number; result: string; n: string }>(
      `SELECT product, result, count() AS n FROM smoke_events
       GROUP BY product, result ORDER BY product, result`,
    );
    expect(grouped).toEqual(expectedCounts(rows));
    expect(grouped).toHaveLength(PRODUCTS.length * RESULTS.length);

    // 64-bit integers come back as exact strings, DateTimes as UTC with microseconds.
    const [last] = await ch.store.query(
      'SELECT seq, at, count() OVER () AS total FROM smoke_events ORDER BY seq DESC LIMIT 1',
    );
    expect(last).toEqual({ seq: UINT64_MAX, at: rows.at(-1)!.at, total: '100000' });
  });

  it('binds query parameters, including quotes and backslashes', async () => {
    const vm = '00000000-0000-4000-8000-000000000007';
    const [bound] = await ch.store.query<{ n: string; s: string }>(
      `SELECT count() AS n, {s:String} AS s FROM smoke_events WHERE vm = {vm:UUID} AND product = {p:UInt16}`,
      { vm, p: 3, s: "it's a \\ test" },
    );
    const expected = smokeRows(100_000).filter((r) => r.vm === vm && r.product === 3).length;
    expect(bound).toEqual({ n: String(expected), s: "it's a \\ test" });
  });

  it('deduplicates by token without leaking the token into later inserts', async () => {
    await ch.store.command(`
      CREATE TABLE smoke_dedup (id UInt32, batch String) ENGINE = MergeTree ORDER BY id
      SETTINGS non_replicated_deduplication_window = 100`);
    const first = [
      { id: 1, batch: 'a' },
      { id: 2, batch: 'a' },
    ];
    await ch.store.insert('smoke_dedup', first, { dedupToken: 'topic-0-1-2' });
    // Control: the same token again is dropped, so the token is in force for its own insert...
    await ch.store.insert('smoke_dedup', [{ id: 9, batch: 'retry' }], {
      dedupToken: 'topic-0-1-2',
    });
    // ...and a later insert without one is stored: a leaked token would silently drop it.
    await ch.store.insert('smoke_dedup', [{ id: 3, batch: 'b' }]);
    await ch.store.insert('smoke_dedup', [{ id: 4, batch: 'c' }], { dedupToken: "topic-0-3-3'" });

    const rows = await ch.store.query('SELECT id, batch FROM smoke_dedup ORDER BY id');
    expect(rows).toEqual([
      { id: 1, batch: 'a' },
      { id: 2, batch: 'a' },
      { id: 3, batch: 'b' },
      { id: 4, batch: 'c' },
    ]);
  });

  it('reports a bad statement with its code, type and the statement', async () => {
    const failure = ch.store.query('SELECT * FROM no_such_table', {}, { tag: 'smoke' });
    await expect(failure).rejects.toMatchObject({
      name: 'StoreError',
      operation: 'query',
      tag: 'smoke',
      attempts: 1,
      clickhouseCode: '60',
      clickhouseType: 'UNKNOWN_TABLE',
      kind: 'permanent',
    });
    await expect(failure).rejects.toThrow(/statement: SELECT \* FROM no_such_table$/);
  });
});

/** Runs openStore on `path` in a separate Node process; resolves with its exit code and output. */
function openInChildProcess(
  dir: string,
  path: string,
): Promise<{ code: number | null; out: string }> {
  return (async () => {
    const script = join(dir, 'open-store.child.ts');
    await writeFile(
      script,
      `import { openStore } from ${JSON.stringify(join(root, 'libs/store/src/index.ts'))};
       openStore({ mode: 'embedded', path: ${JSON.stringify(path)}, database: 'magicport' })
         .then(async (s) => { console.log('opened'); await s.close(); })
         .catch((e) => { console.log(e.name + ': ' + e.message); process.exitCode = 3; });`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: root });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', resolve);
    });
    return { code, out: out.trim() };
  })();
}

describe('embedded data directory: one per process, one process per directory', () => {
  let dir: string;
  let embedded: TestClickHouse;
  let path: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'magicport-ch-lock-'));
    embedded = await openTestClickHouse({ kind: 'embedded' });
    path = (embedded.config as EmbeddedStoreConfig).path;
  });
  afterAll(async () => {
    await embedded?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a second directory in the same process, naming both', async () => {
    const other = join(dir, 'other');
    const failure = openStore({ mode: 'embedded', path: other, database: 'magicport' });
    await expect(failure).rejects.toBeInstanceOf(StoreOpenError);
    await expect(failure).rejects.toThrow(
      `cannot open embedded ClickHouse at ${other}: this process already has it open at ${path}, ` +
        'and chDB runs one data directory per process. Close that store first, or reuse it.',
    );
    expect(await embedded.store.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });

  it('refuses the directory to another process while this one holds it', async () => {
    const { code, out } = await openInChildProcess(dir, path);
    expect(out).toBe(
      `StoreOpenError: embedded ClickHouse data directory ${path} is in use by process ${process.pid} ` +
        `(chDB locks ${path}/status). Stop the other magicport process using it, set ` +
        'MAGICPORT_CLICKHOUSE_PATH to another directory, or share one ClickHouse server through CLICKHOUSE_URL.',
    );
    expect(code).toBe(3);
    // The data is intact for the holder.
    expect(await embedded.store.query('SELECT currentDatabase() AS db')).toEqual([
      { db: 'magicport' },
    ]);
  });

  it('control: once released, another process opens the same directory', async () => {
    await embedded.store.close();
    const { code, out } = await openInChildProcess(dir, path);
    expect(out).toBe('opened');
    expect(code).toBe(0);
  });
});
