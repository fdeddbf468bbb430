import { describe, expect, it } from 'vitest';
import { parseConsoleLine } from '../src/tap/console-line';
import { checkTimeZone, wallTimeToUtcMs, type WallTime } from '../src/tap/wall-clock';

const wall = (iso: string): WallTime => {
  const [date, time] = iso.split(' ');
  const [year, month, day] = date!.split('-').map(Number);
  const [hour, minute, second] = time!.split(':').map(Number);
  return {
    year: year!,
    month: month!,
    day: day!,
    hour: hour!,
    minute: minute!,
    second: second!,
    millisecond: 0,
  };
};
const utc = (iso: string, zone: string | null) => {
  const ms = wallTimeToUtcMs(wall(iso), zone);
  return ms === null ? null : new Date(ms).toISOString();
};

describe('console wall-clock times', () => {
  it('reads a zone-less time as UTC unless a zone is given', () => {
    expect(utc('2025-07-19 13:06:31', null)).toBe('2025-07-19T13:06:31.000Z');
    expect(utc('2025-07-19 13:06:31', 'UTC')).toBe('2025-07-19T13:06:31.000Z');
    expect(utc('2025-07-19 13:06:31', 'America/New_York')).toBe('2025-07-19T17:06:31.000Z');
    expect(utc('2025-01-19 13:06:31', 'America/New_York')).toBe('2025-01-19T18:06:31.000Z');
    expect(utc('2025-07-19 13:06:31', 'Asia/Kolkata')).toBe('2025-07-19T07:36:31.000Z');
  });

  it('takes the first of a time passed twice (clocks back), west and east of Greenwich', () => {
    expect(utc('2025-11-02 01:30:00', 'America/New_York')).toBe('2025-11-02T05:30:00.000Z');
    expect(utc('2025-10-26 02:30:00', 'Europe/Warsaw')).toBe('2025-10-26T00:30:00.000Z');
  });

  it('refuses dates that do not exist, and names a zone Intl does not know', () => {
    expect(utc('2025-02-30 10:00:00', null)).toBeNull();
    expect(utc('2025-01-01 24:00:00', 'Europe/Warsaw')).toBeNull();
    expect(checkTimeZone('Europe/Warsaw')).toBeNull();
    expect(checkTimeZone('Mars/Olympus')).toBe(
      'tz must be an IANA time zone such as Europe/Warsaw or UTC (got "Mars/Olympus")',
    );
  });

  it('parses the xenconsoled prefix (optionally with milliseconds) and leaves other lines whole', () => {
    expect(
      parseConsoleLine('[2025-07-19 13:06:31] xen_platform_log xen platform: x\r', null),
    ).toEqual({
      kind: 'line',
      body: 'xen_platform_log xen platform: x',
      timeUs: Date.UTC(2025, 6, 19, 13, 6, 31) * 1000,
    });
    expect(parseConsoleLine('[2025-07-19 13:06:31.250] MM: Init', null)).toEqual({
      kind: 'line',
      body: 'MM: Init',
      timeUs: Date.UTC(2025, 6, 19, 13, 6, 31, 250) * 1000,
    });
    expect(parseConsoleLine('[2025-07-19 13:06:31]', null)).toMatchObject({ body: '' });
    expect(parseConsoleLine('no prefix here', null)).toEqual({
      kind: 'line',
      body: 'no prefix here',
      timeUs: null,
    });
    expect(parseConsoleLine('[2250-01-01 00:00:00] late', null)).toEqual({
      kind: 'unparseable',
      reason: 'timestamp outside 1970-2249 or not a real date',
    });
  });
});
