/**
 * The two ingest numbers a pre-filled topic cannot give:
 * - live end-to-end lag: our ingest runs while `magicport simulate` publishes through the agent
 *   into Kafka at full speed; for every event, the time from its publish (the Kafka record's
 *   timestamp, set when the agent's producer sent it) to its row being queryable (the
 *   synchronous insert of its range acknowledged: acknowledged means committed and visible).
 *   An event counts as queryable when the last insert of its range is done, one table or
 *   another, so the lag is the slower of the two (conservative by one range's inserts).
 * - `magicport rebuild --from-kafka` (the CLI, a process of its own) over the whole topic,
 *   topped up to >= 1M events first: wall time and peak RSS.
 */
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaBus, KAFKA_BUS_DEFAULTS, type Bus } from '@magicport/bus';
import { loadConfig } from '@magicport/config';
import { EVENTS_TOPIC } from '@magicport/events';
import { migrate, openStore } from '@magicport/store';
import { Ingest, ingestGroupId } from '../apps/server/src/ingest/ingest';
import type { RawSink } from '../apps/server/src/ingest/ingest-ports';
import { commitRangeLog } from '../apps/server/src/ingest/range-log';
import { clickHouseRawSink } from '../apps/server/src/ingest/raw-sink';
import { IngestMetrics } from '../apps/server/src/metrics/ingest-metrics';
import type { Benchmark, Measurement } from './harness';
import {
  CLI,
  ensureTopics,
  setGroupOffsets,
  simulateFleet,
  sum,
  topicOffsets,
  until,
} from './ingest-kafka';
import { withBroker } from './bench-broker';

/** ~330k events: a few minutes of the simulator at full speed on this machine. */
const LIVE_GUESTS = 10_000;
const REBUILD_MIN_EVENTS = 1_000_000n;
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** Publish time of every record the ingest was handed, by partition and offset (first seen). */
function recordingBus(bus: Bus, published: Map<number, Map<string, number>>): Bus {
  return new Proxy(bus, {
    get(target, key, receiver) {
      if (key !== 'subscribe') return Reflect.get(target, key, receiver) as unknown;
      const subscribe: Bus['subscribe'] = (options) =>
        target.subscribe({
          ...options,
          onBatch: (batch) => {
            let times = published.get(batch.partition);
            if (!times) published.set(batch.partition, (times = new Map()));
            for (const r of batch.records)
              if (!times.has(r.offset)) times.set(r.offset, r.timestamp);
            return options.onBatch(batch);
          },
        });
      return subscribe;
    },
  });
}

/** `topic-partition-first-last-table`, as partition-ranges' dedupToken writes it. */
const TOKEN = /-(\d+)-(\d+)-(\d+)-[a-z_]+$/;

