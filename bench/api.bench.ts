/**
 * The REST API's read paths on embedded chDB with 1M handshakes, 10M port accesses and 10M
 * guest log lines (generated in the engine with INSERT ... SELECT FROM numbers(), so the report
 * views fill as on ingest): p50/p95 through HTTP beside the same report query called directly
 * on the store (the difference is what the API costs: validation, JSON, HTTP).
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InProcessBus } from '@magicport/bus';
import { loadConfig } from '@magicport/config';
import { createLogger, startServer } from '@magicport/server';
import {
  blacklistHits,
  blacklistHitSummary,
  bootInstances,
  bootRecording,
  DEFAULT_API_QUERY_LIMITS,
  fleetBuilds,
  guestHandshakes,
  guestLogs,
  migrate,
  openStore,
  type ClickHouseStore,
} from '@magicport/store';
import type { Benchmark, Measurement } from './harness';

const GUESTS = 20_000;
const HANDSHAKES = 1_000_000;
const ACCESSES = 10_000_000;
const LOG_LINES = 10_000_000;
const SAMPLES = 40;
const VM = (n: string) =>
  `toUUID(concat('00000000-0000-4000-8000-', leftPad(toString(${n} % ${GUESTS}), 12, '0')))`;
const T0 = "toDateTime64('2026-11-01 00:00:00', 6, 'UTC')";

/**
 * MAGICPORT_BENCH_API_CASES=fleet runs only the cases whose name contains it (and fills only
 * the tables they read); results.json then holds those measurements only. Empty means all.
 */
const ONLY = process.env.MAGICPORT_BENCH_API_CASES || undefined;

/**
 * MAGICPORT_BENCH_API_DATA=DIR keeps the filled database in DIR and reuses it on later runs
 * (the fill then reports 0 s): for A/B runs on the same data. Without it each run fills a
 * temporary directory and deletes it.
 */
const DATA_DIR = process.env.MAGICPORT_BENCH_API_DATA;
const FILLED_MARK = 'magicport-bench-filled.json';

export interface BenchDataset {
  store: ClickHouseStore;
  dir: string;
  /** Seconds the fill took; 0 when a kept dataset was reused. */
  fillSeconds: number;
  /** Seconds spent waiting for the engine's background merges to finish before measuring. */
  settleSeconds: number;
  close(): Promise<void>;
}

const SETTLE_QUIET_POLLS = 3;
const SETTLE_LIMIT_MS = 15 * 60_000;

/**
 * Waits until the engine runs no merge or mutation on the bench's database for three polls in a
 * row, a second apart. The fill leaves background merges behind it (4-7 s of them on the 2-core
 * machine, longer on a slower one), which compete with the reads for the cores (measured: a
 * replay at 57-62 ms p50 while they ran, 45-48 ms after); a store that has held its data for a
 * while has its parts merged, so the reads are measured on settled parts. Past 15 minutes it
 * measures anyway and says so.
 */
async function settle(store: ClickHouseStore): Promise<number> {
  const started = Date.now();
  let quiet = 0;
  let lastReport = started;
  while (quiet < SETTLE_QUIET_POLLS) {
    const [row] = await store.query<{ merges: string; mutations: string }>(
      `SELECT (SELECT count() FROM system.merges WHERE database = currentDatabase()) AS merges,
         (SELECT count() FROM system.mutations WHERE database = currentDatabase() AND NOT is_done)
           AS mutations`,
    );
    const busy = Number(row?.merges ?? 0) + Number(row?.mutations ?? 0);
    quiet = busy === 0 ? quiet + 1 : 0;
    if (Date.now() - started > SETTLE_LIMIT_MS) {
      console.error(`api bench: merges still running after 15 min (${busy}); measuring anyway`);
      break;
    }
    if (Date.now() - lastReport >= 10_000) {
      lastReport = Date.now();
      console.error(
        `api bench: waiting for ${busy} background merges to finish (${Math.round((lastReport - started) / 1000)} s)`,
      );
    }
    if (quiet < SETTLE_QUIET_POLLS) await new Promise((r) => setTimeout(r, 1000));
  }
  return (Date.now() - started) / 1000;
}

