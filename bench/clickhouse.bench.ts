/**
 * Raw ClickHouse insert rate through the store seam: 10-column event-like rows as JSONEachRow in
 * batches of 10k, on embedded chDB and, when CLICKHOUSE_URL is set, on that server too.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  openStore,
  parseStoreConfig,
  type ClickHouseStore,
  type StoreConfig,
} from '@magicport/store';
import { median, type Benchmark, type Measurement } from './harness';

const BATCH = 10_000;
const BATCHES_PER_RUN = 50;
const RUNS = 3;
const TYPES = ['port.access', 'handshake.outcome', 'guest.log', 'dm.started'];

const TABLE = `(
  id String, type LowCardinality(String), time DateTime64(6, 'UTC'), host LowCardinality(String),
  dm String, seq UInt64, vm UUID, domid UInt32, boot UInt32, data String
) ENGINE = MergeTree PARTITION BY toYYYYMM(time) ORDER BY (vm, boot, seq)`;

function eventBatch(batch: number): object[] {
  return Array.from({ length: BATCH }, (_, i) => {
    const seq = batch * BATCH + i;
    const guest = seq % 500;
    return {
      id: `dm-${guest % 20}:${seq}`,
      type: TYPES[seq % TYPES.length],
      time: `2026-11-${String(1 + (batch % 28)).padStart(2, '0')} 10:00:00.${String(i * 37)
        .padStart(6, '0')
        .slice(-6)}`,
      host: `host-${guest % 8}`,
      dm: `dm-${guest % 20}`,
      seq,
      vm: `00000000-0000-4000-8000-${String(guest).padStart(12, '0')}`,
      domid: guest + 1,
      boot: 1 + (seq % 3),
      data: `{"op":"out","port":16,"size":2,"value":${seq % 65536},"response":null}`,
    };
  });
}

/** Rows/s of insert calls alone: building the rows is kept out of the clock. */
async function insertRun(store: ClickHouseStore, table: string): Promise<number> {
  await store.command(`CREATE TABLE ${table} ${TABLE}`);
  let busyNs = 0n;
  for (let b = 0; b < BATCHES_PER_RUN; b++) {
    const rows = eventBatch(b);
    const started = process.hrtime.bigint();
    await store.insert(table, rows);
    busyNs += process.hrtime.bigint() - started;
  }
  const [check] = await store.query<{ n: string }>(`SELECT count() AS n FROM ${table}`);
  if (check?.n !== String(BATCH * BATCHES_PER_RUN))
    throw new Error(`${table} holds ${check?.n} rows`);
  await store.command(`DROP TABLE ${table}`);
  return (BATCH * BATCHES_PER_RUN) / (Number(busyNs) / 1e9);
}

async function measure(label: string, config: StoreConfig): Promise<Measurement> {
  const store = await openStore(config);
  try {
    const rates: number[] = [];
    for (let run = 0; run < RUNS; run++)
      rates.push(await insertRun(store, `bench_events_${Date.now()}_${run}`));
    return {
      name: `insert JSONEachRow, 10 columns, ${BATCH / 1000}k batches (${label})`,
      value: median(rates),
      unit: 'rows/s',
      detail: `median of ${RUNS} runs x ${(BATCH * BATCHES_PER_RUN) / 1000}k rows, min-max ${Math.round(Math.min(...rates))}-${Math.round(Math.max(...rates))}, ClickHouse ${await store.version()}`,
    };
  } finally {
    await store.close();
  }
}

/** The client serialises every row with JSON.stringify on the main thread: the floor of the path. */
function serialiseRate(): Measurement {
  const rows = eventBatch(0);
  const started = process.hrtime.bigint();
  let bytes = 0;
  for (let r = 0; r < 10; r++) for (const row of rows) bytes += JSON.stringify(row).length + 1;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return {
    name: 'JSON.stringify of the same rows alone',
    value: (rows.length * 10) / seconds,
    unit: 'rows/s',
    detail: `${Math.round(bytes / rows.length / 10)} B per row`,
  };
}

const benchmark: Benchmark = {
  name: 'clickhouse',
  async run() {
    const results: Measurement[] = [];
    const dir = await mkdtemp(join(tmpdir(), 'magicport-bench-ch-'));
    try {
      results.push(
        await measure('embedded chDB', { mode: 'embedded', path: dir, database: 'magicport' }),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    if (process.env.CLICKHOUSE_URL) {
      results.push(await measure('server', parseStoreConfig(process.env)));
    }
    results.push(serialiseRate());
    results.push({
      name: 'peak RSS of the bench process',
      value: process.resourceUsage().maxRSS / 1024,
      unit: 'MiB',
      detail: 'includes chDB (~155 MB when loaded) and all runs',
    });
    return results;
  },
};

export default benchmark;
