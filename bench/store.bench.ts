/**
 * The store's write path for the ingest, on embedded chDB with the real migrations: port.access
 * events (nearly all of the volume) converted with rawRow / rawRowJson and inserted into
 * port_accesses with a dedup token per batch, as the ingest does. Converter alone, insert alone
 * (rows converted beforehand) and both together.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEventStamper, type MagicportEvent } from '@magicport/events';
import {
  insertRawJson,
  insertRawRows,
  migrate,
  openStore,
  rawRow,
  rawRowJson,
  type ClickHouseStore,
  type RecordSource,
} from '@magicport/store';
import { median, type Benchmark, type Measurement } from './harness';

const BATCH = 10_000;
const BATCHES = 30;
const RUNS = 3;
const GUESTS = 500;
const T0 = Date.UTC(2026, 10, 1) * 1000;

/** BATCH * BATCHES port accesses from GUESTS interleaved guests, each with its Kafka source. */
function events(): { event: MagicportEvent; source: RecordSource }[] {
  const stampers = Array.from({ length: GUESTS }, (_, g) =>
    createEventStamper({
      host: `host-${g % 8}.example`,
      dm: `dm-${g}`,
      vm: `00000000-0000-4000-8000-${String(g).padStart(12, '0')}`,
      domid: g + 1,
      boot: 1,
    }),
  );
  return Array.from({ length: BATCH * BATCHES }, (_, i) => {
    const out = i % 3 !== 0;
    const event = stampers[i % GUESTS]!.stamp(
      'port.access',
      {
        op: out ? 'out' : 'in',
        port: 0x10 + (i % 3),
        size: 2,
        value: out ? i % 65536 : null,
        response: out ? null : 0x49d2,
      },
      T0 + i * 7,
    );
    return {
      event,
      source: { topic: 'magicport.events.v1', partition: i % 12, offset: String(i) },
    };
  });
}

function seconds(startedNs: bigint): number {
  return Number(process.hrtime.bigint() - startedNs) / 1e9;
}

function convertRate(
  all: ReturnType<typeof events>,
  convert: (e: (typeof all)[number]) => unknown,
): number {
  const started = process.hrtime.bigint();
  for (const item of all) convert(item);
  return all.length / seconds(started);
}

type Path = 'json' | 'objects' | 'baseline';

/** The baseline: the same row objects into a plain MergeTree, no token, no column list. */
const BASELINE = `CREATE TABLE IF NOT EXISTS baseline_port_accesses AS port_accesses
  ENGINE = MergeTree PARTITION BY toYYYYMM(time) ORDER BY (vm, boot, dm, seq)`;

async function insertBatch(
  store: ClickHouseStore,
  path: Path,
  rows: unknown[],
  token: string,
): Promise<void> {
  if (path === 'json') await insertRawJson(store, 'port_accesses', rows as string[], token);
  else if (path === 'objects') await insertRawRows(store, 'port_accesses', rows as object[], token);
  else await store.insert('baseline_port_accesses', rows as object[]);
}

const tableOf = (path: Path) => (path === 'baseline' ? 'baseline_port_accesses' : 'port_accesses');

/** Insert calls alone: every batch converted before the clock starts. */
async function insertRate(
  store: ClickHouseStore,
  all: ReturnType<typeof events>,
  path: Path,
  run: string,
): Promise<number> {
  await store.command(`TRUNCATE TABLE ${tableOf(path)}`);
  const batches = chunk(all).map((b) =>
    b.map(({ event, source }) =>
      path === 'json' ? rawRowJson(event, source) : rawRow(event, source),
    ),
  );
  const started = process.hrtime.bigint();
  for (const [i, rows] of batches.entries()) await insertBatch(store, path, rows, `${run}-${i}`);
  const rate = all.length / seconds(started);
  await expectRows(store, tableOf(path), all.length);
  return rate;
}

/** Convert and insert, batch by batch, as the ingest does. */
async function endToEndRate(
  store: ClickHouseStore,
  all: ReturnType<typeof events>,
  path: Path,
  run: string,
): Promise<number> {
  await store.command(`TRUNCATE TABLE ${tableOf(path)}`);
  const started = process.hrtime.bigint();
  for (const [i, batch] of chunk(all).entries()) {
    const rows = batch.map(({ event, source }) =>
      path === 'json' ? rawRowJson(event, source) : rawRow(event, source),
    );
    await insertBatch(store, path, rows, `${run}-${i}`);
  }
  const rate = all.length / seconds(started);
  await expectRows(store, tableOf(path), all.length);
  return rate;
}

