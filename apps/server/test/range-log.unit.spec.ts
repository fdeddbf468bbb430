import { describe, expect, it } from 'vitest';
import { formatRangeMetadata, parseRangeMetadata } from '../src/ingest/range-log';

describe('range metadata in the committed offset', () => {
  it('round-trips a range, offsets beyond 2^53 included', () => {
    const range = { first: 9007199254740993n, last: 9007199254750993n };
    expect(formatRangeMetadata(range)).toBe('magicport-range/1:9007199254740993-9007199254750993');
    expect(parseRangeMetadata(formatRangeMetadata(range))).toEqual(range);
  });

  it('reads no range from empty, foreign or damaged metadata', () => {
    for (const metadata of [
      null,
      '',
      'committed by another tool',
      'magicport-range/1:',
      'magicport-range/1:7-',
      'magicport-range/1:9-3',
      'magicport-range/2:1-2',
    ]) {
      expect(parseRangeMetadata(metadata)).toBeNull();
    }
  });
});
