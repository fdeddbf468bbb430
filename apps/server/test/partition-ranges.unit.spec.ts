import { describe, expect, it } from 'vitest';
import {
  commitOffsetAfter,
  consumerLag,
  dedupToken,
  resumeFrom,
  startingState,
  takeRanges,
  type PartitionState,
} from '../src/ingest/partition-ranges';

type R = { offset: string };
const recs = (from: number, to: number): R[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ({ offset: String(from + i) }));
const bounds = (step: ReturnType<typeof takeRanges<R>>) =>
  step.ranges.map((r) => [
    Number(r.range.first),
    Number(r.range.last),
    r.recorded,
    r.records.length,
  ]);

describe('takeRanges: new ranges', () => {
  it('cuts a fresh partition into ranges of at most maxRows', () => {
    const step = takeRanges(startingState<R>(null), recs(0, 24), 10);
    expect(bounds(step)).toEqual([
      [0, 9, false, 10],
      [10, 19, false, 10],
      [20, 24, false, 5],
    ]);
    expect(step.state).toEqual({ mode: 'free' });
    expect(step.warning).toBeNull();
  });

  it('an empty batch changes nothing', () => {
    const state = startingState<R>({ first: 5n, last: 9n });
    expect(takeRanges(state, [], 10)).toEqual({ state, ranges: [], warning: null });
  });

  it('a committed recorded range (delivery starts after it) is history', () => {
    const step = takeRanges(startingState<R>({ first: 0n, last: 9n }), recs(10, 12), 100);
    expect(bounds(step)).toEqual([[10, 12, false, 3]]);
  });
});

describe('takeRanges: rebuilding a recorded, uncommitted range', () => {
  it('rebuilds exactly the recorded range from a longer fetch, then cuts the rest anew', () => {
    const step = takeRanges(startingState<R>({ first: 100n, last: 149n }), recs(100, 349), 100);
    expect(bounds(step)).toEqual([
      [100, 149, true, 50],
      [150, 249, false, 100],
      [250, 349, false, 100],
    ]);
  });

  it('holds shorter fetches until the recorded range is complete', () => {
    let state: PartitionState<R> = startingState({ first: 100n, last: 199n });
    const first = takeRanges(state, recs(100, 129), 1000);
    expect(first.ranges).toEqual([]);
    expect(first.state).toMatchObject({ mode: 'rebuilding' });
    state = first.state;
    const second = takeRanges(state, recs(130, 189), 1000);
    expect(second.ranges).toEqual([]);
    const third = takeRanges(second.state, recs(190, 205), 1000);
    expect(bounds(third)).toEqual([
      [100, 199, true, 100],
      [200, 205, false, 6],
    ]);
    expect(third.ranges[0]!.records.map((r) => r.offset)).toEqual(
      recs(100, 199).map((r) => r.offset),
    );
  });

  it('a fetch ending exactly at the recorded end completes it', () => {
    const step = takeRanges(startingState<R>({ first: 5n, last: 9n }), recs(5, 9), 3);
    expect(bounds(step)).toEqual([[5, 9, true, 5]]);
    expect(step.state).toEqual({ mode: 'free' });
  });

  it('offset gaps inside the recorded range do not stall it', () => {
    const gappy = [{ offset: '5' }, { offset: '7' }, { offset: '12' }];
    const step = takeRanges(startingState<R>({ first: 5n, last: 10n }), gappy, 10);
    expect(bounds(step)).toEqual([
      [5, 10, true, 2],
      [12, 12, false, 1],
    ]);
  });
});

describe('resumeFrom', () => {
  it('warns and goes on when the group offset is inside the recorded range', () => {
    const { state, warning } = resumeFrom<R>({ first: 10n, last: 20n }, 15n);
    expect(state).toEqual({ mode: 'free' });
    expect(warning?.message).toBe(
      'group offset 15 is inside or before the recorded uncommitted range 10-20; it cannot be rebuilt exactly, ingesting on from 15',
    );
  });

  it('warns when the group offset is before the recorded range', () => {
    expect(resumeFrom<R>({ first: 10n, last: 20n }, 3n).warning).not.toBeNull();
  });
});

describe('offset math', () => {
  it('commits the offset after the range', () => {
    expect(commitOffsetAfter({ first: 0n, last: 9n })).toBe('10');
    expect(commitOffsetAfter({ first: 2n ** 62n, last: 2n ** 63n - 2n })).toBe(
      '9223372036854775807',
    );
  });

  it('lag is what is left up to the high watermark, never negative', () => {
    expect(consumerLag('100', 40n)).toBe(60);
    expect(consumerLag('100', 100n)).toBe(0);
    expect(consumerLag('5', 9n)).toBe(0);
  });

  it('tokens name topic, partition, bounds and kind', () => {
    expect(dedupToken('magicport.events.v1', 3, { first: 10n, last: 19n }, 'port_accesses')).toBe(
      'magicport.events.v1-3-10-19-port_accesses',
    );
  });
});
