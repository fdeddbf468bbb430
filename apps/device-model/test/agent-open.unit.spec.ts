import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InProcessBus, magicportTopics, type BusRecord } from '@magicport/bus';
import { EVENTS_TOPIC } from '@magicport/events';
import { Agent } from '../src/agent';
import { Journal } from '../src/journal';

/** The in-process bus, except that the blacklist topic's end offsets cannot be read. */
class NoLeaderBus extends InProcessBus {
  publishes = 0;
  override async endOffsets(): Promise<Map<number, string>> {
    throw new Error('This server is not the leader for that topic-partition');
  }
  override async publish(topic: string, records: readonly BusRecord[]): Promise<void> {
    if (topic === EVENTS_TOPIC) this.publishes++;
    return super.publish(topic, records);
  }
}

const EVENTS = 40_000;
const event = (seq: number) =>
  Buffer.from(JSON.stringify({ dm: 'dm-1', seq, pad: 'x'.repeat(200) }));

describe('Agent.open', () => {
  it('stops its shipper and closes the journal when the blacklist follower cannot start', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'magicport-agent-open-'));
    // A backlog of several shipper batches (4 MiB each) from a previous run.
    const before = await Journal.open(dir);
    for (let seq = 0; seq < EVENTS; seq++) before.append({ key: 'vm-1', value: event(seq) });
    await before.close();

    const bus = new NoLeaderBus();
    await bus.ensureTopics(magicportTopics());
    await expect(
      Agent.open({ host: 'h', journalDir: dir, maxQueuedEvents: 1_000 }, bus),
    ).rejects.toThrow('This server is not the leader for that topic-partition');
    const publishes = bus.publishes;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(bus.publishes).toBe(publishes);
    expect(publishes).toBeLessThanOrEqual(1);

    // What was delivered is acknowledged; the rest is still in the journal, nothing twice.
    const delivered: number[] = [];
    await bus.scanSince(EVENTS_TOPIC, 0, (r) =>
      delivered.push((JSON.parse(r.value.toString()) as { seq: number }).seq),
    );
    const after = await Journal.open(dir);
    const left: number[] = [];
    let pos = after.cursor;
    for (;;) {
      const { records, next } = await after.read(pos, 4 * 1024 * 1024);
      if (records.length === 0) break;
      for (const r of records) left.push((JSON.parse(r.value.toString()) as { seq: number }).seq);
      pos = next;
    }
    await after.close();
    expect([...delivered, ...left]).toEqual(Array.from({ length: EVENTS }, (_, seq) => seq));
  });
});
