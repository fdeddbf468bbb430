import { describe, expect, it } from 'vitest';
import { isoOfUs } from '../src/api/guests/iso-time';

describe('isoOfUs', () => {
  it('writes microseconds exactly, across second boundaries and back', () => {
    const times = [
      [1_762_041_673_434_166, '2025-11-02T00:01:13.434166Z'],
      [1_762_041_673_999_999, '2025-11-02T00:01:13.999999Z'],
      [1_762_041_674_000_000, '2025-11-02T00:01:14.000000Z'],
      [1_762_041_673_000_001, '2025-11-02T00:01:13.000001Z'],
      [0, '1970-01-01T00:00:00.000000Z'],
      [1_762_041_674_000_007, '2025-11-02T00:01:14.000007Z'],
    ] as const;
    expect(times.map(([us]) => isoOfUs(us))).toEqual(times.map(([, iso]) => iso));
  });
});
