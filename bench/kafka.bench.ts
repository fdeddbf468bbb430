/**
 * Raw kafkajs produce and consume rates for 200-byte messages, and the node CPU our KafkaBus
 * spends per produced event, against KAFKA_BROKERS when set, else a local broker this benchmark
 * starts and stops itself. Each round uses a fresh topic and consumer group; the medians of the
 * rounds are reported.
 */
import { randomBytes } from 'node:crypto';
import { KafkaBus, KAFKA_BUS_DEFAULTS, type BusRecord } from '@magicport/bus';
import { encodeEvent, type GuestEvent } from '@magicport/events';
import { Kafka, logLevel, Partitioners, type Message } from 'kafkajs';
import { stopLocalBroker } from '../deploy/kafka/broker-instances';
import { startLocalBroker } from '../deploy/kafka/local-broker';
import { median, rate, type Benchmark, type Measurement } from './harness';

const MESSAGES = 200_000;
const MESSAGE_BYTES = 200;
const BATCH = 1_000;
const IN_FLIGHT = 4;
const PARTITIONS = 3;
const KEYS = 1_000;
const ROUNDS = 3;

interface Brokers {
  list: string[];
  description: string;
  release(): Promise<void>;
}

async function acquireBrokers(): Promise<Brokers> {
  const fromEnv = process.env.KAFKA_BROKERS?.trim();
  if (fromEnv)
    return {
      list: fromEnv.split(','),
      description: `KAFKA_BROKERS ${fromEnv}`,
      release: async () => {},
    };
  const name = `bench-${process.pid}`;
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

// Prebuilt outside the timed part: 200 random bytes each, keys spread over all partitions.
function buildBatches(): Message[][] {
  const batches: Message[][] = [];
  for (let start = 0; start < MESSAGES; start += BATCH) {
    batches.push(
      Array.from({ length: BATCH }, (_, j) => ({
        key: `guest-${(start + j) % KEYS}`,
        value: randomBytes(MESSAGE_BYTES),
      })),
    );
  }
  return batches;
}

/** Sends the batches with at most `inFlight` sends outstanding; returns messages/s. */
async function produce(
  kafka: Kafka,
  topic: string,
  batches: Message[][],
  inFlight: number,
): Promise<number> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const started = process.hrtime.bigint();
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < batches.length) {
      const messages = batches[next++]!;
      await producer.send({ topic, acks: -1, messages });
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  const perSecond = rate(MESSAGES, started);
  await producer.disconnect();
  return perSecond;
}

