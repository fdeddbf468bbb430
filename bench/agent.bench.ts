/**
 * The recorder agent: guest-path cost per access (device model + event construction + enqueue),
 * the bus's publish ceiling for encoded events, and the simulated fleet through the agent into
 * Kafka, start to fully delivered. Kafka is KAFKA_BROKERS when set, else a local broker started
 * and stopped here.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  KafkaBus,
  KAFKA_BUS_DEFAULTS,
  magicportTopics,
  WorkerBus,
  type Bus,
  type KafkaBusConfig,
} from '@magicport/bus';
import {
  Agent,
  DeviceModelRecorder,
  FLEET_DEFAULTS,
  runFleet,
  seedSimulatedBlacklist,
} from '@magicport/device-model';
import { encodeEvent, EVENTS_TOPIC, type GuestEvent } from '@magicport/events';
import { withBroker } from './bench-broker';
import { median, type Benchmark, type Measurement } from './harness';

/** ~500k events: long enough to be sustained throughput, not start-up. */
const FLEET_GUESTS = 10_000;
const FLEET_RUNS = 3;
const VM = '6f1c2b1e-3c4d-4e5f-8a9b-0c1d2e3f4a5b';

/** One boot's accesses: a Linux-style handshake and three 60-byte log lines. */
function bootMix(): Array<
  [op: 'in' | 'out', port: number, size: 1 | 2 | 4, value: number | undefined]
> {
  const mix: Array<['in' | 'out', number, 1 | 2 | 4, number | undefined]> = [
    ['in', 0x10, 2, undefined],
    ['in', 0x12, 1, undefined],
    ['out', 0x12, 2, 3],
    ['out', 0x10, 4, 1],
    ['in', 0x10, 2, undefined],
    ['out', 0x10, 2, 3],
  ];
  for (let l = 0; l < 3; l++)
    for (const b of Buffer.from(`XEN|log line ${l} ${'x'.repeat(44)}\n`))
      mix.push(['out', 0x12, 1, b]);
  return mix;
}

function guestPathNsPerAccess(mix = bootMix()): number {
  const rounds: number[] = [];
  for (let round = 0; round < 5; round++) {
    let queue: GuestEvent[] = [];
    const recorder = new DeviceModelRecorder(
      {
        host: 'bench',
        dm: 'bench.dm-1',
        vm: VM,
        domid: 1,
        profile: 'spec',
        enforceBlacklist: false,
        blacklist: () => false,
        idleGapMs: 5000,
        logByteAccesses: false,
        source: 'simulated',
      },
      (e) => void queue.push(e),
    );
    const boots = 20_000;
    let t = Date.UTC(2026, 0, 1) * 1000;
    const start = process.hrtime.bigint();
    for (let b = 0; b < boots; b++) {
      for (const [op, port, size, value] of mix) recorder.access(op, port, size, value, t++);
      t += 10_000_000; // the next boot's first magic read starts a new handshake
      if (queue.length > 1_000) queue = []; // the agent's writer drains its queue every tick
    }
    rounds.push(Number(process.hrtime.bigint() - start) / (boots * mix.length));
  }
  return median(rounds);
}

async function publishCeiling(
  brokers: string[],
  compression: 'none' | 'gzip',
  makeBus: (config: KafkaBusConfig) => Bus = (config) => new KafkaBus(config),
): Promise<number> {
  const bus = makeBus({ ...KAFKA_BUS_DEFAULTS, brokers, compression, log: () => undefined });
  await bus.ensureTopics(magicportTopics());
  const sample = encodeEvent({
    id: 'bench.dm-1:1',
    type: 'port.access',
    v: 1,
    time: '2026-01-01T00:00:00.000001Z',
    host: 'bench',
    dm: 'bench.dm-1',
    seq: 1,
    vm: VM,
    domid: 1,
    boot: 0,
    data: { op: 'in', port: 16, size: 2, value: null, response: 18898 },
  } as GuestEvent);
  const records = Array.from({ length: 3_000 }, (_, i) => ({
    key: `vm-${i % 500}`,
    value: sample,
  }));
  const total = 240_000;
  const start = process.hrtime.bigint();
  for (let sent = 0; sent < total; sent += records.length) await bus.publish(EVENTS_TOPIC, records);
  const perSecond = total / (Number(process.hrtime.bigint() - start) / 1e9);
  await bus.close();
  return perSecond;
}

