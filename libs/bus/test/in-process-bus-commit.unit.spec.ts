import { describe, expect, it } from 'vitest';
import { InProcessBus, type ConsumedBatch } from '@magicport/bus';

const records = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ key: null, value: Buffer.from(String(i)) }));

async function until(probe: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !probe(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(probe()).toBe(true);
}

describe('InProcessBus commits what the handler chooses', () => {
  it('commit: null moves on without committing; the next member starts at the committed offset', async () => {
    const bus = new InProcessBus();
    await bus.ensureTopics([{ topic: 't', partitions: 1 }]);
    await bus.publish('t', records(10));
    const seen: string[][] = [];
    const assigned: number[][] = [];
    const first = await bus.subscribe({
      topic: 't',
      groupId: 'g',
      fromBeginning: true,
      onAssignment: (p) => void assigned.push([...p]),
      onBatch: async (b: ConsumedBatch) => {
        seen.push(b.records.map((r) => r.offset));
        await b.commit('4');
        return { commit: null };
      },
    });
    await until(() => seen.length === 1);
    await bus.publish('t', records(2));
    await until(() => seen.length === 2);
    // Not redelivered while the member keeps the partition, though only offset 4 was committed.
    expect(seen).toEqual([
      ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
      ['10', '11'],
    ]);
    expect(assigned).toEqual([[0]]);
    await first.stop();
    const again: string[] = [];
    const second = await bus.subscribe({
      topic: 't',
      groupId: 'g',
      fromBeginning: true,
      onBatch: async (b) => void again.push(...b.records.map((r) => r.offset)),
    });
    await until(() => again.length === 8);
    expect(again[0]).toBe('4');
    await second.stop();
    await bus.close();
  });

  it('a standby that takes over is told its assignment and sees batches of the old member as stale', async () => {
    const bus = new InProcessBus();
    await bus.ensureTopics([{ topic: 't', partitions: 2 }]);
    let staleAfterStop: (() => boolean) | null = null;
    const first = await bus.subscribe({
      topic: 't',
      groupId: 'g',
      fromBeginning: true,
      onBatch: async (b) => {
        staleAfterStop = () => b.isStale();
        return { commit: null };
      },
    });
    const assigned: number[][] = [];
    const standby = await bus.subscribe({
      topic: 't',
      groupId: 'g',
      fromBeginning: true,
      onAssignment: (p) => void assigned.push([...p]),
      onBatch: async () => undefined,
    });
    await bus.publish('t', records(4));
    await until(() => staleAfterStop !== null);
    expect(staleAfterStop!()).toBe(false);
    await first.stop();
    expect(staleAfterStop!()).toBe(true);
    await until(() => assigned.length === 1);
    expect(assigned).toEqual([[0, 1]]);
    await standby.stop();
    await bus.close();
  });
});
