/**
 * libs/blacklist on a real broker: what one write costs (two reads of the topic and a publish,
 * see BlacklistWriter), what reading the whole topic costs as it grows, and two replicas
 * writing at once. Against KAFKA_BROKERS when set, else a local broker this benchmark starts.
 */
import { stopLocalBroker } from '../deploy/kafka/broker-instances';
import { startLocalBroker } from '../deploy/kafka/local-broker';
import { KafkaBus, KAFKA_BUS_DEFAULTS } from '@magicport/bus';
import { BlacklistWriter, readBlacklistTopic } from '@magicport/blacklist';
import { median, type Benchmark, type Measurement } from './harness';

const WRITES = Number(process.env.WRITES ?? 40);
const RACE_WRITES = 10;

async function brokers(): Promise<{
  list: string[];
  description: string;
  release(): Promise<void>;
}> {
  const fromEnv = process.env.KAFKA_BROKERS?.trim();
  if (fromEnv)
    return {
      list: fromEnv.split(','),
      description: `KAFKA_BROKERS ${fromEnv}`,
      release: async () => {},
    };
  const name = `bench-blacklist-${process.pid}`;
  const broker = await startLocalBroker({
    name,
    owner: process.pid,
    progress: (m) => console.error(`kafka: ${m}`),
  });
  return {
    list: [broker.bootstrap],
    description: `local Kafka ${broker.version}`,
    release: async () => void (await stopLocalBroker(name)),
  };
}

const p95 = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.ceil(values.length * 0.95) - 1]!;

async function timed(run: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await run();
  return performance.now() - start;
}

const benchmark: Benchmark = {
  name: 'blacklist',
  async run(): Promise<Measurement[]> {
    const broker = await brokers();
    const bus = new KafkaBus({ ...KAFKA_BUS_DEFAULTS, brokers: broker.list, log: () => undefined });
    const other = new KafkaBus({
      ...KAFKA_BUS_DEFAULTS,
      brokers: broker.list,
      log: () => undefined,
    });
    try {
      const topic = `bench-blacklist-${Date.now().toString(36)}`;
      await bus.ensureTopics([{ topic, partitions: 1, configs: { 'retention.ms': '-1' } }]);
      const writer = new BlacklistWriter(bus, {
        host: 'bench',
        stream: `bench-a-${process.pid}`,
        topic,
      });
      await writer.execute({
        kind: 'add',
        product: 'linux',
        build: 0,
        reason: 'warm-up',
        actor: 'bench',
      });
      const writes: number[] = [];
      for (let build = 1; build <= WRITES; build++) {
        writes.push(
          await timed(() =>
            writer.execute({
              kind: 'add',
              product: 'linux',
              build,
              reason: 'bench',
              actor: 'bench',
            }),
          ),
        );
      }
      const reads: number[] = [];
      for (let i = 0; i < 10; i++) reads.push(await timed(() => readBlacklistTopic(bus, topic)));

      // Two replicas, each adding RACE_WRITES entries as fast as it can, at the same time.
      const rival = new BlacklistWriter(other, {
        host: 'bench',
        stream: `bench-b-${process.pid}`,
        topic,
      });
      let attempts = 0;
      const replica = (w: BlacklistWriter, product: string) => async () => {
        for (let build = 0; build < RACE_WRITES; build++) {
          // Awaited first: `attempts += await ...` would read attempts before the other replica adds.
          const result = await w.execute({
            kind: 'add',
            product,
            build,
            reason: 'race',
            actor: 'bench',
          });
          attempts += result.attempts;
        }
      };
      const raceMs = await timed(() =>
        Promise.all([replica(writer, 'gplpv-windows')(), replica(rival, 'experimental')()]),
      );
      const { history } = await readBlacklistTopic(bus, topic);
      const revisions = history.changes.map((c) => c.revision);
      if (
        new Set(revisions).size !== revisions.length ||
        revisions.length !== WRITES + 1 + 2 * RACE_WRITES
      ) {
        throw new Error(`revisions not distinct or entries missing: ${revisions.join(',')}`);
      }
      const setup = `${broker.description}, one-partition topic`;
      return [
        {
          name: 'blacklist write (median)',
          value: median(writes),
          unit: 'ms',
          detail: `${setup}, ${WRITES} sequential adds, p95 ${p95(writes).toFixed(0)} ms`,
        },
        {
          name: `blacklist read of ${WRITES + 1} changes (median)`,
          value: median(reads),
          unit: 'ms',
          detail: `${setup}, 10 reads`,
        },
        {
          name: 'two replicas writing at once',
          value: (2 * RACE_WRITES) / (raceMs / 1000),
          unit: 'writes/s',
          detail: `${setup}, ${RACE_WRITES} adds each, ${attempts} appends for ${2 * RACE_WRITES} writes (${history.voided.length} lost races retried), revisions distinct`,
        },
      ];
    } finally {
      await bus.close();
      await other.close();
      await broker.release();
    }
  },
};

export default benchmark;
