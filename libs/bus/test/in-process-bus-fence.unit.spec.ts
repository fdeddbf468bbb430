import { describe, expect, it } from 'vitest';
import { InProcessBus, PartitionLostError, type ConsumedBatch } from '@magicport/bus';

const records = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ key: null, value: Buffer.from(String(i)) }));

async function until(probe: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !probe(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(probe()).toBe(true);
}

describe('InProcessBus commit metadata and fencing', () => {
  it('keeps the metadata with the committed offset until the next commit replaces it', async () => {
    const bus = new InProcessBus();
    await bus.ensureTopics([{ topic: 't', partitions: 1 }]);
    await bus.publish('t', records(3));
    const seen: unknown[] = [];
    const sub = await bus.subscribe({
      topic: 't',
      groupId: 'g',
      fromBeginning: true,
      onBatch: async (b: ConsumedBatch) => {
        seen.push(await b.committed());
        await b.commit('0', 'range 0-2');
        seen.push(await b.committed());
        await b.commit('3');
        seen.push(await b.committed());
        return { commit: null };
      },
    });
    await until(() => seen.length === 3);
    expect(seen).toEqual([
      { offset: '0', metadata: null },
      { offset: '0', metadata: 'range 0-2' },
      { offset: '3', metadata: null },
    ]);
    await sub.stop();
    await bus.close();
  });

  it('refuses a commit from a member whose partitions another member has taken over', async () => {
    const bus = new InProcessBus();
    await bus.ensureTopics([{ topic: 't', partitions: 1 }]);
    await bus.publish('t', records(5));
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let oldBatch: ConsumedBatch | null = null;
    const first = await bus.subscribe({
      topic: 't',
      groupId: 'g',
      fromBeginning: true,
      onBatch: async (b) => {
        oldBatch = b;
        await held;
        return { commit: null };
      },
    });
    await until(() => oldBatch !== null);
    const taken: string[] = [];
    const second = await bus.subscribe({
      topic: 't',
      groupId: 'g',
      fromBeginning: true,
      onBatch: async (b) => {
        taken.push(...b.records.map((r) => r.offset));
        await b.commit('5', 'new owner');
        return { commit: null };
      },
    });
    const stopping = first.stop();
    await until(() => taken.length === 5);
    await expect(oldBatch!.commit('0', 'zombie range')).rejects.toBeInstanceOf(PartitionLostError);
    expect(await oldBatch!.committed()).toEqual({ offset: '5', metadata: 'new owner' });
    release();
    await stopping;
    await second.stop();
    await bus.close();
  });
});
