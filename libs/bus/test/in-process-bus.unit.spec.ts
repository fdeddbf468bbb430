import { describe, expect, it } from 'vitest';
import { InProcessBus, partitionForKey, type ConsumedBatch } from '@magicport/bus';

const rec = (key: string, n: number) => ({ key, value: Buffer.from(`${key}:${n}`) });

function collector() {
  const batches: ConsumedBatch[] = [];
  let waiters: Array<() => void> = [];
  return {
    batches,
    values: () => batches.flatMap((b) => b.records.map((r) => r.value.toString())),
    onBatch: async (b: ConsumedBatch) => {
      batches.push(b);
      waiters.forEach((w) => w());
      waiters = [];
    },
    until: async (pred: () => boolean) => {
      while (!pred()) await new Promise<void>((r) => waiters.push(r));
    },
  };
}

describe('InProcessBus', () => {
  it('keeps one key in order on one partition and delivers every record once to a group', async () => {
    const bus = new InProcessBus();
    await bus.ensureTopics([{ topic: 't', partitions: 4 }]);
    const c = collector();
    await bus.subscribe({ topic: 't', groupId: 'g', fromBeginning: true, onBatch: c.onBatch });
    const keys = ['vm-a', 'vm-b', 'vm-c'];
    for (let n = 0; n < 100; n++)
      await bus.publish(
        't',
        keys.map((k) => rec(k, n)),
      );
    await c.until(() => c.values().length === 300);
    for (const k of keys) {
      const seen = c.values().filter((v) => v.startsWith(`${k}:`));
      expect(seen).toEqual(Array.from({ length: 100 }, (_, n) => `${k}:${n}`));
      const partitions = new Set(
        c.batches.filter((b) => b.records.some((r) => r.key === k)).map((b) => b.partition),
      );
      expect([...partitions]).toEqual([partitionForKey(k, 4, 0)]);
    }
    expect([...(await bus.endOffsets('t')).values()].reduce((a, o) => a + Number(o), 0)).toBe(300);
    await bus.close();
  });

  it('redelivers a batch whose handler failed, and commits only after success', async () => {
    const bus = new InProcessBus();
    await bus.ensureTopics([{ topic: 't', partitions: 1 }]);
    await bus.publish('t', [rec('k', 1), rec('k', 2)]);
    let calls = 0;
    const c = collector();
    await bus.subscribe({
      topic: 't',
      groupId: 'g',
      fromBeginning: true,
      onBatch: async (b) => {
        if (++calls === 1) throw new Error('clickhouse down');
        await c.onBatch(b);
      },
    });
    await c.until(() => c.values().length === 2);
    expect(calls).toBe(2);
    expect(c.values()).toEqual(['k:1', 'k:2']);
    await bus.close();
  });

  it('starts a new group at the end unless fromBeginning, and keeps groups independent', async () => {
    const bus = new InProcessBus();
    await bus.ensureTopics([{ topic: 't', partitions: 2 }]);
    await bus.publish('t', [rec('a', 1)]);
    const tail = collector();
    const all = collector();
    await bus.subscribe({
      topic: 't',
      groupId: 'tail',
      fromBeginning: false,
      onBatch: tail.onBatch,
    });
    await bus.subscribe({ topic: 't', groupId: 'all', fromBeginning: true, onBatch: all.onBatch });
    await bus.publish('t', [rec('a', 2)]);
    await all.until(() => all.values().length === 2);
    await tail.until(() => tail.values().length === 1);
    expect(tail.values()).toEqual(['a:2']);
    expect(all.values()).toEqual(['a:1', 'a:2']);
    await bus.close();
  });

  it('rejects publishing to a topic that was never provisioned', async () => {
    const bus = new InProcessBus();
    await expect(bus.publish('nope', [rec('a', 1)])).rejects.toThrow(
      'unknown topic nope: call ensureTopics first',
    );
  });
});

describe('InProcessBus memory', () => {
  it('keeps only the newest records of a topic nobody reads, and keeps counting offsets', async () => {
    const bus = new InProcessBus({ retainWithoutReaders: 2000 });
    await bus.ensureTopics([{ topic: 't', partitions: 1 }]);
    await bus.publish(
      't',
      Array.from({ length: 5000 }, (_, n) => rec('k', n)),
    );
    expect(await bus.endOffsets('t')).toEqual(new Map([[0, '5000']]));
    const late: string[] = [];
    await bus.subscribe({
      topic: 't',
      groupId: 'late',
      fromBeginning: true,
      onBatch: async (b) => void late.push(...b.records.map((r) => r.offset)),
    });
    while (late.length < 2000) await new Promise((r) => setTimeout(r, 1));
    expect(late.length).toBe(2000);
    expect([late[0], late[1999]]).toEqual(['3000', '4999']);
    await bus.close();
  });

  it('keeps every record of a topic retained forever', async () => {
    const bus = new InProcessBus();
    await bus.ensureTopics([
      { topic: 'forever', partitions: 1, configs: { 'retention.ms': '-1' } },
    ]);
    await bus.publish(
      'forever',
      Array.from({ length: 3000 }, (_, n) => rec('k', n)),
    );
    const seen: string[] = [];
    await bus.subscribe({
      topic: 'forever',
      groupId: 'g',
      fromBeginning: true,
      onBatch: async (b) => void seen.push(...b.records.map((r) => r.offset)),
    });
    while (seen.length < 3000) await new Promise((r) => setTimeout(r, 1));
    expect(seen[0]).toBe('0');
    await bus.close();
  });
});
