/**
 * Kafka side of the ingest benchmarks: a broker (KAFKA_BROKERS or a local one started here),
 * the events topic's offsets, a consumer group placed at given offsets, and the simulated fleet
 * published through the agent by `magicport simulate` in a process of its own (so the bench
 * process's memory and CPU are the ingest's).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Kafka } from 'kafkajs';
import { KafkaBus, KAFKA_BUS_DEFAULTS, magicportTopics } from '@magicport/bus';
import { EVENTS_TOPIC } from '@magicport/events';

export const CLI = join(__dirname, '..', 'apps', 'cli', 'dist', 'main.js');

export type Offsets = Map<number, bigint>;
export const sum = (o: Offsets) => [...o.values()].reduce((a, b) => a + b, 0n);

/**
 * Offsets of the events topic: the end of each partition (`high`) or its first kept one. Right
 * after the topic is created its partitions may have no leader yet (NOT_LEADER_FOR_PARTITION,
 * which kafkajs's admin does not retry): asked again for up to 15 s.
 */
export async function topicOffsets(kafka: Kafka, which: 'high' | 'low' = 'high'): Promise<Offsets> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        return new Map(
          (await admin.fetchTopicOffsets(EVENTS_TOPIC)).map((o) => [o.partition, BigInt(o[which])]),
        );
      } catch (err) {
        const retriable = (err as { retriable?: boolean }).retriable === true;
        if (!retriable || attempt >= 60) throw err;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  } finally {
    await admin.disconnect();
  }
}

export async function setGroupOffsets(
  kafka: Kafka,
  groupId: string,
  offsets: Offsets,
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.setOffsets({
      groupId,
      topic: EVENTS_TOPIC,
      partitions: [...offsets].map(([partition, offset]) => ({
        partition,
        offset: String(offset),
      })),
    });
  } finally {
    await admin.disconnect();
  }
}

export async function ensureTopics(brokers: string[]): Promise<void> {
  const bus = new KafkaBus({ ...KAFKA_BUS_DEFAULTS, brokers, log: () => undefined });
  await bus.ensureTopics(magicportTopics());
  await bus.close();
}

/**
 * `magicport simulate --guests N` at full speed through the agent into Kafka (about 33 events
 * per guest); resolves when every event is acknowledged.
 */
export async function simulateFleet(brokers: string[], guests: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'magicport-bench-ingest-'));
  const args = ['simulate', '--guests', String(guests), '--hosts', '200'];
  args.push('--seed', String(Date.now() % 2 ** 31), '--brokers', brokers.join(','));
  args.push('--journal', join(dir, 'journal'), '--no-progress', '--no-blacklist');
  try {
    await promisify(execFile)(process.execPath, [CLI, ...args], { maxBuffer: 16 << 20 });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function until(
  probe: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