/** When each range's last insert was acknowledged, by partition: [first, last, ms]. */
function timingSink(sink: RawSink, done: Map<number, [bigint, bigint, number][]>): RawSink {
  return {
    ...sink,
    insert: async (table, rows, token) => {
      await sink.insert(table, rows, token);
      const at = Date.now();
      const m = TOKEN.exec(token);
      if (!m) throw new Error(`unexpected dedup token ${token}`);
      const partition = Number(m[1]);
      let list = done.get(partition);
      if (!list) done.set(partition, (list = []));
      const last = list[list.length - 1];
      const first = BigInt(m[2]!);
      if (last && last[0] === first) last[2] = at;
      else list.push([first, BigInt(m[3]!), at]);
    },
  };
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

async function liveLag(brokers: string[], kafka: Kafka): Promise<Measurement[]> {
  const dir = await mkdtemp(join(tmpdir(), 'magicport-bench-live-'));
  const config = loadConfig({ MAGICPORT_CLICKHOUSE_PATH: join(dir, 'ch') });
  const store = await openStore(config.store);
  try {
    await migrate(store);
    await ensureTopics(brokers);
    const from = await topicOffsets(kafka);
    const base = `bench-live-${Date.now()}`;
    await setGroupOffsets(kafka, ingestGroupId(base, EVENTS_TOPIC), from);
    const bus = new KafkaBus({ ...KAFKA_BUS_DEFAULTS, brokers, log: () => undefined });
    const published = new Map<number, Map<string, number>>();
    const done = new Map<number, [bigint, bigint, number][]>();
    const metrics = new IngestMetrics();
    const ingest = new Ingest(
      { ...config.ingest, groupId: base, topics: [EVENTS_TOPIC] },
      {
        bus: recordingBus(bus, published),
        sink: timingSink(clickHouseRawSink(store), done),
        ranges: commitRangeLog,
        observer: metrics,
        log: quiet,
      },
    );
    await ingest.start();
    await until(() => ingest.joined, 60_000, 'the ingest to join its group');
    const began = Date.now();
    await simulateFleet(brokers, LIVE_GUESTS);
    const publishSeconds = (Date.now() - began) / 1000;
    const to = await topicOffsets(kafka);
    const events = Number(sum(to) - sum(from));
    await until(() => metrics.handled >= events, 1_200_000, 'the live ingest');
    const drainedSeconds = (Date.now() - began) / 1000;
    await ingest.stop();
    await bus.close();

    const lags = new Float64Array(events);
    let n = 0;
    for (const [partition, times] of published) {
      const ranges = done.get(partition) ?? [];
      let i = 0;
      const offsets = [...times.keys()].map(BigInt).sort((a, b) => (a < b ? -1 : 1));
      for (const offset of offsets) {
        if (offset < (from.get(partition) ?? 0n)) continue;
        while (i < ranges.length && ranges[i]![1] < offset) i++;
        const range = ranges[i];
        if (!range || range[0] > offset) throw new Error(`no insert for ${partition}/${offset}`);
        lags[n++] = range[2] - times.get(String(offset))!;
      }
    }
    if (n !== events) throw new Error(`saw ${n} of ${events} events`);
    lags.sort();
    const detail = `${events} events of ${LIVE_GUESTS} simulated guests published in ${publishSeconds.toFixed(1)} s (${Math.round(events / publishSeconds)} events/s), all queryable after ${drainedSeconds.toFixed(1)} s`;
    return [
      {
        name: 'live lag publish -> queryable, p50',
        value: percentile(lags, 50),
        unit: 'ms',
        detail,
      },
      {
        name: 'live lag publish -> queryable, p99',
        value: percentile(lags, 99),
        unit: 'ms',
        detail,
      },
      { name: 'live lag publish -> queryable, max', value: lags[n - 1]!, unit: 'ms', detail },
      {
        name: 'simulator publish rate during the live run',
        value: events / publishSeconds,
        unit: 'events/s',
        detail: 'magicport simulate -> agent -> Kafka, full speed, beside the ingest',
      },
    ];
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Peak RSS of a child, from its VmHWM while it runs (Linux). */
function peakRssMiB(pid: number, previous: number): number {
  try {
    const kb = Number(
      /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1],
    );
    return Number.isFinite(kb) ? Math.max(previous, kb / 1024) : previous;
  } catch {
    return previous;
  }
}

async function rebuild(brokers: string[], kafka: Kafka): Promise<Measurement[]> {
  await ensureTopics(brokers);
  const kept = async () => sum(await topicOffsets(kafka)) - sum(await topicOffsets(kafka, 'low'));
  if ((await kept()) < REBUILD_MIN_EVENTS) {
    console.error('ingest-live bench: topping the events topic up to >= 1M events ...');
    await simulateFleet(brokers, 40_000);
  }
  const events = await kept();
  const dir = await mkdtemp(join(tmpdir(), 'magicport-bench-rebuild-'));
  const env = { ...process.env, MAGICPORT_CLICKHOUSE_PATH: join(dir, 'ch'), NO_COLOR: '1' };
  try {
    await promisify(execFile)(process.execPath, [CLI, 'migrate'], { env });
    console.error(`ingest-live bench: rebuild --from-kafka over ${events} events ...`);
    const began = Date.now();
    const child = spawn(
      process.execPath,
      [CLI, 'rebuild', '--from-kafka', '--brokers', brokers.join(',')],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    let replayedAt = 0;
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
      // `[n/n] replayed`, printed once the topics are in the fresh raw tables (views next).
      if (replayedAt === 0 && /\] replayed$/m.test(output)) replayedAt = Date.now();
    });
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    let peak = 0;
    const sampler = setInterval(() => (peak = peakRssMiB(child.pid!, peak)), 200);
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    clearInterval(sampler);
    const seconds = (Date.now() - began) / 1000;
    if (code !== 0) throw new Error(`rebuild --from-kafka exited ${code}: ${output.slice(-2000)}`);
    const replayed = /replayed (\d+) records/.exec(output)?.[1];
    const detail = `${replayed} records replayed (${events} in the events topic), embedded chDB, CLI process`;
    return [
      { name: 'rebuild --from-kafka wall time', value: seconds, unit: 's', detail },
      {
        name: 'rebuild --from-kafka: replaying the topics',
        value: (replayedAt - began) / 1000,
        unit: 's',
        detail: 'start to the last record in the fresh raw tables (the rest: swap, views)',
      },
      {
        name: 'rebuild --from-kafka rate',
        value: Number(replayed) / seconds,
        unit: 'records/s',
        detail,
      },
      {
        name: 'rebuild --from-kafka peak RSS',
        value: peak,
        unit: 'MiB',
        detail: 'VmHWM of the CLI process',
      },
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const bench: Benchmark = {
  name: 'ingest-live',
  run: () =>
    withBroker('ingest', async (brokers) => {
      const kafka = new Kafka({ clientId: 'bench-live', brokers, logLevel: logLevel.NOTHING });
      const measurements = await liveLag(brokers, kafka);
      console.table(measurements.map((m) => ({ name: m.name, value: Math.round(m.value) })));
      if (process.env.BENCH_SKIP_REBUILD !== '1') {
        measurements.push(...(await rebuild(brokers, kafka)));
      }
      return measurements;
    }),
};

export default bench;
