import { afterEach, describe, expect, it, vi } from 'vitest';
import { InProcessBus, partitionForKey } from '@magicport/bus';

const rec = (label: string, i: number) => ({
  key: `vm-${i % 3}`,
  value: Buffer.from(`${label}-${i}`),
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('InProcessBus.scanSince', () => {
  it('visits the records published at or after the time, per partition in offset order, up to the end at its start', async () => {
    const bus = new InProcessBus();
    await bus.ensureTopics([{ topic: 't', partitions: 2 }]);
    const now = vi.spyOn(Date, 'now');
    now.mockReturnValue(1_000);
    await bus.publish(
      't',
      [0, 1, 2].map((i) => rec('a', i)),
    );
    now.mockReturnValue(2_000);
    await bus.publish(
      't',
      [0, 1, 2, 3].map((i) => rec('b', i)),
    );

    const scan = async (sinceMs: number, onVisit?: () => void) => {
      const seen: string[] = [];
      await bus.scanSince('t', sinceMs, (r, partition) => {
        onVisit?.();
        seen.push(`${partition}@${r.offset} ${r.value.toString()} ${r.timestamp}`);
      });
      return seen;
    };
    const p = (i: number) => partitionForKey(`vm-${i % 3}`, 2, 0);
    // Offsets per partition follow the publish order; every key keeps its partition.
    const expected = (since: 'a' | 'b') => {
      const all = [
        ...[0, 1, 2].map((i) => ({ label: 'a', i, t: 1_000 })),
        ...[0, 1, 2, 3].map((i) => ({ label: 'b', i, t: 2_000 })),
      ];
      const next = [0, 0];
      const placed = all.map((r) => ({ ...r, p: p(r.i), offset: next[p(r.i)]!++ }));
      return placed
        .filter((r) => since === 'a' || r.label === 'b')
        .sort((x, y) => x.p - y.p || x.offset - y.offset)
        .map((r) => `${r.p}@${r.offset} ${r.label}-${r.i} ${r.t}`);
    };

    expect(await scan(0)).toEqual(expected('a'));
    expect(await scan(1_001)).toEqual(expected('b'));
    expect(await scan(2_000)).toEqual(expected('b'));
    expect(await scan(2_001)).toEqual([]);
    // A record published while the scan runs is past the end it started with.
    let published = false;
    const seen = await scan(2_000, () => {
      if (!published) void bus.publish('t', [rec('late', 0), rec('late', 1)]);
      published = true;
    });
    expect(seen).toEqual(expected('b'));
    expect((await scan(2_000)).length).toBe(6);
  });
});
