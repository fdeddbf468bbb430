import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EVENT_TIME_END_MICROS,
  eventTimeToMicros,
  isEventTime,
  systemClock,
  toEventTime,
} from '@magicport/events';

describe('event time', () => {
  it.each([
    [0, '1970-01-01T00:00:00.000000Z'],
    [1_772_366_400_000_001, '2026-03-01T12:00:00.000001Z'],
    [1_772_366_400_999_999, '2026-03-01T12:00:00.999999Z'],
    [EVENT_TIME_END_MICROS - 1, '2249-12-31T23:59:59.999999Z'],
  ])('%i µs is %s and back', (micros, time) => {
    expect(toEventTime(micros)).toBe(time);
    expect(eventTimeToMicros(time)).toBe(micros);
  });

  it('converts losslessly at every microsecond in range', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: EVENT_TIME_END_MICROS - 1 }),
        (micros) => eventTimeToMicros(toEventTime(micros)) === micros,
      ),
    );
  });

  it('is the ISO form of the instant, for runs of equal, near and far times in any order', () => {
    // toEventTime remembers its last second and its last result: neither may leak into another.
    const micros = fc.oneof(
      fc.integer({ min: 0, max: EVENT_TIME_END_MICROS - 1 }),
      fc.integer({ min: 1_772_366_399_999_990, max: 1_772_366_400_000_010 }),
    );
    fc.assert(
      fc.property(fc.array(micros, { minLength: 1, maxLength: 20 }), (times) => {
        for (const t of [...times, ...times]) {
          const iso = new Date(Math.floor(t / 1000)).toISOString();
          expect(toEventTime(t)).toBe(`${iso.slice(0, 23)}${String(t % 1000).padStart(3, '0')}Z`);
        }
      }),
    );
  });

  it('still refuses a bad time after a good one', () => {
    expect(toEventTime(0)).toBe('1970-01-01T00:00:00.000000Z');
    expect(() => toEventTime(-1)).toThrow(RangeError);
    expect(() => toEventTime(Number.NaN)).toThrow(RangeError);
    expect(toEventTime(0)).toBe('1970-01-01T00:00:00.000000Z');
  });

  it.each([
    [
      -1,
      'event time must be whole microseconds in 1970-2249 (0 <= micros < 8835955200000000), got -1',
    ],
    [
      1.5,
      'event time must be whole microseconds in 1970-2249 (0 <= micros < 8835955200000000), got 1.5',
    ],
    [
      EVENT_TIME_END_MICROS,
      'event time must be whole microseconds in 1970-2249 (0 <= micros < 8835955200000000), got 8835955200000000',
    ],
  ])('refuses %d µs', (micros, message) => {
    expect(() => toEventTime(micros)).toThrow(new RangeError(message));
  });

  it.each([
    ['2024-02-29T00:00:00.000000Z', true],
    ['2000-02-29T00:00:00.000000Z', true],
    ['2100-02-29T00:00:00.000000Z', false],
    ['2026-04-31T00:00:00.000000Z', false],
    ['2026-12-31T23:59:59.999999Z', true],
    ['2026-12-31T23:59:60.000000Z', false],
    ['2026-12-31T23:59:59.999999+00:00', false],
    ['2026-12-31 23:59:59.999999Z', false],
    ['1969-12-31T23:59:59.999999Z', false],
    ['2250-01-01T00:00:00.000000Z', false],
  ])('%s valid: %s', (time, valid) => {
    expect(isEventTime(time)).toBe(valid);
    expect(eventTimeToMicros(time) !== null).toBe(valid);
  });

  it('the system clock reads microseconds near Date.now and never goes back', () => {
    const clock = systemClock();
    const before = Date.now() * 1000;
    const readings = Array.from({ length: 1000 }, clock);
    const after = Date.now() * 1000;
    expect(readings.every((reading, i) => i === 0 || reading >= readings[i - 1]!)).toBe(true);
    expect(Number.isSafeInteger(readings[0]!)).toBe(true);
    expect(readings[0]!).toBeGreaterThanOrEqual(before - 1000);
    expect(readings[999]!).toBeLessThanOrEqual(after + 1000);
  });
});