/** Reads the topic from the beginning in a new group; messages/s from group join to the last message. */
async function consume(
  kafka: Kafka,
  topic: string,
): Promise<{ perSecond: number; joinMs: number }> {
  const consumer = kafka.consumer({ groupId: `${topic}-group` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const runStarted = process.hrtime.bigint();
  let joined = runStarted;
  consumer.on(consumer.events.GROUP_JOIN, () => (joined = process.hrtime.bigint()));
  let received = 0;
  await new Promise<void>((resolve, reject) => {
    consumer.on(consumer.events.CRASH, ({ payload }) => !payload.restart && reject(payload.error));
    void consumer.run({
      eachBatch: async ({ batch }) => {
        received += batch.messages.length;
        if (received >= MESSAGES) resolve();
      },
    });
  });
  const perSecond = rate(MESSAGES, joined);
  await consumer.disconnect();
  return { perSecond, joinMs: Number(joined - runStarted) / 1e6 };
}

async function round(
  kafka: Kafka,
  batches: Message[][],
  inFlight: number,
): Promise<{ produce: number; consume: number; joinMs: number }> {
  const admin = kafka.admin();
  await admin.connect();
  const topic = `bench-kafka-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  try {
    await admin.createTopics({
      topics: [{ topic, numPartitions: PARTITIONS }],
      waitForLeaders: true,
    });
    const produced = await produce(kafka, topic, batches, inFlight);
    const consumed = await consume(kafka, topic);
    return { produce: produced, ...consumed, consume: consumed.perSecond };
  } finally {
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
  }
}

const BUS_EVENTS = 300_000;
const BUS_GUESTS = 2_000;
const BUS_PARTITIONS = 12;

/**
 * Port-access events as the recorder agent publishes them: JSON of ~300 B, keyed by the guest's
 * vm UUID, each one distinct (seq, time, values), so gzip sees realistic input.
 */
function busRecords(): BusRecord[] {
  return Array.from({ length: BUS_EVENTS }, (_, i) => {
    const guest = i % BUS_GUESTS;
    const seq = Math.floor(i / BUS_GUESTS) + 1;
    const vm = `6f1c2b1e-3c4d-4e5f-8a9b-${guest.toString(16).padStart(12, '0')}`;
    const micros = String(i % 1_000_000).padStart(6, '0');
    const event = {
      id: `bench.dm-${guest}:${seq}`,
      type: 'port.access',
      v: 1,
      time: `2026-01-01T00:${String(Math.floor(i / 1e6) % 60).padStart(2, '0')}:00.${micros}Z`,
      host: `bench-host-${guest % 40}`,
      dm: `bench.dm-${guest}`,
      seq,
      vm,
      domid: guest + 1,
      boot: 0,
      data:
        i % 3 === 0
          ? { op: 'in', port: 16, size: 2, value: null, response: 0x49d2 }
          : { op: 'out', port: 18, size: 1, value: (i * 31) % 256, response: null },
    } as GuestEvent;
    return { key: vm, value: encodeEvent(event) };
  });
}

/**
 * KafkaBus publishes as the agent's shipper makes them (as many records as fit the bus's
 * maxPublishBytes, one publish at a time): node CPU (process.cpuUsage, zlib's threads included)
 * per produced event and events/s.
 */
async function busRound(
  kafka: Kafka,
  brokers: string[],
  records: BusRecord[],
  compression: 'none' | 'gzip',
): Promise<{ cpuMicros: number; perSecond: number; perPublish: number }> {
  const topic = `bench-bus-${compression}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const bus = new KafkaBus({ ...KAFKA_BUS_DEFAULTS, brokers, compression, log: () => undefined });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await bus.ensureTopics([
      {
        topic,
        partitions: BUS_PARTITIONS,
        configs: { 'max.message.bytes': String(8 * 1024 * 1024) },
      },
    ]);
    const bytesEach = records[0]!.value.length + records[0]!.key!.length;
    const perPublish = Math.floor(bus.maxPublishBytes / bytesEach);
    await bus.publish(topic, records.slice(0, perPublish)); // connects; warms the JIT up
    const cpu = process.cpuUsage();
    const started = process.hrtime.bigint();
    for (let at = 0; at < records.length; at += perPublish)
      await bus.publish(topic, records.slice(at, at + perPublish));
    const perSecond = rate(records.length, started);
    const used = process.cpuUsage(cpu);
    return { cpuMicros: (used.user + used.system) / records.length, perSecond, perPublish };
  } finally {
    await bus.close();
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
  }
}

const spread = (values: number[]): string =>
  values.map((v) => Math.round(v).toLocaleString('en')).join(' / ');

const benchmark: Benchmark = {
  name: 'kafka',
  async run(): Promise<Measurement[]> {
    const brokers = await acquireBrokers();
    try {
      const kafka = new Kafka({
        clientId: 'magicport-bench',
        brokers: brokers.list,
        logLevel: logLevel.NOTHING,
      });
      const batches = buildBatches();
      const setup = `kafkajs 2.2.4, ${brokers.description}, ${PARTITIONS} partitions, ${MESSAGES.toLocaleString('en')} msgs x ${ROUNDS} rounds`;
      const measurements: Measurement[] = [];
      for (const inFlight of [1, IN_FLIGHT]) {
        const rounds = [];
        for (let r = 0; r < ROUNDS; r++) rounds.push(await round(kafka, batches, inFlight));
        const produced = rounds.map((r) => r.produce);
        measurements.push({
          name: `kafka produce (${MESSAGE_BYTES} B, ${inFlight} send${inFlight > 1 ? 's' : ''} in flight)`,
          value: median(produced),
          unit: 'msg/s',
          detail: `${setup}; acks=all, no compression, ${BATCH} msgs per send, ${inFlight} in flight; rounds ${spread(produced)}; ${((median(produced) * MESSAGE_BYTES) / 1e6).toFixed(1)} MB/s`,
        });
        if (inFlight !== 1) continue;
        const consumed = rounds.map((r) => r.consume);
        measurements.push({
          name: `kafka consume (${MESSAGE_BYTES} B, eachBatch)`,
          value: median(consumed),
          unit: 'msg/s',
          detail: `${setup}; one consumer, eachBatch, default fetch sizes (1 MiB/partition, 10 MiB/fetch), timed from group join; rounds ${spread(consumed)}; join ${Math.round(median(rounds.map((r) => r.joinMs)))} ms`,
        });
      }
      const records = busRecords();
      const eventBytes = Math.round(
        records.reduce((sum, r) => sum + r.value.length, 0) / records.length,
      );
      for (const compression of ['none', 'gzip'] as const) {
        const rounds = [];
        for (let r = 0; r < ROUNDS; r++)
          rounds.push(await busRound(kafka, brokers.list, records, compression));
        const cpu = rounds.map((r) => r.cpuMicros);
        measurements.push({
          name: `node CPU per produced message, KafkaBus (${compression === 'gzip' ? 'gzip level 1' : 'no compression'})`,
          value: median(cpu),
          unit: 'µs/msg',
          detail: `${brokers.description}, ${BUS_PARTITIONS} partitions, ${BUS_EVENTS.toLocaleString('en')} distinct port.access events of ~${eventBytes} B keyed by ${BUS_GUESTS.toLocaleString('en')} vm UUIDs x ${ROUNDS} rounds, ${rounds[0]!.perPublish.toLocaleString('en')} per publish (maxPublishBytes), one in flight, idempotent, acks=all; process.cpuUsage per message, rounds ${cpu.map((c) => c.toFixed(2)).join(' / ')}; ${spread(rounds.map((r) => r.perSecond))} events/s`,
        });
      }
      return measurements;
    } finally {
      await brokers.release();
    }
  },
};

export default benchmark;