function chunk<T>(all: T[]): T[][] {
  return Array.from({ length: Math.ceil(all.length / BATCH) }, (_, i) =>
    all.slice(i * BATCH, (i + 1) * BATCH),
  );
}

async function expectRows(store: ClickHouseStore, table: string, n: number): Promise<void> {
  const [row] = await store.query<{ n: string }>(`SELECT count() AS n FROM ${table}`);
  if (row?.n !== String(n)) throw new Error(`${table} holds ${row?.n} rows, expected ${n}`);
}

function measurement(name: string, rates: number[], detail: string): Measurement {
  return {
    name,
    value: median(rates),
    unit: 'rows/s',
    detail: `median of ${rates.length} runs, min-max ${Math.round(Math.min(...rates))}-${Math.round(Math.max(...rates))}; ${detail}`,
  };
}

const benchmark: Benchmark = {
  name: 'store',
  async run() {
    const all = events();
    const rows = `${(BATCH * BATCHES) / 1000}k port.access rows, ${BATCH / 1000}k-row batches with a dedup token`;
    const results: Measurement[] = [];
    const json: number[] = [];
    const objects: number[] = [];
    const stringify: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      json.push(convertRate(all, ({ event, source }) => rawRowJson(event, source)));
      objects.push(convertRate(all, ({ event, source }) => rawRow(event, source)));
      stringify.push(
        convertRate(all, ({ event, source }) => JSON.stringify(rawRow(event, source))),
      );
    }
    results.push(
      measurement(
        'rawRowJson alone (hand-written JSON line)',
        json,
        `${(BATCH * BATCHES) / 1000}k events`,
      ),
    );
    results.push(
      measurement('rawRow alone (row object)', objects, `${(BATCH * BATCHES) / 1000}k events`),
    );
    results.push(
      measurement('JSON.stringify(rawRow) alone', stringify, 'what the client does per object row'),
    );
    const dir = await mkdtemp(join(tmpdir(), 'magicport-bench-store-'));
    const store = await openStore({ mode: 'embedded', path: dir, database: 'magicport' });
    try {
      await migrate(store);
      await store.command(BASELINE);
      const paths = ['baseline', 'json', 'objects'] as const;
      const insertRates = new Map<Path, number[]>(paths.map((p) => [p, []]));
      const bothRates = new Map<Path, number[]>(paths.map((p) => [p, []]));
      // Runs interleaved across the paths, so a change in machine load hits them alike.
      for (let run = 0; run < RUNS; run++) {
        for (const path of paths) {
          insertRates.get(path)!.push(await insertRate(store, all, path, `insert-${path}-${run}`));
          bothRates.get(path)!.push(await endToEndRate(store, all, path, `both-${path}-${run}`));
        }
      }
      for (const path of paths) {
        const insertOnly = insertRates.get(path)!;
        const both = bothRates.get(path)!;
        if (path === 'baseline') {
          const plain = 'baseline: row objects into a plain MergeTree, no token';
          const untokened = rows.replace('with a dedup token', 'without a token');
          results.push(
            measurement(`insert alone, ${plain} (embedded chDB)`, insertOnly, untokened),
          );
          results.push(measurement(`convert + insert, ${plain} (embedded chDB)`, both, untokened));
          continue;
        }
        const how = path === 'json' ? 'insertRawJson' : 'insertRawRows (client JSON.stringify)';
        results.push(measurement(`insert alone, ${how} (embedded chDB)`, insertOnly, rows));
        results.push(
          measurement(
            `convert + insert, ${path === 'json' ? 'rawRowJson + insertRawJson' : 'rawRow + insertRawRows'} (embedded chDB)`,
            both,
            `${rows}, ClickHouse ${await store.version()}`,
          ),
        );
      }
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
    results.push({
      name: 'peak RSS of the bench process',
      value: process.resourceUsage().maxRSS / 1024,
      unit: 'MiB',
      detail: 'includes chDB and the 300k pre-built events',
    });
    return results;
  },
};

export default benchmark;