async function fleetIntoKafka(
  brokers: string[],
  guests: number,
): Promise<{
  events: number;
  perSecond: number;
  generatedPerSecond: number;
  cpuMicrosPerEvent: number;
}> {
  const dir = await mkdtemp(join(tmpdir(), 'magicport-bench-agent-'));
  // As the CLI's agent runs: publishes from a worker thread, beside the simulator's thread.
  const bus = new WorkerBus({ ...KAFKA_BUS_DEFAULTS, brokers, log: () => undefined });
  await bus.ensureTopics(magicportTopics());
  const agent = await Agent.open({ host: 'bench', journalDir: dir, maxQueuedEvents: 50_000 }, bus);
  await agent.blacklist.ready;
  await seedSimulatedBlacklist(bus, agent.blacklist.view, {
    host: 'bench',
    stream: `bench-${process.pid}-${Date.now()}`,
    actor: 'bench',
  });
  const start = process.hrtime.bigint();
  const cpuBefore = process.cpuUsage();
  const manifest = await runFleet(agent, {
    ...FLEET_DEFAULTS,
    seed: 1,
    guests,
    hosts: 20,
    boots: 3,
  });
  const generatedS = Number(process.hrtime.bigint() - start) / 1e9;
  await agent.drain(300_000);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  await agent.close(10_000, 0);
  await bus.close();
  await rm(dir, { recursive: true, force: true });
  return {
    events: manifest.totalEvents,
    perSecond: manifest.totalEvents / seconds,
    generatedPerSecond: manifest.totalEvents / generatedS,
    cpuMicrosPerEvent: (cpu.user + cpu.system) / manifest.totalEvents,
  };
}

const bench: Benchmark = {
  name: 'agent',
  async run(): Promise<Measurement[]> {
    const ns = guestPathNsPerAccess();
    const protocolOnly = guestPathNsPerAccess(bootMix().slice(0, 6));
    return withBroker('agent', async (brokers) => {
      // A fresh broker takes its first ~240k records at half speed or less (JIT warm-up), which
      // would make whichever ceiling runs first look slower than the others; this run is untimed.
      await publishCeiling(brokers, 'gzip');
      const gzip = await publishCeiling(brokers, 'gzip');
      const none = await publishCeiling(brokers, 'none');
      const worker = await publishCeiling(brokers, 'gzip', (config) => new WorkerBus(config));
      // The machine's speed drifts by 20-30% between runs: three runs, the median reported.
      const runs: Array<Awaited<ReturnType<typeof fleetIntoKafka>>> = [];
      for (let i = 0; i < FLEET_RUNS; i++) runs.push(await fleetIntoKafka(brokers, FLEET_GUESTS));
      const fleet = runs.slice().sort((a, b) => a.perSecond - b.perSecond)[FLEET_RUNS >> 1]!;
      const all = runs.map((r) => Math.round(r.perSecond / 100) / 10).join(' / ');
      return [
        {
          name: 'guest path per access (device model + event + enqueue)',
          value: ns,
          unit: 'ns',
          detail: 'median of 5 x 20k boots, 15% protocol / 85% log bytes',
        },
        {
          name: 'guest path per protocol access (each one a port.access event)',
          value: protocolOnly,
          unit: 'ns',
          detail: 'median of 5 x 20k handshakes of 6 accesses, plus their outcomes',
        },
        {
          name: 'bus publish ceiling, encoded port.access events (gzip)',
          value: gzip,
          unit: 'events/s',
          detail: '240k events of ~310 B, 12k per publish',
        },
        {
          name: 'bus publish ceiling, encoded port.access events (no compression)',
          value: none,
          unit: 'events/s',
          detail: '240k events of ~310 B, 12k per publish',
        },
        {
          name: 'bus publish ceiling through the publish worker thread (gzip)',
          value: worker,
          unit: 'events/s',
          detail: 'WorkerBus: same 240k events, packed and sent by a KafkaBus in a worker thread',
        },
        {
          name: 'simulated fleet -> agent -> Kafka, delivered',
          value: fleet.perSecond,
          unit: 'events/s',
          detail: `median of ${FLEET_RUNS} runs (${all}k events/s) of ${fleet.events} events, ${FLEET_GUESTS} guests x 3 boots (seed 1), start to fully acknowledged, publishing from a worker thread`,
        },
        {
          name: 'simulated fleet -> agent -> Kafka, agent process CPU per event',
          value: fleet.cpuMicrosPerEvent,
          unit: 'us',
          detail:
            'the median run: every thread of the process (simulator, journal, publish worker, gzip, GC)',
        },
        {
          name: 'simulated fleet -> agent, generated',
          value: fleet.generatedPerSecond,
          unit: 'events/s',
          detail: 'the median run, until the simulator finished',
        },
      ];
    });
  },
};

export default bench;