/** The bench's database, filled (or reused from MAGICPORT_BENCH_API_DATA), migrations applied. */
export async function openDataset(handshakesOnly: boolean): Promise<BenchDataset> {
  const dir = DATA_DIR ?? (await mkdtemp(join(tmpdir(), 'magicport-bench-api-')));
  if (DATA_DIR !== undefined) await mkdir(DATA_DIR, { recursive: true });
  const mark = join(dir, FILLED_MARK);
  const kept = await readFile(mark, 'utf8').then(
    (text) => JSON.parse(text) as { handshakesOnly: boolean },
    () => null,
  );
  const store = await openStore({ mode: 'embedded', path: dir, database: 'magicport' });
  await migrate(store, () => undefined);
  let fillSeconds = 0;
  if (kept === null || (kept.handshakesOnly && !handshakesOnly)) {
    if (kept !== null) throw new Error(`${dir} holds only handshakes; give an empty directory`);
    const started = process.hrtime.bigint();
    await fill(store, handshakesOnly);
    fillSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (DATA_DIR !== undefined) await writeFile(mark, JSON.stringify({ handshakesOnly }));
  }
  const settleSeconds = await settle(store);
  return {
    store,
    dir,
    fillSeconds,
    settleSeconds,
    async close() {
      await store.close();
      if (DATA_DIR === undefined) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** `magicport serve`'s application on the bench's store, on a free port, logging errors only. */
export async function startBenchServer(store: ClickHouseStore, dir: string) {
  const config = loadConfig({
    MAGICPORT_HTTP_PORT: '0',
    MAGICPORT_LOG_LEVEL: 'error',
    MAGICPORT_CLICKHOUSE_PATH: dir,
  });
  return startServer({ config, logger: createLogger(config.log), bus: new InProcessBus(), store });
}

async function fill(store: ClickHouseStore, handshakesOnly: boolean): Promise<void> {
  await store.command(`INSERT INTO handshakes (dm, seq, vm, domid, boot, host, time, handshake_id, result,
      protocol_version, product_number, product_name, build, blacklisted, blacklist_key, blacklist_revision,
      mask, mask_writes, unplug_applied, violations, start_time, end_time, access_count, _topic, _partition, _offset)
    SELECT concat('dm-', toString(number % ${GUESTS})), intDiv(number, ${GUESTS}), ${VM('number')}, 1,
      intDiv(number, ${GUESTS}), concat('host-', toString(number % 200)), ${T0} + toIntervalSecond(number * 2),
      concat('hs-', toString(number)),
      if(number % 50 = 0, 'blacklisted', if(number % 97 = 0, 'blacklist-ignored', 'unplugged')),
      1, 1 + number % 5, ['xensource-windows', 'gplpv-windows', 'linux', 'xenserver-windows-v7.0+', 'xenserver-windows-v7.2+'][1 + number % 5],
      number % 40, number % 50 = 0 OR number % 97 = 0,
      if(number % 50 = 0 OR number % 97 = 0, concat('/mh/driver-blacklist/x/', toString(number % 40)), NULL),
      if(number % 50 = 0 OR number % 97 = 0, 1, NULL), 3, [3], number % 50 != 0, [],
      ${T0} + toIntervalSecond(number * 2), ${T0} + toIntervalSecond(number * 2), 10, 'bench', 0, number
    FROM numbers(${HANDSHAKES}) SETTINGS max_memory_usage = 4000000000`);
  if (handshakesOnly) return;
  await store.command(`INSERT INTO port_accesses (dm, seq, vm, domid, boot, host, time, op, port, size, value, response, _topic, _partition, _offset)
    SELECT concat('dm-', toString(intDiv(number, 10) % ${GUESTS})), number, ${VM('intDiv(number, 10)')}, 1,
      intDiv(intDiv(number, 10), ${GUESTS}), 'host-1', ${T0} + toIntervalMillisecond(number * 200),
      if(number % 10 < 3, 'in', 'out'), 16, 2, if(number % 10 < 3, NULL, 3), if(number % 10 < 3, 18898, NULL), 'bench', 0, number
    FROM numbers(${ACCESSES}) SETTINGS max_memory_usage = 4000000000`);
  await store.command(`INSERT INTO guest_logs (dm, seq, vm, domid, boot, host, time, text, bytes, truncated, trigger,
      dropped_before, throttled_ms, access_count, first_time, last_time, handshake_id, _topic, _partition, _offset)
    SELECT concat('dm-', toString(number % ${GUESTS})), number, ${VM('number')}, 1, 0, concat('host-', toString(number % 200)),
      ${T0} + toIntervalMillisecond(number * 200),
      concat('xenbus: device ', toString(number), if(number % 1000000 = 7, ' rare-needle', ' connected')),
      concat('xenbus: device ', toString(number)), false, 10, 0, 0, 20,
      ${T0} + toIntervalMillisecond(number * 200), ${T0} + toIntervalMillisecond(number * 200), NULL, 'bench', 0, number
    FROM numbers(${LOG_LINES}) SETTINGS max_memory_usage = 4000000000`);
}

async function timeIt(
  samples: number,
  call: () => Promise<unknown>,
): Promise<{ p50: number; p95: number }> {
  await call(); // warm
  const ms: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t = process.hrtime.bigint();
    await call();
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  ms.sort((a, b) => a - b);
  return {
    p50: ms[Math.floor(ms.length * 0.5)]!,
    p95: ms[Math.min(ms.length - 1, Math.floor(ms.length * 0.95))]!,
  };
}

async function get(url: string): Promise<void> {
  const response = await fetch(url);
  if (response.status !== 200)
    throw new Error(`${url}: ${response.status} ${await response.text()}`);
  await response.arrayBuffer();
}

const benchmark: Benchmark = {
  name: 'api',
  async run(): Promise<Measurement[]> {
    const handshakesOnly = ONLY !== undefined && 'fleet builds'.includes(ONLY);
    const { store, dir, fillSeconds, settleSeconds, close } = await openDataset(handshakesOnly);
    try {
      const server = await startBenchServer(store, dir);
      const limits = DEFAULT_API_QUERY_LIMITS;
      const vm = '00000000-0000-4000-8000-000000001234';
      const allTime = { from: '1970-01-01 00:00:00.000000', to: '2299-12-31 00:00:00.000000' };
      const month = { from: '2026-11-01 00:00:00.000000', to: '2026-12-01 00:00:00.000000' };
      const cases: {
        name: string;
        target: number;
        http: string;
        direct: () => Promise<unknown>;
      }[] = [
        {
          name: 'fleet builds (all time)',
          target: 50,
          http: '/api/v1/fleet/builds',
          direct: () => fleetBuilds(store, { ...allTime, limit: 101 }, limits),
        },
        {
          name: "one guest's replay (boot 0)",
          target: 50,
          http: `/api/v1/guests/${vm}/replay?boot=0`,
          // The request's four SELECTs as the service runs them: its handshakes and instances,
          // then the boot's port accesses and log lines.
          direct: async () => {
            await Promise.all([
              guestHandshakes(store, { vm, maxBoot: 0, limit: 100_000 }, limits),
              bootInstances(store, { vm, boot: 0 }, limits),
            ]);
            return bootRecording(store, { vm, boot: 0, dm: 'dm-1234' }, limits);
          },
        },
        {
          name: 'blacklist hits over 30 days (first page)',
          target: 100,
          http: '/api/v1/blacklist/hits?from=2026-11-01&to=2026-12-01',
          direct: () => blacklistHits(store, { ...month, limit: 101 }, limits),
        },
        {
          name: 'blacklist hit summary over 30 days',
          target: 100,
          http: '/api/v1/blacklist/hits/summary?from=2026-11-01&to=2026-12-01',
          direct: () =>
            blacklistHitSummary(store, { fromDay: '2026-11-01', toDay: '2026-12-01' }, limits),
        },
        {
          name: 'log search over 10M lines (rare needle, 30 days)',
          target: 200,
          http: '/api/v1/logs/search?q=rare-needle&from=2026-11-01&to=2026-12-01',
          direct: () => guestLogs(store, { ...month, contains: 'rare-needle', limit: 101 }, limits),
        },
      ];
      const out: Measurement[] = [
        {
          name: handshakesOnly
            ? 'fill (1M handshakes, views)'
            : 'fill (1M handshakes, 10M port accesses, 10M log lines, views)',
          value: fillSeconds,
          unit: 's',
          ...(fillSeconds === 0 ? { detail: `kept dataset reused from ${dir}` } : {}),
        },
        {
          name: 'background merges settled before measuring',
          value: settleSeconds,
          unit: 's',
          detail: 'reads are measured once no merge has run for 3 s',
        },
      ];
      for (const c of cases.filter((k) => ONLY === undefined || k.name.includes(ONLY))) {
        const http = await timeIt(SAMPLES, () => get(`${server.url}${c.http}`));
        const direct = await timeIt(SAMPLES, c.direct);
        out.push({
          name: `${c.name}: HTTP p50`,
          value: http.p50,
          unit: 'ms',
          detail: `target <= ${c.target} ms; p95 ${http.p95.toFixed(1)} ms`,
        });
        out.push({
          name: `${c.name}: direct p50`,
          value: direct.p50,
          unit: 'ms',
          detail: `p95 ${direct.p95.toFixed(1)} ms`,
        });
      }
      await server.close();
      return out;
    } finally {
      await close();
    }
  },
};

export default benchmark;
