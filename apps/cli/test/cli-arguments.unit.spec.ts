import { describe, expect, it } from 'vitest';
import { parseBrokerList } from '../src/broker-list';
import { escapeForTerminal } from '../src/output';
import { parseTimeArg } from '../src/time-arg';

describe('parseBrokerList', () => {
  it('accepts host:port lists, IPv6 in brackets, spaces around commas', () => {
    expect(parseBrokerList('kafka-1:9092, 10.0.0.2:19092,[::1]:9092')).toEqual([
      'kafka-1:9092',
      '10.0.0.2:19092',
      '[::1]:9092',
    ]);
  });

  it.each([
    ['notaport', '--brokers: "notaport" is not host:port (e.g. 127.0.0.1:9092)'],
    [
      '127.0.0.1:abc',
      '--brokers: "127.0.0.1:abc": the port must be a whole number from 1 to 65535',
    ],
    ['h:0', '--brokers: "h:0": the port must be a whole number from 1 to 65535'],
    ['h:65536', '--brokers: "h:65536": the port must be a whole number from 1 to 65535'],
    [
      'http://host:9092',
      '--brokers: "http://host:9092": give host:port without a scheme (host:9092)',
    ],
    ['', '--brokers: empty (give host:port, e.g. 127.0.0.1:9092)'],
    ['h:1,', '--brokers: an empty entry in the list "h:1,"'],
    ['\u001b[31mx:1', '--brokers: "\\u001b[31mx:1" is not host:port (e.g. 127.0.0.1:9092)'],
  ])('%j', (list, message) => {
    expect(() => parseBrokerList(list)).toThrow(message);
  });
});

describe('parseTimeArg', () => {
  const us = (iso: string) => Date.parse(iso) * 1000;
  it('reads Z, offsets and zone-less times (as UTC), with up to microseconds', () => {
    expect(parseTimeArg('--start', '2026-11-01T00:00:00Z')).toBe(us('2026-11-01T00:00:00Z'));
    expect(parseTimeArg('--start', '2026-11-01T00:00:00')).toBe(us('2026-11-01T00:00:00Z'));
    expect(parseTimeArg('--start', '2026-11-01')).toBe(us('2026-11-01T00:00:00Z'));
    expect(parseTimeArg('--start', '2026-11-01T02:30:00+02:30')).toBe(us('2026-11-01T00:00:00Z'));
    expect(parseTimeArg('--start', '2026-11-01T00:00:00.000001Z')).toBe(
      us('2026-11-01T00:00:00Z') + 1,
    );
    expect(parseTimeArg('--start', '2028-02-29T00:00:00Z')).toBe(us('2028-02-29T00:00:00Z'));
  });

  it.each([
    [
      '2026-02-30T00:00:00Z',
      '--start: 2026-02-30T00:00:00Z is not a date (February 2026 has 28 days)',
    ],
    ['2026-13-01T00:00:00Z', '--start: 2026-13-01T00:00:00Z is not a date (there is no month 13)'],
    [
      '2026-11-01T24:00:00Z',
      '--start: 2026-11-01T24:00:00Z is not a time of day (00:00:00 to 23:59:59)',
    ],
    ['yesterday', '--start must be an ISO-8601 time like 2026-11-01T00:00:00Z (got yesterday)'],
    [
      '2026-11-01T00:00:00+25:00',
      '--start: 2026-11-01T00:00:00+25:00 has an impossible UTC offset +25:00',
    ],
  ])('refuses %s', (value, message) => {
    expect(() => parseTimeArg('--start', value)).toThrow(message);
  });
});

describe('escapeForTerminal', () => {
  it('makes control characters and bidi overrides visible, leaves other text alone', () => {
    expect(escapeForTerminal('a\u001b[2Jb\u0007\u202ec\u009bé中\ttab')).toBe(
      'a\\u001b[2Jb\\u0007\\u202ec\\u009bé中\\u0009tab',
    );
  });
});
