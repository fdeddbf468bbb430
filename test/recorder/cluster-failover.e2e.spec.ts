/**
 * Defect: duplicates on a multi-broker cluster. When kafkajs gave up on a send after some
 * brokers had appended their part, the shipper's identical re-send (same producer, sequence
 * numbers advanced on those partitions) was appended again. Now a send that gives up drops its
 * producer and its outcome is unknown: the shipper checks the topic and sends only what is
 * missing.
 *
 * On a real 3-node cluster (replication factor 3, min.insync.replicas 2) while the agent records
 * and publishes a simulated fleet: a broker SIGKILLed and restarted mid-run, and the leader of
 * the partition a send is busy with killed mid-send. Every event arrives exactly once per id,
 * each stream gapless and in order on its vm's one partition.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaBus, KAFKA_BUS_DEFAULTS, magicportTopics, type BusRecord } from '@magicport/bus';
import { EVENTS_TOPIC } from '@magicport/events';
import { Agent } from '../../apps/device-model/src/agent';
import {
  FLEET_DEFAULTS,
  runFleet,
  seedSimulatedBlacklist,
} from '../../apps/device-model/src/simulate';
import { startTestCluster, type TestCluster } from '../setup/kafka-cluster';
import { partitionLeaders } from '../support/kafka';
import { eventsEndOffsets, randomSeed, readRunEvents, simulatedDms } from '../support/recorder';
import { checkDelivery, expectDeliveredOnce } from './delivery-check';

let cluster: TestCluster;
const dirs: string[] = [];

beforeAll(async () => {
  cluster = await startTestCluster(3);
}, 240_000);
afterAll(async () => {
  await cluster?.stop();
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A KafkaBus that calls `onPublish` with each events publish once its send has started. */
class WatchedBus extends KafkaBus {
  publishes = 0;
  onPublish: (records: readonly BusRecord[], n: number) => void = () => undefined;
  override publish(topic: string, records: readonly BusRecord[]): Promise<void> {
    const sent = super.publish(topic, records);
    if (topic === EVENTS_TOPIC) this.onPublish(records, ++this.publishes);
    return sent;
  }
}

/** The node (1-based) leading each partition of the events topic. */
const leaders = (bootstrap: string) => partitionLeaders(bootstrap, EVENTS_TOPIC);

/** The partition most of `records` go to, as the producer's partitioner places them. */
function busiestPartition(records: readonly BusRecord[], partitions: number): number {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: partitions }, (_, i) => ({
    partitionId: i,
    leader: 0,
    partitionErrorCode: 0,
    replicas: [],
    isr: [],
  }));
  const counts = new Map<number, number>();
  for (const r of records) {
    const p = partitioner({
      topic: EVENTS_TOPIC,
      partitionMetadata,
      message: { key: r.key, value: r.value },
    });
    counts.set(p, (counts.get(p) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1])[0]![0];
}

/** Runs a simulated fleet through an agent on the cluster; `fault` starts at the first publish. */
async function fleetThroughFault(
  fault: (records: readonly BusRecord[], leaders: Map<number, number>) => Promise<void>,
) {
  const run = { seed: randomSeed(), hosts: 10, guests: 400, boots: 2 };
  const dms = simulatedDms(run);
  const from = await eventsEndOffsets(cluster.bootstrap);
  const dir = await mkdtemp(join(tmpdir(), 'magicport-cluster-'));
  dirs.push(dir);
  const kafkaLog: string[] = [];
  const bus = new WatchedBus({
    ...KAFKA_BUS_DEFAULTS,
    brokers: cluster.bootstrap.split(','),
    clientId: 'magicport-cluster-test',
    log: (line) => void kafkaLog.push(line),
  });
  await bus.ensureTopics(magicportTopics());
  // Known before the fault: it must strike while the send is under way, not after a lookup.
  const leadersBefore = await leaders(cluster.bootstrap);
  const logs: string[] = [];
  const agent = await Agent.open(
    { host: 'cluster-test', journalDir: dir, maxQueuedEvents: 50_000 },
    bus,
    (l) => void logs.push(l),
  );
  let faulted: Promise<void> | null = null;
  bus.onPublish = (records, n) => {
    if (n === 2) faulted = fault(records, leadersBefore);
  };
  try {
    await agent.blacklist.ready;
    const stream = `cluster-test-${process.pid}-${Date.now()}`;
    await seedSimulatedBlacklist(bus, agent.blacklist.view, {
      host: 'cluster-test',
      stream,
      actor: 'cluster-test',
    });
    const manifest = await runFleet(agent, { ...FLEET_DEFAULTS, ...run });
    await agent.drain(180_000);
    expect(faulted, 'the fault never started: fewer than 2 publishes').not.toBeNull();
    await faulted;
    await agent.close(30_000, FLEET_DEFAULTS.startUs);
    const records = await readRunEvents(cluster.bootstrap, from, dms, 120_000);
    return { manifest, check: checkDelivery(records, dms), logs, records: records.length };
  } finally {
    await bus.close();
  }
}

describe('on a 3-broker cluster', () => {
  it('a broker SIGKILLed and restarted mid-run: every event exactly once, each stream in order', async () => {
    const { manifest, check, logs, records } = await fleetThroughFault(async () => {
      cluster.kill(2);
      await new Promise((r) => setTimeout(r, 3_000));
      await cluster.restart(2);
    });
    console.info(
      `broker kill: ${records} records for ${manifest.totalEvents} events; agent said: ${logs.join(' | ')}`,
    );
    expectDeliveredOnce(check, manifest);
    expect(check.distinct).toBe(manifest.totalEvents);
    expect(records).toBe(manifest.totalEvents);
  });

  it('the leader of the partition a send is busy with killed mid-send: every event exactly once, each stream in order', async () => {
    let killed = 0;
    const { manifest, check, logs, records } = await fleetThroughFault(
      async (batch, partitions) => {
        killed = partitions.get(busiestPartition(batch, partitions.size))!;
        cluster.kill(killed);
        await new Promise((r) => setTimeout(r, 3_000));
        await cluster.restart(killed);
      },
    );
    console.info(
      `leader ${killed} killed: ${records} records for ${manifest.totalEvents} events; agent said: ${logs.join(' | ')}`,
    );
    expect([1, 2, 3]).toContain(killed);
    expectDeliveredOnce(check, manifest);
    expect(check.distinct).toBe(manifest.totalEvents);
    expect(records).toBe(manifest.totalEvents);
  });
});
